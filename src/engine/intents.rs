//! Intent matching: commands, phrases (through the shared lexicon and a trie), patterns (each
//! behind its required literals, see [`PatternIndex`]) and entity evidence add weighted scores
//! per intent; the
//! best score wins, priority breaks ties, and the score and margin over the runner-up become a
//! confidence. Phrases and patterns see the message with entity words hidden (see
//! [`super::Engine`]); evidence comes from the entities themselves.

use super::hash::FxHashMap;
use super::lexicon::{Lexicon, PhraseHit, PhraseTrie, Resolved};
use super::model::EntityKind;
use super::normalise::{Normalised, PhraseReader};
use super::spec::IntentSpec;
use aho_corasick::automaton::{Automaton, OverlappingState};
use aho_corasick::nfa::contiguous::NFA as LiteralAutomaton;
#[cfg(not(target_arch = "wasm32"))]
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use serde::Serialize;
use std::ops::Range;
use std::sync::OnceLock;

/// Score a slash command gives its intent: enough for full confidence on its own.
const COMMAND_SCORE: f64 = 10.0;
/// Score multiplier for a phrase matched through a typo correction.
const TYPO_FACTOR: f64 = 0.85;
/// Each extra word of a phrase adds this share of its weight (longer phrases are more specific).
const LENGTH_BONUS_PER_WORD: f64 = 0.15;
const LENGTH_BONUS_MAX: f64 = 1.6;
/// How fast a score saturates towards confidence 1 (score 1.0 → 0.80, 2.0 → 0.96).
const SATURATION: f64 = 1.6;
/// How much a runner-up's score eats into the winner's confidence.
const RUNNER_UP_PENALTY: f64 = 0.5;
/// The most entity evidence can add to one intent: entities are context, so together they carry
/// a message that says nothing else ("rose gold rings under $500") but never outweigh one strong
/// phrase of another intent ("the clasp on my tennis bracelet snapped").
pub const EVIDENCE_CAP: f64 = 0.9;

/// What kind of rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Command,
    Phrase,
    Pattern,
    /// An entity the intent declared as evidence (`evidence = { category = 0.6 }`).
    Evidence,
}

/// One rule that fired for a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleHit {
    /// Rule id, e.g. `order_tracking.phrase.where is my order`.
    pub rule: String,
    pub intent: String,
    pub kind: RuleKind,
    /// Byte span in the original message.
    pub span: Range<usize>,
    /// The words of the message that fired it.
    pub matched_text: String,
    /// Score this hit added to its intent.
    pub score: f64,
    /// Typo corrections used, e.g. `refnd → refund`.
    pub corrections: Vec<String>,
}

/// An intent's total score for one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentScore {
    pub intent: String,
    pub score: f64,
    pub priority: i64,
}

/// The outcome of scoring one message.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentOutcome {
    /// Index of the winning intent, if any rule fired.
    pub winner: Option<usize>,
    pub confidence: f64,
    /// Rules that fired (by rule index), in firing order, deduplicated.
    pub fired: Vec<usize>,
    /// Totals of every intent that scored, best first.
    pub ranking: Vec<(usize, f64)>,
}

#[derive(Debug, Clone)]
struct CompiledIntent {
    id: String,
    priority: i64,
    typo_tolerant: bool,
}

#[derive(Debug, Clone)]
struct Rule {
    id: std::sync::Arc<str>,
    intent: usize,
    kind: RuleKind,
    weight: f64,
}

/// Intents compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct IntentMatcher {
    intents: Vec<CompiledIntent>,
    commands: FxHashMap<String, usize>,
    trie: PhraseTrie,
    /// Trie phrase id → rule index.
    phrase_rules: Vec<usize>,
    patterns: PatternIndex,
    /// Evidence rules by entity kind: (kind, rule index).
    evidence_rules: Vec<(EntityKind, usize)>,
    rules: Vec<Rule>,
}

/// A problem found while compiling intents (the loader reports these with file positions).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntentCompileError {
    #[error("intent `{intent}` pattern {index} is not a valid regex: {message}")]
    InvalidPattern {
        intent: String,
        index: usize,
        message: String,
    },
    #[error("intent `{intent}` phrase `{phrase}` has no words after normalisation")]
    EmptyPhrase { intent: String, phrase: String },
}

impl IntentMatcher {
    /// Compiles intents, interning their phrase words into `lexicon`. `precomputed` holds each
    /// pattern's prefilter literals if they were worked out already
    /// ([`super::EngineSpec::pattern_literals`]); a pattern without them is parsed here.
    pub fn compile(
        specs: &[IntentSpec],
        precomputed: &[Vec<PatternLiterals>],
        phrases: PhraseReader<'_>,
        lexicon: &mut Lexicon,
    ) -> Result<Self, Vec<IntentCompileError>> {
        // Precomputed literals count only if they have the rule set's shape.
        let shaped = precomputed.len() == specs.len()
            && specs
                .iter()
                .zip(precomputed)
                .all(|(s, p)| s.patterns.len() == p.len());
        let precomputed = if shaped { precomputed } else { &[] };
        let mut matcher = IntentMatcher::default();
        let mut errors = Vec::new();
        let mut literals = Vec::new();
        for (idx, spec) in specs.iter().enumerate() {
            matcher.intents.push(CompiledIntent {
                id: spec.id.clone(),
                priority: spec.priority,
                typo_tolerant: spec.typo_tolerant,
            });
            for command in &spec.commands {
                let rule = matcher.push_rule(
                    rule_name(&spec.id, "command", &[command]),
                    idx,
                    RuleKind::Command,
                    COMMAND_SCORE,
                );
                matcher.commands.insert(command.to_lowercase(), rule);
            }
            for phrase in &spec.phrases {
                let words = phrases.words(&phrase.text);
                if words.is_empty() {
                    errors.push(IntentCompileError::EmptyPhrase {
                        intent: spec.id.clone(),
                        phrase: phrase.text.clone(),
                    });
                    continue;
                }
                let ids: Vec<u32> = words.iter().map(|w| lexicon.intern(w)).collect();
                if spec.typo_tolerant {
                    for &id in &ids {
                        lexicon.allow_typos(id);
                    }
                }
                let bonus =
                    (1.0 + LENGTH_BONUS_PER_WORD * (words.len() - 1) as f64).min(LENGTH_BONUS_MAX);
                let rule = matcher.push_rule(
                    rule_name(&spec.id, "phrase", &words),
                    idx,
                    RuleKind::Phrase,
                    phrase.weight * bonus,
                );
                let phrase_id = matcher.trie.insert(&ids) as usize;
                debug_assert_eq!(phrase_id, matcher.phrase_rules.len());
                matcher.phrase_rules.push(rule);
            }
            for &(kind, weight) in &spec.evidence {
                let rule = matcher.push_rule(
                    rule_name(&spec.id, "evidence", &[kind.name()]),
                    idx,
                    RuleKind::Evidence,
                    weight,
                );
                matcher.evidence_rules.push((kind, rule));
            }
            for (index, pattern) in spec.patterns.iter().enumerate() {
                let found = match precomputed.get(idx).and_then(|p| p.get(index)) {
                    Some(lits) => Ok(lits.clone()),
                    None => pattern_literals(&pattern.text),
                };
                match found {
                    Ok(lits) => {
                        let rule = matcher.push_rule(
                            rule_name(&spec.id, "pattern", &[index.to_string()]),
                            idx,
                            RuleKind::Pattern,
                            pattern.weight,
                        );
                        literals.push(lits);
                        matcher.patterns.patterns.push(Pattern {
                            rule,
                            source: pattern.text.clone(),
                            regex: DualRegex::default(),
                        });
                    }
                    Err(message) => errors.push(IntentCompileError::InvalidPattern {
                        intent: spec.id.clone(),
                        index,
                        message,
                    }),
                }
            }
        }
        if let Err(message) = matcher.patterns.index_literals(literals) {
            errors.push(IntentCompileError::InvalidPattern {
                intent: "*".into(),
                index: 0,
                message,
            });
        }
        if errors.is_empty() {
            Ok(matcher)
        } else {
            Err(errors)
        }
    }

    fn push_rule(&mut self, id: String, intent: usize, kind: RuleKind, weight: f64) -> usize {
        self.rules.push(Rule {
            id: id.into(),
            intent,
            kind,
            weight,
        });
        self.rules.len() - 1
    }

    /// The id of intent `idx`.
    pub fn intent_id(&self, idx: usize) -> &str {
        self.intents.get(idx).map_or("", |i| i.id.as_str())
    }

    /// The id of rule `idx` (shared, so handing it out copies nothing).
    pub fn rule_id(&self, idx: usize) -> std::sync::Arc<str> {
        self.rules
            .get(idx)
            .map_or_else(|| std::sync::Arc::from(""), |r| r.id.clone())
    }

    /// The number of intent patterns.
    pub fn pattern_count(&self) -> usize {
        self.patterns.patterns.len()
    }

    /// Compiles pattern `i` for ASCII messages now, rather than when a message first needs it.
    pub fn warm_pattern(&self, i: usize) {
        if let Some(pattern) = self.patterns.patterns.get(i) {
            let _ = pattern.regex("");
        }
    }

    /// Ids of all intents.
    pub fn intent_ids(&self) -> impl Iterator<Item = &str> {
        self.intents.iter().map(|i| i.id.as_str())
    }

    /// Scores a message. `raw` is the original text (for commands), `message` its normalisation
    /// with entity words hidden, `resolved` its tokens resolved against the lexicon (hidden ones
    /// `None`), and `evidence` the entity kinds found.
    pub fn score(
        &self,
        raw: &str,
        message: &Normalised,
        resolved: &[Option<Resolved>],
        evidence: &[(EntityKind, Range<usize>)],
        hits: &mut Vec<PhraseHit>,
    ) -> IntentOutcome {
        let mut score_totals = Totals::new(self.intents.len());
        let scores = score_totals.as_mut_slice();
        let mut fired: Vec<usize> = Vec::new();
        let fire = |rule: usize, score: f64, scores: &mut [f64], fired: &mut Vec<usize>| {
            if fired.contains(&rule) {
                return;
            }
            fired.push(rule);
            scores[self.rules[rule].intent] += score;
        };

        if let Some(rule) = self.command_rule(raw) {
            fire(rule, self.rules[rule].weight, scores, &mut fired);
        }

        hits.clear();
        self.trie.find_all(resolved, hits);
        for (i, hit) in hits.iter().enumerate() {
            let rule = self.phrase_rules[hit.phrase as usize];
            let intent = &self.intents[self.rules[rule].intent];
            if hit.edits > 0 && !intent.typo_tolerant {
                continue;
            }
            if self.subsumed(hits, i) {
                continue;
            }
            let factor = if hit.edits > 0 { TYPO_FACTOR } else { 1.0 };
            fire(rule, self.rules[rule].weight * factor, scores, &mut fired);
        }

        if !message.text.is_empty() {
            self.patterns.each_match(&message.text, |rule| {
                fire(rule, self.rules[rule].weight, scores, &mut fired);
            });
        }

        if !evidence.is_empty() && !self.evidence_rules.is_empty() {
            let mut evidence_totals = Totals::new(self.intents.len());
            let totals = evidence_totals.as_mut_slice();
            for (kind, _) in evidence {
                for &(rule_kind, rule) in &self.evidence_rules {
                    if rule_kind == *kind && !fired.contains(&rule) {
                        fired.push(rule);
                        totals[self.rules[rule].intent] += self.rules[rule].weight;
                    }
                }
            }
            for (score, total) in scores.iter_mut().zip(totals.iter()) {
                *score += total.min(EVIDENCE_CAP);
            }
        }

        let mut ranking: Vec<(usize, f64)> = scores
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(i, s)| (i, *s))
            .collect();
        crate::engine::sort::sort_by(&mut ranking, |a, b| {
            b.1.total_cmp(&a.1)
                .then(self.intents[b.0].priority.cmp(&self.intents[a.0].priority))
                .then(a.0.cmp(&b.0))
        });
        let (winner, confidence) = match ranking.first() {
            Some(&(idx, best)) => {
                let second = ranking.get(1).map_or(0.0, |r| r.1);
                (Some(idx), confidence(best, second))
            }
            None => (None, 0.0),
        };
        IntentOutcome {
            winner,
            confidence,
            fired,
            ranking,
        }
    }

    /// Whether phrase hit `i` lies inside a longer phrase hit of another intent: the specific
    /// phrase speaks for those words ("more expensive" is a follow-up, not "expensive";
    /// "talk to you later" is a goodbye, not "talk to"). Phrases of one intent still add up.
    fn subsumed(&self, hits: &[PhraseHit], i: usize) -> bool {
        let hit = &hits[i];
        let intent = self.rules[self.phrase_rules[hit.phrase as usize]].intent;
        hits.iter().any(|other| {
            other.tokens.start <= hit.tokens.start
                && other.tokens.end >= hit.tokens.end
                && other.tokens.len() > hit.tokens.len()
                && self.rules[self.phrase_rules[other.phrase as usize]].intent != intent
                && (other.edits == 0
                    || self.intents[self.rules[self.phrase_rules[other.phrase as usize]].intent]
                        .typo_tolerant)
        })
    }

    fn command_rule(&self, raw: &str) -> Option<usize> {
        let trimmed = raw.trim_start();
        if !trimmed.starts_with('/') || self.commands.is_empty() {
            return None;
        }
        let word = trimmed.split_whitespace().next()?;
        if word.len() > 64 {
            return None;
        }
        self.commands.get(&word.to_lowercase()).copied()
    }

    /// Details of every rule that fired, for `explain`.
    pub fn describe_hits(
        &self,
        raw: &str,
        message: &Normalised,
        resolved: &[Option<Resolved>],
        evidence: &[(EntityKind, Range<usize>)],
        lexicon: &Lexicon,
        outcome: &IntentOutcome,
    ) -> Vec<RuleHit> {
        let mut out = Vec::new();
        let mut phrase_hits = Vec::new();
        self.trie.find_all(resolved, &mut phrase_hits);
        for &rule_idx in &outcome.fired {
            let rule = &self.rules[rule_idx];
            let intent = self.intents[rule.intent].id.clone();
            match rule.kind {
                RuleKind::Command => {
                    let start = raw.len() - raw.trim_start().len();
                    let end = start + raw.split_whitespace().next().map_or(0, str::len);
                    out.push(RuleHit {
                        rule: rule.id.to_string(),
                        intent,
                        kind: rule.kind,
                        span: start..end,
                        matched_text: raw[start..end].to_string(),
                        score: rule.weight,
                        corrections: Vec::new(),
                    });
                }
                RuleKind::Phrase => {
                    let Some(hit) = phrase_hits
                        .iter()
                        .find(|h| self.phrase_rules[h.phrase as usize] == rule_idx)
                    else {
                        continue;
                    };
                    let span = message.orig_span(hit.tokens.clone());
                    let corrections = hit
                        .tokens
                        .clone()
                        .filter_map(|t| match resolved[t] {
                            Some(r) if r.edits > 0 => {
                                Some(format!("{} → {}", message.word(t), lexicon.word(r.word)))
                            }
                            _ => None,
                        })
                        .collect();
                    let factor = if hit.edits > 0 { TYPO_FACTOR } else { 1.0 };
                    out.push(RuleHit {
                        rule: rule.id.to_string(),
                        intent,
                        kind: rule.kind,
                        matched_text: raw.get(span.clone()).unwrap_or("").to_string(),
                        span,
                        score: rule.weight * factor,
                        corrections,
                    });
                }
                RuleKind::Evidence => {
                    let Some(&(kind, _)) = self.evidence_rules.iter().find(|(_, r)| *r == rule_idx)
                    else {
                        continue;
                    };
                    let span = evidence
                        .iter()
                        .find(|(k, _)| *k == kind)
                        .map_or(0..0, |(_, s)| s.clone());
                    // Show what the hit added after the cap: each evidence hit of the intent
                    // shrinks in proportion.
                    let total: f64 = outcome
                        .fired
                        .iter()
                        .map(|&r| &self.rules[r])
                        .filter(|r| r.kind == RuleKind::Evidence && r.intent == rule.intent)
                        .map(|r| r.weight)
                        .sum();
                    let factor = if total > EVIDENCE_CAP {
                        EVIDENCE_CAP / total
                    } else {
                        1.0
                    };
                    out.push(RuleHit {
                        rule: rule.id.to_string(),
                        intent,
                        kind: rule.kind,
                        matched_text: raw.get(span.clone()).unwrap_or("").to_string(),
                        span,
                        score: rule.weight * factor,
                        corrections: Vec::new(),
                    });
                }
                RuleKind::Pattern => {
                    let Some(pattern) = self.patterns.patterns.iter().find(|p| p.rule == rule_idx)
                    else {
                        continue;
                    };
                    let norm_span = pattern
                        .regex(&message.text)
                        .and_then(|r| r.find(&message.text))
                        .map_or(0..0, |m| m.range());
                    let span = message.orig_span(message.tokens_in(norm_span));
                    out.push(RuleHit {
                        rule: rule.id.to_string(),
                        intent,
                        kind: rule.kind,
                        matched_text: raw.get(span.clone()).unwrap_or("").to_string(),
                        span,
                        score: rule.weight,
                        corrections: Vec::new(),
                    });
                }
            }
        }
        out
    }

    /// The ranking as named scores, for `explain`.
    pub fn describe_ranking(&self, outcome: &IntentOutcome) -> Vec<IntentScore> {
        outcome
            .ranking
            .iter()
            .map(|&(idx, score)| IntentScore {
                intent: self.intents[idx].id.clone(),
                score,
                priority: self.intents[idx].priority,
            })
            .collect()
    }
}

/// A rule's id, `intent.kind.words joined by spaces` (`browse.phrase.rose gold`), built with
/// one allocation: a rule set has a thousand of these and the Worker builds them in every fresh
/// isolate, where `format!` cost a tenth of the table build.
fn rule_name<S: AsRef<str>>(intent: &str, kind: &str, words: &[S]) -> String {
    let len = words.iter().map(|w| w.as_ref().len() + 1).sum::<usize>();
    let mut id = String::with_capacity(intent.len() + kind.len() + 1 + len);
    id.push_str(intent);
    id.push('.');
    id.push_str(kind);
    for (i, w) in words.iter().enumerate() {
        id.push(if i == 0 { '.' } else { ' ' });
        id.push_str(w.as_ref());
    }
    id
}

/// Most NFA bytes one intent pattern may compile to. The normalised text is short and patterns
/// are checked one at a time, so a pattern near this size is a mistake (a `\w{1,500}`), not a need:
/// the rules loader reports it at the pattern's `file:line:col`.
pub const PATTERN_SIZE_BUDGET: usize = 1 << 20;

/// The regex type the engine runs: `regex` natively (CLI, tests, benches); in the Worker,
/// `regex-lite`, which compiles a pattern with a fraction of the code and the work (a fresh
/// isolate compiles the regexes its first messages need, in baseline-compiled wasm) and leaves
/// regex's parser, compiler and Unicode tables out of the wasm. Its `\w`, `\d`, `\s`, `\b` and
/// case folding are ASCII, which is what `regex` does with Unicode off: on an ASCII haystack the
/// two agree (a property test checks every shipped pattern), and the rules loader refuses a
/// pattern regex-lite cannot compile (see `crate::rules`). Built with `--cfg aurora_lite`
/// (`LITE=1 scripts/classify-instructions`), the native engine runs regex-lite too.
#[cfg(not(any(target_arch = "wasm32", aurora_lite)))]
pub type Regex = regex::Regex;
#[cfg(any(target_arch = "wasm32", aurora_lite))]
pub type Regex = regex_lite::Regex;

/// Compiles one intent pattern within [`PATTERN_SIZE_BUDGET`].
#[cfg(not(target_arch = "wasm32"))]
pub fn compile_pattern(source: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(source)
        .size_limit(PATTERN_SIZE_BUDGET)
        .build()
}

/// Compiles a pattern as the Worker does (regex-lite, within [`PATTERN_SIZE_BUDGET`]).
pub fn compile_lite(source: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    regex_lite::RegexBuilder::new(source)
        .size_limit(PATTERN_SIZE_BUDGET)
        .build()
}

/// A pattern compiled the first time a message needs it. Natively it is compiled twice, each
/// the first time a message needs it: as written (Unicode classes), and with Unicode off for
/// haystacks that are all ASCII, as almost every message is. On an ASCII haystack the two match
/// exactly the same (`\w`, `\b`, `\d`, `\s` and case folding agree on ASCII), and the ASCII one
/// is a far smaller automaton: Unicode `\w` alone is hundreds of NFA states, which the matcher
/// walks for every byte. A pattern that cannot be compiled without Unicode (`.` could then
/// match a lone byte) uses the Unicode one throughout. In the Worker it is one regex-lite
/// regex (see [`Regex`]).
#[derive(Debug, Default)]
pub struct DualRegex {
    #[cfg(not(any(target_arch = "wasm32", aurora_lite)))]
    unicode: OnceLock<Option<Regex>>,
    ascii: OnceLock<Option<Regex>>,
}

impl Clone for DualRegex {
    fn clone(&self) -> Self {
        DualRegex::default()
    }
}

impl DualRegex {
    /// The regex to run on `haystack`, or `None` if `source` does not compile (it never
    /// matches then: fail closed).
    #[cfg(not(any(target_arch = "wasm32", aurora_lite)))]
    pub fn for_haystack(&self, source: &str, haystack: &str) -> Option<&Regex> {
        let unicode = || {
            self.unicode
                .get_or_init(|| compile_pattern(source).ok())
                .as_ref()
        };
        if !haystack.is_ascii() {
            return unicode();
        }
        self.ascii
            .get_or_init(|| {
                regex::RegexBuilder::new(source)
                    .unicode(false)
                    .size_limit(PATTERN_SIZE_BUDGET)
                    .build()
                    .ok()
            })
            .as_ref()
            .or_else(unicode)
    }

    /// The regex to run on `haystack`, or `None` if `source` does not compile (it never
    /// matches then: fail closed).
    #[cfg(any(target_arch = "wasm32", aurora_lite))]
    pub fn for_haystack(&self, source: &str, _haystack: &str) -> Option<&Regex> {
        self.ascii
            .get_or_init(|| compile_lite(source).ok())
            .as_ref()
    }
}

/// One intent pattern: its rule, its source and its regex, compiled the first time one of its
/// required literals occurs in a message (most patterns never run in most isolates).
#[derive(Debug, Clone)]
struct Pattern {
    rule: usize,
    source: String,
    regex: DualRegex,
}

impl Pattern {
    fn regex(&self, haystack: &str) -> Option<&Regex> {
        self.regex.for_haystack(&self.source, haystack)
    }
}

/// Every intent pattern behind one literal prefilter, so classifying costs about the same with
/// thirty patterns or three hundred: each pattern's required literals (every match starts with
/// one of its prefixes and ends with one of its suffixes; from regex-syntax's literal extraction)
/// go into one Aho-Corasick automaton, and a pattern runs only when a prefix and a suffix of its
/// occur in the message. Patterns without usable literals (`\w+ing`) run on every message.
#[derive(Debug, Clone, Default)]
struct PatternIndex {
    patterns: Vec<Pattern>,
    /// The distinct literals of all patterns.
    literals: Option<LiteralAutomaton>,
    /// Literal id → the patterns that require it, each as `pattern << 1 | side` (side 0: a
    /// prefix, 1: a suffix).
    owners: Vec<Vec<u32>>,
    /// Bit sets over patterns (64 a word): those with prefixes, those with suffixes, all.
    need_prefix: Vec<u64>,
    need_suffix: Vec<u64>,
    exists: Vec<u64>,
    /// Whether some pattern has no literals and runs on every message.
    runs_always: bool,
}

/// The prefilter literals of one intent pattern ([`pattern_literals`]): the literals one of
/// which every match of its ASCII reading starts with, and those one of which every match ends
/// with; `None` for a side without a usable set. Both `None`: the pattern runs on every message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct PatternLiterals {
    #[serde(default)]
    pub prefixes: Option<Vec<String>>,
    #[serde(default)]
    pub suffixes: Option<Vec<String>>,
}

/// The prefilter literals of one intent pattern: the literals one of which every match of its
/// ASCII reading starts with and those one of which it ends with (see [`PatternLiterals`]);
/// `Err` if the pattern does not parse. The ASCII reading is cheap to translate (no Unicode
/// classes) and exact for ASCII messages; a message with other characters runs every pattern
/// (see `PatternIndex::each_match`). `build.rs` works these out for the Worker
/// ([`super::EngineSpec::for_worker`]), whose isolates then never parse a pattern to build their
/// tables; the Worker has no literal extractor at all and runs a pattern without precomputed
/// literals on every message.
pub fn pattern_literals(source: &str) -> Result<PatternLiterals, String> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(source)
            .map_err(|e| e.to_string())?;
        let text = |lits: Vec<Vec<u8>>| {
            lits.into_iter()
                .map(|l| String::from_utf8(l).ok())
                .collect::<Option<Vec<String>>>()
        };
        Ok(PatternLiterals {
            prefixes: required_literals(&hir, ExtractKind::Prefix).and_then(text),
            suffixes: required_literals(&hir, ExtractKind::Suffix).and_then(text),
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = source;
        Ok(PatternLiterals::default())
    }
}

/// The literals one of which every match of `hir` starts with (`kind` Prefix) or ends with
/// (Suffix), or `None` when there is no such finite set of non-empty literals. As extracted
/// (`is my `, `is the `, `is our `) when there are few, so a pattern runs on the messages that hold
/// its words and not on every `is `; else as regex-syntax trims them for a prefilter.
#[cfg(not(target_arch = "wasm32"))]
fn required_literals(hir: &regex_syntax::hir::Hir, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let usable = |seq: Seq| -> Option<Vec<Vec<u8>>> {
        let lits = seq.literals()?;
        (!lits.is_empty() && lits.iter().all(|l| !l.as_bytes().is_empty()))
            .then(|| lits.iter().map(|l| l.as_bytes().to_vec()).collect())
    };
    let prefix = matches!(kind, ExtractKind::Prefix);
    let extract = || Extractor::new().kind(kind.clone()).extract(hir);
    // Each literal cut to its first (a prefix) or last (a suffix) bytes: still required, about as
    // selective (`where is`), and the automaton stays small for a fresh isolate to build.
    let cut = |mut lits: Vec<Vec<u8>>| {
        for lit in &mut lits {
            if lit.len() > MAX_LITERAL_LEN {
                *lit = if prefix {
                    lit[..MAX_LITERAL_LEN].to_vec()
                } else {
                    lit[lit.len() - MAX_LITERAL_LEN..].to_vec()
                };
            }
        }
        crate::engine::sort::sort(&mut lits);
        lits.dedup();
        lits
    };
    usable(extract())
        .map(cut)
        .filter(|lits| lits.len() <= MAX_PATTERN_LITERALS)
        .or_else(|| {
            let mut seq = extract();
            if prefix {
                seq.optimize_for_prefix_by_preference();
            } else {
                seq.optimize_for_suffix_by_preference();
            }
            // Cut too: a pattern naming many words (`by|before|in time for` + every weekday and
            // holiday) otherwise embeds hundreds of whole literals in the Worker's rule set.
            usable(seq).map(cut)
        })
}

/// Most literals one pattern may put in the prefilter automaton untrimmed.
#[cfg(not(target_arch = "wasm32"))]
const MAX_PATTERN_LITERALS: usize = 8;

/// Longest prefilter literal kept (longer ones are cut to their first or last bytes).
#[cfg(not(target_arch = "wasm32"))]
const MAX_LITERAL_LEN: usize = 5;

impl PatternIndex {
    /// Builds the literal automaton from each pattern's literals (by pattern index).
    fn index_literals(&mut self, literals: Vec<PatternLiterals>) -> Result<(), String> {
        let mut ids: FxHashMap<String, usize> = FxHashMap::default();
        let mut distinct: Vec<String> = Vec::new();
        for (pattern, lits) in literals.into_iter().enumerate() {
            let mut sides = 0u8;
            for (side, set) in [lits.prefixes, lits.suffixes].into_iter().enumerate() {
                let Some(set) = set else { continue };
                sides |= 1 << side;
                let owner = (pattern as u32) << 1 | side as u32;
                for lit in set {
                    let id = *ids.entry(lit.clone()).or_insert_with(|| {
                        distinct.push(lit);
                        self.owners.push(Vec::new());
                        distinct.len() - 1
                    });
                    if !self.owners[id].contains(&owner) {
                        self.owners[id].push(owner);
                    }
                }
            }
            if sides == 0 {
                self.runs_always = true;
            }
            let (w, bit) = (pattern / 64, 1u64 << (pattern % 64));
            for set in [
                &mut self.need_prefix,
                &mut self.need_suffix,
                &mut self.exists,
            ] {
                if set.len() <= w {
                    set.resize(w + 1, 0);
                }
            }
            if sides & 1 != 0 {
                self.need_prefix[w] |= bit;
            }
            if sides & 2 != 0 {
                self.need_suffix[w] |= bit;
            }
            self.exists[w] |= bit;
        }
        if !distinct.is_empty() {
            // A contiguous NFA: a few lookups per byte of the message, whatever the number of
            // literals. A DFA searches about 6 % faster per message (15,853 against 16,871
            // instructions, `scripts/classify-instructions`) but costs a fresh isolate a tenth
            // of its table build, and its builder is wasm the Worker need not carry.
            // Built as that type itself, not through `AhoCorasick` (which chooses its kind at
            // run time), so the Worker carries no DFA and no dispatch over automaton kinds.
            let ac = LiteralAutomaton::builder()
                .build(&distinct)
                .map_err(|e| e.to_string())?;
            self.literals = Some(ac);
        }
        Ok(())
    }

    /// Calls `fire` with the rule of every pattern that matches `text`, in declaration order.
    fn each_match(&self, text: &str, mut fire: impl FnMut(usize)) {
        if !text.is_ascii() {
            // The literals were read in ASCII mode; with other characters about, every pattern runs.
            for pattern in &self.patterns {
                if pattern.regex(text).is_some_and(|r| r.is_match(text)) {
                    fire(pattern.rule);
                }
            }
            return;
        }
        // Candidates as bit sets, one per side (on the stack for up to 512 patterns): sorted and
        // deduplicated for free, no allocation per message.
        let words = self.patterns.len().div_ceil(64);
        let mut stack = [[0u64; 8]; 2];
        let mut heap = Vec::new();
        let (pre, suf): (&mut [u64], &mut [u64]) = if words <= 8 {
            let [a, b] = &mut stack;
            (&mut a[..words], &mut b[..words])
        } else {
            heap.resize(2 * words, 0);
            heap.split_at_mut(words)
        };
        let mut any = false;
        if let Some(ac) = &self.literals {
            let input = aho_corasick::Input::new(text);
            let mut state = OverlappingState::start();
            // A contiguous NFA of `MatchKind::Standard` (the builder's default) answers every
            // overlapping search; an error here would be a bug, and it ends the search.
            while ac.try_find_overlapping(&input, &mut state).is_ok() {
                let Some(m) = state.get_match() else { break };
                for &owner in &self.owners[m.pattern().as_usize()] {
                    let i = (owner >> 1) as usize;
                    let bits = if owner & 1 == 0 { &mut *pre } else { &mut *suf };
                    bits[i / 64] |= 1 << (i % 64);
                    any = true;
                }
            }
        }
        if !any && !self.runs_always {
            return;
        }
        // A pattern is a candidate when each side it has literals for has a hit (or it has none).
        for (w, (&p, &s)) in pre.iter().zip(suf.iter()).enumerate() {
            let mut word = self.exists[w] & (p | !self.need_prefix[w]) & (s | !self.need_suffix[w]);
            while word != 0 {
                let i = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let pattern = &self.patterns[i];
                if pattern.regex(text).is_some_and(|r| r.is_match(text)) {
                    fire(pattern.rule);
                }
            }
        }
    }
}

/// One number per intent, on the stack for rule sets of up to 32 intents (no allocation per
/// message: an empty `Vec` allocates nothing), on the heap beyond.
struct Totals {
    stack: [f64; 32],
    heap: Vec<f64>,
    len: usize,
}

impl Totals {
    fn new(intents: usize) -> Totals {
        Totals {
            stack: [0.0; 32],
            heap: if intents > 32 {
                vec![0.0; intents]
            } else {
                Vec::new()
            },
            len: intents,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [f64] {
        if self.len <= self.stack.len() {
            &mut self.stack[..self.len]
        } else {
            &mut self.heap
        }
    }
}

/// Confidence from the winner's score and the runner-up's: saturates with the score, shrinks
/// when another intent scored close to the winner.
pub fn confidence(best: f64, second: f64) -> f64 {
    if best <= 0.0 {
        return 0.0;
    }
    let saturation = 1.0 - (-SATURATION * best).exp();
    let margin = best / (best + RUNNER_UP_PENALTY * second);
    (saturation * margin).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped intent patterns behind the prefilter, each with the `regex` build that runs
    /// it unconditionally; and the messages and rule examples to try.
    #[cfg(not(target_arch = "wasm32"))]
    fn shipped() -> &'static (PatternIndex, Vec<regex::Regex>, Vec<String>) {
        static SHIPPED: OnceLock<(PatternIndex, Vec<regex::Regex>, Vec<String>)> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            let loaded = crate::rules::compile_sources(crate::embedded::sources()).expect("rules");
            let intents = &loaded.spec.intents;
            let sources: Vec<&String> = intents
                .iter()
                .flat_map(|i| i.patterns.iter().map(|p| &p.text))
                .collect();
            let mut index = PatternIndex::default();
            for (rule, source) in sources.iter().enumerate() {
                index.patterns.push(Pattern {
                    rule,
                    source: source.to_string(),
                    regex: DualRegex::default(),
                });
            }
            let literals = sources.iter().map(|s| pattern_literals(s).expect("parses"));
            index
                .index_literals(literals.collect())
                .expect("literal automaton");
            let brute = sources
                .iter()
                .map(|s| compile_pattern(s).expect("compiles"));
            let corpus = concat!(
                include_str!("../../tests/data/shopper-queries.tsv"),
                include_str!("../../tests/data/tiny-corpus.tsv")
            );
            let mut texts: Vec<String> = corpus
                .lines()
                .map(|l| l.split('\t').next().unwrap_or_default().to_lowercase())
                .collect();
            for intent in intents {
                texts.extend(intent.examples.iter().map(|e| e.to_lowercase()));
                texts.extend(intent.counterexamples.iter().map(|e| e.to_lowercase()));
            }
            (index, brute.collect(), texts)
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn prefiltered_and_brute_force(text: &str) -> (Vec<usize>, Vec<usize>) {
        let (index, brute, _) = shipped();
        let mut fired = Vec::new();
        index.each_match(text, |rule| fired.push(rule));
        let all = (0..brute.len())
            .filter(|&i| brute[i].is_match(text))
            .collect();
        (fired, all)
    }

    /// The prefilter (a prefix and a suffix of each pattern must occur) never skips a pattern
    /// that matches: on every corpus message and rule example, the patterns that fire are
    /// exactly those that match when every pattern runs; and patterns do fire.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_prefilter_skips_no_pattern_that_matches() {
        let (_, _, texts) = shipped();
        let mut fired = 0;
        for text in texts {
            let (prefiltered, all) = prefiltered_and_brute_force(text);
            assert_eq!(prefiltered, all, "{text:?}");
            fired += all.len();
        }
        assert!(
            texts.len() > 300 && fired > 30,
            "{} texts, {fired} matches",
            texts.len()
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// The same on word salad made of the patterns' own words, where literals occur in
        /// every arrangement.
        #[test]
        fn the_prefilter_skips_no_pattern_on_word_salad(
            words in proptest::collection::vec(
                "(is|my|the|our|order|package|where|how|when|will|can|i|we|get|it|to|a|been|\
                  day|days|week|over|since|help|buy|best|for|me|which|are|change|cancel|talk|with|\
                  stylist|call|too|small|resize|size|money|back|more|next|real|this|coming|\
                  status|shipped|long|take|by|before|in time for|friday|christma|her|birthday|\
                  send|them|stone|loose|came|keeps falling|off|turning|green|fix|return|\
                  [0-9]{1,3}|[a-z]{1,5})",
                0..12,
            )
        ) {
            let text = words.join(" ");
            let (prefiltered, all) = prefiltered_and_brute_force(&text);
            proptest::prop_assert_eq!(prefiltered, all, "{:?}", text);
        }
    }

    #[test]
    fn confidence_grows_with_score_and_shrinks_with_competition() {
        assert!(confidence(1.0, 0.0) > 0.75);
        assert!(confidence(2.0, 0.0) > confidence(1.0, 0.0));
        assert!(confidence(1.0, 1.0) < confidence(1.0, 0.0));
        assert!(
            confidence(0.4, 0.0) < 0.5,
            "one weak rule stays below the default threshold"
        );
        assert!(confidence(0.8, 0.0) > 0.5, "two weak rules carry an intent");
        assert_eq!(confidence(0.0, 0.0), 0.0);
        assert!(confidence(100.0, 0.0) <= 1.0);
    }
}
