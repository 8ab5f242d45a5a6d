//! `scripts/score-corpus`: macro-F1 arithmetic on a tiny committed TSV (with a fake classifier
//! whose answers are known), and one run against the real `concierge classify`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn score(concierge: &str, extra: &[&str]) -> serde_json::Value {
    let out = Command::new("python3")
        .current_dir(root())
        .arg("scripts/score-corpus")
        .args(extra)
        .args(["--json", "tests/data/tiny-corpus.tsv"])
        .env("CONCIERGE", concierge)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn close(v: &serde_json::Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-3)
}

#[test]
fn macro_f1_overall_per_source_and_without_hint3_discovery() {
    let r = score("python3 tests/data/fake-classify", &[]);
    assert_eq!(r["overall"]["rows"], 8);
    assert!(close(&r["overall"]["macro_f1"], 0.8), "{r}");
    assert_eq!(r["overall_without_hint3_product_discovery"]["rows"], 6);
    assert!(
        close(
            &r["overall_without_hint3_product_discovery"]["macro_f1"],
            0.7333
        ),
        "{r}"
    );
    assert!(close(&r["per_source"]["alpha"]["macro_f1"], 1.0), "{r}");
    assert!(close(&r["per_source"]["beta"]["macro_f1"], 0.5556), "{r}");
    assert!(
        close(&r["per_source"]["hint3-x"]["macro_f1"], 0.3333),
        "{r}"
    );
    // `greeting` and `unknown` both count as `other`.
    assert!(close(&r["overall"]["per_label_f1"]["other"], 0.5), "{r}");
}

#[test]
fn scores_the_real_classifier() {
    let r = score(
        env!("CARGO_BIN_EXE_concierge"),
        &["--rules", "tests/broken_rules/base"],
    );
    assert_eq!(r["overall"]["rows"], 8);
    let f1 = r["overall"]["macro_f1"].as_f64().expect("number");
    assert!((0.0..=1.0).contains(&f1));
}
