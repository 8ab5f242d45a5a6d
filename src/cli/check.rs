//! `concierge check`: validate the rules and run every example; one-line summary, or the same as
//! JSON (`--format json`) for editors and CI. Also keeps `version.lock` (see [`rules::lock`]).

use super::CliError;
use crate::rules::lock::{self, LockCheck};
use crate::rules::{self, LoadError, Report, SourceFile};
use clap::Args;
use serde::Serialize;
use std::path::Path;

/// Output of `concierge check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A summary line, or rendered diagnostics on stderr.
    Text,
    /// One JSON object on stdout, errors or not, for editors and CI.
    Json,
}

/// Arguments of `concierge check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output: a summary line and rendered diagnostics, or one JSON object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Record the current `version` and content hash in `version.lock` (creating it).
    #[arg(long)]
    pub record_version: bool,
}

/// What `check --format json` prints.
#[derive(Debug, Serialize)]
struct CheckOutput<'a> {
    ok: bool,
    rules_version: Option<&'a str>,
    content_hash: Option<&'a str>,
    summary: Option<&'a rules::CheckSummary>,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<rules::diagnostic::JsonDiagnostic>,
}

pub fn run(dir: &Path, args: &CheckArgs) -> Result<(), CliError> {
    let loaded = match rules::load_dir(dir) {
        Ok(loaded) => loaded,
        Err(LoadError::Rules(report)) => return fail(args.format, &report),
        Err(err @ LoadError::Io { .. }) => return Err(CliError::Usage(err.to_string())),
    };
    if let Some(report) = &loaded.failed_examples {
        return fail(args.format, report);
    }
    let (engine, summary) = (&loaded.engine, &loaded.summary);
    let warnings = version_lock(dir, engine.rules_version(), engine.content_hash(), args)?;
    match args.format {
        Format::Text => {
            if let Some(report) = &warnings {
                eprintln!("{report}");
            }
            println!(
                "ok: rules {} ({}) in {}: {} files, {} intents, {} phrases, {} patterns, {} examples passed",
                engine.rules_version(),
                engine.content_hash(),
                dir.display(),
                summary.files,
                summary.intents,
                summary.phrases,
                summary.patterns,
                summary.examples
            );
        }
        Format::Json => print_json(&CheckOutput {
            ok: true,
            rules_version: Some(engine.rules_version()),
            content_hash: Some(engine.content_hash()),
            summary: Some(summary),
            errors: 0,
            warnings: warnings.as_ref().map_or(0, Report::warnings),
            diagnostics: warnings.as_ref().map(Report::to_json).unwrap_or_default(),
        }),
    }
    Ok(())
}

fn fail(format: Format, report: &Report) -> Result<(), CliError> {
    match format {
        Format::Text => Err(CliError::Rules(report.to_string())),
        Format::Json => {
            print_json(&CheckOutput {
                ok: false,
                rules_version: None,
                content_hash: None,
                summary: None,
                errors: report.errors(),
                warnings: report.warnings(),
                diagnostics: report.to_json(),
            });
            Err(CliError::RulesReported)
        }
    }
}

fn print_json(output: &CheckOutput<'_>) {
    // Plain data with string keys always serialises.
    println!(
        "{}",
        serde_json::to_string_pretty(output).unwrap_or_default()
    );
}

/// Compares with `version.lock`: records a bumped version, warns about changed content under the
/// same version. A directory without a lock is left alone unless `--record-version`.
fn version_lock(
    dir: &Path,
    version: &str,
    hash: &str,
    args: &CheckArgs,
) -> Result<Option<Report>, CliError> {
    let path = dir.join(lock::LOCK_FILE);
    let write = |what: &str| {
        std::fs::write(&path, lock::render(version, hash))
            .map_err(|e| CliError::Usage(format!("cannot write `{}`: {e}", path.display())))?;
        if args.format == Format::Text {
            eprintln!(
                "concierge: {what} rules {version} ({hash}) in `{}`",
                path.display()
            );
        }
        Ok(None)
    };
    if args.record_version {
        return write("recorded");
    }
    let Some(recorded) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| lock::parse(&text))
    else {
        return Ok(None);
    };
    match lock::compare(&recorded, version, hash) {
        LockCheck::Current => Ok(None),
        LockCheck::Bumped => write("version bumped: recorded"),
        LockCheck::ContentChangedSameVersion => {
            let manifest = dir.join("manifest.toml");
            let text = std::fs::read_to_string(&manifest).unwrap_or_default();
            let source = SourceFile {
                path: manifest.display().to_string(),
                text,
            };
            Ok(Some(lock::same_version_warning(source, &recorded)))
        }
    }
}
