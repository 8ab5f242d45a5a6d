//! `concierge metrics --by BUCKET`: the time series per Worker version as a table, JSON and SVG.

use std::process::Command;

fn metrics(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_concierge"))
        .arg("metrics")
        .args(args)
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const SERIES: &str = "tests/fixtures/ae/series.json";
const NEW: &str = "8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f";

#[test]
fn json_series_per_bucket_and_version() {
    let (code, out, err) = metrics(&[
        "--by",
        "5m",
        "--since",
        "1h",
        "--from-responses",
        SERIES,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["bucket_seconds"], 300);
    let points = v["points"].as_array().unwrap();
    let new: Vec<_> = points
        .iter()
        .filter(|p| p["worker_version"] == NEW)
        .collect();
    assert_eq!(
        new.len(),
        8,
        "the new version appears from the fifth bucket"
    );
    let times: Vec<u64> = points.iter().map(|p| p["t"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ordered by time");
    let last = new.last().unwrap();
    assert_eq!(last["latency_p95_ms"], 1400.0);
    assert!(
        (last["error_rate"].as_f64().unwrap() - 0.06).abs() < 0.01,
        "{last}"
    );
    assert!(
        (last["unmatched_rate"].as_f64().unwrap() - 0.4).abs() < 0.02,
        "{last}"
    );
}

#[test]
fn the_table_shows_utc_buckets() {
    let (code, out, _) = metrics(&["--by", "5m", "--since", "1h", "--from-responses", SERIES]);
    assert_eq!(code, 0);
    assert!(out.starts_with("1h in 300-second buckets (UTC)"), "{out}");
    assert!(out.contains("2026-12-02 10:00 3f2a9c1e"), "{out}");
    assert!(
        out.contains("10:55            8b7d0e44        150   6.0%   1400 ms"),
        "{out}"
    );
}

#[test]
fn svg_draws_latency_and_errors_per_version() {
    let (code, out, _) = metrics(&[
        "--by",
        "5m",
        "--since",
        "1h",
        "--from-responses",
        SERIES,
        "--format",
        "svg",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{out}"
    );
    assert!(out.trim_end().ends_with("</svg>"));
    assert!(out.contains("<title id=\"title\">"), "an accessible name");
    assert_eq!(
        out.matches("<polyline").count(),
        4,
        "two versions × two panels"
    );
    assert!(out.contains(&format!("worker {NEW}")));
}

#[test]
fn print_sql_buckets_by_time() {
    let (code, out, _) = metrics(&["--by", "15m", "--since", "24h", "--print-sql"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("intDiv(toUInt32(timestamp), 900) * 900 AS t"),
        "{out}"
    );
    assert!(out.contains("INTERVAL '24' HOUR"), "{out}");
}

#[test]
fn misuse_is_a_usage_error() {
    for args in [
        &[
            "--by",
            "5m",
            "--format",
            "prometheus",
            "--from-responses",
            SERIES,
        ][..],
        &[
            "--format",
            "svg",
            "--from-responses",
            "tests/fixtures/ae/healthy.json",
        ][..],
        &["--by", "2h", "--since", "1h", "--from-responses", SERIES][..],
        &[
            "--by",
            "5m",
            "--from-log",
            "tests/fixtures/logs/wrangler-dev-stdout.txt",
        ][..],
    ] {
        let (code, _, err) = metrics(args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}

/// The Grafana dashboard in docs/grafana: every panel queries the concierge dataset,
/// sample-weighted, within the dashboard's time range, through the Analytics Engine data source.
#[test]
fn the_grafana_dashboard_queries_the_dataset_sample_weighted() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/grafana/concierge-dashboard.json"
    ))
    .unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 5);
    for panel in panels {
        for target in panel["targets"].as_array().unwrap() {
            let sql = target["query"].as_str().unwrap();
            let title = &panel["title"];
            assert!(sql.contains("FROM aurora_concierge"), "{title}: {sql}");
            assert!(sql.contains("_sample_interval"), "{title}: {sql}");
            assert!(!sql.contains("count()"), "{title}: {sql}");
            assert!(
                sql.contains("toDateTime($from)") && sql.contains("toDateTime($to)"),
                "{title}"
            );
            assert_eq!(
                target["datasource"]["type"],
                "vertamedia-clickhouse-datasource"
            );
        }
    }
}
