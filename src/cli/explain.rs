//! `concierge explain "message"`: every rule that fired, with spans and scores, and the verdict.

use super::{load_engine, CliError};
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

pub fn run(dir: &Path, args: &ExplainArgs) -> Result<(), CliError> {
    let (engine, _) = load_engine(dir)?;
    let explanation = engine.explain(&args.message);
    if args.json {
        let json = serde_json::to_string_pretty(&explanation)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{json}");
    } else {
        print!("{}", render(&explanation));
    }
    Ok(())
}

/// Human-readable explanation, one section per pipeline step: normalise, entities, what the
/// intent rules saw, the rules and evidence that fired, the scores and the decision.
pub fn render(e: &Explanation) -> String {
    let c = &e.classification;
    let mut out = String::new();
    let _ = writeln!(out, "message:    {}", c.text);
    let _ = writeln!(out, "rules:      {}", c.rules_version);
    let _ = writeln!(out, "1 normalised:  {}", e.normalised);
    let sp = &e.entity_spans;
    if sp.mentions.is_empty() {
        let _ = writeln!(out, "2 entities:    none");
    } else {
        let _ = writeln!(out, "2 entities:");
        for m in &sp.mentions {
            let implied = m
                .implied_by
                .as_deref()
                .map_or(String::new(), |s| format!(" (implied by style `{s}`)"));
            let _ = writeln!(
                out,
                "  {:<12} {:<16} @{}..{} {:?}{}",
                m.kind.name(),
                m.value,
                m.span.start,
                m.span.end,
                m.text,
                implied
            );
        }
    }
    if !sp.masked.is_empty() {
        let _ = writeln!(
            out,
            "  (hidden from the price parser: {})",
            ranges(&sp.masked)
        );
    }
    let ent = &c.entities;
    let mut resolved = Vec::new();
    if let Some(p) = ent.price {
        resolved.push(format!(
            "price {}",
            serde_json::to_string(&p).unwrap_or_default()
        ));
    }
    if !ent.categories.is_empty() {
        resolved.push(format!("categories [{}]", ent.categories.join(", ")));
    }
    if !ent.metals.is_empty() {
        resolved.push(format!("metals [{}]", ent.metals.join(", ")));
    }
    if !ent.styles.is_empty() {
        resolved.push(format!("styles [{}]", ent.styles.join(", ")));
    }
    for u in &ent.unsupported {
        resolved.push(format!(
            "not sold: {} (instead: {})",
            u.id,
            if u.instead.is_empty() {
                "nothing".to_string()
            } else {
                u.instead.join(", ")
            }
        ));
    }
    if let Some(n) = &ent.order_number {
        resolved.push(format!("order_number {n}"));
    }
    if let Some(m) = &ent.email {
        resolved.push(format!("email {m}"));
    }
    if let Some(r) = ent.ring_size {
        resolved.push(format!("ring_size {r}"));
    }
    if !resolved.is_empty() {
        let _ = writeln!(out, "  => {}", resolved.join("; "));
    }
    let _ = writeln!(out, "3 intent text: {}", e.intent_text);
    if !sp.hidden_from_intents.is_empty() {
        let _ = writeln!(
            out,
            "  (entity words hidden from intent phrases: {})",
            ranges(&sp.hidden_from_intents)
        );
    }
    if e.hits.is_empty() {
        let _ = writeln!(out, "4 fired:       nothing");
    } else {
        let _ = writeln!(out, "4 fired:");
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
        let _ = writeln!(out, "5 scores:");
        for s in &e.scores {
            let _ = writeln!(
                out,
                "  {:<22} {:>6.2}  (priority {})",
                s.intent, s.score, s.priority
            );
        }
    }
    let _ = writeln!(
        out,
        "6 intent:      {} (confidence {:.2}, min {:.2})",
        c.intent, c.confidence, e.min_confidence
    );
    let _ = writeln!(out, "  why: {}", e.reason);
    out
}

fn ranges(spans: &[std::ops::Range<usize>]) -> String {
    spans
        .iter()
        .map(|r| format!("{}..{}", r.start, r.end))
        .collect::<Vec<_>>()
        .join(", ")
}
