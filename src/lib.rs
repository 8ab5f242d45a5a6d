//! Aurora Concierge Edge: a rules engine for a jewelry shop's concierge chat.
//!
//! `engine` is the pure core, `rules` turns rule files into an engine, `metrics` defines the
//! Analytics Engine data point; the wasm-only `worker` module is the Cloudflare glue.

pub mod engine;
pub mod metrics;
