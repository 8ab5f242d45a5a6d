//! Reading SQL API answers (fixtures in the documented `FORMAT JSON` shape) into a summary.

use aurora_concierge::cli::ops::{run_metrics_to, MetricsArgs};
use aurora_concierge::ops::Summary;
use aurora_concierge::ops::{MetricsQuery, SqlResponse};
use clap::Parser;
use serde_json::Value;
use std::collections::BTreeMap;

fn fixture(name: &str) -> BTreeMap<MetricsQuery, SqlResponse> {
    let path = format!(
        "{}/tests/fixtures/ae/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut all: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    MetricsQuery::ALL
        .iter()
        .map(|q| {
            (
                *q,
                SqlResponse::from_value(q.name(), all.remove(q.name()).unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn healthy_fixture_reads_into_overall_and_version_groups() {
    let s = Summary::from_responses("15m", &fixture("healthy")).unwrap();
    assert_eq!(s.window.as_deref(), Some("15m"));
    assert_eq!(s.overall.totals.requests, 2830);
    assert_eq!(s.overall.totals.errors_5xx, 3);
    assert_eq!(s.overall.totals.latency.p95_ms, Some(152.0));
    assert_eq!(s.overall.routes.len(), 4);
    assert_eq!(s.versions.len(), 2);
    let canary = &s.versions[1];
    let v = canary.version.as_ref().unwrap();
    assert_eq!(v.rules_version, "2026.11.25-1");
    assert_eq!(canary.totals.requests, 270);
    assert_eq!(canary.routes.len(), 3);
    // Intent counts are per version; the overall mix is their sum.
    assert_eq!(s.versions[0].messages.classified, 880);
    assert_eq!(canary.messages.classified, 98);
    assert_eq!(s.overall.messages.classified, 978);
    assert_eq!(s.overall.messages.intents["unknown"], 102);
    let unmatched = s.overall.messages.unmatched_rate.unwrap();
    assert!((unmatched - 102.0 / 978.0).abs() < 1e-12);
    let escalation = canary.messages.escalation_rate.unwrap();
    assert!((escalation - 4.0 / 98.0).abs() < 1e-12);
    let rate = s.overall.totals.error_rate.unwrap();
    assert!((rate - 3.0 / 2830.0).abs() < 1e-12);
}

#[test]
fn empty_window_has_no_rates_and_no_quantiles() {
    let s = Summary::from_responses("1h", &fixture("empty")).unwrap();
    assert_eq!(s.overall.totals.requests, 0);
    assert_eq!(s.overall.totals.error_rate, None);
    assert_eq!(s.overall.totals.latency.p95_ms, None);
    assert_eq!(s.overall.messages.unmatched_rate, None);
    assert!(s.versions.is_empty());
}

#[test]
fn a_missing_column_names_query_row_and_column() {
    let mut responses = fixture("healthy");
    let totals = responses.get_mut(&MetricsQuery::Totals).unwrap();
    totals.data[0].remove("errors_5xx");
    let err = Summary::from_responses("15m", &responses)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`totals`") && err.contains("`errors_5xx`") && err.contains("row 0"),
        "{err}"
    );
}

fn metrics(args: &[&str]) -> (u8, String, String) {
    let mut argv = vec!["metrics"];
    argv.extend_from_slice(args);
    let parsed = MetricsOnly::parse_from(argv).args;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_metrics_to(&parsed, &mut std::io::empty(), &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[derive(Parser)]
struct MetricsOnly {
    #[command(flatten)]
    args: MetricsArgs,
}

#[test]
fn summary_report_names_groups_routes_and_rates() {
    let path = format!(
        "{}/tests/fixtures/ae/healthy.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, err) = metrics(&["--from-responses", &path, "--since", "15m"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Analytics Engine, last 15m"), "{out}");
    assert!(out.contains("== all versions =="), "{out}");
    assert!(
        out.contains("== rules 2026.11.25-1, worker 8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f =="),
        "{out}"
    );
    assert!(out.contains("2830 requests, 5xx 0.1%"), "{out}");
    assert!(
        out.contains("messages: 978 classified, unmatched 10.4%, escalation 4.5%"),
        "{out}"
    );
}

#[test]
fn json_output_is_the_summary() {
    let path = format!(
        "{}/tests/fixtures/ae/healthy.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, _) = metrics(&["--from-responses", &path, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["source"], "analytics_engine");
    assert_eq!(v["overall"]["totals"]["requests"], 2830);
    assert_eq!(
        v["versions"][1]["version"]["worker_version"],
        "8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f"
    );
    assert_eq!(
        v["versions"][0]["messages"]["intents"]["product_discovery"],
        420
    );
}

#[test]
fn prometheus_output_is_valid_exposition() {
    let path = format!(
        "{}/tests/fixtures/ae/healthy.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, _) = metrics(&["--from-responses", &path, "--format", "prometheus"]);
    assert_eq!(code, 0);
    assert!(out.contains(
        "concierge_requests{rules_version=\"2026.11.25-1\",worker_version=\"8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f\",method=\"POST\",route=\"/v1/messages\"} 100\n"
    ), "{out}");
    // Latency is a summary in seconds, with its count.
    assert!(
        out.contains("concierge_overall_request_duration_seconds{method=\"\",route=\"\",quantile=\"0.95\"} 0.152\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "concierge_overall_request_duration_seconds_count{method=\"\",route=\"\"} 2830\n"
        ),
        "{out}"
    );
    assert!(out.contains("concierge_window_seconds 3600\n"), "{out}");
    assert!(!out.contains("_ms"), "no millisecond families: {out}");
    assert!(out.contains("concierge_messages{rules_version=\"2026.11.24-1\",worker_version=\"3f2a9c1e-5b6d-4e2f-9a01-7c3d2b1a0f11\",intent=\"unknown\"} 90\n"), "{out}");
    // Every sample line belongs to a family announced by HELP and TYPE before it.
    let mut declared = std::collections::HashMap::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap();
            let kind = parts.next().unwrap();
            assert!(kind == "gauge" || kind == "summary", "{line}");
            declared.insert(name.to_string(), kind.to_string());
        } else if !line.starts_with('#') {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = match name.strip_suffix("_count") {
                Some(base) if declared.get(base).map(String::as_str) == Some("summary") => base,
                _ => name,
            };
            assert!(
                declared.contains_key(family),
                "undeclared family in `{line}`"
            );
            if declared[family] == "summary" && name == family {
                assert!(
                    line.contains("quantile=\""),
                    "summary sample without quantile: `{line}`"
                );
            }
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                value.parse::<f64>().is_ok() || value == "NaN",
                "bad value in `{line}`"
            );
        }
    }
}

#[test]
fn print_sql_needs_no_credentials_and_rejects_bad_datasets() {
    let (code, out, _) = metrics(&["--print-sql", "--since", "24h"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("FROM aurora_concierge").count(), 5);
    assert!(out.contains("INTERVAL '24' HOUR"));
    let (code, _, err) = metrics(&["--print-sql", "--dataset", "x; DROP TABLE y"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid dataset name"), "{err}");
}

#[test]
fn no_credentials_is_a_usage_error_with_a_hint() {
    if std::env::var_os("CLOUDFLARE_ACCOUNT_ID").is_some() {
        return; // a real account is configured: this would query it
    }
    let (code, _, err) = metrics(&["--since", "15m"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("CLOUDFLARE_ACCOUNT_ID") && err.contains("--from-log"),
        "{err}"
    );
}
