//! Compiles the rules at build time. Every `rules/*.toml` file is read, validated and compiled by
//! the same loader the `concierge` CLI uses (`src/rules`, `src/engine`, included below), so a
//! broken rule set fails the build with the loader's `file:line:col` diagnostics. The validated
//! rule set is written to `OUT_DIR/rules.bin` (an [`EngineSpec`], encoded) and embedded by
//! `src/embedded.rs`: the Worker carries no TOML parser, no diagnostics and no validation code,
//! and a fresh isolate only builds its tables from that plain data. The rule files themselves
//! are embedded too (`embedded_rules.rs`), for the native CLI and tests only.
//!
//! Cargo reruns this whenever a file under `rules/`, `src/engine/` or `src/rules/` changes.

// The included modules are the library's; lints about their public API (exempt there) do not apply.
#![allow(dead_code, unused_imports, clippy::wrong_self_convention)]

#[path = "src/engine/mod.rs"]
mod engine;
#[path = "src/rules/mod.rs"]
mod rules;

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    for dir in ["rules", "src/engine", "src/rules", "build.rs"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&root).join("rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out =
        String::from("/// Every `rules/*.toml` file at build time: (file name, contents).\n");
    out.push_str("pub static RULE_FILES: &[(&str, &str)] = &[\n");
    let mut sources = Vec::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        sources.push(rules::SourceFile {
            path: format!("rules/{name}"),
            text,
        });
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    std::fs::write(Path::new(&out_dir).join("embedded_rules.rs"), out)
        .expect("OUT_DIR is writable");

    // Examples are `concierge check`'s and `cargo test`'s business: a failing example must not
    // stop the CLI that reports it from building.
    let spec = match rules::compile_sources(sources) {
        Ok(loaded) => loaded.spec,
        Err(report) => {
            eprintln!("{report}");
            eprintln!("the rules under rules/ do not compile; fix them and build again");
            std::process::exit(1);
        }
    };
    // Examples and descriptions are the rule files' business (`concierge check` reads those);
    // each intent pattern's prefilter literals are worked out here, not in every isolate.
    let spec = spec.for_worker();
    std::fs::write(Path::new(&out_dir).join("rules.bin"), spec.encode())
        .expect("OUT_DIR is writable");
    // What a fresh isolate reads before its first answer: the rule set without what only the
    // classification tables need (phrases, patterns, commands, evidence, the language section)
    // and without what no Worker needs (examples, descriptions). The tables are built from
    // `rules.bin` after that answer (src/embedded.rs). Both in the compact form
    // `EngineSpec::encode` writes.
    std::fs::write(
        Path::new(&out_dir).join("identity.bin"),
        spec.identity().encode(),
    )
    .expect("OUT_DIR is writable");
}
