//! `concierge diff OLD NEW --corpus FILE`: messages whose intent or entities change between two
//! rule directories, and the share of sampled user ids whose rollout decision changes.

use super::{load_engine, CliError};
use crate::engine::{Classification, Engine};
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `concierge diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Rules directory before the change.
    pub old: PathBuf,
    /// Rules directory after the change.
    pub new: PathBuf,
    /// Messages, one per line (a TSV's first column; `#` lines and a `text` header are skipped).
    #[arg(long, value_name = "FILE")]
    pub corpus: PathBuf,
    /// Number of synthetic user ids sampled for the rollout comparison.
    #[arg(long, default_value_t = 10_000)]
    pub users: u32,
}

/// The messages of a corpus file.
pub fn corpus_messages(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or(l))
        .enumerate()
        .filter(|(i, l)| !(*i == 0 && *l == "text"))
        .map(|(_, l)| l)
        .collect()
}

fn entity_changes(old: &Classification, new: &Classification) -> Vec<String> {
    let (a, b) = (&old.entities, &new.entities);
    let show = |v: serde_json::Value| v.to_string();
    let mut out = Vec::new();
    let fields: [(&str, serde_json::Value, serde_json::Value); 6] = [
        (
            "price",
            serde_json::json!(a.price),
            serde_json::json!(b.price),
        ),
        (
            "category",
            serde_json::json!(a.category),
            serde_json::json!(b.category),
        ),
        (
            "metal",
            serde_json::json!(a.metal),
            serde_json::json!(b.metal),
        ),
        (
            "order_number",
            serde_json::json!(a.order_number),
            serde_json::json!(b.order_number),
        ),
        (
            "email",
            serde_json::json!(a.email),
            serde_json::json!(b.email),
        ),
        (
            "ring_size",
            serde_json::json!(a.ring_size),
            serde_json::json!(b.ring_size),
        ),
    ];
    for (name, x, y) in fields {
        if x != y {
            out.push(format!("{name} {} → {}", show(x), show(y)));
        }
    }
    out
}

/// How the rollout decision of the sampled users moves for the widget or one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutShift {
    pub feature: String,
    /// Users whose decision changes.
    pub changed: u32,
    /// Of those, users whose bucket itself moved (a salt or seed change): a percentage change
    /// never explains them, so they are flagged.
    pub unexpected: u32,
}

/// Compares the decisions of `users` synthetic ids, for the widget and each feature.
pub fn rollout_shifts(old: &Engine, new: &Engine, users: u32) -> Vec<RolloutShift> {
    let mut features: Vec<Option<String>> = vec![None];
    for name in old
        .rollout()
        .spec()
        .features
        .keys()
        .chain(new.rollout().spec().features.keys())
    {
        if !features.contains(&Some(name.clone())) {
            features.push(Some(name.clone()));
        }
    }
    features
        .into_iter()
        .map(|feature| {
            let f = feature.as_deref();
            let (mut changed, mut unexpected) = (0, 0);
            for i in 0..users {
                let id = format!("u-{i:06}");
                let (a, b) = (
                    old.rollout().decide(Some(&id), f),
                    new.rollout().decide(Some(&id), f),
                );
                if a.enabled != b.enabled {
                    changed += 1;
                    if a.bucket != b.bucket {
                        unexpected += 1;
                    }
                }
            }
            RolloutShift {
                feature: feature.unwrap_or_else(|| "(widget)".into()),
                changed,
                unexpected,
            }
        })
        .collect()
}

pub fn run(args: &DiffArgs) -> Result<(), CliError> {
    let (old, _) = load_engine(&args.old)?;
    let (new, _) = load_engine(&args.new)?;
    if old.rules_version() == new.rules_version() && old.content_hash() != new.content_hash() {
        eprintln!(
            "concierge: warning: both rule sets are version `{}` but their content differs ({} and {}); bump `version` in the new one",
            new.rules_version(),
            old.content_hash(),
            new.content_hash()
        );
    }
    let corpus = read(&args.corpus)?;
    let messages = corpus_messages(&corpus);
    let mut changed = 0usize;
    for text in &messages {
        let (a, b) = (old.classify(text), new.classify(text));
        let entities = entity_changes(&a, &b);
        if a.intent != b.intent || !entities.is_empty() {
            changed += 1;
            let mut line = format!("{text}\n    ");
            if a.intent != b.intent {
                line.push_str(&format!(
                    "intent {} ({:.2}) → {} ({:.2})",
                    a.intent, a.confidence, b.intent, b.confidence
                ));
                if !entities.is_empty() {
                    line.push_str("; ");
                }
            }
            line.push_str(&entities.join("; "));
            println!("{line}");
        }
    }
    println!(
        "messages: {changed} of {} changed ({:.1}%) between rules {} and {}",
        messages.len(),
        if messages.is_empty() {
            0.0
        } else {
            100.0 * changed as f64 / messages.len() as f64
        },
        old.rules_version(),
        new.rules_version()
    );
    let mut unexpected = 0;
    if args.users > 0 {
        for shift in rollout_shifts(&old, &new, args.users) {
            println!(
                "rollout {}: {} of {} sampled users change decision ({:.2}%)",
                shift.feature,
                shift.changed,
                args.users,
                100.0 * f64::from(shift.changed) / f64::from(args.users)
            );
            if shift.unexpected > 0 {
                println!(
                    "rollout {}: {} of them move because their bucket moved (salt or seed changed), not because of a percentage change",
                    shift.feature, shift.unexpected
                );
            }
            unexpected += shift.unexpected;
        }
    }
    if unexpected > 0 {
        return Err(CliError::RolloutMoved(format!(
            "the rollout boundary moved for {unexpected} sampled user decision(s) beyond the intended percentage change"
        )));
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read corpus `{}`: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::corpus_messages;

    #[test]
    fn corpus_skips_comments_and_header_and_takes_first_column() {
        let text = "# note\ntext\tlabel\nwhere is my ring\torder_tracking\n\nhello\n";
        assert_eq!(corpus_messages(text), vec!["where is my ring", "hello"]);
    }
}
