//! `concierge diff OLD NEW --corpus FILE`: what a rules change does. The messages whose intent or
//! entities change; on a labelled corpus, per-label precision/recall/F1 and macro-F1 overall and
//! per source, before and after ([`super::score`]); and the share of sampled user ids whose
//! rollout decision changes. As text, JSON or Markdown (to paste into a pull request).

use super::score::{self, Exclusion, LabelMap, Scored};
use super::{load_engine, CliError};
use crate::engine::{Classification, Engine};
use clap::Args;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Output of `concierge diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal.
    Text,
    /// One JSON object.
    Json,
    /// Tables to paste into a pull request.
    Markdown,
}

/// Arguments of `concierge diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Rules directory before the change.
    pub old: PathBuf,
    /// Rules directory after the change.
    pub new: PathBuf,
    /// Messages, one per line, or a TSV of text, label and source (`#` lines and a `text` header
    /// are skipped); labelled rows are scored before and after.
    #[arg(long, value_name = "FILE")]
    pub corpus: PathBuf,
    /// Number of synthetic user ids sampled for the rollout comparison.
    #[arg(long, default_value_t = 10_000)]
    pub users: u32,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Intent → corpus label, e.g. `returns_resizing=returns` (repeatable). Default:
    /// `returns_resizing=returns`, `stylist_escalation=human_escalation`. An intent whose id is a
    /// label of the corpus keeps it; any other answer is `other`.
    #[arg(long = "label", value_name = "INTENT=LABEL", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Also score without the rows of sources starting with SOURCE labelled LABEL (repeatable),
    /// e.g. `hint3:product_discovery`.
    #[arg(long, value_name = "SOURCE:LABEL")]
    pub without: Vec<Exclusion>,
    /// List every changed message (text and Markdown show the first 50).
    #[arg(long)]
    pub all: bool,
    /// Also list the labelled messages the new rules get wrong (source, label, answer, text).
    #[arg(long)]
    pub misses: bool,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((intent, label)) if !intent.is_empty() && !label.is_empty() => {
            Ok((intent.to_string(), label.to_string()))
        }
        _ => Err(format!("expected INTENT=LABEL, not `{s}`")),
    }
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

/// One side of a changed answer.
#[derive(Debug, Clone, Serialize)]
struct Answer {
    intent: String,
    confidence: f64,
}

/// A corpus message whose answer changed.
#[derive(Debug, Clone, Serialize)]
struct Change<'a> {
    text: &'a str,
    label: Option<&'a str>,
    source: Option<&'a str>,
    old: Answer,
    new: Answer,
    /// Entity changes, as `field old → new`.
    entities: Vec<String>,
}

/// A rule set as `diff` names it.
#[derive(Debug, Clone, Serialize)]
struct Side {
    rules_version: String,
    content_hash: String,
}

/// Accuracy before and after.
#[derive(Debug, Clone, Serialize)]
struct Accuracy {
    labelled: usize,
    /// The intent → label pairs applied (beyond intents that are labels themselves).
    label_map: String,
    old: score::Report,
    new: score::Report,
}

/// The rollout comparison of one feature.
#[derive(Debug, Clone, Serialize)]
struct Rollout {
    feature: String,
    users: u32,
    changed: u32,
    /// Users whose bucket moved (salt or seed), which a percentage change never explains.
    bucket_moved: u32,
}

/// Everything `diff` found.
#[derive(Debug, Clone, Serialize)]
struct DiffReport<'a> {
    old: Side,
    new: Side,
    messages: usize,
    changed: Vec<Change<'a>>,
    accuracy: Option<Accuracy>,
    rollout: Vec<Rollout>,
}

fn side(engine: &Engine) -> Side {
    Side {
        rules_version: engine.rules_version().to_string(),
        content_hash: engine.content_hash().to_string(),
    }
}

fn answer(c: &Classification) -> Answer {
    Answer {
        intent: c.intent.to_string(),
        confidence: (c.confidence * 100.0).round() / 100.0,
    }
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
    let rows = score::rows(&corpus);
    let labels: Vec<&str> = rows.iter().filter_map(|r| r.label).collect();
    let map = if args.labels.is_empty() {
        LabelMap::new(
            score::DEFAULT_LABELS.iter().copied(),
            labels.iter().copied(),
        )
    } else {
        let pairs = args.labels.iter().map(|(i, l)| (i.as_str(), l.as_str()));
        LabelMap::new(pairs, labels.iter().copied())
    };
    let mut changed = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut misses = String::new();
    for row in &rows {
        let (a, b) = (old.classify(row.text), new.classify(row.text));
        if let Some(gold) = row.label {
            let predicted = |c: &Classification| map.label(&c.intent).to_string();
            before.push((gold, predicted(&a), row.source));
            after.push((gold, predicted(&b), row.source));
            if args.misses && predicted(&b) != gold {
                let _ = writeln!(
                    misses,
                    "miss\t{}\t{gold}\t{}\t{:.2}\t{}",
                    row.source.unwrap_or("-"),
                    b.intent,
                    b.confidence,
                    row.text
                );
            }
        }
        let entities = entity_changes(&a, &b);
        if a.intent != b.intent || !entities.is_empty() {
            changed.push(Change {
                text: row.text,
                label: row.label,
                source: row.source,
                old: answer(&a),
                new: answer(&b),
                entities,
            });
        }
    }
    let scored = |all: &[(&str, String, Option<&str>)]| {
        let scored: Vec<Scored<'_>> = all
            .iter()
            .map(|(gold, predicted, source)| Scored {
                gold,
                predicted,
                source: *source,
            })
            .collect();
        score::report(&scored, &args.without)
    };
    let accuracy = (!before.is_empty()).then(|| Accuracy {
        labelled: before.len(),
        label_map: map.describe(),
        old: scored(&before),
        new: scored(&after),
    });
    let rollout: Vec<Rollout> = if args.users > 0 {
        rollout_shifts(&old, &new, args.users)
            .into_iter()
            .map(|s| Rollout {
                feature: s.feature,
                users: args.users,
                changed: s.changed,
                bucket_moved: s.unexpected,
            })
            .collect()
    } else {
        Vec::new()
    };
    let report = DiffReport {
        old: side(&old),
        new: side(&new),
        messages: rows.len(),
        changed,
        accuracy,
        rollout,
    };
    let shown = if args.all { usize::MAX } else { 50 };
    let text = match args.format {
        Format::Text => render_text(&report, shown),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Markdown => render_markdown(&report, shown),
    };
    print!("{text}");
    // Misses follow the text report; beside JSON or Markdown they go to stderr.
    if args.format == Format::Text {
        print!("{misses}");
    } else {
        eprint!("{misses}");
    }
    let moved: u32 = report.rollout.iter().map(|r| r.bucket_moved).sum();
    if moved > 0 {
        return Err(CliError::RolloutMoved(format!(
            "the rollout boundary moved for {moved} sampled user decision(s) beyond the intended percentage change"
        )));
    }
    Ok(())
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// `0.9510 → 0.9612 (+0.0102)`, or one figure when nothing changed.
fn before_after(old: f64, new: f64) -> String {
    if (old - new).abs() < 5e-5 {
        format!("{new:.4}")
    } else {
        format!("{old:.4} → {new:.4} ({:+.4})", new - old)
    }
}

fn change_line(c: &Change<'_>) -> String {
    let mut parts = Vec::new();
    if c.old.intent != c.new.intent {
        parts.push(format!(
            "intent {} ({:.2}) → {} ({:.2})",
            c.old.intent, c.old.confidence, c.new.intent, c.new.confidence
        ));
    }
    parts.extend(c.entities.iter().cloned());
    parts.join("; ")
}

fn render_text(r: &DiffReport<'_>, shown: usize) -> String {
    let mut out = String::new();
    for c in r.changed.iter().take(shown) {
        let _ = writeln!(out, "{}\n    {}", c.text, change_line(c));
    }
    if r.changed.len() > shown {
        let _ = writeln!(
            out,
            "… and {} more (--all lists them)",
            r.changed.len() - shown
        );
    }
    let _ = writeln!(
        out,
        "messages: {} of {} changed ({:.1}%) between rules {} and {}",
        r.changed.len(),
        r.messages,
        percent(r.changed.len(), r.messages),
        r.old.rules_version,
        r.new.rules_version
    );
    if let Some(a) = &r.accuracy {
        let _ = writeln!(
            out,
            "accuracy on {} labelled messages (intents as labels: {}; other answers are `other`):",
            a.labelled, a.label_map
        );
        let _ = writeln!(
            out,
            "  {:<20} {:>8}  {:<28} {:<28} {:<28}",
            "label", "support", "precision", "recall", "F1"
        );
        for (label, new) in &a.new.overall.labels {
            let old = a.old.overall.labels.get(label);
            let get = |f: fn(&score::LabelScore) -> f64| old.map_or(0.0, f);
            let _ = writeln!(
                out,
                "  {:<20} {:>8}  {:<28} {:<28} {:<28}",
                label,
                new.support,
                before_after(get(|s| s.precision), new.precision),
                before_after(get(|s| s.recall), new.recall),
                before_after(get(|s| s.f1), new.f1)
            );
        }
        let line = |out: &mut String, name: &str, old: &score::Scores, new: &score::Scores| {
            let _ = writeln!(
                out,
                "  {name:<44} rows {:>5}  macro-F1 {}  accuracy {}",
                new.rows,
                before_after(old.macro_f1, new.macro_f1),
                before_after(old.accuracy, new.accuracy)
            );
        };
        line(&mut out, "overall", &a.old.overall, &a.new.overall);
        for (name, new) in &a.new.without {
            if let Some(old) = a.old.without.get(name) {
                line(&mut out, &format!("overall without {name}"), old, new);
            }
        }
        for (source, new) in &a.new.per_source {
            if let Some(old) = a.old.per_source.get(source) {
                line(&mut out, &format!("  source {source}"), old, new);
            }
        }
    }
    for s in &r.rollout {
        let _ = writeln!(
            out,
            "rollout {}: {} of {} sampled users change decision ({:.2}%)",
            s.feature,
            s.changed,
            s.users,
            100.0 * f64::from(s.changed) / f64::from(s.users)
        );
        if s.bucket_moved > 0 {
            let _ = writeln!(
                out,
                "rollout {}: {} of them move because their bucket moved (salt or seed changed), not because of a percentage change",
                s.feature, s.bucket_moved
            );
        }
    }
    out
}

/// A table cell: pipes escaped, newlines folded.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn render_markdown(r: &DiffReport<'_>, shown: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Rules `{}` → `{}`\n\n{} of {} corpus messages change answer ({:.1}%).\n",
        r.old.rules_version,
        r.new.rules_version,
        r.changed.len(),
        r.messages,
        percent(r.changed.len(), r.messages)
    );
    if let Some(a) = &r.accuracy {
        let _ = writeln!(
            out,
            "Accuracy on {} labelled messages (intents as labels: {}; other answers are `other`):\n",
            a.labelled, a.label_map
        );
        let _ = writeln!(out, "| label | support | precision | recall | F1 |");
        let _ = writeln!(out, "|-------|--------:|----------:|-------:|---:|");
        for (label, new) in &a.new.overall.labels {
            let old = a.old.overall.labels.get(label);
            let get = |f: fn(&score::LabelScore) -> f64| old.map_or(0.0, f);
            let _ = writeln!(
                out,
                "| `{label}` | {} | {} | {} | {} |",
                new.support,
                before_after(get(|s| s.precision), new.precision),
                before_after(get(|s| s.recall), new.recall),
                before_after(get(|s| s.f1), new.f1)
            );
        }
        let _ = writeln!(out, "\n| subset | rows | macro-F1 | accuracy |");
        let _ = writeln!(out, "|--------|-----:|---------:|---------:|");
        let mut row = |name: String, old: &score::Scores, new: &score::Scores| {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} |",
                new.rows,
                before_after(old.macro_f1, new.macro_f1),
                before_after(old.accuracy, new.accuracy)
            );
        };
        row("**all**".into(), &a.old.overall, &a.new.overall);
        for (name, new) in &a.new.without {
            if let Some(old) = a.old.without.get(name) {
                row(format!("without `{name}`"), old, new);
            }
        }
        for (source, new) in &a.new.per_source {
            if let Some(old) = a.old.per_source.get(source) {
                row(format!("`{source}`"), old, new);
            }
        }
        out.push('\n');
    }
    if !r.changed.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} changed message(s)</summary>\n\n| message | label | before | after |\n|---------|-------|--------|-------|",
            r.changed.len()
        );
        for c in r.changed.iter().take(shown) {
            let extra = if c.entities.is_empty() {
                String::new()
            } else {
                format!("<br>{}", cell(&c.entities.join("; ")))
            };
            let _ = writeln!(
                out,
                "| {} | {} | `{}` {:.2} | `{}` {:.2}{extra} |",
                cell(c.text),
                c.label.map_or_else(String::new, |l| format!("`{l}`")),
                c.old.intent,
                c.old.confidence,
                c.new.intent,
                c.new.confidence
            );
        }
        if r.changed.len() > shown {
            let _ = writeln!(out, "\n… and {} more.", r.changed.len() - shown);
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if !r.rollout.is_empty() {
        let _ = writeln!(
            out,
            "| rollout | users changing decision | of which their bucket moved |\n|---------|------------------------:|----------------------------:|"
        );
        for s in &r.rollout {
            let _ = writeln!(
                out,
                "| {} | {} of {} ({:.2}%) | {} |",
                s.feature,
                s.changed,
                s.users,
                100.0 * f64::from(s.changed) / f64::from(s.users),
                s.bucket_moved
            );
        }
    }
    out
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read corpus `{}`: {e}", path.display())))
}
