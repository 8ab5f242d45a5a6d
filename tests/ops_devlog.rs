//! The dev-log reader: `wrangler dev` stdout and `wrangler tail --format json` give the same
//! summary as Analytics Engine would (fixtures captured in those shapes).

use aurora_concierge::metrics::DataPoint;
use aurora_concierge::ops::read_data_points;
use aurora_concierge::ops::Summary;
use std::io::BufReader;

fn read(name: &str) -> aurora_concierge::ops::DevLog {
    let path = format!("{}/tests/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    read_data_points(BufReader::new(std::fs::File::open(path).unwrap())).unwrap()
}

#[test]
fn dev_stdout_yields_every_data_point_and_skips_the_rest() {
    let log = read("wrangler-dev-stdout.txt");
    assert_eq!(log.points.len(), 15);
    assert_eq!(log.malformed, 1, "the cut-off line is counted, not read");
    let first = &log.points[0];
    assert_eq!(first.route, "POST /v1/messages");
    assert_eq!(first.intent, "product_discovery");
    assert_eq!(first.status, 200);
}

#[test]
fn dev_log_summary_counts() {
    let s = Summary::from_data_points(&read("wrangler-dev-stdout.txt").points);
    assert_eq!(s.source, "dev_log");
    assert_eq!(s.window, None);
    let t = &s.overall.totals;
    assert_eq!((t.requests, t.errors_4xx, t.errors_5xx), (15, 1, 1));
    // Latencies 1..9, 10, 5, 6, 7, 1.5, 30: ClickHouse's exact weighted quantiles.
    assert_eq!(t.latency.p50_ms, Some(6.0));
    assert_eq!(t.latency.p95_ms, Some(30.0));
    let m = &s.overall.messages;
    assert_eq!(
        m.classified, 9,
        "the 422 has no intent and is not a classified message"
    );
    assert_eq!(m.intents["product_discovery"], 4);
    assert_eq!(m.unmatched_rate, Some(2.0 / 9.0));
    assert_eq!(m.escalation_rate, Some(1.0 / 9.0));
    let routes: Vec<(&str, u64)> = s
        .overall
        .routes
        .iter()
        .map(|r| (r.route.as_str(), r.traffic.requests))
        .collect();
    assert_eq!(
        routes,
        [
            ("GET /health", 1),
            ("GET /v1/products", 3),
            ("POST /v1/csat", 1),
            ("POST /v1/messages", 10)
        ]
    );
    // The Worker restarted mid-log: two Worker versions, same rules.
    assert_eq!(s.versions.len(), 2);
    assert_eq!(s.versions[0].totals.requests, 8);
    assert_eq!(s.versions[1].totals.requests, 7);
    assert_eq!(s.versions[1].messages.intents["unknown"], 2);
}

#[test]
fn tail_json_gives_the_same_summary_as_dev_stdout() {
    let tail = read("wrangler-tail.json");
    assert_eq!(tail.points.len(), 15);
    assert_eq!(tail.malformed, 0);
    let dev = read("wrangler-dev-stdout.txt");
    assert_eq!(
        Summary::from_data_points(&tail.points),
        Summary::from_data_points(&dev.points)
    );
}

#[test]
fn worker_log_lines_round_trip() {
    let point = DataPoint {
        route: "POST /v1/messages".into(),
        method: "POST".into(),
        status: 200,
        intent: "unknown".into(),
        rules_version: "r1".into(),
        cohort: "enabled".into(),
        colo: String::new(),
        worker_version: "w1".into(),
        error_code: String::new(),
        latency_ms: 4.25,
        confidence: 0.1,
    };
    let text = format!(
        "noise\n{}\n[wrangler:info] POST /v1/messages 200 OK (4ms)\n",
        point.to_log_line()
    );
    let log = read_data_points(text.as_bytes()).unwrap();
    assert_eq!(log.points, vec![point]);
}

#[test]
fn an_unclosed_object_does_not_swallow_later_data_points() {
    let point_line = read("wrangler-dev-stdout.txt")
        .points
        .first()
        .map(DataPoint::to_log_line)
        .unwrap();
    let text = format!("{{ not json and never closed\n{point_line}\n");
    let log = read_data_points(text.as_bytes()).unwrap();
    assert_eq!(log.points.len(), 1);
    assert_eq!(
        log.malformed, 0,
        "a stray brace line is noise, not a broken data point"
    );
}

#[test]
fn a_line_captured_from_wrangler_dev_is_read() {
    // Verbatim from `wrangler dev --log-level log` of the Worker (serde_json sorts the keys).
    let captured = r#"[custom build] ⚡ Done in 14ms
[wrangler:info] Ready on http://127.0.0.1:18931
{"blobs":["GET /health","GET","2xx","","2026.11.25-1","","DFW","0c05742f-2226-4854-ae15-4aff143b6f73",""],"doubles":[340.0,200.0,-1.0],"indexes":["GET /health"],"type":"aurora.datapoint"}
[wrangler:info] GET /health 200 OK (1320ms)
"#;
    let log = read_data_points(captured.as_bytes()).unwrap();
    assert_eq!(log.points.len(), 1);
    let p = &log.points[0];
    assert_eq!(
        (p.route.as_str(), p.status, p.latency_ms),
        ("GET /health", 200, 340.0)
    );
    assert_eq!(p.colo, "DFW");
    assert_eq!(p.confidence, -1.0);
}
