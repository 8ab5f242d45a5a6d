//! The Analytics Engine SQL API answer in its default `FORMAT JSON`:
//! `{"meta": [{"name", "type"}], "data": [{column: value}], "rows": n, ...}`.
//!
//! Values are read leniently: ClickHouse, which serves the API, quotes 64-bit integers such as
//! `SUM(_sample_interval)` as JSON strings, and an empty group's quantile can be `nan`.

use super::OpsError;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One column of the result schema.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A parsed SQL API result.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlResponse {
    pub meta: Vec<Column>,
    pub data: Vec<Map<String, Value>>,
    /// Row count as reported; absent in some answers, then `data.len()` counts.
    pub rows: Option<Value>,
}

/// An answer as it arrives: a result, or an error report in place of `data`. Read straight from
/// the body's text, not through a `serde_json::Value` (the Worker's alert job links no
/// `Value`-to-type deserializer).
#[derive(Deserialize)]
struct Answer {
    meta: Option<Vec<Column>>,
    data: Option<Vec<Map<String, Value>>>,
    rows: Option<Value>,
    errors: Option<Value>,
    error: Option<Value>,
}

impl Answer {
    fn into_response(self, query: &str) -> Result<SqlResponse, OpsError> {
        let invalid = |reason: String| OpsError::InvalidResponse {
            query: query.to_string(),
            reason,
        };
        let Some(data) = self.data else {
            return Err(invalid(match self.errors.or(self.error) {
                Some(errors) => format!("the API reported {errors}"),
                None => "no `data` field".to_string(),
            }));
        };
        let meta = self
            .meta
            .ok_or_else(|| invalid("missing field `meta`".to_string()))?;
        Ok(SqlResponse {
            meta,
            data,
            rows: self.rows,
        })
    }
}

impl SqlResponse {
    /// Parses the body of one answer; `query` names it in errors.
    pub fn parse(query: &str, body: &str) -> Result<SqlResponse, OpsError> {
        let answer: Answer = serde_json::from_str(body).map_err(|e| OpsError::InvalidResponse {
            query: query.to_string(),
            reason: format!("not a SQL API answer ({e}): {}", excerpt(body)),
        })?;
        answer.into_response(query)
    }

    /// Reads an answer that is already JSON (e.g. one entry of a responses file).
    pub fn from_value(query: &str, value: Value) -> Result<SqlResponse, OpsError> {
        let answer: Answer =
            serde_json::from_value(value).map_err(|e| OpsError::InvalidResponse {
                query: query.to_string(),
                reason: format!("not a SQL API answer ({e})"),
            })?;
        answer.into_response(query)
    }

    /// The result rows, each able to read its columns by name.
    pub fn rows<'a>(&'a self, query: &'a str) -> impl Iterator<Item = Row<'a>> + 'a {
        self.data.iter().enumerate().map(move |(index, cells)| Row {
            query,
            index,
            cells,
        })
    }
}

/// One result row; accessors name the query, row and column in their errors.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    query: &'a str,
    index: usize,
    cells: &'a Map<String, Value>,
}

impl Row<'_> {
    fn missing(&self, column: &str) -> OpsError {
        OpsError::MissingColumn {
            query: self.query.to_string(),
            column: column.to_string(),
            row: self.index,
        }
    }

    /// A string column (numbers are turned into their text).
    pub fn text(&self, column: &str) -> Result<String, OpsError> {
        match self.cells.get(column) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(self.missing(column)),
        }
    }

    /// A non-negative count, given as a number or a quoted number; fractions are rounded.
    pub fn count(&self, column: &str) -> Result<u64, OpsError> {
        match self.number(column)? {
            Some(v) if v >= 0.0 && v <= u64::MAX as f64 => Ok(v.round() as u64),
            _ => Err(self.missing(column)),
        }
    }

    /// A number given as a JSON number or a string; `None` for `nan`, `inf` or `null`.
    pub fn number(&self, column: &str) -> Result<Option<f64>, OpsError> {
        let value = match self.cells.get(column) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => quoted_number(s).ok_or_else(|| self.missing(column))?,
            Some(Value::Null) => None,
            _ => return Err(self.missing(column)),
        };
        Ok(value.filter(|v| v.is_finite()))
    }
}

/// A quoted number as ClickHouse writes one (`"1200"`, `"12.5"`, `"1e-7"`, `"nan"`, `"-inf"`):
/// `Some(None)` for `nan` and infinities. Read with serde_json's number parser, which the
/// Worker links anyway, rather than `f64::from_str`.
fn quoted_number(text: &str) -> Option<Option<f64>> {
    let text = text.trim();
    let bare = text.strip_prefix(['-', '+']).unwrap_or(text);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|w| bare.eq_ignore_ascii_case(w))
    {
        return Some(None);
    }
    serde_json::from_str::<f64>(text.strip_prefix('+').unwrap_or(text))
        .ok()
        .map(Some)
}

fn excerpt(body: &str) -> String {
    let cut: String = body.chars().take(200).collect();
    cut.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_and_plain_numbers() {
        let body = r#"{"meta":[{"name":"requests","type":"UInt64"},{"name":"p","type":"Float64"}],
            "data":[{"requests":"1200","p":12.5},{"requests":7,"p":"nan"}],"rows":2}"#;
        let r = SqlResponse::parse("q", body).unwrap();
        let rows: Vec<_> = r.rows("q").collect();
        assert_eq!(rows[0].count("requests").unwrap(), 1200);
        assert_eq!(rows[0].number("p").unwrap(), Some(12.5));
        assert_eq!(rows[1].count("requests").unwrap(), 7);
        assert_eq!(rows[1].number("p").unwrap(), None);
        assert!(rows[1].count("absent").is_err());
    }

    #[test]
    fn quoted_numbers_in_clickhouse_forms() {
        let body = r#"{"meta":[],"data":[{"a":"1e-7","b":"-inf","c":"+3","d":"Infinity","e":"ten","f":" 2.5 "}]}"#;
        let r = SqlResponse::parse("q", body).unwrap();
        let row = r.rows("q").next().unwrap();
        assert_eq!(row.number("a").unwrap(), Some(1e-7));
        assert_eq!(row.number("b").unwrap(), None);
        assert_eq!(row.number("c").unwrap(), Some(3.0));
        assert_eq!(row.number("d").unwrap(), None);
        assert!(row.number("e").is_err());
        assert_eq!(row.number("f").unwrap(), Some(2.5));
    }

    #[test]
    fn an_error_answer_is_reported() {
        let err = SqlResponse::parse("totals", r#"{"errors":[{"message":"bad"}]}"#).unwrap_err();
        assert!(err.to_string().contains("bad"), "{err}");
        assert!(SqlResponse::parse("totals", "Unauthorized").is_err());
        for (body, reason) in [
            (r#"{"error":"quota"}"#, "the API reported \"quota\""),
            (r#"{"meta":[],"data":null}"#, "no `data` field"),
            (r#"{"data":[]}"#, "missing field `meta`"),
            ("[]", "not a SQL API answer"),
        ] {
            let err = SqlResponse::parse("totals", body).unwrap_err().to_string();
            assert!(err.contains(reason), "{body}: {err}");
            let value: Value = serde_json::from_str(body).unwrap();
            let err = SqlResponse::from_value("totals", value)
                .unwrap_err()
                .to_string();
            assert!(err.contains(reason), "{body} as a value: {err}");
        }
    }
}
