//! The one error type of every `concierge` subcommand and the one table of exit codes.
//!
//! | code | meaning |
//! |-----:|---------|
//! | 0 | ok; `alerts`: nothing fired |
//! | 1 | rule errors or failing examples; `metrics`/`alerts`: the data could not be fetched or read |
//! | 2 | usage: bad arguments, an unreadable rules directory or corpus, missing credentials |
//! | 3 | `alerts`: at least one warning, nothing critical |
//! | 4 | `alerts`: at least one critical alert |
//! | 5 | `diff`: users cross the rollout boundary for a reason other than a percentage change |
//!
//! A code means the same for every subcommand, so a script can branch on it without knowing
//! which one ran (docs/rules.md and docs/operations.md repeat the table).

use crate::ops::OpsError;

/// Everything went as asked; for `alerts`, nothing fired.
pub const EXIT_OK: u8 = 0;
/// Rule errors or failing examples, or ops data that could not be fetched or read.
pub const EXIT_FAILURE: u8 = 1;
/// Bad arguments, an unreadable rules directory or corpus, or missing credentials.
pub const EXIT_USAGE: u8 = 2;
/// `alerts`: at least one warning fired, nothing critical.
pub const EXIT_WARNING: u8 = 3;
/// `alerts`: at least one critical alert fired; `canary gate`: a gate failed, roll back.
pub const EXIT_CRITICAL: u8 = 4;
/// `diff`: users cross the rollout boundary for a reason other than a percentage change (a salt
/// or seed change); `scripts/deploy` stops on it unless forced.
pub const EXIT_ROLLOUT_MOVED: u8 = 5;
/// `canary gate`: the gates hold so far but the new version has not had the phase's traffic
/// yet; check again later.
pub const EXIT_WAIT: u8 = 6;

/// Why a subcommand stopped; [`CliError::exit_code`] maps it to the table above.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The rule files are invalid; the rendered report (or its JSON) is the message.
    #[error("{0}")]
    Rules(String),
    /// The rule files are invalid and the diagnostics were already printed (as JSON on stdout).
    #[error("the rule files have errors")]
    RulesReported,
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    RolloutMoved(String),
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}` is not JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN to query Analytics Engine, or use --from-log / --print-sql")]
    MissingCredentials,
    #[error("CLOUDFLARE_ACCOUNT_ID `{0}` is not an account id (32 hex characters)")]
    InvalidAccountId(String),
    #[error("the SQL API request for `{query}` failed: {reason}")]
    Http { query: String, reason: String },
    /// A request to the Worker (e.g. `unanswered export --url`) failed.
    #[error("GET `{url}` failed: {reason}")]
    Fetch { url: String, reason: String },
}

impl CliError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Ops(OpsError::InvalidDataset(_) | OpsError::InvalidCsat(_))
            | CliError::MissingCredentials
            | CliError::InvalidAccountId(_) => EXIT_USAGE,
            CliError::RolloutMoved(_) => EXIT_ROLLOUT_MOVED,
            CliError::Rules(_)
            | CliError::RulesReported
            | CliError::Ops(_)
            | CliError::Read { .. }
            | CliError::Json { .. }
            | CliError::Http { .. }
            | CliError::Fetch { .. } => EXIT_FAILURE,
        }
    }

    /// Prints the error to stderr: a rules report as it is, anything else after `concierge: `.
    pub fn report(&self, err: &mut dyn std::io::Write) {
        let _ = match self {
            CliError::Rules(report) => writeln!(err, "{report}"),
            CliError::RulesReported => Ok(()),
            other => writeln!(err, "concierge: {other}"),
        };
    }
}
