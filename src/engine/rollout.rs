//! Deterministic rollout: kill switch, percentage, allow/deny lists, per-feature overrides.
//!
//! A user's bucket is `murmur3_32("{salt}:{user_id}", seed) % 10000` (UTF-8 bytes, MurmurHash3
//! x86 32-bit), so the Worker, the CLI and the widget's `public/bucket.js` agree on it; the golden
//! vectors in `tests/golden/buckets.json` prove that. A percentage in basis points compares directly
//! with a bucket: a user is in a 25.50 % rollout when `bucket < 2550`.
//!
//! [`Rollout::decide`] applies the rules in this order; the first that applies wins:
//!
//! 1. master kill switch (`enabled = false`) → off, [`RolloutReason::KillSwitch`];
//! 2. the feature's override `enabled = false` → off, [`RolloutReason::FeatureDisabled`];
//! 3. the user is on the global or the feature's denylist → off, [`RolloutReason::Denylisted`];
//! 4. the user is on the global or the feature's allowlist → on, [`RolloutReason::Allowlisted`];
//! 5. no user id → on only at 100 %, bucket 0, [`RolloutReason::Anonymous`];
//! 6. `bucket < percentage_bp` (the feature's percentage when it sets one, else the global one) →
//!    [`RolloutReason::InRollout`], otherwise [`RolloutReason::OutOfRollout`]. A feature with its
//!    own percentage buckets users by [`feature_bucket_of`] (`"{salt}:{feature}:{user_id}"`), so
//!    each feature's rollout is independent of the widget's and of the other features'.
//!
//! Every decision with a user id reports that user's bucket, whatever the reason (so `concierge
//! bucket` can show it); anonymous decisions report bucket 0.
//! A feature name the spec does not mention has no overrides: it follows the global settings.
//! Percentages above 10000 are treated as 10000. Decisions are pure and allocation-free.

use super::hash::FxHashMap;
use super::model::{RolloutDecision, RolloutReason, RolloutSpec};
use super::murmur3::Murmur3;

/// Number of buckets: a percentage in basis points compares directly with a bucket.
pub const BUCKETS: u32 = 10_000;

/// `murmur3_32("{salt}:{user_id}", seed) % 10000`, hashed in pieces without building the string.
pub fn bucket_of(salt: &str, user_id: &str, seed: u32) -> u32 {
    let mut hasher = Murmur3::new(seed);
    hasher.write(salt.as_bytes());
    hasher.write(b":");
    hasher.write(user_id.as_bytes());
    hasher.finish() % BUCKETS
}

/// A feature's own bucket: `murmur3_32("{salt}:{feature}:{user_id}", seed) % 10000`, so two
/// features rolled out to 10 % reach different shoppers rather than the same first tenth.
pub fn feature_bucket_of(salt: &str, feature: &str, user_id: &str, seed: u32) -> u32 {
    let mut hasher = Murmur3::new(seed);
    hasher.write(salt.as_bytes());
    hasher.write(b":");
    hasher.write(feature.as_bytes());
    hasher.write(b":");
    hasher.write(user_id.as_bytes());
    hasher.finish() % BUCKETS
}

/// Where one user id is listed: globally and for which features (indices into `features`).
#[derive(Debug, Clone, Default)]
struct Listing {
    allow: bool,
    deny: bool,
    allow_features: Vec<usize>,
    deny_features: Vec<usize>,
}

/// A feature's overrides, compiled.
#[derive(Debug, Clone)]
struct FeatureGate {
    name: Box<str>,
    enabled: Option<bool>,
    percentage_bp: Option<u32>,
}

/// The allow/deny table uses the engine's Fx hasher: the table is fixed when the rollout is
/// compiled and request-chosen ids are only looked up, never inserted, so it cannot be flooded.
type Listings = FxHashMap<Box<str>, Listing>;

fn entry<'a>(listings: &'a mut Listings, id: &str) -> &'a mut Listing {
    listings.entry(Box::from(id)).or_default()
}

/// A rollout spec compiled for fast decisions.
#[derive(Debug, Clone)]
pub struct Rollout {
    spec: RolloutSpec,
    percentage_bp: u32,
    /// Every listed user id, once: one hash lookup answers all allow/deny questions.
    listings: Listings,
    /// Sorted by name (the spec's `BTreeMap` order) for binary search.
    features: Vec<FeatureGate>,
}

impl Rollout {
    /// Compiles `spec`: allow/deny lists become one hash table, features a sorted table.
    pub fn new(spec: RolloutSpec) -> Self {
        let mut listings = Listings::default();
        for id in &spec.allowlist {
            entry(&mut listings, id).allow = true;
        }
        for id in &spec.denylist {
            entry(&mut listings, id).deny = true;
        }
        let mut features = Vec::with_capacity(spec.features.len());
        for (index, (name, feature)) in spec.features.iter().enumerate() {
            for id in &feature.allowlist {
                entry(&mut listings, id).allow_features.push(index);
            }
            for id in &feature.denylist {
                entry(&mut listings, id).deny_features.push(index);
            }
            features.push(FeatureGate {
                name: name.as_str().into(),
                enabled: feature.enabled,
                percentage_bp: feature.percentage_bp.map(|p| p.min(BUCKETS)),
            });
        }
        Rollout {
            percentage_bp: spec.percentage_bp.min(BUCKETS),
            listings,
            features,
            spec,
        }
    }

    /// The spec this rollout was compiled from.
    pub fn spec(&self) -> &RolloutSpec {
        &self.spec
    }

    /// The bucket of a user id under this rollout's salt and seed.
    pub fn bucket(&self, user_id: &str) -> u32 {
        bucket_of(&self.spec.salt, user_id, self.spec.seed)
    }

    /// Whether `user_id` (anonymous when `None`) gets `feature` (the widget as a whole when `None`).
    /// See the module docs for the order in which the rules apply.
    pub fn decide(&self, user_id: Option<&str>, feature: Option<&str>) -> RolloutDecision {
        let gate = feature.and_then(|name| {
            self.features
                .binary_search_by(|g| (*g.name).cmp(name))
                .ok()
                .map(|i| (i, &self.features[i]))
        });
        let bucket = match (user_id, gate) {
            (None, _) => 0,
            (Some(id), Some((_, g))) if g.percentage_bp.is_some() => {
                feature_bucket_of(&self.spec.salt, &g.name, id, self.spec.seed)
            }
            (Some(id), _) => self.bucket(id),
        };
        let decision = |enabled, reason| RolloutDecision {
            enabled,
            bucket,
            reason,
        };
        if !self.spec.enabled {
            return decision(false, RolloutReason::KillSwitch);
        }
        if gate.is_some_and(|(_, g)| g.enabled == Some(false)) {
            return decision(false, RolloutReason::FeatureDisabled);
        }
        let percentage_bp = gate
            .and_then(|(_, g)| g.percentage_bp)
            .unwrap_or(self.percentage_bp);
        let Some(id) = user_id else {
            return decision(percentage_bp >= BUCKETS, RolloutReason::Anonymous);
        };
        let listing = if self.listings.is_empty() {
            None
        } else {
            self.listings.get(id)
        };
        if let Some(listing) = listing {
            let index = gate.map(|(i, _)| i);
            let for_feature = |features: &[usize]| index.is_some_and(|i| features.contains(&i));
            if listing.deny || for_feature(&listing.deny_features) {
                return decision(false, RolloutReason::Denylisted);
            }
            if listing.allow || for_feature(&listing.allow_features) {
                return decision(true, RolloutReason::Allowlisted);
            }
        }
        if bucket < percentage_bp {
            decision(true, RolloutReason::InRollout)
        } else {
            decision(false, RolloutReason::OutOfRollout)
        }
    }
}
