//! The Analytics Engine SQL behind `concierge metrics`.
//!
//! Counts are `SUM(_sample_interval)` and quantiles `quantileExactWeighted(q)(double1,
//! _sample_interval)`, because Analytics Engine samples on write and on read and each stored row
//! stands for `_sample_interval` requests. Quantiles cannot be merged across groups, so the same
//! traffic query runs at four groupings (per version and route, per route, per version, overall);
//! counts (the intent mix) are additive and need only the per-version query.
//! Column names are those of `src/metrics` (see `docs/analytics-engine.md`).

use super::{OpsError, Window};

/// The Analytics Engine dataset the Worker writes to (`ANALYTICS` binding in wrangler.toml).
pub const DATASET: &str = "aurora_concierge";
/// The route whose data points carry an intent.
pub const MESSAGES_ROUTE: &str = "POST /v1/messages";
/// The intent whose share is the escalation rate.
pub const ESCALATION_INTENT: &str = "stylist_escalation";
/// The data point error code (blob9) of a 429.
pub const RATE_LIMITED_CODE: &str = "rate_limited";
/// The data point error code of a request that failed because D1 or KV did.
pub const DATABASE_ERROR_CODE: &str = "database_error";
/// The route the widget calls once per page view: a "session" for the engagement alert.
pub const FLAGS_ROUTE: &str = "GET /v1/flags";

/// One query of the metrics set; its [`name`](MetricsQuery::name) keys responses files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricsQuery {
    /// Requests, 4xx/5xx and latency quantiles per rules version, Worker version and route.
    RoutesByVersion,
    /// The same per route across all versions.
    Routes,
    /// The same per rules version and Worker version across all routes.
    TotalsByVersion,
    /// The same across everything.
    Totals,
    /// Classified messages per rules version, Worker version and intent.
    IntentsByVersion,
}

impl MetricsQuery {
    /// Every query `concierge metrics` runs, in order.
    pub const ALL: [MetricsQuery; 5] = [
        MetricsQuery::RoutesByVersion,
        MetricsQuery::Routes,
        MetricsQuery::TotalsByVersion,
        MetricsQuery::Totals,
        MetricsQuery::IntentsByVersion,
    ];

    /// Stable snake_case name, used in `--print-sql` headers and responses files.
    pub fn name(self) -> &'static str {
        match self {
            MetricsQuery::RoutesByVersion => "routes_by_version",
            MetricsQuery::Routes => "routes",
            MetricsQuery::TotalsByVersion => "totals_by_version",
            MetricsQuery::Totals => "totals",
            MetricsQuery::IntentsByVersion => "intents_by_version",
        }
    }

    /// Whether result rows carry `rules_version` and `worker_version`.
    pub fn by_version(self) -> bool {
        matches!(
            self,
            MetricsQuery::RoutesByVersion
                | MetricsQuery::TotalsByVersion
                | MetricsQuery::IntentsByVersion
        )
    }

    /// Whether result rows carry `route`.
    pub fn by_route(self) -> bool {
        matches!(self, MetricsQuery::RoutesByVersion | MetricsQuery::Routes)
    }

    /// The SQL text for `window` over `dataset` (validated with [`validate_dataset`]).
    pub fn sql(self, window: &Window, dataset: &str) -> String {
        let since = format!("timestamp > NOW() - {}", window.sql_interval());
        let mut keys: Vec<(&str, &str)> = Vec::new();
        if self.by_version() {
            keys.push(("blob5", "rules_version"));
            keys.push(("blob8", "worker_version"));
        }
        if self.by_route() {
            keys.push(("index1", "route"));
        }
        let (measures, filter) = match self {
            MetricsQuery::IntentsByVersion => {
                keys.push(("blob4", "intent"));
                (
                    vec!["SUM(_sample_interval) AS messages"],
                    format!("{since}\n  AND index1 = '{MESSAGES_ROUTE}'\n  AND blob4 != ''"),
                )
            }
            _ => (
                vec![
                    "SUM(_sample_interval) AS requests",
                    "SUM(if(blob3 = '4xx', _sample_interval, 0)) AS errors_4xx",
                    "SUM(if(blob3 = '5xx', _sample_interval, 0)) AS errors_5xx",
                    "SUM(if(blob9 = 'rate_limited', _sample_interval, 0)) AS rate_limited",
                    "SUM(if(blob9 = 'database_error', _sample_interval, 0)) AS database_errors",
                    "quantileExactWeighted(0.5)(double1, _sample_interval) AS latency_p50_ms",
                    "quantileExactWeighted(0.95)(double1, _sample_interval) AS latency_p95_ms",
                    "quantileExactWeighted(0.99)(double1, _sample_interval) AS latency_p99_ms",
                ],
                since,
            ),
        };
        let select: Vec<String> = keys
            .iter()
            .map(|(column, alias)| format!("{column} AS {alias}"))
            .chain(measures.iter().map(|m| (*m).to_string()))
            .collect();
        let mut sql = format!(
            "SELECT\n  {}\nFROM {dataset}\nWHERE {filter}\n",
            select.join(",\n  ")
        );
        if !keys.is_empty() {
            let aliases: Vec<&str> = keys.iter().map(|(_, alias)| *alias).collect();
            let aliases = aliases.join(", ");
            sql.push_str(&format!("GROUP BY {aliases}\nORDER BY {aliases}\n"));
        }
        sql.push_str("FORMAT JSON");
        sql
    }
}

/// Dataset names become SQL identifiers, so only `[A-Za-z0-9_]` is accepted.
pub fn validate_dataset(dataset: &str) -> Result<(), OpsError> {
    let ok = !dataset.is_empty()
        && dataset
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !dataset.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(OpsError::InvalidDataset(dataset.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_is_sample_weighted_and_windowed() {
        let window: Window = "15m".parse().unwrap();
        for q in MetricsQuery::ALL {
            let sql = q.sql(&window, DATASET);
            assert!(sql.contains("SUM(_sample_interval)"), "{sql}");
            assert!(!sql.contains("count()"), "{sql}");
            assert!(sql.contains("INTERVAL '15' MINUTE"), "{sql}");
            assert!(sql.ends_with("FORMAT JSON"), "{sql}");
        }
    }

    #[test]
    fn dataset_names_are_identifiers() {
        assert!(validate_dataset("aurora_concierge").is_ok());
        for bad in ["", "a-b", "x; DROP", "1abc", "a b"] {
            assert!(validate_dataset(bad).is_err(), "{bad}");
        }
    }
}
