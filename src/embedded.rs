//! The rule set compiled into this build: the rule files are embedded at build time and
//! compiled once per process (per Worker isolate) on first use.
//! API skeleton: embedding lands with the rules engine work; `engine()` stays.

use crate::engine::Engine;
use std::sync::OnceLock;

/// The engine for the embedded rules, compiled on first call and reused.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}
