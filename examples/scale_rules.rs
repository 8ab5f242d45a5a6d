//! `scripts/scale-rules K [OUT_DIR]`: copies `rules/` to OUT_DIR (default
//! `.state/rules-scaled-Kx`) with `intents.toml` grown K× (see `benches/support/scale_rules.rs`),
//! and prints the directory.

#[path = "../benches/support/scale_rules.rs"]
mod scale_rules;

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(k) = args
        .next()
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|k| *k >= 1)
    else {
        eprintln!("usage: scale-rules K [OUT_DIR]   (K a whole number ≥ 1)");
        std::process::exit(2);
    };
    let out = args.next().map_or_else(
        || PathBuf::from(format!(".state/rules-scaled-{k}x")),
        PathBuf::from,
    );
    let run = || -> std::io::Result<()> {
        std::fs::create_dir_all(&out)?;
        for entry in std::fs::read_dir("rules")? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let name = path.file_name().unwrap_or_default();
            let text = if name == "intents.toml" {
                scale_rules::scale_intents(&text, k)
            } else {
                text
            };
            std::fs::write(out.join(name), text)?;
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("scale-rules: {e}");
        std::process::exit(1);
    }
    println!("{}", out.display());
}
