//! Prometheus text exposition (format 0.0.4) of a [`Summary`] and fired alerts, for a scraper or
//! a node_exporter textfile collector. Window aggregates go up and down, so every family is a
//! gauge; per-version series carry `rules_version` and `worker_version` labels, and the overall
//! latency quantiles (which cannot be derived from per-version ones) have their own family.

use super::alerts::Alert;
use super::summary::{GroupSummary, LatencyQuantiles, Summary};
use std::fmt::Write;

/// Renders the summary (and alerts when given) as exposition text.
pub fn render(summary: &Summary, alerts: Option<&[Alert]>) -> String {
    let mut out = Exposition::default();
    let versions: Vec<(&GroupSummary, Vec<(&str, String)>)> = summary
        .versions
        .iter()
        .map(|g| {
            let labels = match &g.version {
                Some(v) => vec![
                    ("rules_version", v.rules_version.clone()),
                    ("worker_version", v.worker_version.clone()),
                ],
                None => Vec::new(),
            };
            (g, labels)
        })
        .collect();

    out.family(
        "concierge_requests",
        "Requests in the window (sample-weighted).",
    );
    for (g, labels) in &versions {
        for r in &g.routes {
            out.sample(
                "concierge_requests",
                &with(labels, &[("route", &r.route)]),
                r.traffic.requests as f64,
            );
        }
    }
    out.family(
        "concierge_responses_errors",
        "Error responses in the window by status class.",
    );
    for (g, labels) in &versions {
        for r in &g.routes {
            for (class, n) in [("4xx", r.traffic.errors_4xx), ("5xx", r.traffic.errors_5xx)] {
                out.sample(
                    "concierge_responses_errors",
                    &with(labels, &[("route", &r.route), ("class", class)]),
                    n as f64,
                );
            }
        }
    }
    out.family(
        "concierge_error_ratio",
        "Share of 5xx responses in the window.",
    );
    for (g, labels) in &versions {
        if let Some(rate) = g.totals.error_rate {
            out.sample("concierge_error_ratio", labels, rate);
        }
    }
    out.family(
        "concierge_request_latency_ms",
        "Request latency quantiles in the window (ms).",
    );
    for (g, labels) in &versions {
        for r in &g.routes {
            quantiles(
                &mut out,
                "concierge_request_latency_ms",
                &with(labels, &[("route", &r.route)]),
                &r.traffic.latency,
            );
        }
    }
    out.family(
        "concierge_overall_request_latency_ms",
        "Request latency quantiles across all versions (ms); route=\"\" is every route.",
    );
    for r in &summary.overall.routes {
        quantiles(
            &mut out,
            "concierge_overall_request_latency_ms",
            &[("route", r.route.clone())],
            &r.traffic.latency,
        );
    }
    quantiles(
        &mut out,
        "concierge_overall_request_latency_ms",
        &[("route", String::new())],
        &summary.overall.totals.latency,
    );
    out.family(
        "concierge_messages",
        "Classified messages in the window by intent.",
    );
    for (g, labels) in &versions {
        for (intent, n) in &g.messages.intents {
            out.sample(
                "concierge_messages",
                &with(labels, &[("intent", intent)]),
                *n as f64,
            );
        }
    }
    out.family(
        "concierge_unmatched_ratio",
        "Share of messages answered with the `unknown` intent.",
    );
    for (g, labels) in &versions {
        if let Some(rate) = g.messages.unmatched_rate {
            out.sample("concierge_unmatched_ratio", labels, rate);
        }
    }
    out.family(
        "concierge_escalation_ratio",
        "Share of messages classified as stylist escalation.",
    );
    for (g, labels) in &versions {
        if let Some(rate) = g.messages.escalation_rate {
            out.sample("concierge_escalation_ratio", labels, rate);
        }
    }
    if let Some(alerts) = alerts {
        out.family(
            "concierge_alert",
            "Fired alerts (1 per rule, severity and scope).",
        );
        for a in alerts {
            let labels = vec![
                ("rule", a.rule.name().to_string()),
                ("severity", a.severity.to_string()),
                ("scope", a.scope.clone()),
            ];
            out.sample("concierge_alert", &labels, 1.0);
        }
    }
    out.text
}

fn quantiles(out: &mut Exposition, name: &str, labels: &[(&str, String)], q: &LatencyQuantiles) {
    for (level, value) in [("0.5", q.p50_ms), ("0.95", q.p95_ms), ("0.99", q.p99_ms)] {
        if let Some(v) = value {
            out.sample(name, &with(labels, &[("quantile", level)]), v);
        }
    }
}

fn with<'a>(base: &[(&'a str, String)], extra: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    base.iter()
        .cloned()
        .chain(extra.iter().map(|(k, v)| (*k, (*v).to_string())))
        .collect()
}

#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, help: &str) {
        let _ = writeln!(
            self.text,
            "# HELP {name} {}",
            help.replace('\\', "\\\\").replace('\n', "\\n")
        );
        let _ = writeln!(self.text, "# TYPE {name} gauge");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, String)], value: f64) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        let value = if value.is_finite() {
            format!("{value}")
        } else {
            "NaN".to_string()
        };
        if labels.is_empty() {
            let _ = writeln!(self.text, "{name} {value}");
        } else {
            let _ = writeln!(self.text, "{name}{{{}}} {value}", labels.join(","));
        }
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
