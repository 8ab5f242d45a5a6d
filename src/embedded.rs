//! The rule set compiled into this build: the rule files are embedded at build time (`build.rs`)
//! and compiled once per process (per Worker isolate) on first use.
//!
//! Invalid embedded rules never panic: [`load`] reports the rendered diagnostics, and [`engine`]
//! falls back to an engine that fails closed (every message `unknown`, rollout off).

use crate::engine::Engine;
use crate::rules::{self, SourceFile};
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded rule files as sources named `rules/<file>`.
pub fn sources() -> Vec<SourceFile> {
    RULE_FILES
        .iter()
        .map(|(name, text)| SourceFile {
            path: format!("rules/{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

fn compiled() -> &'static Result<Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        // The examples were run by `cargo test` on these same files; skip them on cold start.
        rules::compile_sources(sources())
            .map(|loaded| loaded.engine)
            .map_err(|report| report.to_string())
    })
}

/// The engine for the embedded rules, or the rendered diagnostics if they are invalid.
pub fn load() -> Result<&'static Engine, &'static str> {
    match compiled() {
        Ok(engine) => Ok(engine),
        Err(report) => Err(report.as_str()),
    }
}

/// The engine for the embedded rules, compiled on first call and reused. If the embedded rules
/// are invalid this is a fail-closed engine; check [`load`] to surface the reason.
pub fn engine() -> &'static Engine {
    static FAIL_CLOSED: OnceLock<Engine> = OnceLock::new();
    match compiled() {
        Ok(engine) => engine,
        Err(_) => FAIL_CLOSED.get_or_init(Engine::fail_closed),
    }
}
