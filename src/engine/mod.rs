//! Pure decision code: normalise a message, extract entities, match intents with the entities'
//! evidence, decide rollout. No I/O, no TOML and no `worker`: it runs the same natively and in
//! wasm.
//!
//! One pipeline, in this order (snips-nlu's): normalise → extract entities with spans → hide
//! the words of prices, order numbers, emails and ring sizes from intent phrases and patterns
//! (each run becomes a `{price}`-style placeholder) → score intents, adding each entity kind's
//! declared evidence → decide. `explain` reports every step.

pub(crate) mod domain;
pub(crate) mod entities;
pub(crate) mod hash;
pub(crate) mod intents;
/// The Worker's regex build of a pattern (regex-lite; see the engine's `intents` module).
pub use intents::compile_lite;
pub(crate) mod lexicon;
pub(crate) mod model;
pub(crate) mod murmur3;
pub(crate) mod normalise;
pub(crate) mod price;
pub(crate) mod redact;
pub(crate) mod reply;
pub(crate) mod rollout;
pub(crate) mod sort;
pub(crate) mod spec;

pub use domain::Domain;
pub use entities::{EntityCompileError, EntityMention, EntitySpans};
pub use intents::{IntentCompileError, IntentScore, RuleHit, RuleKind};
pub use model::*;
pub use murmur3::murmur3_32;
pub use price::{parse_decimal, PriceMatch, PriceParser};
pub use redact::{question_key, Personal, Redacted};
pub use reply::{CoreIntent, NextStep, ReplySpec};
pub use rollout::{bucket_of, feature_bucket_of, Rollout, BUCKETS};
pub use spec::EngineSpec;

use entities::EntityExtractor;
use intents::IntentMatcher;
use lexicon::Lexicon;
use normalise::Normaliser;
use serde::Serialize;

/// The compiled rule set. Built once (per process, per Worker isolate) and shared.
///
/// Its identity (version, hash, thresholds, rollout, domain, replies) is ready at once; the
/// tables that classify messages ([`Matcher`]) are built by [`Engine::compile`] up front, or, for
/// an engine made with [`Engine::deferred`] (the Worker's), on the first message or by
/// [`Engine::warm`], so a fresh isolate answers `/health` and `/v1/flags` without building them.
#[derive(Debug, Clone)]
pub struct Engine {
    rules_version: std::sync::Arc<str>,
    content_hash: String,
    thresholds: Thresholds,
    rollout: Rollout,
    matcher: std::sync::OnceLock<Matcher>,
    /// The rule set a deferred engine builds its matcher from.
    deferred: Option<Deferred>,
    domain: Domain,
    /// [`Engine::domain`] serialised, on first use.
    domain_json: std::sync::OnceLock<Box<serde_json::value::RawValue>>,
    /// The fixed replies of the intents that are not [`CoreIntent`]s, by intent id.
    replies: std::collections::HashMap<String, ReplySpec>,
}

/// Where a deferred engine's rule set comes from.
#[derive(Debug, Clone)]
enum Deferred {
    Spec(std::sync::Arc<EngineSpec>),
    /// An [`EngineSpec`] as [`EngineSpec::encode`] wrote it, read when the matcher is built.
    Encoded(&'static [u8]),
}

/// The tables that classify a message: normaliser, lexicon, intent and entity matchers.
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    normaliser: Normaliser,
    lexicon: Lexicon,
    intents: IntentMatcher,
    entities: EntityExtractor,
}

impl Matcher {
    fn compile(spec: &EngineSpec) -> Result<Matcher, Vec<CompileError>> {
        let normaliser = Normaliser::new(&spec.language.aliases);
        let mut lexicon = Lexicon::default();
        lexicon.set_never_correct(spec.language.never_correct.iter().map(|w| w.to_lowercase()));
        let mut errors: Vec<CompileError> = Vec::new();
        let phrases = if spec.phrases_normalised {
            normalise::PhraseReader::Normalised
        } else {
            normalise::PhraseReader::Normalise(&normaliser)
        };
        let intents =
            IntentMatcher::compile(&spec.intents, &spec.pattern_literals, phrases, &mut lexicon)
                .map_err(|e| errors.extend(e.into_iter().map(CompileError::from)))
                .ok();
        let entities = EntityExtractor::compile(&spec.entities, &normaliser, &mut lexicon)
            .map_err(|e| errors.extend(e.into_iter().map(CompileError::from)))
            .ok();
        // Stopwords are known words: they resolve, so they never count as unrecognised (and no
        // phrase or typo correction uses them).
        for word in &spec.language.stopwords {
            for w in phrases.words(word) {
                lexicon.intern(&w);
            }
        }
        match (intents, entities) {
            (Some(intents), Some(entities)) if errors.is_empty() => Ok(Matcher {
                normaliser,
                lexicon,
                intents,
                entities,
            }),
            _ => Err(errors),
        }
    }
}

/// Why a rule set failed to compile; the loader turns these into file positions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    #[error(transparent)]
    Intent(#[from] IntentCompileError),
    #[error(transparent)]
    Entity(#[from] EntityCompileError),
}

/// Everything `explain` knows about one message: the classification, every rule that fired with
/// its span and score, each intent's total, where entities came from, and why the winner won.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub classification: Classification,
    /// The message after normalisation.
    pub normalised: String,
    /// What intent phrases and patterns saw: entity words replaced by `{price}`-style placeholders.
    pub intent_text: String,
    pub hits: Vec<RuleHit>,
    /// Intent totals, best first.
    pub scores: Vec<IntentScore>,
    pub entity_spans: EntitySpans,
    pub min_confidence: f64,
    /// One sentence on how the decision was made.
    pub reason: String,
}

/// Longest message (in words) whose unknown words count as [`EntityKind::Unrecognised`] evidence.
pub const UNRECOGNISED_MAX_WORDS: usize = 5;

/// Scratch buffers reused across classifications on one thread, so a message costs no
/// allocations for its normalised text, tokens, resolved ids or phrase hits.
#[derive(Default)]
struct Scratch {
    message: normalise::Normalised,
    raw: String,
    resolved: Vec<Option<lexicon::Resolved>>,
    hits: Vec<lexicon::PhraseHit>,
    found: Vec<entities::Found>,
    masked: Vec<std::ops::Range<usize>>,
    /// The message with entity words hidden, when any were (else the message itself is used).
    hidden: normalise::Normalised,
    hidden_resolved: Vec<Option<lexicon::Resolved>>,
    evidence: Vec<(EntityKind, std::ops::Range<usize>)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Engine {
    /// Compiles a validated rule set. Collects every failure rather than stopping at the first.
    pub fn compile(spec: &EngineSpec) -> Result<Engine, Vec<CompileError>> {
        let matcher = Matcher::compile(spec)?;
        let engine = Engine {
            domain: Domain::of(&matcher.entities, &spec.thresholds),
            matcher: std::sync::OnceLock::from(matcher),
            ..Engine::identity(spec)
        };
        Ok(engine)
    }

    /// An engine whose identity is ready now and whose matcher is built on first use (or by
    /// [`Engine::warm`]). For a rule set already validated (the Worker's embedded rules, checked
    /// by `build.rs`); should it fail to compile anyway, every message is `unknown`.
    pub fn deferred(spec: EngineSpec) -> Engine {
        let spec = std::sync::Arc::new(spec);
        Engine {
            deferred: Some(Deferred::Spec(spec.clone())),
            ..Engine::identity(&spec)
        }
    }

    /// [`Engine::deferred`] from two forms of one rule set: `identity`, which may lack what only
    /// the classification tables need (phrases, patterns, the language section), now, and the
    /// whole rule set as [`EngineSpec::encode`] wrote it, read when the tables are built. The
    /// Worker's fresh isolate reads a few KB before its first answer instead of the whole rule
    /// set.
    pub fn deferred_encoded(identity: &EngineSpec, rules: &'static [u8]) -> Engine {
        Engine {
            deferred: Some(Deferred::Encoded(rules)),
            ..Engine::identity(identity)
        }
    }

    /// Everything but the matcher.
    fn identity(spec: &EngineSpec) -> Engine {
        Engine {
            domain: Domain::from_spec(&spec.entities, &spec.thresholds),
            rules_version: spec.rules_version.as_str().into(),
            content_hash: spec.content_hash.clone(),
            thresholds: spec.thresholds.clone(),
            rollout: Rollout::new(spec.rollout.clone()),
            matcher: std::sync::OnceLock::new(),
            deferred: None,
            domain_json: std::sync::OnceLock::new(),
            replies: spec
                .intents
                .iter()
                .filter_map(|i| Some((i.id.clone(), i.reply.clone()?)))
                .collect(),
        }
    }

    pub(super) fn matcher(&self) -> &Matcher {
        self.matcher.get_or_init(|| {
            let compiled = match &self.deferred {
                Some(Deferred::Spec(spec)) => Matcher::compile(spec).ok(),
                Some(Deferred::Encoded(bytes)) => EngineSpec::decode(bytes)
                    .ok()
                    .filter(|spec| spec.content_hash == self.content_hash)
                    .and_then(|spec| Matcher::compile(&spec).ok()),
                None => None,
            };
            compiled.unwrap_or_default()
        })
    }

    /// Builds the matcher now if it is not built yet. (Its regexes stay compiled on first need;
    /// [`Engine::warm_piece`] compiles them too.)
    pub fn warm(&self) {
        let _ = self.matcher();
    }

    /// Warms the engine one piece at a time, so a Worker isolate can do it between requests:
    /// piece 0 builds the classification tables, piece 1 the typo index, each later piece
    /// compiles one regex (intent patterns, then entity patterns) for ASCII messages. Returns
    /// `false` once `piece` is past the last one. A warmed isolate's first message builds and
    /// compiles nothing.
    pub fn warm_piece(&self, piece: usize) -> bool {
        let matcher = self.matcher();
        let Some(n) = piece.checked_sub(2) else {
            if piece == 1 {
                matcher.lexicon.warm();
            }
            return true;
        };
        let intents = matcher.intents.pattern_count();
        if n < intents {
            matcher.intents.warm_pattern(n);
            return true;
        }
        if n - intents < matcher.entities.regex_count() {
            matcher.entities.warm_regex(n - intents);
            return true;
        }
        false
    }

    /// Whether the matcher is built (for tests and `/v1/admin/isolate`).
    pub fn is_warm(&self) -> bool {
        self.matcher.get().is_some()
    }

    /// Classifies one shopper message.
    pub fn classify(&self, text: &str) -> Classification {
        self.run(text, None)
    }

    /// Classifies one message and reports every rule that fired and why the winner won.
    pub fn explain(&self, text: &str) -> Explanation {
        let mut explanation = Explanation {
            classification: self.classify(text),
            normalised: String::new(),
            intent_text: String::new(),
            hits: Vec::new(),
            scores: Vec::new(),
            entity_spans: EntitySpans::default(),
            min_confidence: self.thresholds.min_confidence,
            reason: String::new(),
        };
        self.run(text, Some(&mut explanation));
        explanation
    }

    fn run(&self, text: &str, explain: Option<&mut Explanation>) -> Classification {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.run_with(text, explain, &mut scratch),
            // Only reachable if a classification re-enters on this thread; use fresh buffers.
            Err(_) => self.run_with(text, explain, &mut Scratch::default()),
        })
    }

    fn run_with(
        &self,
        text: &str,
        explain: Option<&mut Explanation>,
        scratch: &mut Scratch,
    ) -> Classification {
        let Scratch {
            message,
            raw,
            resolved,
            hits,
            found,
            masked,
            hidden,
            hidden_resolved,
            evidence,
        } = scratch;
        let m = self.matcher();
        m.normaliser.normalise_into(text, message, raw);
        m.lexicon.resolve_into(message, resolved);
        let entities = m
            .entities
            .extract(text, message, resolved, hits, found, masked);
        evidence.clear();
        for f in found.iter() {
            if !evidence.iter().any(|(k, _)| *k == f.kind) {
                evidence.push((f.kind, f.span.clone()));
            }
        }
        if let Some(span) = self.unrecognised(message, resolved, found, masked) {
            evidence.push((EntityKind::Unrecognised, span));
        }
        if entities.category.is_some() && !evidence.iter().any(|(k, _)| *k == EntityKind::Category)
        {
            // Implied by a style: the style's words are the evidence.
            if let Some(style) = found.iter().find(|f| f.kind == EntityKind::Style) {
                evidence.push((EntityKind::Category, style.span.clone()));
            }
        }
        let any_hidden = hide_entities(message, resolved, found, hidden, hidden_resolved);
        let (intent_message, intent_resolved) = if any_hidden {
            (&*hidden, &hidden_resolved[..])
        } else {
            (&*message, &resolved[..])
        };
        let outcome = m
            .intents
            .score(text, intent_message, intent_resolved, evidence, hits);
        let min = self.thresholds.min_confidence;
        let intent = match outcome.winner {
            Some(idx) if outcome.confidence >= min => m.intents.intent_id(idx).to_string(),
            _ => UNKNOWN_INTENT.to_string(),
        };
        let classification = Classification {
            text: text.to_string(),
            intent,
            confidence: round4(outcome.confidence),
            entities,
            matched: outcome
                .fired
                .iter()
                .map(|&r| m.intents.rule_id(r))
                .collect(),
            rules_version: self.rules_version.clone(),
        };
        if let Some(out) = explain {
            out.normalised = message.text.clone();
            out.intent_text = intent_message.text.clone();
            out.hits = m.intents.describe_hits(
                text,
                intent_message,
                intent_resolved,
                evidence,
                &m.lexicon,
                &outcome,
            );
            out.scores = m.intents.describe_ranking(&outcome);
            out.entity_spans = self.describe_entities(text, found, masked);
            out.reason = self.reason(&outcome, &classification);
        }
        classification
    }

    /// The first word the rules do not know, in a message of at most
    /// [`UNRECOGNISED_MAX_WORDS`] words: not a rule word (or a typo of one) nor a stopword (both
    /// resolve in the lexicon), not
    /// inside an entity or a masked span (`AUR-`, `14k gold`), letters only. A short message naming something unknown is most likely
    /// a product search ("peridot", "fish oil", "pillows").
    fn unrecognised(
        &self,
        message: &normalise::Normalised,
        resolved: &[Option<lexicon::Resolved>],
        found: &[entities::Found],
        masked: &[std::ops::Range<usize>],
    ) -> Option<std::ops::Range<usize>> {
        if message.tokens.len() > UNRECOGNISED_MAX_WORDS {
            return None;
        }
        (0..message.tokens.len()).find_map(|i| {
            let word = message.word(i);
            let token = &message.tokens[i];
            let unknown = resolved.get(i).is_some_and(Option::is_none)
                && word.len() >= 3
                && word.chars().all(char::is_alphabetic)
                && !found
                    .iter()
                    .map(|f| &f.span)
                    .chain(masked)
                    .any(|span| token.orig.start >= span.start && token.orig.end <= span.end);
            unknown.then(|| token.orig.clone())
        })
    }

    fn describe_entities(
        &self,
        text: &str,
        found: &[entities::Found],
        masked: &[std::ops::Range<usize>],
    ) -> EntitySpans {
        let mut spans = EntitySpans {
            masked: masked.to_vec(),
            ..EntitySpans::default()
        };
        let named_category = found.iter().any(|f| f.kind == EntityKind::Category);
        for f in found {
            let words = text.get(f.span.clone()).unwrap_or("").to_string();
            let value = match f.kind {
                EntityKind::Category
                | EntityKind::Style
                | EntityKind::Metal
                | EntityKind::Unsupported => self.matcher().entities.describe(f),
                _ => words.clone(),
            };
            let value = if f.negated {
                format!("not {value}")
            } else {
                value
            };
            if f.kind.masks_intents() || f.negated {
                spans.hidden_from_intents.push(f.span.clone());
            }
            spans.mentions.push(EntityMention {
                kind: f.kind,
                value: value.clone(),
                span: f.span.clone(),
                text: words.clone(),
                implied_by: None,
            });
            if let (false, Some(category)) =
                (named_category, self.matcher().entities.implied_category(f))
            {
                spans.mentions.push(EntityMention {
                    kind: EntityKind::Category,
                    value: category.to_string(),
                    span: f.span.clone(),
                    text: words,
                    implied_by: Some(value),
                });
            }
        }
        spans
    }

    fn reason(&self, outcome: &intents::IntentOutcome, result: &Classification) -> String {
        let min = self.thresholds.min_confidence;
        let Some(&(winner, best)) = outcome.ranking.first() else {
            return format!("no rule fired, so the intent is `{UNKNOWN_INTENT}`");
        };
        let name = self.matcher().intents.intent_id(winner);
        let mut reason = match outcome.ranking.get(1) {
            None => format!("`{name}` was the only intent that scored ({best:.2})"),
            Some(&(second, score)) if (score - best).abs() < 1e-9 => format!(
                "`{name}` tied with `{}` at {best:.2} and won on priority",
                self.matcher().intents.intent_id(second)
            ),
            Some(&(second, score)) => format!(
                "`{name}` scored {best:.2}, ahead of `{}` at {score:.2}",
                self.matcher().intents.intent_id(second)
            ),
        };
        if result.intent == UNKNOWN_INTENT {
            reason.push_str(&format!(
                "; its confidence {:.2} is below min_confidence {min:.2}, so the intent is `{UNKNOWN_INTENT}`",
                outcome.confidence
            ));
        } else {
            reason.push_str(&format!(
                "; confidence {:.2} ≥ min_confidence {min:.2}",
                outcome.confidence
            ));
        }
        reason
    }

    /// Ids of the declared intents, in declaration order.
    pub fn intent_ids(&self) -> impl Iterator<Item = &str> {
        self.matcher().intents.intent_ids()
    }

    /// The rules `version` string from the manifest, e.g. `2026.11.25-1`.
    pub fn rules_version(&self) -> &str {
        &self.rules_version
    }

    /// Content hash of the rule files (hex), so two builds with the same version string can be told apart.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// Every tunable number, from the thresholds rule file.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// The compiled rollout, from the rollout rule file.
    pub fn rollout(&self) -> &Rollout {
        &self.rollout
    }

    /// The shop's domain as the rules declare it: categories, metals, styles, what is not sold,
    /// the order-number format and ring sizes. The API validates against it and `/v1/flags`
    /// hands it to the widget, so nothing downstream hard-codes it.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// [`Engine::domain`] as JSON, serialised once: `/v1/flags` sends it with every answer.
    pub fn domain_json(&self) -> &serde_json::value::RawValue {
        self.domain_json
            .get_or_init(|| serde_json::value::to_raw_value(&self.domain).unwrap_or_default())
    }
}

/// Fills `out` with `message` where every token inside an entity that hides words from intents
/// (price, order number, email, ring size) is replaced: each run by one `{kind}` placeholder
/// token that resolves to nothing. Returns whether anything was hidden (else `out` is untouched).
fn hide_entities(
    message: &normalise::Normalised,
    resolved: &[Option<lexicon::Resolved>],
    found: &[entities::Found],
    out: &mut normalise::Normalised,
    out_resolved: &mut Vec<Option<lexicon::Resolved>>,
) -> bool {
    if !found.iter().any(|f| f.kind.masks_intents() || f.negated) {
        return false;
    }
    out.text.clear();
    out.tokens.clear();
    out_resolved.clear();
    let mut any = false;
    let mut last_entity: Option<usize> = None;
    for (i, token) in message.tokens.iter().enumerate() {
        let entity = found.iter().position(|f| {
            (f.kind.masks_intents() || f.negated)
                && token.orig.start >= f.span.start
                && token.orig.end <= f.span.end
        });
        let Some(e) = entity else {
            last_entity = None;
            if !out.text.is_empty() {
                out.text.push(' ');
            }
            let start = out.text.len();
            out.text.push_str(message.word(i));
            out.tokens.push(normalise::Token {
                norm: start..out.text.len(),
                orig: token.orig.clone(),
            });
            out_resolved.push(resolved.get(i).copied().flatten());
            continue;
        };
        any = true;
        if last_entity == Some(e) {
            if let Some(prev) = out.tokens.last_mut() {
                prev.orig.end = token.orig.end;
            }
            continue;
        }
        last_entity = Some(e);
        if !out.text.is_empty() {
            out.text.push(' ');
        }
        let start = out.text.len();
        out.text.push('{');
        out.text.push_str(found[e].kind.name());
        out.text.push('}');
        out.tokens.push(normalise::Token {
            norm: start..out.text.len(),
            orig: token.orig.clone(),
        });
        out_resolved.push(None);
    }
    any
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

impl Engine {
    /// The reply the rules declare for `intent` (every intent that is not a [`CoreIntent`] has
    /// one once `concierge check` passes).
    pub fn reply(&self, intent: &str) -> Option<&ReplySpec> {
        self.replies.get(intent)
    }

    /// The engine used when no valid rule set is available: every message is `unknown` and the
    /// rollout kill switch is off, so nothing is shown on the strength of rules that failed.
    pub fn fail_closed() -> Engine {
        Engine {
            rules_version: "invalid".into(),
            rollout: Rollout::new(RolloutSpec {
                enabled: false,
                percentage_bp: 0,
                ..RolloutSpec::default()
            }),
            ..Engine::default()
        }
    }
}

impl Default for Engine {
    /// An engine with no rules: every message is `unknown`. Used only where no rule set exists.
    fn default() -> Self {
        Engine {
            rules_version: "0.0.0-empty".into(),
            content_hash: "0".into(),
            thresholds: Thresholds::default(),
            rollout: Rollout::new(RolloutSpec::default()),
            matcher: std::sync::OnceLock::from(Matcher::default()),
            deferred: None,
            domain: Domain::of(&EntityExtractor::default(), &Thresholds::default()),
            domain_json: std::sync::OnceLock::new(),
            replies: std::collections::HashMap::new(),
        }
    }
}
