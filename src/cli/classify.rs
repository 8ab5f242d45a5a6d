//! `concierge classify`: stdin lines in, one JSON classification per line out.

use super::{load_engine, CliError};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

pub fn run(dir: &Path) -> Result<(), CliError> {
    let (engine, _) = load_engine(dir)?;
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    let io = |e: std::io::Error| CliError::Usage(format!("i/o error: {e}"));
    for line in stdin.lines() {
        let line = line.map_err(io)?;
        let text = line.strip_suffix('\r').unwrap_or(&line);
        let c = engine.classify(text);
        serde_json::to_writer(&mut out, &c).map_err(|e| CliError::Usage(e.to_string()))?;
        out.write_all(b"\n").map_err(io)?;
    }
    out.flush().map_err(io)
}
