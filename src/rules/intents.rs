//! `intents.toml`: `[language]` (aliases, words never typo-corrected) and `[[intent]]` tables.

use super::diagnostic::Diagnostic;
use super::reader::{At, Reader};
use super::REQUIRED_INTENTS;
use crate::engine::model::{EntityKind, UNKNOWN_INTENT};
use crate::engine::normalise::{phrase_words, Normaliser};
use crate::engine::reply::{CoreIntent, NextStep, ReplySpec};
use crate::engine::spec::{
    IntentSpec, LanguageSpec, WeightedRule, DECISIVE_WEIGHT, STRONG_WEIGHT, WEAK_WEIGHT,
};
use std::collections::HashMap;
use toml::de::DeTable;

pub(crate) const TOP_KEYS: &[&str] = &["language", "intent"];
pub(crate) const LANGUAGE_KEYS: &[&str] = &["aliases", "never_correct", "stopwords"];
pub(crate) const INTENT_KEYS: &[&str] = &[
    "id",
    "description",
    "priority",
    "commands",
    "typo_tolerant",
    "phrases",
    "weak_phrases",
    "decisive_phrases",
    "patterns",
    "weak_patterns",
    "decisive_patterns",
    "evidence",
    "examples",
    "counterexamples",
    "reply",
    "next_step",
];

const INTENT_PATTERN_HELP: &str = "patterns use Rust `regex` syntax and see the normalised, lowercase text; use a TOML literal string ('...') to avoid escaping";

/// Where an intent's examples sit in the file, to report failures at them.
#[derive(Debug, Clone)]
pub struct IntentSource {
    pub file: usize,
    pub id: String,
    pub examples: Vec<At<String>>,
    pub counterexamples: Vec<At<String>>,
}

/// Compiles an intent pattern within the engine's per-pattern size budget
/// ([`crate::engine::intents::PATTERN_SIZE_BUDGET`]); the error says by how much it is over.
pub fn check_pattern_size(pattern: &str) -> Result<(), String> {
    match crate::engine::intents::compile_pattern(pattern) {
        Ok(_) => Ok(()),
        Err(regex::Error::CompiledTooBig(limit)) => Err(format!(
            "it compiles to more than the {} KiB each pattern may use",
            limit / 1024
        )),
        Err(err) => Err(regex_error_summary(&err)),
    }
}

/// Condenses the regex parser's multi-line error into its final explanation line.
pub fn regex_error_summary(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("error: ").to_string())
        .unwrap_or(text)
}

/// Reads the intents file into specs, reporting every problem.
pub fn read_intents(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
) -> (Vec<IntentSpec>, LanguageSpec, Vec<IntentSource>) {
    r.known_keys(table, TOP_KEYS, "intents.toml");
    let mut language = LanguageSpec::default();
    if let Some((lang, _)) = r.table(table, "language") {
        r.known_keys(lang, LANGUAGE_KEYS, "[language]");
        if let Some((aliases, _)) = r.table(lang, "aliases") {
            language.aliases = r
                .string_map(aliases, "alias")
                .into_iter()
                .map(|(k, v)| (k.into_inner(), v.into_inner()))
                .collect();
        }
        language.never_correct = r
            .strings(lang, "never_correct")
            .into_iter()
            .map(At::into_inner)
            .collect();
        language.stopwords = r
            .strings(lang, "stopwords")
            .into_iter()
            .map(At::into_inner)
            .collect();
    }
    let normaliser = Normaliser::new(&language.aliases);

    let mut intents = Vec::new();
    let mut sources = Vec::new();
    let mut ids: HashMap<String, std::ops::Range<usize>> = HashMap::new();
    // Normalised phrase → (intent id, priority, span) of its first claimant.
    let mut claimed: HashMap<String, Vec<(String, i64, std::ops::Range<usize>)>> = HashMap::new();
    let declared = r.tables(table, "intent");
    if declared.is_empty() && table.get("intent").is_none() {
        r.error(
            0..0,
            "no intents declared",
            Some("add `[[intent]]` tables".into()),
        );
    }
    let mut duplicates = Vec::new();
    for (t, span) in declared {
        r.known_keys(t, INTENT_KEYS, "[[intent]]");
        let Some(id) = r.string(t, "id") else {
            if t.get("id").is_none() {
                r.missing(span.clone(), "id", "[[intent]]", "\"order_tracking\"");
            }
            continue;
        };
        let id_text = id.get_ref().clone();
        if id_text == UNKNOWN_INTENT {
            r.error(
                id.span(),
                format!("intent id `{UNKNOWN_INTENT}` is reserved for the fallback"),
                Some("choose another id".into()),
            );
        } else if id_text.is_empty()
            || !id_text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            r.error(
                id.span(),
                format!("invalid intent id `{id_text}`"),
                Some("use lowercase letters, digits and `_`".into()),
            );
        }
        if let Some(first) = ids.get(&id_text) {
            let d = Diagnostic::new(
                r.file,
                Some(id.span()),
                format!("duplicate intent id `{id_text}`"),
            )
            .note(r.file, Some(first.clone()), "first defined here");
            duplicates.push(r.diagnostics.len());
            r.diagnostics.push(d);
        } else {
            ids.insert(id_text.clone(), id.span());
        }
        let priority = r.integer(t, "priority").map_or(0, At::into_inner);
        let mut spec = IntentSpec {
            id: id_text.clone(),
            description: r
                .string(t, "description")
                .map_or_else(String::new, At::into_inner),
            priority,
            typo_tolerant: r.boolean(t, "typo_tolerant").is_some_and(At::into_inner),
            ..IntentSpec::default()
        };
        for command in r.strings(t, "commands") {
            let c = command.get_ref();
            if !c.starts_with('/') || c.len() < 2 || c.contains(char::is_whitespace) {
                r.error(
                    command.span(),
                    format!("invalid command `{c}`"),
                    Some("commands are one word starting with `/`, e.g. `/track`".into()),
                );
            } else {
                spec.commands.push(c.to_lowercase());
            }
        }
        let mut seen: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        spec.evidence = read_evidence(r, t, &id_text);
        for (key, weight) in [
            ("phrases", STRONG_WEIGHT),
            ("weak_phrases", WEAK_WEIGHT),
            ("decisive_phrases", DECISIVE_WEIGHT),
        ] {
            for phrase in r.strings(t, key) {
                let words = phrase_words(&normaliser, phrase.get_ref());
                if words.is_empty() {
                    r.error(
                        phrase.span(),
                        format!("empty phrase in `{key}` of intent `{id_text}`"),
                        Some("a phrase needs at least one letter or digit; remove it".into()),
                    );
                    continue;
                }
                let normalised = words.join(" ");
                if let Some(first) = seen.get(&normalised) {
                    let d = Diagnostic::new(
                        r.file,
                        Some(phrase.span()),
                        format!(
                            "duplicate phrase `{}` in intent `{id_text}` (same as an earlier one after normalisation: `{normalised}`)",
                            phrase.get_ref()
                        ),
                    )
                    .note(r.file, Some(first.clone()), "first listed here")
                    .help("remove one of them");
                    r.diagnostics.push(d);
                    continue;
                }
                seen.insert(normalised.clone(), phrase.span());
                let claimants = claimed.entry(normalised.clone()).or_default();
                if let Some((other, _, first)) = claimants
                    .iter()
                    .find(|(other, p, _)| *p == priority && *other != id_text)
                {
                    let d = Diagnostic::new(
                        r.file,
                        Some(phrase.span()),
                        format!(
                            "phrase `{normalised}` is claimed by intents `{other}` and `{id_text}` at the same priority {priority}"
                        ),
                    )
                    .note(r.file, Some(first.clone()), format!("claimed by `{other}` here"))
                    .help("remove it from one intent, or give the intents different priorities");
                    r.diagnostics.push(d);
                }
                claimants.push((id_text.clone(), priority, phrase.span()));
                spec.phrases.push(WeightedRule {
                    text: phrase.into_inner(),
                    weight,
                });
            }
        }
        for (key, weight) in [
            ("patterns", STRONG_WEIGHT),
            ("weak_patterns", WEAK_WEIGHT),
            ("decisive_patterns", DECISIVE_WEIGHT),
        ] {
            for pattern in r.strings(t, key) {
                let what = format!("in `{key}` of intent `{id_text}`");
                if r.pattern(&pattern, &what, INTENT_PATTERN_HELP) {
                    match check_pattern_size(pattern.get_ref()) {
                        Ok(()) => spec.patterns.push(WeightedRule {
                            text: pattern.into_inner(),
                            weight,
                        }),
                        Err(message) => r.error(
                            pattern.span(),
                            format!("pattern {what} is too large: {message}"),
                            Some("each pattern is checked on its own; split it, or use a word list in `phrases` instead of long alternations and repeated `\\w`".into()),
                        ),
                    }
                }
            }
        }
        // A reserved or malformed id is already an error: no follow-on "has no reply".
        let id_ok = id_text != UNKNOWN_INTENT
            && !id_text.is_empty()
            && id_text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        spec.reply = read_reply(r, t, &id_text, id_ok.then(|| id.span()));
        let examples = r.strings(t, "examples");
        let counterexamples = r.strings(t, "counterexamples");
        spec.examples = examples.iter().map(|e| e.get_ref().clone()).collect();
        spec.counterexamples = counterexamples
            .iter()
            .map(|e| e.get_ref().clone())
            .collect();
        sources.push(IntentSource {
            file: r.file,
            id: id_text,
            examples,
            counterexamples,
        });
        intents.push(spec);
    }
    // A copied table whose id was not changed is the usual cause of a duplicate; the required
    // intent it was meant to become is named in its help instead of as an error of its own.
    let missing: Vec<&str> = REQUIRED_INTENTS
        .iter()
        .copied()
        .filter(|req| !intents.iter().any(|i: &IntentSpec| i.id == *req))
        .collect();
    for &index in &duplicates {
        let help = match missing.as_slice() {
            [] => "each intent needs a unique id; merge the two tables or rename one".to_string(),
            [one] => format!("rename one of them: required intent `{one}` is not declared"),
            many => format!(
                "rename one of them: required intents {} are not declared",
                many.iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        r.diagnostics[index].help = Some(help);
    }
    if duplicates.is_empty() {
        for required in missing {
            r.error(
                0..0,
                format!("missing required intent `{required}`"),
                Some(format!(
                    "add an `[[intent]]` with `id = \"{required}\"`; the Worker's replies depend on it"
                )),
            );
        }
    }
    (intents, language, sources)
}

/// Longest `reply` text, in characters.
pub const MAX_REPLY_CHARS: usize = 600;

/// Reads `reply` and `next_step`: required for every intent that is not a [`CoreIntent`], and
/// refused on core intents (the Worker builds their replies from the catalog, the order or the
/// policy, so a text there would silently do nothing).
fn read_reply(
    r: &mut Reader<'_>,
    t: &DeTable<'_>,
    intent: &str,
    id_span: Option<std::ops::Range<usize>>,
) -> Option<ReplySpec> {
    let text = r.string(t, "reply");
    let step = r.string(t, "next_step");
    let steps: Vec<&str> = NextStep::ALL.iter().map(|s| s.name()).collect();
    let next_step = step.as_ref().and_then(|s| {
        let name = s.get_ref().as_str();
        let found = NextStep::from_name(name);
        if found.is_none() {
            r.error(
                s.span(),
                format!("unknown next_step `{name}` in intent `{intent}`"),
                Some(match super::reader::did_you_mean(name, &steps) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("steps are: {}", steps.join(", ")),
                }),
            );
        }
        found
    });
    if let Some(core) = CoreIntent::from_id(intent) {
        for (key, at) in [
            ("reply", text.as_ref().map(At::span)),
            ("next_step", step.as_ref().map(At::span)),
        ] {
            if let Some(span) = at {
                r.error(
                    span,
                    format!("`{key}` has no effect on intent `{}`", core.id()),
                    Some("the Worker builds this intent's reply from the catalog, the order or the returns policy; remove the key".into()),
                );
            }
        }
        return None;
    }
    let Some(text) = text else {
        if let (None, Some(id_span)) = (t.get("reply"), id_span) {
            r.error(
                id_span,
                format!("intent `{intent}` has no `reply`"),
                Some(format!(
                    "add `reply = \"...\"`: what the concierge says to a message of this intent (and optionally `next_step`, one of {})",
                    steps.join(", ")
                )),
            );
        }
        return None;
    };
    let trimmed = text.get_ref().trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_REPLY_CHARS {
        r.error(
            text.span(),
            format!("the reply of intent `{intent}` must be 1 to {MAX_REPLY_CHARS} characters"),
            Some("write one or two sentences the shopper will read".into()),
        );
        return None;
    }
    Some(ReplySpec {
        text: trimmed.to_string(),
        next_step,
    })
}

/// Reads `evidence = { category = 0.6, price = 0.6 }`: which entity kinds count toward the
/// intent, and how much each adds (0 < weight ≤ 2).
fn read_evidence(r: &mut Reader<'_>, t: &DeTable<'_>, intent: &str) -> Vec<(EntityKind, f64)> {
    let Some((table, _)) = r.table(t, "evidence") else {
        return Vec::new();
    };
    let names: Vec<&str> = EntityKind::ALL.iter().map(|k| k.name()).collect();
    let mut out = Vec::new();
    for (key, _) in table.iter() {
        let name: &str = key.get_ref();
        let Some(kind) = EntityKind::from_name(name) else {
            r.error(
                key.span(),
                format!("unknown entity `{name}` in the evidence of intent `{intent}`"),
                Some(match super::reader::did_you_mean(name, &names) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("entities are: {}", names.join(", ")),
                }),
            );
            continue;
        };
        if let Some(weight) = r.number_in(table, name, 0.01, 2.0) {
            out.push((kind, weight.into_inner()));
        }
    }
    out
}
