//! The rule files' own examples and counterexamples, run under `cargo test`: every intent and
//! entity example in `rules/` must classify as declared, and the rules embedded in the build
//! must be the same files and valid (the Worker fails closed otherwise).
#![cfg(not(target_arch = "wasm32"))]

use aurora_concierge::{embedded, rules};
use std::path::Path;

fn rules_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

#[test]
fn every_rule_example_classifies_as_declared() {
    let loaded = rules::load_dir(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
    if let Some(report) = loaded.failed_examples {
        panic!("rule examples fail:\n{report}");
    }
    assert!(
        loaded.summary.examples >= 100,
        "expected the rule files to carry at least 100 examples, found {}",
        loaded.summary.examples
    );
}

#[test]
fn embedded_rules_are_valid_and_match_the_rules_directory() {
    let engine =
        embedded::load().unwrap_or_else(|report| panic!("embedded rules are invalid:\n{report}"));
    let on_disk = rules::load_dir(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(engine.content_hash(), on_disk.engine.content_hash());
    assert_eq!(engine.rules_version(), on_disk.engine.rules_version());
    let embedded_failures = rules::load_sources(embedded::sources())
        .map(|l| l.failed_examples.map(|r| r.to_string()))
        .unwrap_or_else(|r| Some(r.to_string()));
    assert_eq!(embedded_failures, None);
}

#[test]
fn every_required_intent_is_declared_with_examples() {
    let engine = embedded::engine();
    let ids: Vec<&str> = engine.intent_ids().collect();
    for required in rules::REQUIRED_INTENTS {
        assert!(ids.contains(required), "missing {required}");
    }
    let text = std::fs::read_to_string(rules_dir().join("intents.toml")).expect("intents.toml");
    assert!(text.matches("examples = [").count() >= ids.len());
}
