//! Alert rules at their edges, on fixtures, and the exit codes of `concierge alerts`.

use aurora_concierge::cli::ops::{alerts_exit_code, run_alerts_to, AlertsArgs};
use aurora_concierge::engine::{AlertThresholds, Thresholds};
use aurora_concierge::ops::{evaluate, Alert, AlertRule, CsatInput, Severity};
use aurora_concierge::ops::{
    GroupSummary, IntentMix, LatencyQuantiles, Summary, TrafficStats, VersionKey,
};
use clap::Parser;
use std::collections::BTreeMap;
use std::path::Path;

fn thresholds() -> AlertThresholds {
    // The defaults: latency 1000/2000 ms, errors 5/10 %, unmatched 25/40 %, escalation 15/30 %,
    // CSAT 3.5/3.0, min_requests 50.
    Thresholds::default().alerts
}

/// A window where only the given numbers are interesting.
fn group(requests: u64, errors_5xx: u64, p95: f64, messages: &[(&str, u64)]) -> GroupSummary {
    let intents: BTreeMap<String, u64> =
        messages.iter().map(|(i, n)| (i.to_string(), *n)).collect();
    GroupSummary {
        version: None,
        totals: TrafficStats::new(
            requests,
            0,
            errors_5xx,
            LatencyQuantiles {
                p50_ms: Some(p95 / 4.0),
                p95_ms: Some(p95),
                p99_ms: Some(p95 * 2.0),
            },
        ),
        routes: Vec::new(),
        messages: IntentMix::from_counts(intents),
    }
}

fn summary(overall: GroupSummary) -> Summary {
    Summary {
        source: "analytics_engine".into(),
        window: Some("15m".into()),
        overall,
        versions: Vec::new(),
    }
}

fn fired(s: &Summary, csat: Option<&CsatInput>) -> Vec<(AlertRule, Severity)> {
    evaluate(s, &thresholds(), csat)
        .iter()
        .map(|a| (a.rule, a.severity))
        .collect()
}

const CLEAN: [(&str, u64); 2] = [("product_discovery", 100), ("order_tracking", 100)];

#[test]
fn a_clean_window_fires_nothing() {
    assert!(fired(&summary(group(200, 0, 100.0, &CLEAN)), None).is_empty());
}

#[test]
fn latency_p95_fires_at_warn_and_critical_levels() {
    let at = |p95| fired(&summary(group(200, 0, p95, &CLEAN)), None);
    assert!(at(999.9).is_empty());
    assert_eq!(at(1000.0), [(AlertRule::LatencyP95, Severity::Warning)]);
    assert_eq!(at(1999.9), [(AlertRule::LatencyP95, Severity::Warning)]);
    assert_eq!(at(2000.0), [(AlertRule::LatencyP95, Severity::Critical)]);
}

#[test]
fn error_rate_fires_at_five_and_ten_percent() {
    let at = |errors| fired(&summary(group(100, errors, 50.0, &CLEAN)), None);
    assert!(at(4).is_empty());
    assert_eq!(at(5), [(AlertRule::ErrorRate, Severity::Warning)]);
    assert_eq!(at(9), [(AlertRule::ErrorRate, Severity::Warning)]);
    assert_eq!(at(10), [(AlertRule::ErrorRate, Severity::Critical)]);
}

#[test]
fn unmatched_rate_fires_at_25_and_40_percent() {
    let at = |unknown| {
        let mix = [("unknown", unknown), ("product_discovery", 100 - unknown)];
        fired(&summary(group(100, 0, 50.0, &mix)), None)
    };
    assert!(at(24).is_empty());
    assert_eq!(at(25), [(AlertRule::UnmatchedRate, Severity::Warning)]);
    assert_eq!(at(39), [(AlertRule::UnmatchedRate, Severity::Warning)]);
    assert_eq!(at(40), [(AlertRule::UnmatchedRate, Severity::Critical)]);
}

#[test]
fn escalation_spike_fires_at_15_and_30_percent() {
    let at = |stylist| {
        let mix = [
            ("stylist_escalation", stylist),
            ("order_tracking", 100 - stylist),
        ];
        fired(&summary(group(100, 0, 50.0, &mix)), None)
    };
    assert!(at(14).is_empty());
    assert_eq!(at(15), [(AlertRule::EscalationRate, Severity::Warning)]);
    assert_eq!(at(30), [(AlertRule::EscalationRate, Severity::Critical)]);
}

#[test]
fn low_csat_fires_at_or_below_its_levels() {
    let s = summary(group(200, 0, 100.0, &CLEAN));
    let at = |average: f64| fired(&s, Some(&CsatInput::from_average(average).unwrap()));
    assert!(at(3.51).is_empty());
    assert_eq!(at(3.5), [(AlertRule::LowCsat, Severity::Warning)]);
    assert_eq!(at(3.01), [(AlertRule::LowCsat, Severity::Warning)]);
    assert_eq!(at(3.0), [(AlertRule::LowCsat, Severity::Critical)]);
    // No answers in the period: nothing to judge.
    let none =
        CsatInput::from_admin_json(r#"{"average": null, "count": 0, "distribution": {}}"#).unwrap();
    assert!(fired(&s, Some(&none)).is_empty());
    let zero = CsatInput::from_admin_json(r#"{"average": 1.0, "count": 0}"#).unwrap();
    assert!(fired(&s, Some(&zero)).is_empty());
    assert!(CsatInput::from_average(7.0).is_err());
}

#[test]
fn few_requests_raise_no_latency_or_rate_alerts() {
    // 49 requests, all failing and slow, 49 messages all unknown: below min_requests (50).
    let quiet = group(49, 49, 9000.0, &[("unknown", 49)]);
    assert!(fired(&summary(quiet), None).is_empty());
    // At exactly min_requests everything fires.
    let loud = group(50, 50, 9000.0, &[("unknown", 50)]);
    let rules: Vec<AlertRule> = fired(&summary(loud), None).iter().map(|f| f.0).collect();
    assert_eq!(
        rules,
        [
            AlertRule::LatencyP95,
            AlertRule::ErrorRate,
            AlertRule::UnmatchedRate
        ]
    );
}

#[test]
fn a_bad_canary_fires_on_its_own_version_group() {
    let mut s = summary(group(10_000, 60, 300.0, &CLEAN));
    let mut canary = group(400, 60, 300.0, &CLEAN);
    canary.version = Some(VersionKey {
        rules_version: "2026.11.25-1".into(),
        worker_version: "w2".into(),
    });
    s.versions.push(canary);
    let alerts = evaluate(&s, &thresholds(), None);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].rule, AlertRule::ErrorRate);
    assert_eq!(alerts[0].severity, Severity::Critical);
    assert_eq!(alerts[0].scope, "rules 2026.11.25-1, worker w2");
    assert!(
        alerts[0]
            .reason
            .contains("60 of 400 requests failed with 5xx (15.0 %)"),
        "{}",
        alerts[0].reason
    );
}

#[test]
fn exit_code_follows_the_worst_alert() {
    let alert = |severity| Alert {
        rule: AlertRule::ErrorRate,
        severity,
        scope: "all versions".into(),
        value: 0.0,
        threshold: 0.0,
        reason: String::new(),
    };
    assert_eq!(alerts_exit_code(&[]), 0);
    assert_eq!(alerts_exit_code(&[alert(Severity::Warning)]), 3);
    assert_eq!(
        alerts_exit_code(&[alert(Severity::Warning), alert(Severity::Critical)]),
        4
    );
}

#[derive(Parser)]
struct AlertsOnly {
    #[command(flatten)]
    args: AlertsArgs,
}

fn alerts(args: &[&str], stdin: &str) -> (u8, String, String) {
    let mut argv = vec!["alerts"];
    argv.extend_from_slice(args);
    let parsed = AlertsOnly::parse_from(argv).args;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_alerts_to(
        &parsed,
        Path::new("rules"),
        &mut stdin.as_bytes(),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn ae_fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/ae/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn healthy_fixture_exits_zero() {
    let (code, out, err) = alerts(&["--from-responses", &ae_fixture("healthy")], "");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "no alerts\n", ""));
}

#[test]
fn canary_regression_fixture_is_critical_with_readable_reasons() {
    let (code, out, _) = alerts(&["--from-responses", &ae_fixture("canary-regression")], "");
    assert_eq!(code, 4, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("CRITICAL unmatched_rate: rules 2026.11.25-1, worker 8b7d0e44"),
        "{out}"
    );
    assert!(
        lines[0].contains("46.5 % of 86 messages matched no intent"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("WARNING latency_p95: rules 2026.11.25-1"),
        "{out}"
    );
    assert!(
        lines[1].contains("p95 latency 1500.0 ms over 270 requests"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("WARNING error_rate: rules 2026.11.25-1"),
        "{out}"
    );
    assert!(
        !out.contains("all versions"),
        "overall numbers are fine: {out}"
    );
}

#[test]
fn quiet_fixture_is_below_min_requests() {
    let (code, out, _) = alerts(&["--from-responses", &ae_fixture("quiet")], "");
    assert_eq!((code, out.as_str()), (0, "no alerts\n"));
}

#[test]
fn csat_from_the_admin_api_file_is_judged() {
    let dir = std::env::temp_dir().join(format!("ops-csat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("csat.json");
    std::fs::write(&file, r#"{"average": 3.2, "count": 41, "distribution": {"1":5,"2":6,"3":8,"4":10,"5":12}, "by_period": []}"#).unwrap();
    let (code, out, _) = alerts(
        &[
            "--from-responses",
            &ae_fixture("healthy"),
            "--csat-json",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 3, "{out}");
    assert_eq!(
        out,
        "WARNING low_csat: CSAT average 3.20 over 41 answers is at or below 3.50\n"
    );
    let (code, _, err) = alerts(
        &[
            "--from-responses",
            &ae_fixture("healthy"),
            "--csat-average",
            "9",
        ],
        "",
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn json_and_prometheus_outputs_carry_the_alerts() {
    let fixture = ae_fixture("canary-regression");
    let (code, out, err) = alerts(&["--from-responses", &fixture, "--format", "json"], "");
    assert_eq!(code, 4);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "critical");
    assert_eq!(v["alerts"][0]["rule"], "unmatched_rate");
    assert_eq!(v["alerts"].as_array().unwrap().len(), 3);
    assert!(
        err.contains("CRITICAL unmatched_rate"),
        "reasons go to stderr too: {err}"
    );
    let (_, out, _) = alerts(
        &["--from-responses", &fixture, "--format", "prometheus"],
        "",
    );
    assert!(out.contains(
        "concierge_alert{rule=\"unmatched_rate\",severity=\"critical\",scope=\"rules 2026.11.25-1, worker 8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f\"} 1\n"
    ), "{out}");
}

#[test]
fn alerts_read_a_dev_log_from_stdin() {
    let log = std::fs::read_to_string(format!(
        "{}/tests/fixtures/logs/wrangler-dev-stdout.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // 15 requests is below min_requests, so only CSAT can fire.
    let (code, out, _) = alerts(&["--from-log", "-", "--csat-average", "2.5"], &log);
    assert_eq!(code, 4);
    assert_eq!(
        out,
        "CRITICAL low_csat: CSAT average 2.50 is at or below 3.00\n"
    );
}

#[test]
fn rate_limiting_and_database_failures_fire_at_their_levels() {
    let mut g = group(1_000, 0, 100.0, &CLEAN);
    g.totals = g.totals.clone().with_error_codes(Some(60), Some(4));
    assert_eq!(
        fired(&summary(g.clone()), None),
        vec![(AlertRule::RateLimitedRate, Severity::Warning)],
        "6 % rate limited; 0.4 % database errors is under 0.5 %"
    );
    g.totals = g.totals.clone().with_error_codes(Some(200), Some(25));
    assert_eq!(
        fired(&summary(g.clone()), None),
        vec![
            (AlertRule::RateLimitedRate, Severity::Critical),
            (AlertRule::DatabaseErrorRate, Severity::Critical)
        ]
    );
    // Sources that do not count them (older saved answers) fire nothing.
    g.totals = g.totals.clone().with_error_codes(None, None);
    assert!(fired(&summary(g), None).is_empty());
}

#[test]
fn few_messages_per_widget_load_is_low_engagement() {
    use aurora_concierge::ops::RouteStats;
    let flags = |loads: u64| RouteStats {
        route: "GET /v1/flags".into(),
        traffic: TrafficStats::new(loads, 0, 0, LatencyQuantiles::default()),
    };
    // 200 messages over 1,000 widget loads: 0.2 per load, fine.
    let mut g = group(1_200, 0, 100.0, &CLEAN);
    g.routes = vec![flags(1_000)];
    assert!(fired(&summary(g.clone()), None).is_empty());
    // Over 4,000 loads: 0.05 per load, under the 0.10 warning.
    g.routes = vec![flags(4_000)];
    assert_eq!(
        fired(&summary(g.clone()), None),
        vec![(AlertRule::LowEngagement, Severity::Warning)]
    );
    // Over 10,000 loads: 0.02, under the 0.03 critical level.
    g.routes = vec![flags(10_000)];
    assert_eq!(
        fired(&summary(g), None),
        vec![(AlertRule::LowEngagement, Severity::Critical)]
    );
}
