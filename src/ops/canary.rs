//! The gate of a gated canary: the new Worker version's traffic judged alone and against the old
//! version over the same window, with the phases and limits of `[canary]` in `thresholds.toml`.
//!
//! Pure: a [`Summary`] (from Analytics Engine, a responses file or a dev log) comes in, a
//! [`Verdict`] comes out. `scripts/canary` asks for it between phases through
//! `concierge canary gate` and promotes, waits or rolls back on its exit code.

use super::summary::{GroupSummary, IntentMix, Summary, TrafficStats};
use crate::engine::model::{CanaryGates, CanaryPhase};
use serde::Serialize;
use std::collections::BTreeMap;

/// What to do after a gate check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every gate holds on enough traffic: go to the next phase.
    Promote,
    /// Not enough traffic on the new version yet: check again later.
    Wait,
    /// A gate failed: roll back.
    RollBack,
}

/// One gate's reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateCheck {
    /// Stable name, e.g. `error_rate`, `latency_p95_vs_old`.
    pub gate: &'static str,
    /// The new version's value.
    pub new: Option<f64>,
    /// The old version's value, for gates that compare.
    pub old: Option<f64>,
    /// The limit the value was held to (absolute, or old + increase, or old × ratio).
    pub limit: Option<f64>,
    pub status: GateStatus,
}

/// Whether a gate held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Pass,
    Fail,
    /// Not judged: too little traffic on one side for this gate (said in the report).
    Skipped,
}

/// The outcome of a gate check for one phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub phase: Option<String>,
    pub new_version: String,
    pub old_version: String,
    /// Requests the new version served in the window, and how many the phase asks for.
    pub new_requests: u64,
    pub min_requests: u64,
    pub old_requests: u64,
    pub gates: Vec<GateCheck>,
}

/// Traffic and intent mix of one Worker version, merged over its rules versions (normally one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionTraffic {
    pub traffic: TrafficStats,
    pub messages: IntentMix,
}

impl VersionTraffic {
    /// The groups of `summary` whose Worker version is `worker_version`. Counts add up; for the
    /// p95 of several groups (which cannot be merged) the highest one is kept, the cautious choice.
    pub fn of(summary: &Summary, worker_version: &str) -> VersionTraffic {
        let groups: Vec<&GroupSummary> = summary
            .versions
            .iter()
            .filter(|g| {
                g.version
                    .as_ref()
                    .is_some_and(|v| v.worker_version == worker_version)
            })
            .collect();
        let (mut requests, mut e4, mut e5) = (0, 0, 0);
        let mut latency = super::summary::LatencyQuantiles::default();
        let mut intents: BTreeMap<String, u64> = BTreeMap::new();
        for g in &groups {
            requests += g.totals.requests;
            e4 += g.totals.errors_4xx;
            e5 += g.totals.errors_5xx;
            latency.p50_ms = max_opt(latency.p50_ms, g.totals.latency.p50_ms);
            latency.p95_ms = max_opt(latency.p95_ms, g.totals.latency.p95_ms);
            latency.p99_ms = max_opt(latency.p99_ms, g.totals.latency.p99_ms);
            for (intent, n) in &g.messages.intents {
                *intents.entry(intent.clone()).or_default() += n;
            }
        }
        VersionTraffic {
            traffic: TrafficStats::new(requests, e4, e5, latency),
            messages: IntentMix::from_counts(intents),
        }
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Judges the new version against the old one for `phase` (its `min_requests`; `None` for a
/// check outside the walk, which needs at least one request).
pub fn judge(
    summary: &Summary,
    new_version: &str,
    old_version: &str,
    phase: Option<&CanaryPhase>,
    gates: &CanaryGates,
) -> Verdict {
    let new = VersionTraffic::of(summary, new_version);
    let old = VersionTraffic::of(summary, old_version);
    let min_requests = phase.map_or(1, |p| p.min_requests.max(1));
    let mut checks = Vec::new();

    // Absolute gates on the new version.
    checks.push(ceiling(
        "error_rate",
        new.traffic.error_rate,
        gates.max_error_rate,
    ));
    checks.push(ceiling(
        "latency_p95_ms",
        new.traffic.latency.p95_ms,
        gates.max_latency_p95_ms,
    ));
    // Gates against the old version, over the same window.
    let old_has_traffic = old.traffic.requests > 0;
    checks.push(relative(
        "error_rate_vs_old",
        new.traffic.error_rate,
        old.traffic.error_rate.filter(|_| old_has_traffic),
        |o| o + gates.max_error_rate_increase,
    ));
    checks.push(relative(
        "latency_p95_vs_old",
        new.traffic.latency.p95_ms,
        old.traffic.latency.p95_ms.filter(|_| old_has_traffic),
        |o| o * gates.max_latency_p95_ratio,
    ));
    let enough_messages = new.messages.classified >= gates.min_messages
        && old.messages.classified >= gates.min_messages;
    for (gate, new_share, old_share, increase) in [
        (
            "unmatched_rate_vs_old",
            new.messages.unmatched_rate,
            old.messages.unmatched_rate,
            gates.max_unmatched_rate_increase,
        ),
        (
            "escalation_rate_vs_old",
            new.messages.escalation_rate,
            old.messages.escalation_rate,
            gates.max_escalation_rate_increase,
        ),
    ] {
        let check = if enough_messages {
            relative(gate, new_share, old_share, |o| o + increase)
        } else {
            GateCheck {
                gate,
                new: new_share,
                old: old_share,
                limit: None,
                status: GateStatus::Skipped,
            }
        };
        checks.push(check);
    }

    let failed = checks.iter().any(|c| c.status == GateStatus::Fail);
    // A failure on too little traffic is still a failure: a 5xx burst on the first 20 requests
    // is reason enough to stop. Passing needs the phase's traffic.
    let decision = if failed {
        Decision::RollBack
    } else if new.traffic.requests < min_requests {
        Decision::Wait
    } else {
        Decision::Promote
    };
    Verdict {
        decision,
        phase: phase.map(|p| p.name.clone()),
        new_version: new_version.to_string(),
        old_version: old_version.to_string(),
        new_requests: new.traffic.requests,
        min_requests,
        old_requests: old.traffic.requests,
        gates: checks,
    }
}

fn ceiling(gate: &'static str, value: Option<f64>, limit: f64) -> GateCheck {
    let status = match value {
        None => GateStatus::Skipped,
        Some(v) if v < limit => GateStatus::Pass,
        Some(_) => GateStatus::Fail,
    };
    GateCheck {
        gate,
        new: value,
        old: None,
        limit: Some(limit),
        status,
    }
}

fn relative(
    gate: &'static str,
    new: Option<f64>,
    old: Option<f64>,
    limit_of: impl Fn(f64) -> f64,
) -> GateCheck {
    let limit = old.map(limit_of);
    let status = match (new, limit) {
        (Some(n), Some(l)) if n <= l => GateStatus::Pass,
        (Some(_), Some(_)) => GateStatus::Fail,
        _ => GateStatus::Skipped,
    };
    GateCheck {
        gate,
        new,
        old,
        limit,
        status,
    }
}

/// The verdict as lines for a terminal: the decision, then one line per gate.
pub fn render(verdict: &Verdict) -> String {
    let mut out = String::new();
    let phase = verdict
        .phase
        .as_deref()
        .map(|p| format!("phase {p}: "))
        .unwrap_or_default();
    let decision = match verdict.decision {
        Decision::Promote => "gates hold: promote",
        Decision::Wait => "not enough traffic yet: wait",
        Decision::RollBack => "a gate failed: roll back",
    };
    out.push_str(&format!(
        "{phase}{decision} (new {} served {} of {} requests needed; old {} served {})\n",
        short(&verdict.new_version),
        verdict.new_requests,
        verdict.min_requests,
        short(&verdict.old_version),
        verdict.old_requests
    ));
    for c in &verdict.gates {
        let status = match c.status {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "FAIL",
            GateStatus::Skipped => "skip",
        };
        let pct = !c.gate.starts_with("latency");
        let fmt = |v: Option<f64>| match v {
            None => "-".to_string(),
            Some(v) if pct => format!("{:.2} %", v * 100.0),
            Some(v) => format!("{v:.0} ms"),
        };
        let mut line = format!("  {status:<4} {:<24} new {}", c.gate, fmt(c.new));
        if c.old.is_some() || c.gate.ends_with("_vs_old") {
            line.push_str(&format!(", old {}", fmt(c.old)));
        }
        if c.limit.is_some() {
            line.push_str(&format!(", limit {}", fmt(c.limit)));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn short(version: &str) -> &str {
    version.get(..8).unwrap_or(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::CanaryPlan;
    use crate::ops::summary::{LatencyQuantiles, VersionKey};

    fn group(worker: &str, requests: u64, e5: u64, p95: f64, unknown: u64) -> GroupSummary {
        let mut intents = BTreeMap::new();
        intents.insert("product_discovery".to_string(), 100 - unknown);
        intents.insert("unknown".to_string(), unknown);
        GroupSummary {
            version: Some(VersionKey {
                rules_version: "r".into(),
                worker_version: worker.into(),
            }),
            totals: TrafficStats::new(
                requests,
                0,
                e5,
                LatencyQuantiles {
                    p50_ms: Some(p95 / 3.0),
                    p95_ms: Some(p95),
                    p99_ms: Some(p95 * 1.5),
                },
            ),
            routes: Vec::new(),
            messages: IntentMix::from_counts(intents),
        }
    }

    fn summary(groups: Vec<GroupSummary>) -> Summary {
        Summary {
            source: "test".into(),
            window: None,
            overall: GroupSummary::default(),
            versions: groups,
        }
    }

    fn phase(min_requests: u64) -> CanaryPhase {
        CanaryPhase {
            name: "10%".into(),
            percentage: 10,
            min_requests,
            soak_minutes: 0,
        }
    }

    #[test]
    fn a_healthy_canary_with_enough_traffic_is_promoted() {
        let s = summary(vec![
            group("new", 300, 1, 200.0, 5),
            group("old", 3000, 9, 180.0, 5),
        ]);
        let v = judge(
            &s,
            "new",
            "old",
            Some(&phase(200)),
            &CanaryPlan::default().gates,
        );
        assert_eq!(v.decision, Decision::Promote, "{}", render(&v));
    }

    #[test]
    fn too_little_traffic_waits() {
        let s = summary(vec![
            group("new", 50, 0, 200.0, 5),
            group("old", 3000, 9, 180.0, 5),
        ]);
        let v = judge(
            &s,
            "new",
            "old",
            Some(&phase(200)),
            &CanaryPlan::default().gates,
        );
        assert_eq!(v.decision, Decision::Wait);
    }

    #[test]
    fn each_gate_can_stop_the_walk() {
        let gates = CanaryPlan::default().gates;
        let old = group("old", 3000, 9, 180.0, 5);
        for (new, gate) in [
            (group("new", 300, 9, 200.0, 5), "error_rate"),
            (group("new", 300, 0, 900.0, 5), "latency_p95_ms"),
            (group("new", 300, 0, 400.0, 5), "latency_p95_vs_old"),
            (group("new", 300, 0, 200.0, 20), "unmatched_rate_vs_old"),
        ] {
            let v = judge(
                &summary(vec![new, old.clone()]),
                "new",
                "old",
                Some(&phase(200)),
                &gates,
            );
            assert_eq!(v.decision, Decision::RollBack, "{gate}: {}", render(&v));
            let failed: Vec<_> = v
                .gates
                .iter()
                .filter(|c| c.status == GateStatus::Fail)
                .map(|c| c.gate)
                .collect();
            assert!(failed.contains(&gate), "{gate}: {}", render(&v));
        }
    }

    #[test]
    fn without_old_traffic_the_relative_gates_are_skipped_not_passed() {
        let s = summary(vec![group("new", 300, 0, 200.0, 5)]);
        let v = judge(
            &s,
            "new",
            "old",
            Some(&phase(200)),
            &CanaryPlan::default().gates,
        );
        assert_eq!(v.decision, Decision::Promote);
        let skipped = v
            .gates
            .iter()
            .filter(|c| c.status == GateStatus::Skipped)
            .count();
        assert_eq!(skipped, 4, "{}", render(&v));
    }
}
