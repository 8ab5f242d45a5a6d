//! The rule set compiled into this build. `build.rs` validates `rules/*.toml` with the rules
//! loader (a broken rule set fails the build with its diagnostics) and embeds the validated rule
//! set as plain data; a process (a Worker isolate) builds its engine tables from it once, on first
//! use, with no TOML parsing and no validation. Natively the rule files themselves are embedded
//! too, for the CLI's default and the tests.
//!
//! Invalid embedded data never panics: [`load`] reports why, and [`engine`] falls back to an
//! engine that fails closed (every message `unknown`, rollout off).

use crate::engine::{Engine, EngineSpec};
use std::sync::OnceLock;

#[cfg(not(target_arch = "wasm32"))]
include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The validated rule set, as `build.rs` wrote it.
static RULE_SET: &str = include_str!(concat!(env!("OUT_DIR"), "/rules.json"));

/// The embedded rule files as sources named `rules/<file>`.
#[cfg(not(target_arch = "wasm32"))]
pub fn sources() -> Vec<crate::rules::SourceFile> {
    RULE_FILES
        .iter()
        .map(|(name, text)| crate::rules::SourceFile {
            path: format!("rules/{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

fn compiled() -> &'static Result<Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let spec: EngineSpec = serde_json::from_str(RULE_SET)
            .map_err(|e| format!("embedded rule set is unreadable: {e}"))?;
        // In a Worker isolate the classification tables are built after the first response
        // (`Engine::warm` in the glue) or by the first message, not before the first answer;
        // `build.rs` compiled these very rules already, so they cannot fail here.
        #[cfg(target_arch = "wasm32")]
        return Ok(Engine::deferred(spec));
        #[cfg(not(target_arch = "wasm32"))]
        Engine::compile(&spec).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "embedded rule set does not compile: {}",
                messages.join("; ")
            )
        })
    })
}

/// The engine for the embedded rules, or why they could not be built.
pub fn load() -> Result<&'static Engine, &'static str> {
    match compiled() {
        Ok(engine) => Ok(engine),
        Err(report) => Err(report.as_str()),
    }
}

/// The engine for the embedded rules, built on first call and reused. If the embedded rules
/// are unusable this is a fail-closed engine; check [`load`] to surface the reason.
pub fn engine() -> &'static Engine {
    static FAIL_CLOSED: OnceLock<Engine> = OnceLock::new();
    match compiled() {
        Ok(engine) => engine,
        Err(_) => FAIL_CLOSED.get_or_init(Engine::fail_closed),
    }
}
