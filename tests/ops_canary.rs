//! `concierge canary` as a process, and the `[canary]` table of `thresholds.toml`.

use std::path::{Path, PathBuf};
use std::process::Command;

const NEW: &str = "8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f";
const OLD: &str = "3f2a9c1e-5b6d-4e2f-9a01-7c3d2b1a0f11";

fn concierge(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_concierge"))
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

fn gate(phase: &str, fixture: &str) -> (i32, String, String) {
    let fixture = format!("tests/fixtures/ae/{fixture}.json");
    concierge(&[
        "canary",
        "gate",
        "--new",
        NEW,
        "--old",
        OLD,
        "--phase",
        phase,
        "--from-responses",
        &fixture,
    ])
}

#[test]
fn the_shipped_plan_is_the_seed_walk() {
    let (code, out, err) = concierge(&["canary", "plan", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let shares: Vec<u64> = plan["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["percentage"].as_u64().unwrap())
        .collect();
    assert_eq!(shares, [0, 10, 25, 50, 100]);
    assert_eq!(plan["gates"]["max_error_rate"], 0.02);
    assert_eq!(plan["gates"]["max_latency_p95_ms"], 800.0);
}

#[test]
fn gate_exit_codes_promote_wait_and_roll_back() {
    let (code, out, _) = gate("10%", "canary-healthy");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("gates hold: promote"), "{out}");
    let (code, out, _) = gate("25%", "healthy");
    assert_eq!(code, 6, "270 requests < 400: {out}");
    let (code, out, _) = gate("10%", "canary-regression");
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("FAIL unmatched_rate_vs_old"), "{out}");
    let (code, _, err) = gate("60%", "healthy");
    assert_eq!(code, 2);
    assert!(err.contains("no canary phase `60%`"), "{err}");
}

#[test]
fn gate_as_json_names_every_gate() {
    let (code, out, _) = concierge(&[
        "canary",
        "gate",
        "--new",
        NEW,
        "--old",
        OLD,
        "--from-responses",
        "tests/fixtures/ae/canary-regression.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 4);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "roll_back");
    let failed: Vec<&str> = v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["status"] == "fail")
        .map(|g| g["gate"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"error_rate") && failed.contains(&"latency_p95_ms"),
        "{failed:?}"
    );
}

/// A copy of `rules/` with `thresholds.toml` replaced by `thresholds`.
fn rules_with_thresholds(name: &str, thresholds: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("canary-rules-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.join("thresholds.toml"), thresholds).unwrap();
    dir
}

#[test]
fn a_walk_that_goes_backwards_or_stops_short_is_a_rule_error_at_its_line() {
    let dir = rules_with_thresholds(
        "bad",
        "[[canary.phase]]\nname = \"a\"\npercentage = 25\n\n[[canary.phase]]\nname = \"b\"\npercentage = 10\n",
    );
    let (code, _, err) = concierge(&["--rules", dir.to_str().unwrap(), "check"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("thresholds.toml:7:14"), "{err}");
    assert!(
        err.contains("not more than the phase before it (25 %)"),
        "{err}"
    );
    assert!(err.contains("does not send 100 % of traffic"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_custom_walk_replaces_the_default_phases() {
    let dir = rules_with_thresholds(
        "custom",
        "[[canary.phase]]\nname = \"half\"\npercentage = 50\nmin_requests = 10\n\n[[canary.phase]]\nname = \"all\"\npercentage = 100\n\n[canary.gates]\nmax_latency_p95_ms = 100\n",
    );
    let (code, out, err) = concierge(&[
        "--rules",
        dir.to_str().unwrap(),
        "canary",
        "gate",
        "--new",
        NEW,
        "--old",
        OLD,
        "--phase",
        "half",
        "--from-responses",
        "tests/fixtures/ae/healthy.json",
    ]);
    assert_eq!(code, 4, "p95 160 ms > 100 ms: {out}{err}");
    assert!(out.contains("FAIL latency_p95_ms"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}
