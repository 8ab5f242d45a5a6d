//! Pure decision code: normalise a message, match intents, extract entities, decide rollout.
//! No I/O, no TOML and no `worker`: it runs the same natively and in wasm.

pub mod model;
pub mod murmur3;
pub mod price;
pub mod rollout;

pub use model::*;
pub use rollout::Rollout;

/// The compiled rule set. Built once (per process, per Worker isolate) and shared.
///
/// API skeleton: the matcher lands with the rules engine work; the public methods stay.
#[derive(Debug, Clone)]
pub struct Engine {
    rules_version: String,
    content_hash: String,
    thresholds: Thresholds,
    rollout: Rollout,
}

impl Engine {
    /// Classifies one shopper message.
    pub fn classify(&self, text: &str) -> Classification {
        Classification {
            text: text.to_string(),
            intent: UNKNOWN_INTENT.to_string(),
            confidence: 0.0,
            entities: Entities::default(),
            matched: Vec::new(),
            rules_version: self.rules_version.clone(),
        }
    }

    /// The rules `version` string from the manifest, e.g. `2026.11.25-1`.
    pub fn rules_version(&self) -> &str {
        &self.rules_version
    }

    /// Content hash of the rule files (hex), so two builds with the same version string can be told apart.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    pub fn rollout(&self) -> &Rollout {
        &self.rollout
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            rules_version: "0.0.0-skeleton".into(),
            content_hash: "0".into(),
            thresholds: Thresholds::default(),
            rollout: Rollout::new(RolloutSpec::default()),
        }
    }
}
