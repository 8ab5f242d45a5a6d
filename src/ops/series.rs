//! `concierge metrics --by 5m`: the window cut into buckets, per Worker version, for graphs and
//! for watching a rollout: requests, 5xx share, p95 latency, unmatched and escalation shares.
//!
//! One Analytics Engine query (`series` in a responses file), bucketed the way the Analytics
//! Engine Grafana guide does it: `intDiv(toUInt32(timestamp), S) * S`. Rendered as a table, JSON
//! or an SVG chart (latency and error rate per version over time).

use super::response::SqlResponse;
use super::sql::{ESCALATION_INTENT, MESSAGES_ROUTE};
use super::{OpsError, Window};
use crate::engine::model::UNKNOWN_INTENT;
use serde::Serialize;
use std::fmt::Write;

/// The responses-file key and error name of the series query.
pub const QUERY_NAME: &str = "series";

/// The SQL for `window` cut into `bucket`-long steps over `dataset` (validated by the caller).
pub fn sql(window: &Window, bucket: &Window, dataset: &str) -> String {
    let step = bucket.seconds();
    format!(
        "SELECT\n  intDiv(toUInt32(timestamp), {step}) * {step} AS t,\n  blob8 AS worker_version,\n  \
         SUM(_sample_interval) AS requests,\n  \
         SUM(if(blob3 = '5xx', _sample_interval, 0)) AS errors_5xx,\n  \
         quantileExactWeighted(0.95)(double1, _sample_interval) AS latency_p95_ms,\n  \
         SUM(if(index1 = '{MESSAGES_ROUTE}' AND blob4 != '', _sample_interval, 0)) AS messages,\n  \
         SUM(if(index1 = '{MESSAGES_ROUTE}' AND blob4 = '{UNKNOWN_INTENT}', _sample_interval, 0)) AS unmatched,\n  \
         SUM(if(index1 = '{MESSAGES_ROUTE}' AND blob4 = '{ESCALATION_INTENT}', _sample_interval, 0)) AS escalations\n\
         FROM {dataset}\nWHERE timestamp > NOW() - {}\nGROUP BY t, worker_version\nORDER BY t, worker_version\nFORMAT JSON",
        window.sql_interval()
    )
}

/// One bucket of one Worker version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Bucket start, Unix seconds (UTC).
    pub t: u64,
    pub worker_version: String,
    pub requests: u64,
    pub errors_5xx: u64,
    pub error_rate: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub messages: u64,
    pub unmatched_rate: Option<f64>,
    pub escalation_rate: Option<f64>,
}

/// The series, ordered by time then version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub window: String,
    pub bucket_seconds: u64,
    pub points: Vec<SeriesPoint>,
}

impl Series {
    /// Reads the answer of [`sql`].
    pub fn from_response(
        window: &Window,
        bucket: &Window,
        response: &SqlResponse,
    ) -> Result<Series, OpsError> {
        let mut points = Vec::new();
        for row in response.rows(QUERY_NAME) {
            let requests = row.count("requests")?;
            let errors_5xx = row.count("errors_5xx")?;
            let messages = row.count("messages")?;
            let unmatched = row.count("unmatched")?;
            let escalations = row.count("escalations")?;
            points.push(SeriesPoint {
                t: row.count("t")?,
                worker_version: row.text("worker_version")?,
                requests,
                errors_5xx,
                error_rate: ratio(errors_5xx, requests),
                latency_p95_ms: row.number("latency_p95_ms")?,
                messages,
                unmatched_rate: ratio(unmatched, messages),
                escalation_rate: ratio(escalations, messages),
            });
        }
        crate::engine::sort::sort_by(&mut points, |a, b| {
            (a.t, &a.worker_version).cmp(&(b.t, &b.worker_version))
        });
        Ok(Series {
            window: window.to_string(),
            bucket_seconds: bucket.seconds(),
            points,
        })
    }

    /// Worker versions in order of first appearance.
    fn versions(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for p in &self.points {
            if !seen.contains(&p.worker_version.as_str()) {
                seen.push(&p.worker_version);
            }
        }
        seen
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// `HH:MM` (UTC) of a bucket start, with the date when it is midnight or the first bucket.
fn clock(t: u64, with_date: bool) -> String {
    // `2026-12-02T10:05:00Z`: the API's one UTC formatter.
    let iso = crate::api::time::format_iso(t as i64 * 1000);
    let (date, time) = (iso.get(..10).unwrap_or(""), iso.get(11..16).unwrap_or(""));
    if with_date {
        format!("{date} {time}")
    } else {
        time.to_string()
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A table: one line per bucket and version.
pub fn render_text(series: &Series) -> String {
    let mut out = format!(
        "{} in {}-second buckets (UTC)\n{:<16} {:<10} {:>8} {:>6} {:>9} {:>9} {:>10}\n",
        series.window,
        series.bucket_seconds,
        "bucket",
        "worker",
        "requests",
        "5xx",
        "p95",
        "unmatched",
        "escalation"
    );
    for (i, p) in series.points.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:>8} {:>6} {:>9} {:>9} {:>10}",
            clock(p.t, i == 0 || p.t % 86_400 == 0),
            p.worker_version.get(..8).unwrap_or(&p.worker_version),
            p.requests,
            pct(p.error_rate),
            p.latency_p95_ms
                .map_or("-".into(), |v| format!("{v:.0} ms")),
            pct(p.unmatched_rate),
            pct(p.escalation_rate)
        );
    }
    out
}

const COLOURS: [&str; 6] = [
    "#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0f766e",
];

/// What one chart panel plots of a point.
type PanelValue = fn(&SeriesPoint) -> Option<f64>;

/// An SVG chart: p95 latency (top) and 5xx share (bottom) per Worker version over time.
pub fn render_svg(series: &Series) -> String {
    let (w, panel_h, left, top, gap) = (760.0, 180.0, 64.0, 40.0, 56.0);
    let plot_w = w - left - 24.0;
    let versions = series.versions();
    let t0 = series.points.first().map_or(0, |p| p.t);
    let t1 = series.points.last().map_or(0, |p| p.t).max(t0 + 1);
    let x = |t: u64| left + (t - t0) as f64 / (t1 - t0) as f64 * plot_w;
    let height = top + 2.0 * panel_h + gap + 60.0 + 18.0 * versions.len() as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-labelledby=\"title desc\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n\
         <title id=\"title\">Concierge p95 latency and 5xx share per Worker version, {}</title>\n\
         <desc id=\"desc\">{} points in {}-second buckets; one line per Worker version.</desc>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
        series.window,
        series.points.len(),
        series.bucket_seconds
    );
    let panels: [(&str, PanelValue, bool); 2] = [
        ("p95 latency (ms)", |p| p.latency_p95_ms, false),
        ("5xx share (%)", |p| p.error_rate.map(|r| r * 100.0), true),
    ];
    for (i, (label, value, percent)) in panels.iter().enumerate() {
        let y0 = top + i as f64 * (panel_h + gap);
        let max = series
            .points
            .iter()
            .filter_map(value)
            .fold(0.0_f64, f64::max);
        let max = if max <= 0.0 {
            1.0
        } else {
            nice_ceiling(max * 1.1)
        };
        let y = |v: f64| y0 + panel_h - v / max * panel_h;
        let _ = writeln!(
            svg,
            "<text x=\"{left}\" y=\"{}\" font-weight=\"600\">{label}</text>",
            y0 - 8.0
        );
        for k in 0..=4 {
            let v = max * f64::from(k) / 4.0;
            let yy = y(v);
            let tick = if *percent {
                format!("{v:.1}")
            } else {
                format!("{v:.0}")
            };
            let _ = writeln!(
                svg,
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e1da\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{tick}</text>",
                left + plot_w,
                left - 6.0,
                yy + 4.0
            );
        }
        for (vi, version) in versions.iter().enumerate() {
            let pts: Vec<String> = series
                .points
                .iter()
                .filter(|p| p.worker_version == *version)
                .filter_map(|p| value(p).map(|v| format!("{:.1},{:.1}", x(p.t), y(v))))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let colour = COLOURS[vi % COLOURS.len()];
            let _ = writeln!(
                svg,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                pts.join(" ")
            );
        }
        let axis_y = y0 + panel_h;
        let _ = writeln!(
            svg,
            "<text x=\"{left}\" y=\"{:.1}\" fill=\"#555\">{}</text><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{} UTC</text>",
            axis_y + 16.0,
            clock(t0, true),
            left + plot_w,
            axis_y + 16.0,
            clock(t1, true)
        );
    }
    let legend_y = top + 2.0 * panel_h + gap + 40.0;
    for (vi, version) in versions.iter().enumerate() {
        let yy = legend_y + 18.0 * vi as f64;
        let colour = COLOURS[vi % COLOURS.len()];
        let _ = writeln!(
            svg,
            "<rect x=\"{left}\" y=\"{:.1}\" width=\"14\" height=\"4\" fill=\"{colour}\"/><text x=\"{}\" y=\"{:.1}\">worker {}</text>",
            yy - 4.0,
            left + 20.0,
            yy,
            escape_xml(version)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// 1, 2 or 5 times a power of ten, at or above `v`.
fn nice_ceiling(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * magnitude >= v {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_sample_weighted_and_aligned() {
        let sql = sql(&"1h".parse().unwrap(), &"5m".parse().unwrap(), "ds");
        assert!(
            sql.contains("intDiv(toUInt32(timestamp), 300) * 300 AS t"),
            "{sql}"
        );
        assert!(sql.contains("SUM(_sample_interval) AS requests"), "{sql}");
        assert!(sql.contains("INTERVAL '1' HOUR"), "{sql}");
        assert!(!sql.contains("count()"), "{sql}");
    }

    #[test]
    fn clock_reads_utc() {
        assert_eq!(clock(1_764_633_600, true), "2025-12-02 00:00");
        assert_eq!(clock(1_764_633_600 + 3_900, false), "01:05");
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.7), 1.0);
        assert_eq!(nice_ceiling(130.0), 200.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
    }
}
