//! Prometheus text exposition (format 0.0.4) of a [`Summary`] and fired alerts, for a scraper or
//! a node_exporter textfile collector, following Prometheus naming conventions: base units
//! (`_seconds`), latency as a `summary` (quantiles plus `_count`), `method` and `route` as separate
//! labels, version labels on every per-version series. Window counts go up and down from one
//! scrape to the next, so they are gauges (not `_total` counters); `concierge_window_seconds`
//! says what window they cover. The overall latency quantiles (which cannot be derived from
//! per-version ones) have their own family.

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

    if let Some(seconds) = summary
        .window
        .as_deref()
        .and_then(|w| w.parse::<super::Window>().ok())
    {
        out.family(
            "concierge_window_seconds",
            "Length of the window the other families cover.",
            "gauge",
        );
        out.sample("concierge_window_seconds", &[], seconds.seconds() as f64);
    }
    out.family(
        "concierge_requests",
        "Requests in the window (sample-weighted).",
        "gauge",
    );
    for (g, labels) in &versions {
        for r in &g.routes {
            out.sample(
                "concierge_requests",
                &with_route(labels, &r.route, &[]),
                r.traffic.requests as f64,
            );
        }
    }
    out.family(
        "concierge_error_responses",
        "Error responses in the window by status class.",
        "gauge",
    );
    for (g, labels) in &versions {
        for r in &g.routes {
            for (class, n) in [("4xx", r.traffic.errors_4xx), ("5xx", r.traffic.errors_5xx)] {
                out.sample(
                    "concierge_error_responses",
                    &with_route(labels, &r.route, &[("class", class)]),
                    n as f64,
                );
            }
        }
    }
    out.family(
        "concierge_error_ratio",
        "Share of 5xx responses in the window.",
        "gauge",
    );
    for (g, labels) in &versions {
        if let Some(rate) = g.totals.error_rate {
            out.sample("concierge_error_ratio", labels, rate);
        }
    }
    out.family(
        "concierge_request_duration_seconds",
        "Request latency in the window, per version and route.",
        "summary",
    );
    for (g, labels) in &versions {
        for r in &g.routes {
            durations(
                &mut out,
                "concierge_request_duration_seconds",
                &with_route(labels, &r.route, &[]),
                &r.traffic.latency,
                r.traffic.requests,
            );
        }
    }
    out.family(
        "concierge_overall_request_duration_seconds",
        "Request latency in the window across all versions; method=\"\",route=\"\" is every route.",
        "summary",
    );
    for r in &summary.overall.routes {
        durations(
            &mut out,
            "concierge_overall_request_duration_seconds",
            &with_route(&[], &r.route, &[]),
            &r.traffic.latency,
            r.traffic.requests,
        );
    }
    durations(
        &mut out,
        "concierge_overall_request_duration_seconds",
        &[("method", String::new()), ("route", String::new())],
        &summary.overall.totals.latency,
        summary.overall.totals.requests,
    );
    out.family(
        "concierge_messages",
        "Classified messages in the window by intent.",
        "gauge",
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
        "gauge",
    );
    for (g, labels) in &versions {
        if let Some(rate) = g.messages.unmatched_rate {
            out.sample("concierge_unmatched_ratio", labels, rate);
        }
    }
    out.family(
        "concierge_escalation_ratio",
        "Share of messages classified as stylist escalation.",
        "gauge",
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
            "gauge",
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

/// A summary's quantiles in seconds and its `_count`. (`_sum` is left out: the window queries
/// do not compute a latency total.)
fn durations(
    out: &mut Exposition,
    name: &str,
    labels: &[(&str, String)],
    q: &LatencyQuantiles,
    count: u64,
) {
    for (level, value) in [("0.5", q.p50_ms), ("0.95", q.p95_ms), ("0.99", q.p99_ms)] {
        if let Some(ms) = value {
            out.sample(name, &with(labels, &[("quantile", level)]), ms / 1000.0);
        }
    }
    out.sample(&format!("{name}_count"), labels, count as f64);
}

/// `labels` plus `method` and `route` split from a route key such as `POST /v1/messages`.
fn with_route<'a>(
    labels: &[(&'a str, String)],
    route_key: &str,
    extra: &[(&'a str, &str)],
) -> Vec<(&'a str, String)> {
    let (method, route) = route_key.split_once(' ').unwrap_or(("", route_key));
    let mut all = with(labels, &[("method", method), ("route", route)]);
    all.extend(extra.iter().map(|(k, v)| (*k, (*v).to_string())));
    all
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
    fn family(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(
            self.text,
            "# HELP {name} {}",
            help.replace('\\', "\\\\").replace('\n', "\\n")
        );
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
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
    fn routes_split_into_method_and_path() {
        let labels = with_route(&[], "PATCH /v1/admin/tickets/{id}", &[]);
        assert_eq!(
            labels,
            vec![
                ("method", "PATCH".to_string()),
                ("route", "/v1/admin/tickets/{id}".to_string())
            ]
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
