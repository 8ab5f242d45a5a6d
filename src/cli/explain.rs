//! `concierge explain "message"`: every rule that fired, with spans and scores, and the verdict.

use super::{load_engine, Failure};
use crate::engine::Explanation;
use clap::Args;
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `concierge explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The shopper message to explain.
    pub message: String,
    /// Print the explanation as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(dir: &Path, args: &ExplainArgs) -> Result<(), Failure> {
    let (engine, _) = load_engine(dir)?;
    let explanation = engine.explain(&args.message);
    if args.json {
        let json = serde_json::to_string_pretty(&explanation)
            .map_err(|e| Failure::Usage(e.to_string()))?;
        println!("{json}");
    } else {
        print!("{}", render(&explanation));
    }
    Ok(())
}

/// Human-readable explanation.
pub fn render(e: &Explanation) -> String {
    let c = &e.classification;
    let mut out = String::new();
    let _ = writeln!(out, "message:    {}", c.text);
    let _ = writeln!(out, "normalised: {}", e.normalised);
    let _ = writeln!(
        out,
        "intent:     {} (confidence {:.2}, min {:.2})",
        c.intent, c.confidence, e.min_confidence
    );
    let _ = writeln!(out, "rules:      {}", c.rules_version);
    if e.hits.is_empty() {
        let _ = writeln!(out, "fired:      nothing");
    } else {
        let _ = writeln!(out, "fired:");
        for hit in &e.hits {
            let typo = if hit.corrections.is_empty() {
                String::new()
            } else {
                format!(" [typo: {}]", hit.corrections.join(", "))
            };
            let _ = writeln!(
                out,
                "  +{:.2}  {}  @{}..{} {:?}{}",
                hit.score, hit.rule, hit.span.start, hit.span.end, hit.matched_text, typo
            );
        }
    }
    if !e.scores.is_empty() {
        let _ = writeln!(out, "scores:");
        for s in &e.scores {
            let _ = writeln!(
                out,
                "  {:<22} {:>6.2}  (priority {})",
                s.intent, s.score, s.priority
            );
        }
    }
    let _ = writeln!(out, "why:        {}", e.reason);
    let ent = &c.entities;
    let span = |s: &Option<std::ops::Range<usize>>| {
        s.as_ref()
            .map_or(String::new(), |r| format!(" @{}..{}", r.start, r.end))
    };
    let sp = &e.entity_spans;
    let _ = writeln!(out, "entities:");
    let price = ent
        .price
        .map(|p| serde_json::to_string(&p).unwrap_or_default());
    let rows: [(&str, Option<String>, String); 6] = [
        ("price", price, span(&sp.price)),
        ("category", ent.category.clone(), span(&sp.category)),
        ("metal", ent.metal.clone(), span(&sp.metal)),
        (
            "order_number",
            ent.order_number.clone(),
            span(&sp.order_number),
        ),
        ("email", ent.email.clone(), span(&sp.email)),
        (
            "ring_size",
            ent.ring_size.map(|v| v.to_string()),
            span(&sp.ring_size),
        ),
    ];
    for (name, value, at) in rows {
        let _ = writeln!(
            out,
            "  {:<13} {}{}",
            name,
            value.unwrap_or_else(|| "null".into()),
            at
        );
    }
    if !sp.masked.is_empty() {
        let masked: Vec<String> = sp
            .masked
            .iter()
            .map(|r| format!("{}..{}", r.start, r.end))
            .collect();
        let _ = writeln!(
            out,
            "  (hidden from the price parser: {})",
            masked.join(", ")
        );
    }
    out
}
