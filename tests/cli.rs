//! The `concierge` binary: subcommands, output shapes and exit codes (the table in
//! `src/cli/error.rs`: 0 ok, 1 rule errors, 2 usage errors, 5 rollout moved).
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn base() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken_rules/base")
}

fn concierge(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concierge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("concierge runs");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("concierge exits")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A copy of the base rules with `file` replaced by `text`.
fn rules_with(name: &str, file: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concierge-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for entry in std::fs::read_dir(base()).expect("base rules") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
    }
    std::fs::write(dir.join(file), text).expect("write override");
    dir
}

#[test]
fn check_passes_on_valid_rules_with_a_summary_line() {
    let base = base();
    let o = concierge(&["check", "--rules", base.to_str().expect("utf-8")], None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("ok: rules test-1"), "{out}");
}

#[test]
fn check_exits_1_with_diagnostics_on_rule_errors() {
    let dir = rules_with("broken", "rollout.toml", "percentage = 101\n");
    let o = concierge(&["--rules", dir.to_str().expect("utf-8"), "check"], None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rollout.toml:1:14: `percentage` is out of range"),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
}

#[test]
fn check_exits_1_on_failing_examples_but_classify_still_runs() {
    let intents = std::fs::read_to_string(base().join("intents.toml"))
        .expect("base intents")
        .replace(
            "examples = [\"can I talk to a human\"]",
            "examples = [\"can I talk to a human\", \"hello there\"]",
        );
    let dir = rules_with("examples", "intents.toml", &intents);
    let d = dir.to_str().expect("utf-8");
    assert_eq!(
        concierge(&["--rules", d, "check"], None).status.code(),
        Some(1)
    );
    let o = concierge(&["--rules", d, "classify"], Some("hello there\n"));
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(concierge(&["frobnicate"], None).status.code(), Some(2));
    assert_eq!(
        concierge(&["--rules", "/nonexistent/rules", "check"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(concierge(&["bucket"], None).status.code(), Some(2));
    let base = base();
    let o = concierge(
        &[
            "--rules",
            base.to_str().expect("utf-8"),
            "bucket",
            "--user",
            "u-1",
            "--feature",
            "nope",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn classify_writes_one_json_object_per_line_with_null_entities() {
    let base = base();
    let o = concierge(
        &["--rules", base.to_str().expect("utf-8"), "classify"],
        Some("where is my order 100123?\nhello\r\n\nrose-gold ring, size 6.5\n"),
    );
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    let mut keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "confidence",
            "entities",
            "intent",
            "matched",
            "rules_version",
            "text"
        ]
    );
    let mut entity_keys: Vec<&str> = first["entities"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    entity_keys.sort_unstable();
    assert_eq!(
        entity_keys,
        [
            "categories",
            "category",
            "email",
            "metal",
            "metals",
            "order_number",
            "price",
            "ring_size",
            "styles",
            "unsupported"
        ]
    );
    assert_eq!(first["intent"], "order_tracking");
    assert_eq!(first["entities"]["order_number"], "AUR-100123");
    assert!(first["entities"]["email"].is_null());
    assert_eq!(first["rules_version"], "test-1");
    assert_eq!(lines[1]["text"], "hello", "CR stripped");
    assert_eq!(lines[2]["intent"], "unknown");
    assert_eq!(lines[3]["entities"]["metal"], "rose_gold");
    assert_eq!(lines[3]["entities"]["ring_size"], 6.5);
}

#[test]
fn explain_shows_rules_spans_scores_and_why() {
    let base = base();
    let o = concierge(
        &[
            "--rules",
            base.to_str().expect("utf-8"),
            "explain",
            "where is my order? I want a refund",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("order_tracking.phrase.where is my order  @0..17 \"where is my order\""),
        "{out}"
    );
    assert!(out.contains("returns_resizing.phrase.refund"), "{out}");
    assert!(out.contains("why: `order_tracking` scored"), "{out}");
    let json = concierge(
        &[
            "--rules",
            base.to_str().expect("utf-8"),
            "explain",
            "--json",
            "trak it",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["hits"][0]["corrections"][0], "trak → track");
}

#[test]
fn bucket_prints_the_bucket_and_decision() {
    let base = base();
    let o = concierge(
        &[
            "--rules",
            base.to_str().expect("utf-8"),
            "bucket",
            "--user",
            "u-42",
            "--json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["bucket"].as_u64().is_some_and(|b| b < 10_000));
    assert!(v["enabled"].is_boolean());
    assert!(v["reason"].is_string());
    let text = concierge(
        &[
            "--rules",
            base.to_str().expect("utf-8"),
            "bucket",
            "--user",
            "u-42",
            "--feature",
            "stylist_chat",
        ],
        None,
    );
    assert!(
        stdout(&text).starts_with("user u-42, feature stylist_chat: bucket "),
        "{}",
        stdout(&text)
    );
}

#[test]
fn diff_lists_changed_messages_and_rollout_share() {
    let intents = std::fs::read_to_string(base().join("intents.toml"))
        .expect("base intents")
        .replace(
            "phrases = [\"stylist\", \"talk to a human\"]",
            "phrases = [\"stylist\", \"talk to a human\", \"hello\"]",
        );
    let new = rules_with("diff", "intents.toml", &intents);
    let rollout = rules_with(
        "diff-rollout",
        "rollout.toml",
        "percentage = 100\nsalt = \"test\"\n",
    );
    let corpus =
        std::env::temp_dir().join(format!("concierge-cli-{}-corpus.tsv", std::process::id()));
    std::fs::write(
        &corpus,
        "# c\ntext\tlabel\nhello\tother\nwhere is my order\torder_tracking\n",
    )
    .expect("corpus");
    let base = base();
    let o = concierge(
        &[
            "diff",
            base.to_str().expect("utf-8"),
            new.to_str().expect("utf-8"),
            "--corpus",
            corpus.to_str().expect("utf-8"),
            "--users",
            "1000",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(
        out.contains("hello\n    intent unknown (0.00) → stylist_escalation"),
        "{out}"
    );
    assert!(out.contains("messages: 1 of 2 changed"), "{out}");
    assert!(
        out.contains("rollout (widget): 0 of 1000 sampled users change decision"),
        "{out}"
    );
    let o = concierge(
        &[
            "diff",
            base.to_str().expect("utf-8"),
            rollout.to_str().expect("utf-8"),
            "--corpus",
            corpus.to_str().expect("utf-8"),
            "--users",
            "1000",
        ],
        None,
    );
    let out = stdout(&o);
    assert!(out.contains("messages: 0 of 2 changed"), "{out}");
    assert!(out.contains("rollout (widget): "), "{out}");
}

/// `scripts/deploy` relies on this: a salt change reshuffles users across the rollout boundary,
/// which a percentage change never does, so `diff` exits 5; raising the percentage exits 0.
#[test]
fn diff_exits_5_when_a_salt_change_moves_users_but_not_for_a_percentage_change() {
    let corpus = std::env::temp_dir().join(format!(
        "concierge-cli-{}-corpus-salt.tsv",
        std::process::id()
    ));
    std::fs::write(&corpus, "hello\n").expect("corpus");
    let base = base();
    let run = |new: &Path| {
        concierge(
            &[
                "diff",
                base.to_str().expect("utf-8"),
                new.to_str().expect("utf-8"),
                "--corpus",
                corpus.to_str().expect("utf-8"),
                "--users",
                "2000",
            ],
            None,
        )
    };
    let wider = rules_with(
        "diff-wider",
        "rollout.toml",
        "enabled = true\npercentage = 75\nsalt = \"test\"\nallowed_origins = [\"http://127.0.0.1:8787\"]\n\n[features.stylist_chat]\npercentage = 10\n",
    );
    let o = run(&wider);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!stdout(&o).contains("bucket moved"), "{}", stdout(&o));

    let resalted = rules_with(
        "diff-resalted",
        "rollout.toml",
        "enabled = true\npercentage = 50\nsalt = \"other\"\nallowed_origins = [\"http://127.0.0.1:8787\"]\n\n[features.stylist_chat]\npercentage = 10\n",
    );
    let o = run(&resalted);
    assert_eq!(o.status.code(), Some(5), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("salt or seed changed"),
        "{}",
        stdout(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("rollout boundary moved"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn domain_prints_what_the_rules_declare() {
    let o = concierge(&["domain"], None);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["categories"][0], "rings");
    assert_eq!(v["order_number"]["prefix"], "AUR-");
    assert_eq!(v["order_number"]["digits"], 6);
    assert!(v["unsupported"]
        .as_array()
        .is_some_and(|u| u.iter().any(|x| x["id"] == "silver")));
}

/// `check --format json`: one JSON object on stdout, errors or not, with the same exit codes.
#[test]
fn check_format_json_lists_diagnostics_with_places() {
    let dir = rules_with("json", "rollout.toml", "percentage = 101\n");
    let o = concierge(
        &[
            "--rules",
            dir.to_str().expect("utf-8"),
            "check",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(14))
    );
    assert!(
        d["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("rollout.toml")),
        "{d}"
    );

    let ok = concierge(
        &[
            "--rules",
            base().to_str().expect("utf-8"),
            "check",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(ok.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON");
    assert_eq!(
        (v["ok"].as_bool(), v["rules_version"].as_str()),
        (Some(true), Some("test-1"))
    );
    assert!(v["summary"]["examples"].as_u64() > Some(10), "{v}");
}

/// Changing rule files without bumping `version` went unnoticed; `version.lock` records the
/// content hash of each version, `check` warns on a change under the same version and records a
/// bumped one.
#[test]
fn check_warns_when_rules_change_without_a_new_version() {
    let manifest = std::fs::read_to_string(base().join("manifest.toml")).expect("manifest");
    let dir = rules_with("lock", "manifest.toml", &manifest);
    let d = dir.to_str().expect("utf-8");
    assert!(!dir.join("version.lock").exists());
    let o = concierge(&["--rules", d, "check"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !dir.join("version.lock").exists(),
        "no lock is created unasked"
    );

    let o = concierge(&["--rules", d, "check", "--record-version"], None);
    assert_eq!(o.status.code(), Some(0));
    let lock = std::fs::read_to_string(dir.join("version.lock")).expect("lock written");
    assert!(lock.contains("version = \"test-1\""), "{lock}");

    let intents = std::fs::read_to_string(dir.join("intents.toml")).expect("intents");
    std::fs::write(dir.join("intents.toml"), format!("{intents}\n# edited\n")).expect("edit");
    let o = concierge(&["--rules", d, "check"], None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning does not fail the check"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "manifest.toml:2:11: warning: the rule files changed but `version` is still `test-1`"
        ),
        "{err}"
    );

    let bumped = manifest.replace("test-1", "test-2");
    std::fs::write(dir.join("manifest.toml"), bumped).expect("bump");
    let o = concierge(&["--rules", d, "check"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("version bumped: recorded rules test-2"));
    let lock = std::fs::read_to_string(dir.join("version.lock")).expect("lock");
    assert!(lock.contains("version = \"test-2\""), "{lock}");
    let o = concierge(&["--rules", d, "check"], None);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `diff` on a labelled corpus scores both rule sets per label and per source, lists the changed
/// messages with their label, and prints the same as JSON or as Markdown for a pull request.
#[test]
fn diff_scores_a_labelled_corpus_before_and_after_as_json_and_markdown() {
    let intents = std::fs::read_to_string(base().join("intents.toml"))
        .expect("base intents")
        .replace(
            "phrases = [\"stylist\", \"talk to a human\"]",
            "phrases = [\"stylist\", \"talk to a human\", \"hello\"]",
        );
    let new = rules_with("diff-scored", "intents.toml", &intents);
    let corpus = std::env::temp_dir().join(format!(
        "concierge-cli-{}-corpus-labelled.tsv",
        std::process::id()
    ));
    std::fs::write(
        &corpus,
        "text\tlabel\tsource\nhello\tother\talpha:GREET\nwhere is my order\torder_tracking\tbeta\ncan I talk to a human\thuman_escalation\tbeta\n",
    )
    .expect("corpus");
    let base = base();
    let run = |format: &str| {
        let o = concierge(
            &[
                "diff",
                base.to_str().expect("utf-8"),
                new.to_str().expect("utf-8"),
                "--corpus",
                corpus.to_str().expect("utf-8"),
                "--users",
                "10",
                "--format",
                format,
            ],
            None,
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        stdout(&o)
    };
    let v: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    assert_eq!(v["messages"], 3);
    assert_eq!(v["changed"][0]["text"], "hello");
    assert_eq!(v["changed"][0]["label"], "other");
    assert_eq!(v["changed"][0]["new"]["intent"], "stylist_escalation");
    let acc = &v["accuracy"];
    assert_eq!(acc["labelled"], 3);
    assert_eq!(acc["old"]["overall"]["labels"]["other"]["recall"], 1.0);
    assert_eq!(acc["new"]["overall"]["labels"]["other"]["recall"], 0.0);
    // `stylist_escalation` answers count as the corpus label `human_escalation`.
    assert_eq!(
        acc["new"]["overall"]["labels"]["human_escalation"]["precision"],
        0.5
    );
    assert_eq!(acc["old"]["per_source"]["alpha"]["accuracy"], 1.0);
    assert_eq!(acc["new"]["per_source"]["alpha"]["accuracy"], 0.0);
    assert_eq!(acc["new"]["per_source"]["beta"]["accuracy"], 1.0);

    let md = run("markdown");
    assert!(md.starts_with("### Rules `test-1` → `test-1`\n"), "{md}");
    assert!(
        md.contains("| `other` | 1 | 1.0000 → 0.0000 (-1.0000) | 1.0000 → 0.0000 (-1.0000) |"),
        "{md}"
    );
    assert!(
        md.contains("| `alpha` | 1 | 1.0000 → 0.0000 (-1.0000) |"),
        "{md}"
    );
    assert!(
        md.contains("| hello | `other` | `unknown` 0.00 | `stylist_escalation` "),
        "{md}"
    );

    let text = run("text");
    assert!(text.contains("  source alpha"), "{text}");
    assert!(text.contains("macro-F1 1.0000 → "), "{text}");
}

/// `concierge unanswered export --from-json` writes a corpus that `diff --corpus` reads, with
/// made-up stand-ins for the placeholders; with no source it is a usage error (exit 2).
#[test]
fn unanswered_export_writes_a_corpus_diff_reads() {
    let dir = std::env::temp_dir().join(format!("concierge-cli-{}-unanswered", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let json = dir.join("questions.json");
    std::fs::write(
        &json,
        r#"[{"results": [{"key": "k", "text": "where is {order_number}? mail {email}", "count": 4, "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-02T00:00:00Z", "intent": "unknown", "confidence": 0.2}], "success": true}]"#,
    )
    .expect("write json");
    let tsv = dir.join("unanswered.tsv");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = rules.to_str().expect("utf-8 path");
    let out = concierge(
        &[
            "--rules",
            rules,
            "unanswered",
            "export",
            "--from-json",
            json.to_str().expect("utf-8 path"),
            "-o",
            tsv.to_str().expect("utf-8 path"),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&tsv).expect("tsv written");
    assert!(written.contains("text\tlabel\tsource\n"), "{written}");
    assert!(
        written.contains("mail shopper@example.com\t\tunanswered:count=4"),
        "{written}"
    );
    let diff = concierge(
        &[
            "diff",
            rules,
            rules,
            "--corpus",
            tsv.to_str().expect("utf-8 path"),
        ],
        None,
    );
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    assert!(
        stdout(&diff).contains("0 of 1 changed"),
        "{}",
        stdout(&diff)
    );
    let usage = concierge(&["unanswered", "export"], None);
    assert_eq!(usage.status.code(), Some(2));
}
