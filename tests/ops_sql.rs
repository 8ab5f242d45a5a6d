//! Snapshot tests of the Analytics Engine SQL behind `concierge metrics`.

use aurora_concierge::ops::{MetricsQuery, Window, DATASET};

fn sql_for(window: &str) -> String {
    let window: Window = window.parse().unwrap();
    MetricsQuery::ALL
        .iter()
        .map(|q| format!("-- {}\n{}\n", q.name(), q.sql(&window, DATASET)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn metrics_sql_for_15_minutes() {
    insta::assert_snapshot!(sql_for("15m"));
}

#[test]
fn only_the_interval_changes_with_the_window() {
    let seven_days = sql_for("7d");
    assert_eq!(
        seven_days.replace("INTERVAL '7' DAY", "INTERVAL '15' MINUTE"),
        sql_for("15m")
    );
    assert_eq!(
        seven_days.matches("INTERVAL '7' DAY").count(),
        MetricsQuery::ALL.len()
    );
}

#[test]
fn quantiles_weight_by_sample_interval() {
    let sql = sql_for("1h");
    for q in ["0.5", "0.95", "0.99"] {
        let weighted = format!("quantileExactWeighted({q})(double1, _sample_interval)");
        assert!(sql.contains(&weighted), "missing {weighted}");
    }
    assert!(
        !sql.contains("quantile("),
        "an unweighted quantile slipped in"
    );
    assert!(
        !sql.to_lowercase().contains("count()"),
        "counts must be SUM(_sample_interval)"
    );
}

#[test]
fn intent_mix_only_counts_classified_messages() {
    let window: Window = "24h".parse().unwrap();
    let sql = MetricsQuery::IntentsByVersion.sql(&window, DATASET);
    assert!(sql.contains("index1 = 'POST /v1/messages'"));
    assert!(sql.contains("blob4 != ''"));
    assert!(sql.contains("GROUP BY rules_version, worker_version, intent"));
}
