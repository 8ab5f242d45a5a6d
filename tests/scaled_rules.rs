//! Rule sets that grow: the shipped rules grown 10× (`scripts/scale-rules`) still compile and
//! classify, and a pattern over the per-pattern size budget is reported at its own
//! `file:line:col` (it used to be one `RegexSet` over every pattern, which at 10× exceeded
//! regex's size limit and was reported at `intents.toml:1:1` as "intent `*` pattern 0").
#![cfg(not(target_arch = "wasm32"))]

#[path = "../benches/support/scale_rules.rs"]
mod scale_rules;

use aurora_concierge::{embedded, rules};

fn sources_with_intents(edit: impl Fn(&str) -> String) -> Vec<rules::SourceFile> {
    embedded::sources()
        .into_iter()
        .map(|mut s| {
            if s.path.ends_with("intents.toml") {
                s.text = edit(&s.text);
            }
            s
        })
        .collect()
}

#[test]
fn shipped_rules_grown_ten_times_compile_and_pass_their_examples() {
    let loaded = rules::load_sources(sources_with_intents(|t| scale_rules::scale_intents(t, 10)))
        .unwrap_or_else(|report| panic!("{report}"));
    assert!(loaded.summary.patterns >= 280, "{:?}", loaded.summary);
    assert!(loaded.summary.phrases >= 9_000, "{:?}", loaded.summary);
    assert!(
        loaded.failed_examples.is_none(),
        "{}",
        loaded
            .failed_examples
            .map(|r| r.to_string())
            .unwrap_or_default()
    );
    let c = loaded.engine.classify("where is my order");
    assert_eq!(c.intent, "order_tracking");
}

#[test]
fn scaling_by_one_changes_nothing() {
    let shipped = embedded::sources();
    let scaled = sources_with_intents(|t| scale_rules::scale_intents(t, 1));
    for (a, b) in shipped.iter().zip(&scaled) {
        assert_eq!(a.text.trim_end(), b.text.trim_end(), "{}", a.path);
    }
}

#[test]
fn an_oversized_pattern_is_reported_at_its_position() {
    let report = rules::load_sources(sources_with_intents(|t| {
        t.replacen(
            "patterns = ['^clear$']",
            "patterns = ['^clear$', '(?:\\w+ ){1,40}clear']",
            1,
        )
    }))
    .expect_err("an oversized pattern is an error");
    let text = report.to_string();
    let line = embedded::sources()
        .iter()
        .find(|s| s.path.ends_with("intents.toml"))
        .and_then(|s| {
            s.text
                .lines()
                .position(|l| l.contains("patterns = ['^clear$']"))
        })
        .expect("start_over has the `^clear$` pattern")
        + 1;
    assert!(
        text.contains(&format!("rules/intents.toml:{line}:24: pattern in `patterns` of intent `start_over` is too large")),
        "{text}"
    );
    assert!(text.contains("^^^^^^^^^^^^^^^^^^^^^"), "{text}");
}
