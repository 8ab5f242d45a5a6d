//! The `concierge` CLI: argument types, one module per subcommand, one error type and one table
//! of exit codes ([`error`]).

mod bucket;
mod check;
mod classify;
mod diff;
pub mod error;
mod explain;
pub mod ops;
mod schema;
pub(crate) mod score;
mod unanswered;

pub use error::CliError;

use crate::engine::Engine;
use crate::rules::{self, LoadError};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Command-line interface of `concierge`.
#[derive(Debug, Parser)]
#[command(
    name = "concierge",
    version,
    about = "Aurora Concierge rules and operations: check, classify, explain, diff, rollout, metrics, canary",
    after_help = "Exit codes (every command): 0 ok, 1 rule errors or failing examples (metrics/alerts: no data), \
                  2 usage, 3 alerts warning, 4 alerts critical (canary gate: roll back), 5 diff: the rollout \
                  boundary moved, 6 canary gate: wait for more traffic"
)]
pub struct Cli {
    /// Rules directory.
    #[arg(long, global = true, default_value = "rules", value_name = "DIR")]
    pub rules: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the rule files and run every example and counterexample.
    Check(check::CheckArgs),
    /// Classify messages from stdin, one per line; write one JSON object per line.
    Classify,
    /// Show every rule that fired for a message, with spans and scores, and why the winner won.
    Explain(explain::ExplainArgs),
    /// Show a user's rollout bucket and decision.
    Bucket(bucket::BucketArgs),
    /// Print the shop's domain as the rules declare it (categories, metals, styles, what is not
    /// sold, order-number format, ring sizes) as JSON; `scripts/gen-seed` reads it.
    Domain,
    /// Show what a rules change does: changed answers and per-label accuracy on a corpus, rollout.
    Diff(diff::DiffArgs),
    /// Print (or --write) the JSON Schema of each rule file, for editors.
    Schema(schema::SchemaArgs),
    /// Latency, errors, intent mix and unmatched/escalation rates from Analytics Engine or a dev log.
    Metrics(ops::MetricsArgs),
    /// Evaluate the alert rules: exit 0 none, 3 warning, 4 critical (1 no data, 2 usage).
    Alerts(ops::AlertsArgs),
    /// The gated canary: print its phases, or judge the new Worker version against the old one
    /// (exit 0 promote, 6 wait, 4 roll back)
    #[command(subcommand)]
    Canary(ops::CanaryCommand),
    /// The questions the rules did not understand (redacted): `export` writes them as a corpus
    /// file for `diff --corpus`.
    #[command(subcommand)]
    Unanswered(unanswered::UnansweredCommand),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Check(args) => check::run(&cli.rules, args),
        Command::Classify => classify::run(&cli.rules),
        Command::Explain(args) => explain::run(&cli.rules, args),
        Command::Bucket(args) => bucket::run(&cli.rules, args),
        Command::Domain => domain(&cli.rules),
        Command::Diff(args) => diff::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Metrics(args) => return ExitCode::from(ops::run_metrics(args)),
        Command::Alerts(args) => return ExitCode::from(ops::run_alerts(args, &cli.rules)),
        Command::Canary(command) => return ExitCode::from(ops::run_canary(command, &cli.rules)),
        Command::Unanswered(command) => unanswered::run(command, &cli.rules),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report(&mut std::io::stderr().lock());
            ExitCode::from(e.exit_code())
        }
    }
}

fn domain(dir: &Path) -> Result<(), CliError> {
    let (engine, _) = load_engine(dir)?;
    let json = serde_json::to_string_pretty(engine.domain())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{json}");
    Ok(())
}

/// Loads and compiles a rules directory, mapping failures to exit codes. Failed examples do not
/// stop `classify`, `explain`, `bucket` or `diff` (a warning goes to stderr); `check` fails on them.
pub fn load_engine(dir: &Path) -> Result<(Engine, rules::CheckSummary), CliError> {
    let loaded = load_rules(dir)?;
    if let Some(report) = &loaded.failed_examples {
        eprintln!(
            "concierge: warning: {} example(s) in {} do not classify as declared; run `concierge check`",
            report.diagnostics.len(),
            dir.display()
        );
    }
    Ok((loaded.engine, loaded.summary))
}

/// Loads a rules directory, keeping failed examples for the caller to judge.
pub fn load_rules(dir: &Path) -> Result<rules::LoadedRules, CliError> {
    match rules::load_dir(dir) {
        Ok(loaded) => Ok(loaded),
        Err(LoadError::Rules(report)) => Err(CliError::Rules(report.to_string())),
        Err(err @ LoadError::Io { .. }) => Err(CliError::Usage(err.to_string())),
    }
}
