//! The human-readable report of `--format summary`.

use super::alerts::Alert;
use super::summary::{GroupSummary, Summary, TrafficStats};
use std::fmt::Write;

/// Renders the summary as a short report: each group's totals, rates, intent mix and routes.
pub fn render_summary(summary: &Summary) -> String {
    let mut out = String::new();
    let source = match (summary.source.as_str(), &summary.window) {
        ("dev_log", _) => "dev log".to_string(),
        (_, Some(window)) => format!("Analytics Engine, last {window}"),
        (other, None) => other.to_string(),
    };
    let _ = writeln!(out, "Concierge metrics ({source})");
    if summary.overall.totals.requests == 0 {
        let _ = writeln!(out, "no requests");
        return out;
    }
    for group in summary.groups() {
        render_group(&mut out, group);
    }
    out
}

/// One line per alert, most severe first, or a line saying none fired.
pub fn render_alerts(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return "no alerts\n".to_string();
    }
    let mut out = String::new();
    for a in alerts {
        let _ = writeln!(
            out,
            "{} {}: {}",
            a.severity.to_string().to_uppercase(),
            a.rule.name(),
            a.reason
        );
    }
    out
}

fn render_group(out: &mut String, g: &GroupSummary) {
    let _ = writeln!(out, "\n== {} ==", g.label());
    let _ = writeln!(out, "{}", traffic_line(&g.totals));
    let m = &g.messages;
    if m.classified > 0 {
        let _ = writeln!(
            out,
            "messages: {} classified, unmatched {}, escalation {}",
            m.classified,
            pct(m.unmatched_rate),
            pct(m.escalation_rate)
        );
        let mut mix: Vec<(&String, &u64)> = m.intents.iter().collect();
        crate::engine::sort::sort_by(&mut mix, |a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mix: Vec<String> = mix
            .iter()
            .map(|(intent, n)| {
                format!(
                    "{intent} {n} ({})",
                    pct(Some(**n as f64 / m.classified as f64))
                )
            })
            .collect();
        let _ = writeln!(out, "intents: {}", mix.join(", "));
    }
    if !g.routes.is_empty() {
        let _ = writeln!(
            out,
            "{:<34} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9}",
            "route", "requests", "5xx", "4xx", "p50 ms", "p95 ms", "p99 ms"
        );
        for r in &g.routes {
            let t = &r.traffic;
            let _ = writeln!(
                out,
                "{:<34} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9}",
                r.route,
                t.requests,
                pct(t.error_rate),
                pct(t.client_error_rate),
                ms(t.latency.p50_ms),
                ms(t.latency.p95_ms),
                ms(t.latency.p99_ms)
            );
        }
    }
}

fn traffic_line(t: &TrafficStats) -> String {
    format!(
        "{} requests, 5xx {}, 4xx {}, latency p50 {} / p95 {} / p99 {} ms",
        t.requests,
        pct(t.error_rate),
        pct(t.client_error_rate),
        ms(t.latency.p50_ms),
        ms(t.latency.p95_ms),
        ms(t.latency.p99_ms)
    )
}

fn pct(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_string(), |s| format!("{:.1}%", s * 100.0))
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}
