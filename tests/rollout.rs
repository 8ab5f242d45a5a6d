//! Rollout: golden bucket vectors shared with the widget, and the decision order.

use aurora_concierge::engine::murmur3_32;
use aurora_concierge::engine::{bucket_of, Rollout, BUCKETS};
use aurora_concierge::engine::{FeatureRollout, RolloutReason, RolloutSpec};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Golden {
    salt: String,
    seed: u32,
    buckets: Vec<GoldenBucket>,
    murmur3_32: Vec<GoldenHash>,
}

#[derive(Debug, Deserialize)]
struct GoldenBucket {
    user_id: String,
    bucket: u32,
}

#[derive(Debug, Deserialize)]
struct GoldenHash {
    input_utf8: String,
    seed: u32,
    hash: u32,
}

fn golden() -> Golden {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/buckets.json");
    let source = std::fs::read_to_string(path).expect("tests/golden/buckets.json is readable");
    serde_json::from_str(&source).expect("tests/golden/buckets.json is valid")
}

#[test]
fn golden_buckets_match() {
    let golden = golden();
    assert!(golden.buckets.len() >= 30);
    assert!(golden.buckets.iter().any(|b| b.user_id.is_empty()));
    assert!(golden.buckets.iter().any(|b| b.user_id.len() > 256));
    assert!(golden.buckets.iter().any(|b| !b.user_id.is_ascii()));
    let mismatches: Vec<String> = golden
        .buckets
        .iter()
        .filter(|g| bucket_of(&golden.salt, &g.user_id, golden.seed) != g.bucket)
        .map(|g| {
            format!(
                "{:?}: {} != golden {}",
                g.user_id,
                bucket_of(&golden.salt, &g.user_id, golden.seed),
                g.bucket
            )
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn golden_murmur3_vectors_match() {
    for g in golden().murmur3_32 {
        assert_eq!(
            murmur3_32(g.input_utf8.as_bytes(), g.seed),
            g.hash,
            "{:?} seed {}",
            g.input_utf8,
            g.seed
        );
    }
}

#[test]
fn rollout_bucket_uses_spec_salt_and_seed() {
    let golden = golden();
    let rollout = Rollout::new(RolloutSpec {
        salt: golden.salt.clone(),
        seed: golden.seed,
        ..RolloutSpec::default()
    });
    for g in &golden.buckets {
        assert_eq!(rollout.bucket(&g.user_id), g.bucket);
        assert_eq!(rollout.decide(Some(&g.user_id), None).bucket, g.bucket);
    }
    let reseeded = Rollout::new(RolloutSpec {
        seed: golden.seed + 1,
        ..RolloutSpec::default()
    });
    let moved = golden
        .buckets
        .iter()
        .filter(|g| reseeded.bucket(&g.user_id) != g.bucket)
        .count();
    assert!(
        moved > golden.buckets.len() / 2,
        "a new seed reshuffles buckets"
    );
}

fn spec(percentage_bp: u32) -> RolloutSpec {
    RolloutSpec {
        percentage_bp,
        ..RolloutSpec::default()
    }
}

/// A user id whose bucket is below `limit` (or at/above it when `below` is false).
fn user_with_bucket(rollout: &Rollout, limit: u32, below: bool) -> String {
    (0..10_000)
        .map(|i| format!("user-{i}"))
        .find(|id| (rollout.bucket(id) < limit) == below)
        .expect("10000 ids cover both sides of any limit")
}

#[test]
fn percentage_compares_bucket_in_basis_points() {
    let rollout = Rollout::new(spec(2550));
    let inside = user_with_bucket(&rollout, 2550, true);
    let outside = user_with_bucket(&rollout, 2550, false);
    let d = rollout.decide(Some(&inside), None);
    assert!(d.enabled);
    assert_eq!(d.reason, RolloutReason::InRollout);
    let d = rollout.decide(Some(&outside), None);
    assert!(!d.enabled);
    assert_eq!(d.reason, RolloutReason::OutOfRollout);
    assert!(d.bucket >= 2550 && d.bucket < BUCKETS);
}

#[test]
fn share_enabled_tracks_percentage() {
    let rollout = Rollout::new(spec(2500));
    let on = (0..20_000)
        .filter(|i| rollout.decide(Some(&format!("shopper-{i}")), None).enabled)
        .count();
    assert!((4_500..5_500).contains(&on), "{on} of 20000 at 25 %");
}

#[test]
fn zero_and_full_percentages() {
    let none = Rollout::new(spec(0));
    let all = Rollout::new(spec(10_000));
    let over = Rollout::new(spec(12_345));
    for i in 0..500 {
        let id = format!("u{i}");
        assert!(!none.decide(Some(&id), None).enabled);
        assert!(all.decide(Some(&id), None).enabled);
        assert!(over.decide(Some(&id), None).enabled);
    }
}

#[test]
fn kill_switch_beats_everything() {
    let mut s = spec(10_000);
    s.enabled = false;
    s.allowlist = vec!["vip".into()];
    let d = Rollout::new(s).decide(Some("vip"), None);
    assert!(!d.enabled);
    assert_eq!(d.reason, RolloutReason::KillSwitch);
    let d = Rollout::new(RolloutSpec {
        enabled: false,
        ..RolloutSpec::default()
    })
    .decide(None, None);
    assert_eq!(d.reason, RolloutReason::KillSwitch);
}

#[test]
fn feature_disabled_beats_allowlist() {
    let mut s = spec(10_000);
    s.allowlist = vec!["vip".into()];
    s.features.insert(
        "stylist_chat".into(),
        FeatureRollout {
            enabled: Some(false),
            allowlist: vec!["vip".into()],
            ..FeatureRollout::default()
        },
    );
    let rollout = Rollout::new(s);
    let d = rollout.decide(Some("vip"), Some("stylist_chat"));
    assert!(!d.enabled);
    assert_eq!(d.reason, RolloutReason::FeatureDisabled);
    // The widget as a whole is unaffected by the feature's switch.
    assert_eq!(
        rollout.decide(Some("vip"), None).reason,
        RolloutReason::Allowlisted
    );
}

#[test]
fn denylist_beats_allowlist_globally_and_per_feature() {
    let mut s = spec(10_000);
    s.allowlist = vec!["both".into(), "fan".into()];
    s.denylist = vec!["both".into(), "banned".into()];
    s.features.insert(
        "try_on".into(),
        FeatureRollout {
            denylist: vec!["fan".into()],
            ..FeatureRollout::default()
        },
    );
    let rollout = Rollout::new(s);
    assert_eq!(
        rollout.decide(Some("both"), None).reason,
        RolloutReason::Denylisted
    );
    assert_eq!(
        rollout.decide(Some("banned"), None).reason,
        RolloutReason::Denylisted
    );
    assert!(!rollout.decide(Some("banned"), Some("try_on")).enabled);
    assert_eq!(
        rollout.decide(Some("fan"), None).reason,
        RolloutReason::Allowlisted
    );
    let d = rollout.decide(Some("fan"), Some("try_on"));
    assert!(!d.enabled);
    assert_eq!(d.reason, RolloutReason::Denylisted);
}

#[test]
fn allowlist_beats_percentage() {
    let mut s = spec(0);
    s.allowlist = vec!["early".into()];
    s.features.insert(
        "try_on".into(),
        FeatureRollout {
            allowlist: vec!["tester".into()],
            ..FeatureRollout::default()
        },
    );
    let rollout = Rollout::new(s);
    let d = rollout.decide(Some("early"), None);
    assert!(d.enabled);
    assert_eq!(d.reason, RolloutReason::Allowlisted);
    assert_eq!(d.bucket, rollout.bucket("early"));
    assert!(rollout.decide(Some("tester"), Some("try_on")).enabled);
    assert_eq!(
        rollout.decide(Some("tester"), None).reason,
        RolloutReason::OutOfRollout
    );
    // Ids are matched exactly: no case folding or trimming.
    assert!(!rollout.decide(Some("Early"), None).enabled);
    assert!(!rollout.decide(Some("early "), None).enabled);
}

#[test]
fn anonymous_users_only_at_full_rollout() {
    for (pct, enabled) in [(10_000, true), (9_999, false), (0, false)] {
        let d = Rollout::new(spec(pct)).decide(None, None);
        assert_eq!(
            (d.enabled, d.bucket, d.reason),
            (enabled, 0, RolloutReason::Anonymous)
        );
    }
    let mut s = spec(10_000);
    s.features.insert(
        "try_on".into(),
        FeatureRollout {
            percentage_bp: Some(5_000),
            ..FeatureRollout::default()
        },
    );
    let rollout = Rollout::new(s);
    assert!(rollout.decide(None, None).enabled);
    assert!(!rollout.decide(None, Some("try_on")).enabled);
}

#[test]
fn feature_percentage_overrides_global_and_unknown_features_follow_global() {
    let mut s = spec(0);
    s.features.insert(
        "try_on".into(),
        FeatureRollout {
            enabled: Some(true),
            percentage_bp: Some(10_000),
            ..FeatureRollout::default()
        },
    );
    let rollout = Rollout::new(s);
    let d = rollout.decide(Some("someone"), Some("try_on"));
    assert_eq!((d.enabled, d.reason), (true, RolloutReason::InRollout));
    let d = rollout.decide(Some("someone"), Some("not_a_feature"));
    assert_eq!((d.enabled, d.reason), (false, RolloutReason::OutOfRollout));
    let d = rollout.decide(Some("someone"), None);
    assert_eq!((d.enabled, d.reason), (false, RolloutReason::OutOfRollout));
}

#[test]
fn decisions_are_deterministic_across_instances() {
    let a = Rollout::new(spec(3_333));
    let b = Rollout::new(spec(3_333));
    for i in 0..1_000 {
        let id = format!("id-{i}");
        assert_eq!(
            a.decide(Some(&id), Some("x")),
            b.decide(Some(&id), Some("x"))
        );
    }
}

/// Features with their own percentage bucket shoppers independently of each other and of the
/// widget: two features at 50 % overlap on about a quarter of shoppers, not on the same half.
#[test]
fn features_with_their_own_percentage_are_bucketed_independently() {
    let mut s = spec(10_000);
    for name in ["order_lookup", "stylist_chat"] {
        s.features.insert(
            name.into(),
            FeatureRollout {
                percentage_bp: Some(5_000),
                ..FeatureRollout::default()
            },
        );
    }
    let rollout = Rollout::new(s.clone());
    let (mut a, mut b, mut both) = (0, 0, 0);
    for i in 0..4_000 {
        let id = format!("u-{i}");
        let da = rollout.decide(Some(&id), Some("order_lookup"));
        let db = rollout.decide(Some(&id), Some("stylist_chat"));
        assert_eq!(
            da.bucket,
            aurora_concierge::engine::feature_bucket_of(&s.salt, "order_lookup", &id, s.seed)
        );
        assert_eq!(da.enabled, da.bucket < 5_000);
        a += usize::from(da.enabled);
        b += usize::from(db.enabled);
        both += usize::from(da.enabled && db.enabled);
    }
    assert!((1_800..2_200).contains(&a), "{a}");
    assert!((1_800..2_200).contains(&b), "{b}");
    assert!(
        (800..1_200).contains(&both),
        "independent, not nested: {both}"
    );
}
