//! The `concierge` command for rule authors and operators.
//!
//! Ops-only dispatch for now: the engine branch's `cli::Command` gains `Metrics(MetricsArgs)` and
//! `Alerts(AlertsArgs)` variants calling `run_metrics(args)` / `run_alerts(args, &cli.rules)`.

#[cfg(not(target_arch = "wasm32"))]
use aurora_concierge::ops::cli::{run_alerts, run_metrics, AlertsArgs, MetricsArgs};
#[cfg(not(target_arch = "wasm32"))]
use clap::{Parser, Subcommand};

/// Aurora Concierge rules and operations tool.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Parser)]
#[command(name = "concierge", version)]
struct Cli {
    /// Rules directory.
    #[arg(long, global = true, default_value = "rules", value_name = "DIR")]
    rules: std::path::PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Subcommand)]
enum Command {
    /// Latency, errors, intent mix and unmatched/escalation rates from Analytics Engine or a dev log
    Metrics(MetricsArgs),
    /// Evaluate the alert rules: exit 0 none, 3 warning, 4 critical (1 no data, 2 usage)
    Alerts(AlertsArgs),
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    std::process::ExitCode::from(match &cli.command {
        Command::Metrics(args) => run_metrics(args),
        Command::Alerts(args) => run_alerts(args, &cli.rules),
    })
}

#[cfg(target_arch = "wasm32")]
fn main() {}
