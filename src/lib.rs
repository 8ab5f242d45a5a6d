//! Aurora Concierge Edge: a rules engine for a jewelry shop's concierge chat.
//!
//! `engine` is the pure core, `rules` turns rule files into an engine, `embedded` holds the rules
//! compiled into this build, `metrics` defines the Analytics Engine data point; the wasm-only
//! `worker` module is the Cloudflare glue, and the native-only `cli` is the tooling, over the pure `ops` (metrics, alerts, canary gates), which the
//! Worker's Cron Trigger also runs.
//! Modules below the top level are `pub(crate)` where nothing outside needs them, behind small
//! re-exports, so the compiler reports what nothing uses.

pub mod api;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod embedded;
pub mod engine;
pub mod metrics;
pub mod ops;
/// Rule files → engine, with diagnostics. Not in the wasm: `build.rs` runs it at build time.
#[cfg(not(target_arch = "wasm32"))]
pub mod rules;
#[cfg(target_arch = "wasm32")]
pub mod worker;
