//! Pure decision code: normalise a message, match intents, extract entities, decide rollout.
//! No I/O, no TOML and no `worker`: it runs the same natively and in wasm.

pub mod entities;
pub mod hash;
pub mod intents;
pub mod lexicon;
pub mod model;
pub mod murmur3;
pub mod normalise;
pub mod price;
pub mod rollout;
pub mod spec;

pub use entities::{EntityCompileError, EntitySpans};
pub use intents::{IntentCompileError, IntentScore, RuleHit, RuleKind};
pub use model::*;
pub use rollout::Rollout;
pub use spec::EngineSpec;

use entities::EntityExtractor;
use intents::IntentMatcher;
use lexicon::Lexicon;
use normalise::Normaliser;
use serde::Serialize;

/// The compiled rule set. Built once (per process, per Worker isolate) and shared.
#[derive(Debug, Clone)]
pub struct Engine {
    rules_version: String,
    content_hash: String,
    thresholds: Thresholds,
    rollout: Rollout,
    normaliser: Normaliser,
    lexicon: Lexicon,
    intents: IntentMatcher,
    entities: EntityExtractor,
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
    /// The message as the matcher saw it.
    pub normalised: String,
    pub hits: Vec<RuleHit>,
    /// Intent totals, best first.
    pub scores: Vec<IntentScore>,
    pub entity_spans: EntitySpans,
    pub min_confidence: f64,
    /// One sentence on how the decision was made.
    pub reason: String,
}

/// Scratch buffers reused across classifications on one thread, so a message costs no
/// allocations for its normalised text, tokens, resolved ids or phrase hits.
#[derive(Default)]
struct Scratch {
    message: normalise::Normalised,
    raw: String,
    resolved: Vec<Option<lexicon::Resolved>>,
    hits: Vec<lexicon::PhraseHit>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Engine {
    /// Compiles a validated rule set. Collects every failure rather than stopping at the first.
    pub fn compile(spec: &EngineSpec) -> Result<Engine, Vec<CompileError>> {
        let normaliser = Normaliser::new(&spec.language.aliases);
        let mut lexicon = Lexicon::default();
        lexicon.set_never_correct(spec.language.never_correct.iter().map(|w| w.to_lowercase()));
        let mut errors: Vec<CompileError> = Vec::new();
        let intents = IntentMatcher::compile(&spec.intents, &normaliser, &mut lexicon)
            .map_err(|e| errors.extend(e.into_iter().map(CompileError::from)))
            .ok();
        let entities = EntityExtractor::compile(&spec.entities, &normaliser, &mut lexicon)
            .map_err(|e| errors.extend(e.into_iter().map(CompileError::from)))
            .ok();
        match (intents, entities) {
            (Some(intents), Some(entities)) if errors.is_empty() => Ok(Engine {
                rules_version: spec.rules_version.clone(),
                content_hash: spec.content_hash.clone(),
                thresholds: spec.thresholds.clone(),
                rollout: Rollout::new(spec.rollout.clone()),
                normaliser,
                lexicon,
                intents,
                entities,
            }),
            _ => Err(errors),
        }
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
        self.normaliser
            .normalise_into(text, &mut scratch.message, &mut scratch.raw);
        self.lexicon
            .resolve_into(&scratch.message, &mut scratch.resolved);
        let message = &scratch.message;
        let resolved = &scratch.resolved;
        let outcome = self
            .intents
            .score(text, message, resolved, &mut scratch.hits);
        let mut spans = EntitySpans::default();
        let want_spans = explain.is_some();
        let entities = self.entities.extract(
            text,
            message,
            resolved,
            &mut scratch.hits,
            want_spans.then_some(&mut spans),
        );
        let min = self.thresholds.min_confidence;
        let intent = match outcome.winner {
            Some(idx) if outcome.confidence >= min => self.intents.intent_id(idx).to_string(),
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
                .map(|&r| self.intents.rule_id(r).to_string())
                .collect(),
            rules_version: self.rules_version.clone(),
        };
        if let Some(out) = explain {
            out.normalised = message.text.clone();
            out.hits = self
                .intents
                .describe_hits(text, message, resolved, &self.lexicon, &outcome);
            out.scores = self.intents.describe_ranking(&outcome);
            out.entity_spans = spans;
            out.reason = self.reason(&outcome, &classification);
        }
        classification
    }

    fn reason(&self, outcome: &intents::IntentOutcome, result: &Classification) -> String {
        let min = self.thresholds.min_confidence;
        let Some(&(winner, best)) = outcome.ranking.first() else {
            return format!("no rule fired, so the intent is `{UNKNOWN_INTENT}`");
        };
        let name = self.intents.intent_id(winner);
        let mut reason = match outcome.ranking.get(1) {
            None => format!("`{name}` was the only intent that scored ({best:.2})"),
            Some(&(second, score)) if (score - best).abs() < 1e-9 => format!(
                "`{name}` tied with `{}` at {best:.2} and won on priority",
                self.intents.intent_id(second)
            ),
            Some(&(second, score)) => format!(
                "`{name}` scored {best:.2}, ahead of `{}` at {score:.2}",
                self.intents.intent_id(second)
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
        self.intents.intent_ids()
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
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

impl Engine {
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
            normaliser: Normaliser::default(),
            lexicon: Lexicon::default(),
            intents: IntentMatcher::default(),
            entities: EntityExtractor::default(),
        }
    }
}
