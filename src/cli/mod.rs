//! The `concierge` CLI: argument types and one module per subcommand. Exit codes: 0 ok,
//! 1 rule errors (or a failed check), 2 usage errors (bad arguments, unreadable files).

mod bucket;
mod check;
mod classify;
mod diff;
mod explain;

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
    about = "Aurora Concierge rules: check, classify, explain, rollout"
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
    Check,
    /// Classify messages from stdin, one per line; write one JSON object per line.
    Classify,
    /// Show every rule that fired for a message, with spans and scores, and why the winner won.
    Explain(explain::ExplainArgs),
    /// Show a user's rollout bucket and decision.
    Bucket(bucket::BucketArgs),
    /// Print the shop's domain as the rules declare it (categories, metals, styles, what is not
    /// sold, order-number format, ring sizes) as JSON; `scripts/gen-seed` reads it.
    Domain,
    /// Show what changes between two rule directories on a corpus and on rollout.
    Diff(diff::DiffArgs),
    /// Latency, errors, intent mix and unmatched/escalation rates from Analytics Engine or a dev log.
    Metrics(crate::ops::cli::MetricsArgs),
    /// Evaluate the alert rules: exit 0 none, 3 warning, 4 critical (1 no data, 2 usage).
    Alerts(crate::ops::cli::AlertsArgs),
    /// The gated canary: print its phases, or judge the new Worker version against the old one
    /// (exit 0 promote, 5 wait, 4 roll back)
    #[command(subcommand)]
    Canary(crate::ops::cli::CanaryCommand),
}

/// Exit code for rule errors.
pub const EXIT_RULE_ERRORS: u8 = 1;
/// Exit code for usage errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code of `diff` when the rollout boundary moved beyond a percentage change.
pub const EXIT_ROLLOUT_MOVED: u8 = 3;

/// Why a subcommand stopped.
#[derive(Debug)]
pub enum Failure {
    /// Rule files are invalid (exit 1); the report is printed.
    Rules(String),
    /// Bad arguments or unreadable input (exit 2).
    Usage(String),
    /// `diff`: users cross the rollout boundary for a reason other than a percentage change,
    /// e.g. a salt change (exit 3); `scripts/deploy` stops on it unless forced.
    RolloutMoved(String),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Check => check::run(&cli.rules),
        Command::Classify => classify::run(&cli.rules),
        Command::Explain(args) => explain::run(&cli.rules, args),
        Command::Bucket(args) => bucket::run(&cli.rules, args),
        Command::Domain => domain(&cli.rules),
        Command::Diff(args) => diff::run(args),
        Command::Metrics(args) => return ExitCode::from(crate::ops::cli::run_metrics(args)),
        Command::Alerts(args) => {
            return ExitCode::from(crate::ops::cli::run_alerts(args, &cli.rules))
        }
        Command::Canary(command) => {
            return ExitCode::from(crate::ops::cli::run_canary(command, &cli.rules))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Rules(report)) => {
            eprintln!("{report}");
            ExitCode::from(EXIT_RULE_ERRORS)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("concierge: {message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::RolloutMoved(message)) => {
            eprintln!("concierge: {message}");
            ExitCode::from(EXIT_ROLLOUT_MOVED)
        }
    }
}

fn domain(dir: &Path) -> Result<(), Failure> {
    let (engine, _) = load_engine(dir)?;
    let json =
        serde_json::to_string_pretty(engine.domain()).map_err(|e| Failure::Usage(e.to_string()))?;
    println!("{json}");
    Ok(())
}

/// Loads and compiles a rules directory, mapping failures to exit codes. Failed examples do not
/// stop `classify`, `explain`, `bucket` or `diff` (a warning goes to stderr); `check` fails on them.
pub fn load_engine(dir: &Path) -> Result<(Engine, rules::CheckSummary), Failure> {
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
pub fn load_rules(dir: &Path) -> Result<rules::LoadedRules, Failure> {
    match rules::load_dir(dir) {
        Ok(loaded) => Ok(loaded),
        Err(LoadError::Rules(report)) => Err(Failure::Rules(report.to_string())),
        Err(err @ LoadError::Io { .. }) => Err(Failure::Usage(err.to_string())),
    }
}

/// Whether `args` parse as a `concierge` command line (used by tests of the argument grammar).
pub fn parses(args: &[&str]) -> bool {
    Cli::try_parse_from(std::iter::once("concierge").chain(args.iter().copied())).is_ok()
}
