//! Alert rules over a [`Summary`] and the CSAT average, with thresholds from the rules
//! (`Thresholds.alerts`).
//!
//! Every rule is evaluated on the overall group and on each (rules, Worker) version group, so a
//! bad canary at 10 % shows up even when the overall numbers still look fine. A value fires at or
//! beyond its level (`>=` where higher is worse, `<=` for CSAT). Groups with fewer than
//! `min_requests` requests (messages, for the intent rates) raise no latency or rate alerts:
//! a handful of requests says nothing about a p95 or a share.

use super::sql::FLAGS_ROUTE;
use super::summary::{GroupSummary, Summary};
use super::OpsError;
use crate::engine::model::{AlertLevels, AlertThresholds};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a fired alert is; `Critical` sorts after `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        })
    }
}

/// The alert rules; names match the threshold keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    LatencyP95,
    ErrorRate,
    UnmatchedRate,
    EscalationRate,
    LowCsat,
    RateLimitedRate,
    DatabaseErrorRate,
    LowEngagement,
}

impl AlertRule {
    /// Stable snake_case name (JSON, Prometheus label).
    pub fn name(self) -> &'static str {
        match self {
            AlertRule::LatencyP95 => "latency_p95",
            AlertRule::ErrorRate => "error_rate",
            AlertRule::UnmatchedRate => "unmatched_rate",
            AlertRule::EscalationRate => "escalation_rate",
            AlertRule::LowCsat => "low_csat",
            AlertRule::RateLimitedRate => "rate_limited_rate",
            AlertRule::DatabaseErrorRate => "database_error_rate",
            AlertRule::LowEngagement => "low_engagement",
        }
    }
}

/// One fired alert with a sentence an operator can act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub rule: AlertRule,
    pub severity: Severity,
    /// `all versions`, `rules X, worker Y`, or `csat`.
    pub scope: String,
    pub value: f64,
    pub threshold: f64,
    pub reason: String,
}

/// The CSAT average from D1 (`GET /v1/admin/csat`), which Analytics Engine does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct CsatInput {
    /// `None` when no survey was answered.
    pub average: Option<f64>,
    /// Number of answers behind the average, when known.
    #[serde(default)]
    pub count: Option<u64>,
}

impl CsatInput {
    /// Reads the admin API answer `{"average": 4.2, "count": 17, ...}`.
    pub fn from_admin_json(text: &str) -> Result<CsatInput, OpsError> {
        let input: CsatInput =
            serde_json::from_str(text).map_err(|e| OpsError::InvalidCsat(e.to_string()))?;
        input.validated()
    }

    /// An average given on the command line.
    pub fn from_average(average: f64) -> Result<CsatInput, OpsError> {
        CsatInput {
            average: Some(average),
            count: None,
        }
        .validated()
    }

    fn validated(self) -> Result<CsatInput, OpsError> {
        match self.average {
            Some(a) if !(1.0..=5.0).contains(&a) => Err(OpsError::InvalidCsat(format!(
                "average {a} is outside 1..5"
            ))),
            _ => Ok(self),
        }
    }
}

/// Evaluates every rule; the result is sorted most severe first.
pub fn evaluate(
    summary: &Summary,
    thresholds: &AlertThresholds,
    csat: Option<&CsatInput>,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for group in summary.groups() {
        evaluate_group(group, thresholds, &mut alerts);
    }
    if let Some(csat) = csat {
        let answered = csat.count.is_none_or(|n| n > 0);
        if let (Some(average), true) = (csat.average, answered) {
            if let Some((severity, threshold)) = lower_is_worse(average, &thresholds.csat_average) {
                let answers = csat
                    .count
                    .map(|n| format!(" over {n} answers"))
                    .unwrap_or_default();
                alerts.push(Alert {
                    rule: AlertRule::LowCsat,
                    severity,
                    scope: "csat".to_string(),
                    value: average,
                    threshold,
                    reason: format!(
                        "CSAT average {average:.2}{answers} is at or below {threshold:.2}"
                    ),
                });
            }
        }
    }
    crate::engine::sort::sort_by(&mut alerts, |a, b| {
        b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule))
    });
    alerts
}

fn evaluate_group(group: &GroupSummary, t: &AlertThresholds, alerts: &mut Vec<Alert>) {
    let scope = group.label();
    let mut fire =
        |rule: AlertRule, value: f64, (severity, threshold): (Severity, f64), reason: String| {
            alerts.push(Alert {
                rule,
                severity,
                scope: scope.clone(),
                value,
                threshold,
                reason: format!("{scope}: {reason}"),
            });
        };
    let requests = group.totals.requests;
    if requests >= t.min_requests {
        if let Some(p95) = group.totals.latency.p95_ms {
            if let Some(level) = higher_is_worse(p95, &t.latency_p95_ms) {
                let reason = format!(
                    "p95 latency {p95:.1} ms over {requests} requests is at or above {:.0} ms",
                    level.1
                );
                fire(AlertRule::LatencyP95, p95, level, reason);
            }
        }
        if let Some(rate) = group.totals.error_rate {
            if let Some(level) = higher_is_worse(rate, &t.error_rate) {
                let reason = format!(
                    "{} of {requests} requests failed with 5xx ({}), at or above {}",
                    group.totals.errors_5xx,
                    percent(rate),
                    percent(level.1)
                );
                fire(AlertRule::ErrorRate, rate, level, reason);
            }
        }
        let shares = [
            (
                AlertRule::RateLimitedRate,
                group.totals.rate_limited,
                &t.rate_limited_rate,
                "were rate limited (429)",
            ),
            (
                AlertRule::DatabaseErrorRate,
                group.totals.database_errors,
                &t.database_error_rate,
                "failed because D1 or KV did",
            ),
        ];
        for (rule, count, levels, what) in shares {
            let Some(count) = count else { continue };
            let rate = count as f64 / requests as f64;
            if let Some(level) = higher_is_worse(rate, levels) {
                let reason = format!(
                    "{count} of {requests} requests {what} ({}), at or above {}",
                    percent(rate),
                    percent(level.1)
                );
                fire(rule, rate, level, reason);
            }
        }
    }
    // Engagement: messages per widget load; a drop means shoppers open the widget and leave.
    let loads: u64 = group
        .routes
        .iter()
        .filter(|r| r.route == FLAGS_ROUTE)
        .map(|r| r.traffic.requests)
        .sum();
    if loads >= t.min_requests {
        let per_load = group.messages.classified as f64 / loads as f64;
        if let Some(level) = lower_is_worse(per_load, &t.messages_per_session) {
            let reason = format!(
                "{per_load:.2} messages per widget load over {loads} loads is at or below {:.2}",
                level.1
            );
            fire(AlertRule::LowEngagement, per_load, level, reason);
        }
    }
    let messages = group.messages.classified;
    if messages >= t.min_requests {
        if let Some(rate) = group.messages.unmatched_rate {
            if let Some(level) = higher_is_worse(rate, &t.unmatched_rate) {
                let reason = format!(
                    "{} of {messages} messages matched no intent, at or above {}",
                    percent(rate),
                    percent(level.1)
                );
                fire(AlertRule::UnmatchedRate, rate, level, reason);
            }
        }
        if let Some(rate) = group.messages.escalation_rate {
            if let Some(level) = higher_is_worse(rate, &t.escalation_rate) {
                let reason = format!(
                    "{} of {messages} messages asked for a stylist, at or above {}",
                    percent(rate),
                    percent(level.1)
                );
                fire(AlertRule::EscalationRate, rate, level, reason);
            }
        }
    }
}

/// The severity and level reached by `value` where higher is worse.
fn higher_is_worse(value: f64, levels: &AlertLevels) -> Option<(Severity, f64)> {
    if value >= levels.critical {
        Some((Severity::Critical, levels.critical))
    } else if value >= levels.warn {
        Some((Severity::Warning, levels.warn))
    } else {
        None
    }
}

/// The severity and level reached by `value` where lower is worse (CSAT).
fn lower_is_worse(value: f64, levels: &AlertLevels) -> Option<(Severity, f64)> {
    if value <= levels.critical {
        Some((Severity::Critical, levels.critical))
    } else if value <= levels.warn {
        Some((Severity::Warning, levels.warn))
    } else {
        None
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}
