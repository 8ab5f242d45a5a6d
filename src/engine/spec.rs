//! The validated rule set as plain data: what the rules loader hands to [`Engine::compile`], and
//! (serialised by `build.rs`) the form in which the Worker embeds its rules.
//!
//! Nothing here knows about TOML or files; the loader (`crate::rules`) has already checked types,
//! ranges and cross-references, and kept the spans needed to report problems.
//!
//! [`Engine::compile`]: super::Engine::compile

use super::model::{EntityKind, PriceVocabulary, RolloutSpec, Thresholds, UnsupportedKind};
use serde::{Deserialize, Serialize};

/// Weight of a phrase or pattern listed under `phrases`/`patterns`. (The weights are the rule
/// loader's; the Worker embeds rules already weighted.)
#[cfg(not(target_arch = "wasm32"))]
pub const STRONG_WEIGHT: f64 = 1.0;
/// Weight of a `weak_phrases`/`weak_patterns` entry: alone it stays below the default
/// `min_confidence`, two of them (or one with a strong rule) carry the intent.
#[cfg(not(target_arch = "wasm32"))]
pub const WEAK_WEIGHT: f64 = 0.4;
/// Weight of a `decisive_phrases`/`decisive_patterns` entry: enough to beat any pile of ordinary
/// cues (a person asking for a person gets one, whatever products they also name), below a
/// slash command.
#[cfg(not(target_arch = "wasm32"))]
pub const DECISIVE_WEIGHT: f64 = 5.0;

/// One intent as the author declared it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntentSpec {
    pub id: String,
    pub description: String,
    /// Breaks ties between intents with equal scores; higher wins.
    pub priority: i64,
    /// Slash commands such as `/track`; a message starting with one gets this intent outright.
    pub commands: Vec<String>,
    pub phrases: Vec<WeightedRule>,
    pub patterns: Vec<WeightedRule>,
    /// Whether misspelt words may match this intent's phrase words.
    pub typo_tolerant: bool,
    /// Entities that count toward this intent, and how much each kind adds (once per message).
    pub evidence: Vec<(EntityKind, f64)>,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
    /// What the concierge says for this intent (`reply`/`next_step`); `None` for core intents,
    /// whose replies the Worker builds.
    #[serde(default)]
    pub reply: Option<super::reply::ReplySpec>,
}

/// A phrase or regular expression with the score it adds when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedRule {
    pub text: String,
    pub weight: f64,
}

/// A canonical entity value and the phrases that name it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VocabularyEntry {
    pub id: String,
    pub synonyms: Vec<String>,
}

/// A style or stone (`hoop`, `solitaire`, `diamond`): named by shoppers, matched in product
/// names, and possibly implying a category (`solitaire` → `rings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StyleEntry {
    pub id: String,
    pub synonyms: Vec<String>,
    /// The category this style implies when no category is named outright.
    pub implies: Option<String>,
}

/// Something the shop does not sell, the phrases that name it and what to offer instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnsupportedEntry {
    pub id: String,
    pub kind: UnsupportedKind,
    pub synonyms: Vec<String>,
    /// Metal ids (for metals and materials) or category ids (for categories).
    pub instead: Vec<String>,
    /// What the concierge says about it, for merchandisers to edit.
    pub note: String,
}

/// Entity vocabularies and patterns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntitySpec {
    pub categories: Vec<VocabularyEntry>,
    pub styles: Vec<StyleEntry>,
    pub metals: Vec<VocabularyEntry>,
    /// Phrases that name a metal only when nothing more specific does (`gold` → `yellow_gold`).
    pub metal_defaults: Vec<(String, String)>,
    pub unsupported: Vec<UnsupportedEntry>,
    /// Regexes over the original text; capture group 1 is the order number's digits.
    pub order_number_patterns: Vec<String>,
    /// Prefix of canonical order numbers, e.g. `AUR-`.
    pub order_number_prefix: String,
    /// How many digits follow the prefix.
    pub order_number_digits: usize,
    pub email_pattern: String,
    /// Regexes whose capture group 1 is a ring size.
    pub ring_size_patterns: Vec<String>,
    pub ring_size_min: f64,
    pub ring_size_max: f64,
    /// Regexes for spans that look like amounts but are not prices (`14k gold`, `1 carat`).
    pub not_price_patterns: Vec<String>,
    pub prices: PriceVocabulary,
}

/// Word rewrites and typo guards for normalisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LanguageSpec {
    /// `(word, replacement words)`, e.g. `("dont", "do not")`, `("plz", "please")`.
    pub aliases: Vec<(String, String)>,
    /// Real words that must never be typo-corrected into a rule word (`there` is not `where`).
    pub never_correct: Vec<String>,
    /// Function words that carry no need ("the", "some", "please"): they never count as
    /// unrecognised words.
    pub stopwords: Vec<String>,
}

/// Everything the engine is compiled from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSpec {
    pub rules_version: String,
    pub content_hash: String,
    pub intents: Vec<IntentSpec>,
    pub entities: EntitySpec,
    pub language: LanguageSpec,
    pub thresholds: Thresholds,
    pub rollout: RolloutSpec,
    /// Each intent pattern's prefilter literals, intent by intent and pattern by pattern (`None`:
    /// the pattern runs on every message), as [`EngineSpec::for_worker`] worked them out at build
    /// time, so a Worker isolate neither parses patterns nor extracts literals when it builds its
    /// tables. Empty in a rule set read from the rule files: the engine works them out itself.
    #[serde(default)]
    pub pattern_literals: Vec<Vec<super::intents::PatternLiterals>>,
    /// Whether every intent phrase and stopword is already its normalised words joined by single
    /// spaces ([`EngineSpec::for_worker`]), so building the tables splits them instead of
    /// normalising them. False in a rule set read from the rule files.
    #[serde(default)]
    pub phrases_normalised: bool,
}

impl EngineSpec {
    /// The rule set in the compact form the Worker embeds ([`EngineSpec::decode`] reads it):
    /// postcard, serde's binary format, every field in declaration order.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a rule set always serialises")
    }

    /// Reads what [`EngineSpec::encode`] wrote, or says why it cannot (bytes of another build's
    /// field layout, cut short or with bytes left over).
    pub fn decode(bytes: &[u8]) -> Result<EngineSpec, String> {
        match postcard::take_from_bytes::<EngineSpec>(bytes) {
            Ok((spec, [])) => Ok(spec),
            Ok((_, rest)) => Err(format!("{} bytes left over after the rule set", rest.len())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The rule set without what only the rule files need (examples, descriptions): what a
    /// Worker embeds.
    pub fn without_examples(mut self) -> EngineSpec {
        for intent in &mut self.intents {
            intent.description.clear();
            intent.examples.clear();
            intent.counterexamples.clear();
        }
        self
    }

    /// What a Worker embeds: the rule set without examples, with every intent pattern's
    /// prefilter literals worked out ([`EngineSpec::pattern_literals`]) and every intent phrase
    /// and stopword normalised ([`EngineSpec::phrases_normalised`]). Patterns that do not parse
    /// keep no literals (the rules loader has reported them already).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn for_worker(self) -> EngineSpec {
        let mut spec = self.without_examples();
        if !spec.phrases_normalised {
            let normaliser = super::normalise::Normaliser::new(&spec.language.aliases);
            let normalise =
                |text: &str| super::normalise::phrase_words(&normaliser, text).join(" ");
            for intent in &mut spec.intents {
                for phrase in &mut intent.phrases {
                    phrase.text = normalise(&phrase.text);
                }
            }
            let stopwords = spec
                .language
                .stopwords
                .iter()
                .map(|w| normalise(w))
                .collect();
            spec.language.stopwords = stopwords;
            spec.phrases_normalised = true;
        }
        spec.pattern_literals = spec
            .intents
            .iter()
            .map(|intent| {
                intent
                    .patterns
                    .iter()
                    .map(|p| super::intents::pattern_literals(&p.text).unwrap_or_default())
                    .collect()
            })
            .collect();
        spec
    }

    /// The rule set without what only the classification tables need (phrases, patterns,
    /// commands, evidence, the language section) nor examples: the engine's identity, domain and
    /// replies, for [`super::Engine::deferred_encoded`].
    pub fn identity(&self) -> EngineSpec {
        let mut identity = self.clone().without_examples();
        identity.pattern_literals.clear();
        identity.phrases_normalised = false;
        for intent in &mut identity.intents {
            intent.commands.clear();
            intent.phrases.clear();
            intent.patterns.clear();
            intent.evidence.clear();
        }
        identity.language = LanguageSpec::default();
        identity
    }
}
