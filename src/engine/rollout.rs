//! Deterministic rollout: kill switch, percentage, allow/deny lists, per-feature overrides.
//! API skeleton: the implementation lands with the rollout work.

use super::model::{RolloutDecision, RolloutReason, RolloutSpec};

/// Number of buckets: a percentage in basis points compares directly with a bucket.
pub const BUCKETS: u32 = 10_000;

/// `murmur3_32("{salt}:{user_id}", seed) % 10000`.
pub fn bucket_of(_salt: &str, _user_id: &str, _seed: u32) -> u32 {
    0
}

/// A rollout spec compiled for fast decisions.
#[derive(Debug, Clone)]
pub struct Rollout {
    spec: RolloutSpec,
}

impl Rollout {
    pub fn new(spec: RolloutSpec) -> Self {
        Rollout { spec }
    }

    pub fn spec(&self) -> &RolloutSpec {
        &self.spec
    }

    /// The bucket of a user id under this rollout's salt and seed.
    pub fn bucket(&self, user_id: &str) -> u32 {
        bucket_of(&self.spec.salt, user_id, self.spec.seed)
    }

    /// Whether `user_id` (anonymous when `None`) gets `feature` (the widget as a whole when `None`).
    pub fn decide(&self, _user_id: Option<&str>, _feature: Option<&str>) -> RolloutDecision {
        RolloutDecision {
            enabled: self.spec.enabled,
            bucket: 0,
            reason: RolloutReason::InRollout,
        }
    }
}
