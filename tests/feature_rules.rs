//! `[features.*]` in `rollout.toml` may only name features the product has: a misspelt feature
//! would otherwise be a kill switch that silently does nothing.

use std::process::Command;

#[test]
fn an_unknown_feature_is_a_rule_error_with_a_suggestion() {
    let dir = std::env::temp_dir().join(format!("feature-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let rollout = std::fs::read_to_string(dir.join("rollout.toml")).unwrap();
    let broken = rollout.replace("[features.order_lookup]", "[features.order_lookups]");
    assert_ne!(rollout, broken);
    std::fs::write(dir.join("rollout.toml"), &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("order_lookups"))
        .unwrap()
        + 1;
    let out = Command::new(env!("CARGO_BIN_EXE_concierge"))
        .args(["--rules", dir.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "rollout.toml:{line}:11: unknown feature `order_lookups`"
        )),
        "{err}"
    );
    assert!(err.contains("did you mean `order_lookup`?"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
