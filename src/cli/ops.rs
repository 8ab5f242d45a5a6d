//! `concierge metrics` and `concierge alerts` (native only): argument parsing, reading the
//! Analytics Engine SQL API, a responses file or a dev log, and printing the result.
//!
//! Exit codes are the CLI's one table ([`super::error`]): `alerts` exits 3 when the most severe
//! fired alert is a warning and 4 when it is critical, so a cron job can branch on it.

use super::error::{
    CliError, EXIT_CRITICAL, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, EXIT_WAIT, EXIT_WARNING,
};
use crate::engine::model::Thresholds;
use crate::ops::alerts::{evaluate, Alert, CsatInput, Severity};
use crate::ops::response::SqlResponse;
use crate::ops::sql::{validate_dataset, MetricsQuery, DATASET};
use crate::ops::summary::Summary;
use crate::ops::{devlog, prometheus, series, text, OpsError, Window};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Output of `metrics` and `alerts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A short human-readable report.
    Summary,
    /// The summary (and alerts) as JSON.
    Json,
    /// Prometheus text exposition, for a scraper or a textfile collector.
    Prometheus,
    /// An SVG chart of p95 latency and 5xx share per Worker version (with --by only).
    Svg,
}

/// Flags of `concierge metrics`.
#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// Window ending now: `15m`, `1h`, `24h`, `7d` (ignored with --from-log)
    #[arg(long, default_value = "1h", value_parser = parse_window)]
    pub since: Window,
    /// Print the Analytics Engine SQL and exit without querying
    #[arg(long)]
    pub print_sql: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Summary)]
    pub format: OutputFormat,
    /// Compute from a dev log or `wrangler tail --format json` output (`-` reads stdin)
    #[arg(long, value_name = "FILE|-", conflicts_with = "from_responses")]
    pub from_log: Option<PathBuf>,
    /// Compute from saved SQL API answers: a JSON object keyed by query name
    #[arg(long, value_name = "FILE")]
    pub from_responses: Option<PathBuf>,
    /// Analytics Engine dataset (table) name
    #[arg(long, default_value = DATASET)]
    pub dataset: String,
    /// A time series in buckets of this length (`5m`, `1h`) per Worker version, instead of
    /// window totals (Analytics Engine or --from-responses only; `--format svg` draws it)
    #[arg(long, value_name = "BUCKET", value_parser = parse_window, conflicts_with = "from_log")]
    pub by: Option<Window>,
}

/// Flags of `concierge alerts`.
#[derive(Debug, Clone, Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// CSAT average (1..5) from D1, for the low-CSAT alert
    #[arg(long, value_name = "SCORE", conflicts_with = "csat_json")]
    pub csat_average: Option<f64>,
    /// The `GET /v1/admin/csat` answer saved to a file (`{"average": .., "count": ..}`)
    #[arg(long, value_name = "FILE")]
    pub csat_json: Option<PathBuf>,
}

fn parse_window(s: &str) -> Result<Window, String> {
    s.parse().map_err(|e: OpsError| e.to_string())
}

/// The alert thresholds of the rules in `dir`, through the same loader as `concierge check`.
/// Rules with failing examples still yield their thresholds; malformed rules are an error.
pub fn load_thresholds(dir: &Path) -> Result<Thresholds, CliError> {
    match crate::rules::load_dir(dir) {
        Ok(loaded) => Ok(loaded.engine.thresholds().clone()),
        Err(err) => Err(CliError::Rules(format!(
            "cannot load the alert thresholds: {err}"
        ))),
    }
}

/// Runs `concierge metrics`, printing to stdout/stderr; returns the exit code.
pub fn run_metrics(args: &MetricsArgs) -> u8 {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    run_metrics_to(args, &mut std::io::stdin().lock(), &mut out, &mut err)
}

/// [`run_metrics`] over explicit streams (for tests).
pub fn run_metrics_to(
    args: &MetricsArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if let Some(bucket) = &args.by {
        return run_series(args, bucket, out, err);
    }
    if args.print_sql {
        return print_sql(args, out, err);
    }
    let summary = match summarize(args, stdin) {
        Ok(summary) => summary,
        Err(e) => return fail(&e, err),
    };
    let text = match args.format {
        OutputFormat::Summary => text::render_summary(&summary),
        OutputFormat::Json => json(&summary),
        OutputFormat::Prometheus => prometheus::render(&summary, None),
        OutputFormat::Svg => {
            let _ = writeln!(err, "error: --format svg draws a time series: add --by 5m");
            return EXIT_USAGE;
        }
    };
    write_or_fail(out, &text)
}

/// `metrics --by BUCKET`: the time series per Worker version.
fn run_series(args: &MetricsArgs, bucket: &Window, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if let Err(e) = validate_dataset(&args.dataset) {
        return fail(&e.into(), err);
    }
    if bucket.seconds() < 60 || bucket.seconds() > args.since.seconds() {
        let _ = writeln!(
            err,
            "error: --by {bucket} must be at least a minute and at most the window (--since {})",
            args.since
        );
        return EXIT_USAGE;
    }
    if args.format == OutputFormat::Prometheus {
        let _ = writeln!(
            err,
            "error: --format prometheus exports window totals: drop --by"
        );
        return EXIT_USAGE;
    }
    let sql = series::sql(&args.since, bucket, &args.dataset);
    if args.print_sql {
        return write_or_fail(out, &format!("-- {}\n{sql};\n", series::QUERY_NAME));
    }
    let response = match &args.from_responses {
        Some(path) => read_text(path).and_then(|text| {
            let mut all: serde_json::Map<String, Value> =
                serde_json::from_str(&text).map_err(|source| CliError::Json {
                    path: path.display().to_string(),
                    source,
                })?;
            let value = all
                .remove(series::QUERY_NAME)
                .ok_or_else(|| OpsError::MissingResponse(series::QUERY_NAME.to_string()))?;
            Ok(SqlResponse::from_value(series::QUERY_NAME, value)?)
        }),
        None => credentials()
            .and_then(|(account, token)| query(&account, &token, series::QUERY_NAME, sql)),
    };
    let series =
        match response.and_then(|r| Ok(series::Series::from_response(&args.since, bucket, &r)?)) {
            Ok(s) => s,
            Err(e) => return fail(&e, err),
        };
    let text = match args.format {
        OutputFormat::Json => json(&series),
        OutputFormat::Svg => series::render_svg(&series),
        _ => series::render_text(&series),
    };
    write_or_fail(out, &text)
}

/// Runs `concierge alerts` with the thresholds of `rules_dir` (the CLI's global `--rules`),
/// printing to stdout/stderr; returns the exit code.
pub fn run_alerts(args: &AlertsArgs, rules_dir: &Path) -> u8 {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    run_alerts_to(
        args,
        rules_dir,
        &mut std::io::stdin().lock(),
        &mut out,
        &mut err,
    )
}

/// [`run_alerts`] over explicit streams (for tests).
pub fn run_alerts_to(
    args: &AlertsArgs,
    rules_dir: &Path,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if args.metrics.by.is_some() || args.metrics.format == OutputFormat::Svg {
        let _ = writeln!(
            err,
            "error: alerts read window totals: --by and --format svg are for metrics"
        );
        return EXIT_USAGE;
    }
    if args.metrics.print_sql {
        return print_sql(&args.metrics, out, err);
    }
    let prepared = load_thresholds(rules_dir).and_then(|t| Ok((t, csat_input(args)?)));
    let (thresholds, csat) = match prepared {
        Ok(p) => p,
        Err(e) => return fail(&e, err),
    };
    let summary = match summarize(&args.metrics, stdin) {
        Ok(summary) => summary,
        Err(e) => return fail(&e, err),
    };
    let alerts = evaluate(&summary, &thresholds.alerts, csat.as_ref());
    let code = alerts_exit_code(&alerts);
    let text = match args.metrics.format {
        OutputFormat::Summary => text::render_alerts(&alerts),
        OutputFormat::Json => {
            let status = match code {
                EXIT_CRITICAL => "critical",
                EXIT_WARNING => "warning",
                _ => "ok",
            };
            json(&serde_json::json!({"status": status, "alerts": alerts, "summary": summary}))
        }
        OutputFormat::Prometheus | OutputFormat::Svg => prometheus::render(&summary, Some(&alerts)),
    };
    if args.metrics.format != OutputFormat::Summary && !alerts.is_empty() {
        let _ = err.write_all(text::render_alerts(&alerts).as_bytes());
    }
    match write_or_fail(out, &text) {
        EXIT_OK => code,
        failed => failed,
    }
}

/// 0 when nothing fired, 3 for warnings only, 4 when anything is critical.
pub fn alerts_exit_code(alerts: &[Alert]) -> u8 {
    match alerts.iter().map(|a| a.severity).max() {
        None => EXIT_OK,
        Some(Severity::Warning) => EXIT_WARNING,
        Some(Severity::Critical) => EXIT_CRITICAL,
    }
}

fn csat_input(args: &AlertsArgs) -> Result<Option<CsatInput>, CliError> {
    if let Some(average) = args.csat_average {
        return Ok(Some(CsatInput::from_average(average)?));
    }
    match &args.csat_json {
        Some(path) => Ok(Some(CsatInput::from_admin_json(&read_text(path)?)?)),
        None => Ok(None),
    }
}

fn print_sql(args: &MetricsArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if let Err(e) = validate_dataset(&args.dataset) {
        return fail(&e.into(), err);
    }
    let mut text = String::new();
    for q in MetricsQuery::ALL {
        text.push_str(&format!(
            "-- {}\n{};\n\n",
            q.name(),
            q.sql(&args.since, &args.dataset)
        ));
    }
    write_or_fail(out, &text)
}

/// Builds the summary from the source the flags select.
pub fn summarize(args: &MetricsArgs, stdin: &mut dyn Read) -> Result<Summary, CliError> {
    if let Some(path) = &args.from_log {
        let log = if path.as_os_str() == "-" {
            devlog::read_data_points(BufReader::new(stdin))
        } else {
            let file = std::fs::File::open(path).map_err(|source| CliError::Read {
                path: path.display().to_string(),
                source,
            })?;
            devlog::read_data_points(BufReader::new(file))
        }
        .map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
        return Ok(Summary::from_data_points(&log.points));
    }
    validate_dataset(&args.dataset)?;
    let window = args.since.to_string();
    let responses = match &args.from_responses {
        Some(path) => responses_from_file(path)?,
        None => fetch_responses(&args.since, &args.dataset)?,
    };
    Ok(Summary::from_responses(&window, &responses)?)
}

fn responses_from_file(path: &Path) -> Result<BTreeMap<MetricsQuery, SqlResponse>, CliError> {
    let text = read_text(path)?;
    let mut all: serde_json::Map<String, Value> =
        serde_json::from_str(&text).map_err(|source| CliError::Json {
            path: path.display().to_string(),
            source,
        })?;
    let mut responses = BTreeMap::new();
    for q in MetricsQuery::ALL {
        let value = all
            .remove(q.name())
            .ok_or_else(|| OpsError::MissingResponse(q.name().to_string()))?;
        responses.insert(q, SqlResponse::from_value(q.name(), value)?);
    }
    Ok(responses)
}

fn fetch_responses(
    window: &Window,
    dataset: &str,
) -> Result<BTreeMap<MetricsQuery, SqlResponse>, CliError> {
    let (account, token) = credentials()?;
    let mut responses = BTreeMap::new();
    for q in MetricsQuery::ALL {
        responses.insert(
            q,
            query(&account, &token, q.name(), q.sql(window, dataset))?,
        );
    }
    Ok(responses)
}

/// `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN`, checked.
fn credentials() -> Result<(String, String), CliError> {
    let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").unwrap_or_default();
    let token = std::env::var("CLOUDFLARE_API_TOKEN").unwrap_or_default();
    if account.is_empty() || token.is_empty() {
        return Err(CliError::MissingCredentials);
    }
    if account.len() != 32 || !account.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CliError::InvalidAccountId(account));
    }
    Ok((account, token))
}

/// One SQL API call; `name` names the query in errors.
fn query(account: &str, token: &str, name: &str, sql: String) -> Result<SqlResponse, CliError> {
    let url =
        format!("https://api.cloudflare.com/client/v4/accounts/{account}/analytics_engine/sql");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let http = |reason: String| CliError::Http {
        query: name.to_string(),
        reason,
    };
    let mut response = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .send(sql)
        .map_err(|e| http(e.to_string()))?;
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| http(e.to_string()))?;
    if !status.is_success() {
        let excerpt: String = body.chars().take(300).collect();
        return Err(http(format!("HTTP {status}: {excerpt}")));
    }
    Ok(SqlResponse::parse(name, &body)?)
}

fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain data with string keys cannot fail; fall back to an empty object anyway.
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_string()) + "\n"
}

fn fail(e: &CliError, err: &mut dyn Write) -> u8 {
    e.report(err);
    e.exit_code()
}

fn write_or_fail(out: &mut dyn Write, text: &str) -> u8 {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_FAILURE,
    }
}

/// `concierge canary`: the gated canary walk of `[canary]` in `thresholds.toml`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum CanaryCommand {
    /// Print the phases and gates (`--format json` for scripts/canary)
    Plan {
        #[arg(long, value_enum, default_value_t = OutputFormat::Summary)]
        format: OutputFormat,
    },
    /// Judge the new Worker version against the old one: exit 0 promote, 6 wait (not enough
    /// traffic yet), 4 roll back (a gate failed), 1 no data, 2 usage
    Gate(CanaryGateArgs),
}

/// Flags of `concierge canary gate`.
#[derive(Debug, Clone, Args)]
pub struct CanaryGateArgs {
    /// The Worker version being rolled out
    #[arg(long = "new", value_name = "VERSION_ID")]
    pub new_version: String,
    /// The Worker version it replaces
    #[arg(long = "old", value_name = "VERSION_ID")]
    pub old_version: String,
    /// The phase (by name) whose `min_requests` applies; without it one request is enough
    #[arg(long)]
    pub phase: Option<String>,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Runs `concierge canary ...`; returns the exit code.
pub fn run_canary(command: &CanaryCommand, rules_dir: &Path) -> u8 {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    run_canary_to(
        command,
        rules_dir,
        &mut std::io::stdin().lock(),
        &mut out,
        &mut err,
    )
}

/// [`run_canary`] over explicit streams (for tests).
pub fn run_canary_to(
    command: &CanaryCommand,
    rules_dir: &Path,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let thresholds = match load_thresholds(rules_dir) {
        Ok(t) => t,
        Err(e) => return fail(&e, err),
    };
    let plan = &thresholds.canary;
    match command {
        CanaryCommand::Plan { format } => {
            let text = match format {
                OutputFormat::Json => json(plan),
                _ => {
                    let mut text = String::from("phase      traffic  soak    min requests\n");
                    for p in &plan.phases {
                        text.push_str(&format!(
                            "{:<10} {:>6} %  {:>3} min  {:>12}\n",
                            p.name, p.percentage, p.soak_minutes, p.min_requests
                        ));
                    }
                    let g = &plan.gates;
                    text.push_str(&format!(
                        "gates: 5xx < {:.1} % and ≤ old + {:.1} pts; p95 < {:.0} ms and ≤ {:.2}× old; \
                         unmatched ≤ old + {:.1} pts; escalation ≤ old + {:.1} pts (with ≥ {} messages each)\n",
                        g.max_error_rate * 100.0,
                        g.max_error_rate_increase * 100.0,
                        g.max_latency_p95_ms,
                        g.max_latency_p95_ratio,
                        g.max_unmatched_rate_increase * 100.0,
                        g.max_escalation_rate_increase * 100.0,
                        g.min_messages
                    ));
                    text
                }
            };
            write_or_fail(out, &text)
        }
        CanaryCommand::Gate(args) => {
            let phase = match &args.phase {
                None => None,
                Some(name) => match plan.phases.iter().find(|p| &p.name == name) {
                    Some(p) => Some(p),
                    None => {
                        let names: Vec<&str> =
                            plan.phases.iter().map(|p| p.name.as_str()).collect();
                        let _ = writeln!(
                            err,
                            "error: no canary phase `{name}` in the rules (phases: {})",
                            names.join(", ")
                        );
                        return EXIT_USAGE;
                    }
                },
            };
            let summary = match summarize(&args.metrics, stdin) {
                Ok(s) => s,
                Err(e) => return fail(&e, err),
            };
            let verdict = crate::ops::canary::judge(
                &summary,
                &args.new_version,
                &args.old_version,
                phase,
                &plan.gates,
            );
            let text = match args.metrics.format {
                OutputFormat::Json => json(&verdict),
                _ => crate::ops::canary::render(&verdict),
            };
            match write_or_fail(out, &text) {
                EXIT_OK => match verdict.decision {
                    crate::ops::canary::Decision::Promote => EXIT_OK,
                    crate::ops::canary::Decision::Wait => EXIT_WAIT,
                    crate::ops::canary::Decision::RollBack => EXIT_CRITICAL,
                },
                failed => failed,
            }
        }
    }
}
