//! Operations tooling behind `concierge metrics` and `concierge alerts`.
//!
//! Everything here is pure and runs natively: the Analytics Engine SQL is built from a [`Window`],
//! SQL API responses and dev-log lines are both turned into one [`Summary`], which alerts are
//! evaluated on and which renders as text, JSON or Prometheus exposition. The I/O (files, stdin,
//! the HTTPS call to the SQL API) is the CLI's, in `cli::ops`, native-only. The Worker's Cron
//! Trigger runs the queries, the summary, the alert rules and [`watch`] too (`api::alert_job`);
//! what only the CLI renders (text, Prometheus, series, canary gates, dev logs) is native-only.

pub(crate) mod alerts;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod canary;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod devlog;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod prometheus;
pub(crate) mod response;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod series;
pub(crate) mod sql;
pub(crate) mod summary;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod text;
pub(crate) mod watch;
pub(crate) mod window;

pub use alerts::{evaluate, Alert, AlertRule, CsatInput, Severity};
#[cfg(not(target_arch = "wasm32"))]
pub use devlog::{read_data_points, DevLog};
pub use response::SqlResponse;
pub use sql::{MetricsQuery, DATASET};
pub use summary::{
    GroupSummary, IntentMix, LatencyQuantiles, RouteStats, Summary, TrafficStats, VersionKey,
};
pub use window::Window;

/// Why an ops command could not produce a summary.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("invalid window `{0}`: use a number and a unit, e.g. `15m`, `1h`, `24h`, `7d` (at most 90 days)")]
    InvalidWindow(String),
    #[error("invalid dataset name `{0}`: use letters, digits and `_` only")]
    InvalidDataset(String),
    #[error("the SQL API answer for `{query}` is not a result: {reason}")]
    InvalidResponse { query: String, reason: String },
    #[error("the SQL API answer for `{query}` has no usable `{column}` in row {row}")]
    MissingColumn {
        query: String,
        column: String,
        row: usize,
    },
    #[error("no SQL API answer for `{0}` in the responses file")]
    MissingResponse(String),
    #[error("invalid CSAT input: {0}")]
    InvalidCsat(String),
}
