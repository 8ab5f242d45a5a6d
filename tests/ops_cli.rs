//! `concierge metrics` and `concierge alerts` as a process: dispatch, stdin, exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

fn concierge(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concierge"))
        .args(args)
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn metrics_from_a_dev_log_on_stdin() {
    let log = std::fs::read_to_string("tests/fixtures/logs/wrangler-dev-stdout.txt").unwrap();
    let (code, out, err) = concierge(&["metrics", "--from-log", "-", "--format", "json"], &log);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["source"], "dev_log");
    assert_eq!(v["overall"]["totals"]["requests"], 15);
    assert_eq!(v["overall"]["messages"]["classified"], 9);
}

#[test]
fn alerts_exit_codes_from_the_process() {
    let (code, out, _) = concierge(
        &[
            "alerts",
            "--from-responses",
            "tests/fixtures/ae/canary-regression.json",
        ],
        "",
    );
    assert_eq!(code, 4, "{out}");
    let (code, _, _) = concierge(
        &[
            "alerts",
            "--from-responses",
            "tests/fixtures/ae/healthy.json",
        ],
        "",
    );
    assert_eq!(code, 0);
    let (code, _, _) = concierge(
        &[
            "alerts",
            "--from-responses",
            "tests/fixtures/ae/healthy.json",
            "--csat-average",
            "3.4",
        ],
        "",
    );
    assert_eq!(code, 3);
    let (code, _, err) = concierge(&["alerts", "--since", "15s"], "");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = concierge(
        &[
            "alerts",
            "--from-responses",
            "tests/fixtures/ae/missing.json",
        ],
        "",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn metrics_print_sql_from_the_process() {
    let (code, out, _) = concierge(&["metrics", "--print-sql", "--since", "7d"], "");
    assert_eq!(code, 0);
    assert!(out.starts_with("-- routes_by_version\nSELECT"), "{out}");
    assert_eq!(out.matches("INTERVAL '7' DAY").count(), 5);
}
