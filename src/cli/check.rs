//! `concierge check`: validate the rules and run every example; one-line summary.

use super::{load_engine, Failure};
use std::path::Path;

pub fn run(dir: &Path) -> Result<(), Failure> {
    let (engine, summary) = load_engine(dir)?;
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
