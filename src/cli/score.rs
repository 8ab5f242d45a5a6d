//! Accuracy on a labelled corpus, for `concierge diff --corpus`: per-label precision, recall and
//! F1, macro-F1 and accuracy overall and per source. Pure arithmetic; the CLI classifies.
//!
//! A corpus is a TSV: `text`, then optionally `label` and `source` (a `source:detail` value
//! counts as `source`); `#` lines, blank lines and a header whose first column is `text` are
//! skipped. Intents become corpus labels through a [`LabelMap`]: an intent named in it gets its
//! label, an intent whose id is itself a label of the corpus keeps it, anything else (`unknown`
//! included) is `other`.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One corpus row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub text: &'a str,
    pub label: Option<&'a str>,
    pub source: Option<&'a str>,
}

/// The rows of a corpus file.
pub fn rows(text: &str) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    let mut first = true;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let text = cols.next().unwrap_or(line);
        if std::mem::take(&mut first) && text == "text" {
            continue;
        }
        let label = cols.next().map(str::trim).filter(|l| !l.is_empty());
        let source = cols
            .next()
            .map(|s| s.split(':').next().unwrap_or(s).trim())
            .filter(|s| !s.is_empty());
        out.push(Row {
            text,
            label,
            source,
        });
    }
    out
}

/// The label a corpus gives answers that are none of its other labels.
pub const OTHER: &str = "other";

/// Intent id → corpus label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelMap {
    named: BTreeMap<String, String>,
    labels: BTreeSet<String>,
}

/// The intent → label pairs used when none are given: the labels of
/// `../shared/corpus/support-utterances.tsv`, where returns and a request for a person are
/// `returns` and `human_escalation`.
pub const DEFAULT_LABELS: &[(&str, &str)] = &[
    ("returns_resizing", "returns"),
    ("stylist_escalation", "human_escalation"),
];

impl LabelMap {
    /// A map from `INTENT=LABEL` pairs, for a corpus with `labels`.
    pub fn new<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        labels: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        LabelMap {
            named: pairs
                .into_iter()
                .map(|(i, l)| (i.to_string(), l.to_string()))
                .collect(),
            labels: labels.into_iter().map(str::to_string).collect(),
        }
    }

    /// The corpus label of an answer.
    pub fn label<'s>(&'s self, intent: &'s str) -> &'s str {
        match self.named.get(intent) {
            Some(label) => label,
            None if self.labels.contains(intent) => intent,
            None => OTHER,
        }
    }

    /// The pairs given, as `intent → label` text.
    pub fn describe(&self) -> String {
        self.named
            .iter()
            .map(|(i, l)| format!("{i} → {l}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Rows whose gold label this is.
    pub support: usize,
}

/// Figures of a set of (gold, predicted) pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub rows: usize,
    /// Mean F1 over every label seen as gold or as prediction.
    pub macro_f1: f64,
    pub accuracy: f64,
    pub labels: BTreeMap<String, LabelScore>,
}

/// Scores (gold, predicted) label pairs.
pub fn score<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Scores {
    let (mut tp, mut fp, mut fn_) = (
        BTreeMap::<&str, usize>::new(),
        BTreeMap::<&str, usize>::new(),
        BTreeMap::<&str, usize>::new(),
    );
    let (mut rows, mut right) = (0, 0);
    let mut support = BTreeMap::<&str, usize>::new();
    let mut labels = BTreeSet::new();
    for (gold, predicted) in pairs {
        rows += 1;
        labels.extend([gold, predicted]);
        *support.entry(gold).or_default() += 1;
        if gold == predicted {
            right += 1;
            *tp.entry(gold).or_default() += 1;
        } else {
            *fp.entry(predicted).or_default() += 1;
            *fn_.entry(gold).or_default() += 1;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per: BTreeMap<String, LabelScore> = labels
        .into_iter()
        .map(|label| {
            let get = |m: &BTreeMap<&str, usize>| m.get(label).copied().unwrap_or(0);
            let (t, p, n) = (get(&tp), get(&fp), get(&fn_));
            let precision = ratio(t, t + p);
            let recall = ratio(t, t + n);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            let score = LabelScore {
                precision,
                recall,
                f1,
                support: get(&support),
            };
            (label.to_string(), score)
        })
        .collect();
    Scores {
        rows,
        macro_f1: if per.is_empty() {
            0.0
        } else {
            per.values().map(|s| s.f1).sum::<f64>() / per.len() as f64
        },
        accuracy: ratio(right, rows),
        labels: per,
    }
}

/// A labelled row and the label the rules gave it.
#[derive(Debug, Clone, Copy)]
pub struct Scored<'a> {
    pub gold: &'a str,
    pub predicted: &'a str,
    pub source: Option<&'a str>,
}

/// A subset left out of one extra figure: rows whose source starts with `source` and whose gold
/// label is `label` (`hint3:product_discovery`: products of other shops).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub source: String,
    pub label: String,
}

impl std::str::FromStr for Exclusion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some((source, label)) if !source.is_empty() && !label.is_empty() => Ok(Exclusion {
                source: source.to_string(),
                label: label.to_string(),
            }),
            _ => Err(format!(
                "expected SOURCE:LABEL (e.g. `hint3:product_discovery`), not `{s}`"
            )),
        }
    }
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}*:{}", self.source, self.label)
    }
}

/// Overall, per-source and "without" figures of one rule set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub overall: Scores,
    pub per_source: BTreeMap<String, Scores>,
    /// The overall figure without each excluded subset, keyed by `source*:label`.
    pub without: BTreeMap<String, Scores>,
}

/// Scores labelled rows overall, per source and without each exclusion.
pub fn report(rows: &[Scored<'_>], exclusions: &[Exclusion]) -> Report {
    let pairs = |keep: &dyn Fn(&Scored<'_>) -> bool| {
        score(
            rows.iter()
                .filter(|r| keep(r))
                .map(|r| (r.gold, r.predicted))
                .collect::<Vec<_>>(),
        )
    };
    let sources: BTreeSet<&str> = rows.iter().filter_map(|r| r.source).collect();
    Report {
        overall: pairs(&|_| true),
        per_source: sources
            .into_iter()
            .map(|s| (s.to_string(), pairs(&|r| r.source == Some(s))))
            .collect(),
        without: exclusions
            .iter()
            .map(|e| {
                let keep = |r: &Scored<'_>| {
                    !(r.gold == e.label && r.source.is_some_and(|s| s.starts_with(&e.source)))
                };
                (e.to_string(), pairs(&keep))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tests/data/tiny-corpus.tsv`, "classified" by its first word, gives figures worked out by
    /// hand (the same ones the Python scorer this replaces was tested with).
    #[test]
    fn tiny_corpus_figures_by_hand() {
        let text = include_str!("../../tests/data/tiny-corpus.tsv");
        let rows = rows(text);
        assert_eq!(rows.len(), 8);
        let labels: Vec<&str> = rows.iter().filter_map(|r| r.label).collect();
        let map = LabelMap::new(DEFAULT_LABELS.iter().copied(), labels);
        let scored: Vec<Scored<'_>> = rows
            .iter()
            .map(|r| Scored {
                gold: r.label.expect("labelled"),
                predicted: map.label(r.text.split(' ').next().expect("word")),
                source: r.source,
            })
            .collect();
        let exclusion: Exclusion = "hint3:product_discovery".parse().expect("valid");
        let report = report(&scored, &[exclusion]);
        let close = |x: f64, want: f64| (x - want).abs() < 1e-4;
        assert_eq!(report.overall.rows, 8);
        assert!(close(report.overall.macro_f1, 0.8), "{report:?}");
        let without = &report.without["hint3*:product_discovery"];
        assert_eq!(without.rows, 6);
        assert!(close(without.macro_f1, 0.7333), "{without:?}");
        assert!(close(report.per_source["alpha"].macro_f1, 1.0));
        assert!(close(report.per_source["beta"].macro_f1, 0.5556));
        assert!(close(report.per_source["hint3-x"].macro_f1, 0.3333));
        // `greeting` and `unknown` both count as `other`.
        let other = report.overall.labels["other"];
        assert!(close(other.f1, 0.5), "{other:?}");
        assert_eq!(other.support, 2);
    }

    #[test]
    fn rows_take_text_label_and_source_prefix() {
        let rows =
            rows("# note\ntext\tlabel\nwhere is my ring\torder_tracking\tbitext:X\n\nhello\n");
        assert_eq!(
            rows,
            vec![
                Row {
                    text: "where is my ring",
                    label: Some("order_tracking"),
                    source: Some("bitext")
                },
                Row {
                    text: "hello",
                    label: None,
                    source: None
                },
            ]
        );
    }

    #[test]
    fn precision_and_recall_differ_when_errors_are_one_sided() {
        let s = score([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]);
        let a = s.labels["a"];
        assert_eq!((a.precision, a.recall), (1.0, 0.5));
        let b = s.labels["b"];
        assert!((b.precision - 2.0 / 3.0).abs() < 1e-9 && b.recall == 1.0);
        assert_eq!(s.accuracy, 0.75);
    }
}
