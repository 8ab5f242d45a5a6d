//! Alerts that fire on their own: what the Worker's Cron Trigger does with each evaluation.
//!
//! Pure: the alerts fired now and the state saved after the last run come in; the notices to
//! send (firing or resolved) and the next state come out. An alert is one (rule, scope) pair; it
//! is announced when it starts firing or changes severity, stays quiet while it keeps firing, and
//! is announced once more when it resolves. A notice that could not be delivered stays pending in
//! the state and is sent again next run, so a failing webhook delays notices but never drops them.

use super::alerts::{Alert, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What the last run left: the alerts firing then, and the notices not yet delivered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchState {
    pub firing: BTreeMap<String, FiringAlert>,
    #[serde(default)]
    pub pending: Vec<Notice>,
}

/// One alert that is firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiringAlert {
    pub rule: String,
    pub scope: String,
    pub severity: String,
    pub since: String,
    pub reason: String,
}

/// A message for the webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// `firing` or `resolved`.
    pub status: String,
    pub rule: String,
    pub scope: String,
    pub severity: String,
    pub reason: String,
    pub at: String,
}

impl Notice {
    /// A Slack-compatible body (`{"text": ...}`, also read by Discord, Mattermost and most chat
    /// webhooks) that keeps the structured fields beside the text.
    pub fn webhook_body(&self, worker: &str) -> Value {
        let icon = match (self.status.as_str(), self.severity.as_str()) {
            ("resolved", _) => "✅",
            (_, "critical") => "🔴",
            _ => "🟠",
        };
        let text = if self.status == "resolved" {
            format!(
                "{icon} resolved: {} ({}) on {worker}",
                self.rule, self.scope
            )
        } else {
            format!(
                "{icon} {} {}: {} on {worker}",
                self.severity, self.rule, self.reason
            )
        };
        json!({
            "text": text,
            "alert": {
                "status": self.status,
                "rule": self.rule,
                "scope": self.scope,
                "severity": self.severity,
                "reason": self.reason,
                "at": self.at,
                "worker": worker,
            }
        })
    }
}

/// The identity of an alert across runs.
fn key(rule: &str, scope: &str) -> String {
    format!("{rule}|{scope}")
}

fn severity_name(s: Severity) -> String {
    s.to_string()
}

/// Compares the alerts firing now with the last state: the notices to send (undelivered ones
/// from before first) and the state to save once they are sent.
pub fn step(previous: &WatchState, now: &[Alert], at: &str) -> (Vec<Notice>, WatchState) {
    let mut notices = previous.pending.clone();
    let mut firing = BTreeMap::new();
    for alert in now {
        let k = key(alert.rule.name(), &alert.scope);
        let severity = severity_name(alert.severity);
        let changed = previous
            .firing
            .get(&k)
            .is_none_or(|was| was.severity != severity);
        if firing.contains_key(&k) {
            continue; // one alert per rule and scope, most severe first (evaluate sorts)
        }
        if changed {
            notices.push(Notice {
                status: "firing".into(),
                rule: alert.rule.name().into(),
                scope: alert.scope.clone(),
                severity: severity.clone(),
                reason: alert.reason.clone(),
                at: at.into(),
            });
        }
        let since = previous
            .firing
            .get(&k)
            .map_or_else(|| at.to_string(), |was| was.since.clone());
        firing.insert(
            k,
            FiringAlert {
                rule: alert.rule.name().into(),
                scope: alert.scope.clone(),
                severity,
                since,
                reason: alert.reason.clone(),
            },
        );
    }
    for (k, was) in &previous.firing {
        if !firing.contains_key(k) {
            notices.push(Notice {
                status: "resolved".into(),
                rule: was.rule.clone(),
                scope: was.scope.clone(),
                severity: was.severity.clone(),
                reason: format!("{} (firing since {})", was.reason, was.since),
                at: at.into(),
            });
        }
    }
    (
        notices,
        WatchState {
            firing,
            pending: Vec::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::alerts::AlertRule;

    fn alert(rule: AlertRule, severity: Severity, scope: &str) -> Alert {
        Alert {
            rule,
            severity,
            scope: scope.into(),
            value: 1.0,
            threshold: 0.5,
            reason: format!("{scope}: too high"),
        }
    }

    #[test]
    fn an_alert_is_announced_once_while_it_fires_and_once_when_it_resolves() {
        let fired = [alert(
            AlertRule::ErrorRate,
            Severity::Critical,
            "all versions",
        )];
        let (n1, s1) = step(&WatchState::default(), &fired, "t1");
        assert_eq!(n1.len(), 1);
        assert_eq!(
            (n1[0].status.as_str(), n1[0].severity.as_str()),
            ("firing", "critical")
        );
        let (n2, s2) = step(&s1, &fired, "t2");
        assert!(n2.is_empty(), "still firing: no duplicate");
        assert_eq!(
            s2.firing.values().next().map(|f| f.since.as_str()),
            Some("t1")
        );
        let (n3, s3) = step(&s2, &[], "t3");
        assert_eq!(n3.len(), 1);
        assert_eq!(n3[0].status, "resolved");
        assert!(n3[0].reason.contains("firing since t1"), "{}", n3[0].reason);
        assert!(s3.firing.is_empty());
    }

    #[test]
    fn a_change_of_severity_is_announced() {
        let warn = [alert(
            AlertRule::LatencyP95,
            Severity::Warning,
            "all versions",
        )];
        let crit = [alert(
            AlertRule::LatencyP95,
            Severity::Critical,
            "all versions",
        )];
        let (_, s1) = step(&WatchState::default(), &warn, "t1");
        let (n2, _) = step(&s1, &crit, "t2");
        assert_eq!(n2.len(), 1);
        assert_eq!(n2[0].severity, "critical");
    }

    #[test]
    fn undelivered_notices_are_sent_again_first() {
        let fired = [alert(
            AlertRule::ErrorRate,
            Severity::Critical,
            "all versions",
        )];
        let (n1, mut s1) = step(&WatchState::default(), &fired, "t1");
        s1.pending = n1.clone(); // the webhook failed
        let (n2, _) = step(&s1, &fired, "t2");
        assert_eq!(n2, n1);
    }

    #[test]
    fn the_webhook_body_is_slack_text_with_the_fields() {
        let fired = [alert(
            AlertRule::ErrorRate,
            Severity::Critical,
            "all versions",
        )];
        let (n, _) = step(&WatchState::default(), &fired, "2026-12-02T12:00:00Z");
        let body = n[0].webhook_body("aurora-concierge");
        assert_eq!(
            body["text"],
            "🔴 critical error_rate: all versions: too high on aurora-concierge"
        );
        assert_eq!(body["alert"]["status"], "firing");
        assert_eq!(body["alert"]["at"], "2026-12-02T12:00:00Z");
    }
}
