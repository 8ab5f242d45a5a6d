//! `concierge check`: validate the rules and run every example; one-line summary.

use super::{load_rules, Failure};
use std::path::Path;

pub fn run(dir: &Path) -> Result<(), Failure> {
    let loaded = load_rules(dir)?;
    if let Some(report) = loaded.failed_examples {
        return Err(Failure::Rules(report.to_string()));
    }
    let (engine, summary) = (loaded.engine, loaded.summary);
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
    Ok(())
}
