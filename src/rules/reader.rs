//! Typed reads from a spanned TOML tree that record a diagnostic, instead of failing, for every
//! unknown key, wrong type or missing field, so one run reports every problem.

use super::diagnostic::Diagnostic;
use crate::engine::lexicon::edit_distance;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A TOML table and the span it was declared at.
pub type Table<'t, 'i> = (&'t DeTable<'i>, Range<usize>);

/// A value read from a rule file, with its span.
pub type At<T> = Spanned<T>;

/// Reads values of one file, collecting diagnostics.
pub struct Reader<'d> {
    pub file: usize,
    /// The file's text, to place spans inside string values (a regex's mistake).
    pub text: &'d str,
    pub diagnostics: &'d mut Vec<Diagnostic>,
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

impl Reader<'_> {
    /// Records a diagnostic at `span`.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let mut d = Diagnostic::new(self.file, Some(span), message);
        d.help = help;
        self.diagnostics.push(d);
    }

    /// Checks a regex, reporting a syntax error at its exact place in the file; `what` names
    /// the list it is in (``in `patterns` of intent `x` ``).
    pub fn pattern(&mut self, pattern: &At<String>, what: &str, help: &str) -> bool {
        let Err(err) = super::regex::check(pattern.get_ref()) else {
            return true;
        };
        let span = err
            .span
            .as_ref()
            .and_then(|at| {
                super::regex::file_span(self.text, &pattern.span(), pattern.get_ref(), at)
            })
            .unwrap_or_else(|| pattern.span());
        self.error(
            span,
            format!("invalid regex {what}: {}", err.message),
            Some(help.to_string()),
        );
        false
    }

    /// Reports every key of `table` not in `allowed`, with a "did you mean" when one is close.
    pub fn known_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], context: &str) {
        for (key, _) in table.iter() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let help = match did_you_mean(name, allowed) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("{context} takes: {}", allowed.join(", ")),
            };
            self.error(
                key.span(),
                format!("unknown key `{name}` in {context}"),
                Some(help),
            );
        }
    }

    fn wrong_type(&mut self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        self.error(
            value.span(),
            format!(
                "wrong type for `{key}`: expected {expected}, found {}",
                value.get_ref().type_str()
            ),
            Some(format!("write `{key}` as {expected}")),
        );
    }

    /// Reports a missing required key at the table's span.
    pub fn missing(&mut self, table_span: Range<usize>, key: &str, context: &str, example: &str) {
        self.error(
            table_span,
            format!("missing required key `{key}` in {context}"),
            Some(format!("add `{key} = {example}`")),
        );
    }

    /// A string value.
    pub fn string(&mut self, table: &DeTable<'_>, key: &str) -> Option<At<String>> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(key, value, "a string");
                None
            }
        }
    }

    /// An integer value.
    pub fn integer(&mut self, table: &DeTable<'_>, key: &str) -> Option<At<i64>> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Spanned::new(value.span(), n)),
                Err(_) => {
                    self.error(value.span(), format!("`{key}` is out of range"), None);
                    None
                }
            },
            _ => {
                self.wrong_type(key, value, "an integer");
                None
            }
        }
    }

    /// A non-negative integer that fits in `u32`.
    pub fn count(&mut self, table: &DeTable<'_>, key: &str) -> Option<At<u32>> {
        let n = self.integer(table, key)?;
        match u32::try_from(*n.get_ref()) {
            Ok(v) => Some(Spanned::new(n.span(), v)),
            Err(_) => {
                self.error(
                    n.span(),
                    format!(
                        "`{key}` must be between 0 and {}, found {}",
                        u32::MAX,
                        n.get_ref()
                    ),
                    None,
                );
                None
            }
        }
    }

    /// A number (integer or float).
    pub fn number(&mut self, table: &DeTable<'_>, key: &str) -> Option<At<f64>> {
        let value = table.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => {
                self.wrong_type(key, value, "a number");
                return None;
            }
        };
        match parsed.filter(|v| v.is_finite()) {
            Some(v) => Some(Spanned::new(value.span(), v)),
            None => {
                self.error(
                    value.span(),
                    format!("`{key}` must be a finite number"),
                    None,
                );
                None
            }
        }
    }

    /// A number that must lie in `range` (inclusive).
    pub fn number_in(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        min: f64,
        max: f64,
    ) -> Option<At<f64>> {
        let n = self.number(table, key)?;
        if *n.get_ref() < min || *n.get_ref() > max {
            self.error(
                n.span(),
                format!(
                    "`{key}` is out of range: {} is not between {min} and {max}",
                    n.get_ref()
                ),
                Some(format!("use a value from {min} to {max}")),
            );
            return None;
        }
        Some(n)
    }

    /// A boolean value.
    pub fn boolean(&mut self, table: &DeTable<'_>, key: &str) -> Option<At<bool>> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(value.span(), *b)),
            _ => {
                self.wrong_type(key, value, "a boolean (`true` or `false`)");
                None
            }
        }
    }

    /// An array of strings; non-string elements are reported and skipped.
    pub fn strings(&mut self, table: &DeTable<'_>, key: &str) -> Vec<At<String>> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(item.span(), s.to_string())),
                other => self.error(
                    item.span(),
                    format!(
                        "wrong type in `{key}`: expected a string, found {}",
                        other.type_str()
                    ),
                    Some("quote the value".into()),
                ),
            }
        }
        out
    }

    /// A sub-table.
    pub fn table<'t, 'i>(&mut self, table: &'t DeTable<'i>, key: &str) -> Option<Table<'t, 'i>> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::Table(t) => Some((t, value.span())),
            _ => {
                self.wrong_type(key, value, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[key]]`).
    pub fn tables<'t, 'i>(&mut self, table: &'t DeTable<'i>, key: &str) -> Vec<Table<'t, 'i>> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Table(t) => out.push((t, item.span())),
                other => self.error(
                    item.span(),
                    format!(
                        "wrong type in `{key}`: expected a table, found {}",
                        other.type_str()
                    ),
                    None,
                ),
            }
        }
        out
    }

    /// Every `key = table` entry of a table (`[categories.rings]`), in declaration order.
    pub fn named_tables<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        what: &str,
    ) -> Vec<(At<String>, Table<'t, 'i>)> {
        let mut out = Vec::new();
        for (key, value) in table.iter() {
            match value.get_ref() {
                DeValue::Table(t) => out.push((
                    Spanned::new(key.span(), key.get_ref().to_string()),
                    (t, value.span()),
                )),
                other => self.error(
                    value.span(),
                    format!(
                        "wrong type for {what} `{}`: expected a table, found {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                    None,
                ),
            }
        }
        out.sort_by_key(|(key, _)| key.span().start);
        out
    }

    /// Every `key = "string"` entry of a table (aliases, defaults).
    pub fn string_map(&mut self, table: &DeTable<'_>, what: &str) -> Vec<(At<String>, At<String>)> {
        let mut out = Vec::new();
        for (key, value) in table.iter() {
            match value.get_ref() {
                DeValue::String(s) => out.push((
                    Spanned::new(key.span(), key.get_ref().to_string()),
                    Spanned::new(value.span(), s.to_string()),
                )),
                other => self.error(
                    value.span(),
                    format!(
                        "wrong type for {what} `{}`: expected a string, found {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                    None,
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["phrases", "patterns", "priority"];
        assert_eq!(did_you_mean("phrase", &keys), Some("phrases"));
        assert_eq!(did_you_mean("pattern", &keys), Some("patterns"));
        assert_eq!(did_you_mean("colour", &keys), None);
    }
}
