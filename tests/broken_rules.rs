//! Every case under `tests/broken_rules/<case>/` is the valid rule set in `base/` with some
//! files replaced; its rendered diagnostics must match the snapshot `broken_rules__<case>.snap`.
//! Together the cases cover every kind of error a rule author can make.
#![cfg(not(target_arch = "wasm32"))]

use aurora_concierge::rules::{self, SourceFile};
use std::collections::BTreeMap;
use std::path::Path;

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .to_string();
            files.insert(
                name,
                std::fs::read_to_string(&path).expect("readable rule file"),
            );
        }
    }
    files
}

fn case_sources(case: &str) -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken_rules");
    let mut files = read_dir(&root.join("base"));
    files.extend(read_dir(&root.join(case)));
    files
        .into_iter()
        .map(|(name, text)| SourceFile {
            path: format!("rules/{name}"),
            text,
        })
        .collect()
}

/// The rendered report of a broken case (including failed examples).
fn diagnostics(case: &str) -> String {
    match rules::load_sources(case_sources(case)) {
        Ok(loaded) => match loaded.failed_examples {
            Some(report) => report.to_string(),
            None => panic!("case `{case}` loaded without errors"),
        },
        Err(report) => report.to_string(),
    }
}

#[test]
fn base_rule_set_is_valid() {
    let loaded = rules::load_sources(case_sources("base")).unwrap_or_else(|r| panic!("{r}"));
    assert!(
        loaded.failed_examples.is_none(),
        "{}",
        loaded
            .failed_examples
            .map(|r| r.to_string())
            .unwrap_or_default()
    );
    assert_eq!(loaded.engine.rules_version(), "test-1");
    assert!(loaded.summary.examples > 10);
}

#[test]
fn every_case_directory_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken_rules");
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .expect("broken_rules dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n != "base")
        .collect();
    cases.sort();
    assert_eq!(cases, CASES, "add new case directories to CASES");
}

const CASES: &[&str] = &[
    "bad_manifest",
    "copied_intent_kept_its_id",
    "duplicate_and_reserved_ids",
    "empty_and_duplicate_phrases",
    "failing_examples",
    "invalid_regex",
    "invalid_toml",
    "misnamed_file",
    "missing_bracket",
    "missing_required_intent",
    "percentage_out_of_range",
    "phrase_claimed_twice",
    "reply_problems",
    "unknown_key",
    "unknown_metal_default",
    "warn_above_critical",
    "wrong_type",
];

macro_rules! case {
    ($name:ident) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), diagnostics(stringify!($name)));
        }
    };
}

case!(bad_manifest);
case!(copied_intent_kept_its_id);
case!(duplicate_and_reserved_ids);
case!(empty_and_duplicate_phrases);
case!(failing_examples);
case!(invalid_regex);
case!(invalid_toml);
case!(misnamed_file);
case!(missing_bracket);
case!(missing_required_intent);
case!(percentage_out_of_range);
case!(phrase_claimed_twice);
case!(reply_problems);
case!(unknown_key);
case!(unknown_metal_default);
case!(warn_above_critical);
case!(wrong_type);

#[test]
fn all_problems_are_reported_in_one_run() {
    // Regression guard: loading must not stop at the first broken file.
    let mut sources = case_sources("unknown_key");
    for s in case_sources("percentage_out_of_range") {
        if s.path.ends_with("rollout.toml") {
            sources.retain(|x| !x.path.ends_with("rollout.toml"));
            sources.push(s);
        }
    }
    let report = rules::load_sources(sources).expect_err("broken rules");
    let text = report.to_string();
    assert!(text.contains("unknown key `phrase`"), "{text}");
    assert!(text.contains("unknown key `min_confidense`"), "{text}");
    assert!(text.contains("`percentage` is out of range"), "{text}");
}

/// The shipped rules as `read_dir` gives them, named `rules/<file>`.
fn shipped_rules() -> Vec<SourceFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    read_dir(&dir)
        .into_iter()
        .map(|(name, text)| SourceFile {
            path: format!("rules/{name}"),
            text,
        })
        .collect()
}

/// The shipped rules with `phrases` of `order_tracking` misspelt: one error. Its own examples
/// failed after it, and leaving the intent out instead made other intents' counterexamples fail.
#[test]
fn a_misspelt_key_in_the_shipped_rules_is_one_error_without_example_failures() {
    let mut sources = shipped_rules();
    let intents = sources
        .iter_mut()
        .find(|s| s.path == "rules/intents.toml")
        .expect("intents.toml");
    let at = intents
        .text
        .find("id = \"order_tracking\"")
        .expect("order_tracking");
    let key = at
        + intents.text[at..]
            .find("\nphrases = ")
            .expect("its phrases")
        + 1;
    intents
        .text
        .replace_range(key..key + "phrases".len(), "phrase");
    let report = rules::load_sources(sources).expect_err("broken rules");
    assert_eq!(report.diagnostics.len(), 1, "{report}");
    assert!(
        report.diagnostics[0]
            .message
            .starts_with("unknown key `phrase`"),
        "{report}"
    );
}

/// The shipped rules with one `]` removed: one error, at the line that lacks it (this gave 235
/// "invalid TOML" errors, none on that line, and then every example failed).
#[test]
fn one_missing_bracket_in_the_shipped_rules_is_one_error_at_its_line() {
    let mut sources = shipped_rules();
    let entities = sources
        .iter_mut()
        .find(|s| s.path == "rules/entities.toml")
        .expect("entities.toml");
    let (line_no, line) = entities
        .text
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("examples = [") && l.ends_with(']'))
        .map(|(i, l)| (i + 1, l.to_string()))
        .expect("a one-line examples array");
    entities.text = entities.text.replacen(&line, line.trim_end_matches(']'), 1);
    let report = rules::load_sources(sources).expect_err("broken rules");
    assert_eq!(report.diagnostics.len(), 1, "{report}");
    let location = report.location(&report.diagnostics[0]);
    let want = format!("rules/entities.toml:{line_no}:{}", line.chars().count());
    assert_eq!(location, want, "{report}");
    assert!(
        report.diagnostics[0].message.starts_with("missing `]`"),
        "{report}"
    );
}

/// `concierge check --format json` gives editors and CI each diagnostic with its place, help and
/// notes.
#[test]
fn diagnostics_as_json() {
    let report =
        rules::load_sources(case_sources("copied_intent_kept_its_id")).expect_err("broken");
    let json = serde_json::to_string_pretty(&report.to_json()).expect("serialises");
    insta::assert_snapshot!("diagnostics_as_json", json);
}
