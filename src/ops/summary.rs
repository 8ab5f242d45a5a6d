//! The metrics summary: traffic, errors, latency and the intent mix, overall and per
//! (rules version, Worker version). Built either from Analytics Engine answers or from data points
//! read from a dev log, so development and production are read the same way.

use super::response::{Row, SqlResponse};
use super::sql::{
    MetricsQuery, DATABASE_ERROR_CODE, ESCALATION_INTENT, MESSAGES_ROUTE, RATE_LIMITED_CODE,
};
use super::OpsError;
use crate::engine::model::UNKNOWN_INTENT;
use crate::metrics::DataPoint;
use serde::Serialize;
use std::collections::BTreeMap;

/// Latency quantiles in milliseconds; `None` when the group has no requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencyQuantiles {
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Sample-weighted request counts and latency of a group of requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrafficStats {
    pub requests: u64,
    pub errors_4xx: u64,
    pub errors_5xx: u64,
    /// Share of 5xx responses (what the error-rate alert watches).
    pub error_rate: Option<f64>,
    /// Share of 4xx responses (client mistakes, rate limiting; informative only).
    pub client_error_rate: Option<f64>,
    pub latency: LatencyQuantiles,
    /// Requests answered 429 `rate_limited`; `None` when the source does not count them (older
    /// saved answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limited: Option<u64>,
    /// Requests that failed because D1 or KV did (`database_error` in the data point).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_errors: Option<u64>,
}

impl TrafficStats {
    /// Builds the stats and derives the rates (`None` without requests).
    pub fn new(requests: u64, errors_4xx: u64, errors_5xx: u64, latency: LatencyQuantiles) -> Self {
        TrafficStats {
            requests,
            errors_4xx,
            errors_5xx,
            error_rate: ratio(errors_5xx, requests),
            client_error_rate: ratio(errors_4xx, requests),
            latency,
            rate_limited: None,
            database_errors: None,
        }
    }

    /// The counts of rate-limited and database-failed requests, where the source has them.
    pub fn with_error_codes(
        mut self,
        rate_limited: Option<u64>,
        database_errors: Option<u64>,
    ) -> Self {
        self.rate_limited = rate_limited;
        self.database_errors = database_errors;
        self
    }

    fn from_row(row: &Row<'_>) -> Result<TrafficStats, OpsError> {
        let optional = |column: &str| row.count(column).ok();
        Ok(TrafficStats::new(
            row.count("requests")?,
            row.count("errors_4xx")?,
            row.count("errors_5xx")?,
            LatencyQuantiles {
                p50_ms: row.number("latency_p50_ms")?,
                p95_ms: row.number("latency_p95_ms")?,
                p99_ms: row.number("latency_p99_ms")?,
            },
        )
        .with_error_codes(optional("rate_limited"), optional("database_errors")))
    }

    fn from_points<'a>(points: impl Iterator<Item = &'a DataPoint>) -> TrafficStats {
        let (mut e4, mut e5, mut limited, mut database) = (0, 0, 0, 0);
        let mut latencies: Vec<(f64, u64)> = Vec::new();
        for p in points {
            match p.status / 100 {
                4 => e4 += 1,
                5 => e5 += 1,
                _ => {}
            }
            match p.error_code.as_str() {
                RATE_LIMITED_CODE => limited += 1,
                DATABASE_ERROR_CODE => database += 1,
                _ => {}
            }
            latencies.push((p.latency_ms, 1));
        }
        let latency = LatencyQuantiles {
            p50_ms: quantile_exact_weighted(&latencies, 0.5),
            p95_ms: quantile_exact_weighted(&latencies, 0.95),
            p99_ms: quantile_exact_weighted(&latencies, 0.99),
        };
        TrafficStats::new(latencies.len() as u64, e4, e5, latency)
            .with_error_codes(Some(limited), Some(database))
    }
}

/// Traffic of one route template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteStats {
    pub route: String,
    #[serde(flatten)]
    pub traffic: TrafficStats,
}

/// Classified `POST /v1/messages` requests by intent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntentMix {
    /// Messages that got an intent (including `unknown`).
    pub classified: u64,
    pub intents: BTreeMap<String, u64>,
    /// Share of `unknown` among classified messages.
    pub unmatched_rate: Option<f64>,
    /// Share of stylist escalations among classified messages.
    pub escalation_rate: Option<f64>,
}

impl IntentMix {
    /// Derives the total and the rates from per-intent counts.
    pub fn from_counts(intents: BTreeMap<String, u64>) -> IntentMix {
        let classified = intents.values().sum();
        let share = |intent: &str| ratio(intents.get(intent).copied().unwrap_or(0), classified);
        IntentMix {
            classified,
            unmatched_rate: share(UNKNOWN_INTENT),
            escalation_rate: share(ESCALATION_INTENT),
            intents,
        }
    }
}

/// Which deployment a group of requests came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct VersionKey {
    pub rules_version: String,
    pub worker_version: String,
}

/// Everything measured for one group: all traffic, or one (rules, Worker) version pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupSummary {
    /// `None` for the overall group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionKey>,
    pub totals: TrafficStats,
    pub routes: Vec<RouteStats>,
    pub messages: IntentMix,
}

impl GroupSummary {
    /// How alerts and reports name the group: `all versions` or `rules X, worker Y`.
    pub fn label(&self) -> String {
        match &self.version {
            None => "all versions".to_string(),
            Some(v) => format!(
                "rules {}, worker {}",
                or_none(&v.rules_version),
                or_none(&v.worker_version)
            ),
        }
    }
}

/// The summary `concierge metrics` prints and `concierge alerts` evaluates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// `analytics_engine` or `dev_log`.
    pub source: String,
    /// The queried window (`15m`); `None` for a dev log, which covers whatever it holds.
    pub window: Option<String>,
    pub overall: GroupSummary,
    pub versions: Vec<GroupSummary>,
}

impl Summary {
    /// Builds the summary from one SQL API answer per [`MetricsQuery`].
    pub fn from_responses(
        window: &str,
        responses: &BTreeMap<MetricsQuery, SqlResponse>,
    ) -> Result<Summary, OpsError> {
        let mut overall = GroupSummary::default();
        let mut versions: BTreeMap<VersionKey, GroupSummary> = BTreeMap::new();
        let mut intents: BTreeMap<VersionKey, BTreeMap<String, u64>> = BTreeMap::new();
        for query in MetricsQuery::ALL {
            let name = query.name();
            let response = responses
                .get(&query)
                .ok_or_else(|| OpsError::MissingResponse(name.to_string()))?;
            for row in response.rows(name) {
                let key = if query.by_version() {
                    Some(VersionKey {
                        rules_version: row.text("rules_version")?,
                        worker_version: row.text("worker_version")?,
                    })
                } else {
                    None
                };
                let group = match &key {
                    Some(k) => versions.entry(k.clone()).or_insert_with(|| GroupSummary {
                        version: Some(k.clone()),
                        ..GroupSummary::default()
                    }),
                    None => &mut overall,
                };
                match query {
                    MetricsQuery::IntentsByVersion => {
                        let messages = row.count("messages")?;
                        let intent = row.text("intent")?;
                        if let Some(k) = key {
                            *intents.entry(k).or_default().entry(intent).or_default() += messages;
                        }
                    }
                    MetricsQuery::RoutesByVersion | MetricsQuery::Routes => {
                        group.routes.push(RouteStats {
                            route: row.text("route")?,
                            traffic: TrafficStats::from_row(&row)?,
                        });
                    }
                    MetricsQuery::TotalsByVersion | MetricsQuery::Totals => {
                        group.totals = TrafficStats::from_row(&row)?;
                    }
                }
            }
        }
        let mut all_intents: BTreeMap<String, u64> = BTreeMap::new();
        for (key, counts) in intents {
            for (intent, n) in &counts {
                *all_intents.entry(intent.clone()).or_default() += n;
            }
            if let Some(group) = versions.get_mut(&key) {
                group.messages = IntentMix::from_counts(counts);
            }
        }
        overall.messages = IntentMix::from_counts(all_intents);
        Ok(Summary::assemble(
            "analytics_engine",
            Some(window),
            overall,
            versions,
        ))
    }

    /// Computes the same summary from data points (a dev log), each one request.
    pub fn from_data_points(points: &[DataPoint]) -> Summary {
        let mut by_version: BTreeMap<VersionKey, Vec<&DataPoint>> = BTreeMap::new();
        for p in points {
            let key = VersionKey {
                rules_version: p.rules_version.clone(),
                worker_version: p.worker_version.clone(),
            };
            by_version.entry(key).or_default().push(p);
        }
        let overall = group_of(None, points.iter());
        let versions = by_version
            .into_iter()
            .map(|(key, group)| (key.clone(), group_of(Some(key), group.into_iter())))
            .collect();
        Summary::assemble("dev_log", None, overall, versions)
    }

    fn assemble(
        source: &str,
        window: Option<&str>,
        mut overall: GroupSummary,
        versions: BTreeMap<VersionKey, GroupSummary>,
    ) -> Summary {
        crate::engine::sort::sort_by(&mut overall.routes, |a, b| a.route.cmp(&b.route));
        let versions = versions
            .into_values()
            .map(|mut g| {
                crate::engine::sort::sort_by(&mut g.routes, |a, b| a.route.cmp(&b.route));
                g
            })
            .collect();
        Summary {
            source: source.to_string(),
            window: window.map(str::to_string),
            overall,
            versions,
        }
    }

    /// The overall group followed by each version group.
    pub fn groups(&self) -> impl Iterator<Item = &GroupSummary> {
        std::iter::once(&self.overall).chain(self.versions.iter())
    }
}

fn group_of<'a>(
    version: Option<VersionKey>,
    points: impl Iterator<Item = &'a DataPoint> + Clone,
) -> GroupSummary {
    let mut routes: BTreeMap<&str, Vec<&DataPoint>> = BTreeMap::new();
    let mut intents: BTreeMap<String, u64> = BTreeMap::new();
    for p in points.clone() {
        routes.entry(p.route.as_str()).or_default().push(p);
        if p.route == MESSAGES_ROUTE && !p.intent.is_empty() {
            *intents.entry(p.intent.clone()).or_default() += 1;
        }
    }
    GroupSummary {
        version,
        totals: TrafficStats::from_points(points),
        routes: routes
            .into_iter()
            .map(|(route, ps)| RouteStats {
                route: route.to_string(),
                traffic: TrafficStats::from_points(ps.into_iter()),
            })
            .collect(),
        messages: IntentMix::from_counts(intents),
    }
}

/// ClickHouse's `quantileExactWeighted(level)(value, weight)`, so dev logs and Analytics Engine
/// agree: the smallest value whose cumulative weight reaches `ceil(level * total weight)`.
pub fn quantile_exact_weighted(values: &[(f64, u64)], level: f64) -> Option<f64> {
    let mut sorted: Vec<(f64, u64)> = values
        .iter()
        .copied()
        .filter(|(v, w)| v.is_finite() && *w > 0)
        .collect();
    if sorted.is_empty() {
        return None;
    }
    crate::engine::sort::sort_by(&mut sorted, |a, b| a.0.total_cmp(&b.0));
    let total: u64 = sorted.iter().map(|(_, w)| w).sum();
    let threshold = (level * total as f64).ceil();
    let mut accumulated = 0u64;
    for (value, weight) in &sorted {
        accumulated += weight;
        if accumulated as f64 >= threshold {
            return Some(*value);
        }
    }
    sorted.last().map(|(v, _)| *v)
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "(none)"
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantile_matches_clickhouse_semantics() {
        let v: Vec<(f64, u64)> = (1..=100).map(|i| (f64::from(i), 1)).collect();
        assert_eq!(quantile_exact_weighted(&v, 0.5), Some(50.0));
        assert_eq!(quantile_exact_weighted(&v, 0.95), Some(95.0));
        assert_eq!(quantile_exact_weighted(&v, 0.99), Some(99.0));
        // A value sampled at interval 10 counts as ten requests.
        let w = [(1.0, 1), (2.0, 1), (100.0, 10)];
        assert_eq!(quantile_exact_weighted(&w, 0.5), Some(100.0));
        assert_eq!(quantile_exact_weighted(&[], 0.5), None);
    }
}
