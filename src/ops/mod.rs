//! Operations tooling behind `concierge metrics` and `concierge alerts`.
//!
//! Everything here is pure and runs natively: the Analytics Engine SQL is built from a [`Window`],
//! SQL API responses and dev-log lines are both turned into one [`Summary`], which alerts are
//! evaluated on and which renders as text, JSON or Prometheus exposition. Only [`cli`] does I/O
//! (files, stdin, the HTTPS call to the SQL API) and it is native-only.

pub mod alerts;
pub mod canary;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod devlog;
pub mod prometheus;
pub mod response;
pub mod series;
pub mod sql;
pub mod summary;
pub mod text;
pub mod watch;
pub mod window;

pub use alerts::{evaluate, Alert, AlertRule, CsatInput, Severity};
pub use devlog::{read_data_points, DevLog};
pub use response::SqlResponse;
pub use sql::{MetricsQuery, DATASET};
pub use summary::Summary;
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
