//! Rollout decision and price extraction timings.
//!
//! `cargo bench --bench rollout -- --warm-up-time 1 --measurement-time 3`
//! Goals: `rollout/decide` well under 100 ns; `price_extract/*` well under 1 µs per message.

use aurora_concierge::engine::PriceParser;
use aurora_concierge::engine::{bucket_of, Rollout};
use aurora_concierge::engine::{FeatureRollout, PriceVocabulary, RolloutSpec};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const USER_ID: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

fn rollout(c: &mut Criterion) {
    let plain = Rollout::new(RolloutSpec {
        percentage_bp: 2_500,
        ..RolloutSpec::default()
    });
    let mut spec = RolloutSpec {
        percentage_bp: 2_500,
        allowlist: (0..50).map(|i| format!("staff-{i}")).collect(),
        denylist: (0..50).map(|i| format!("abuser-{i}")).collect(),
        ..RolloutSpec::default()
    };
    spec.features.insert(
        "try_on".into(),
        FeatureRollout {
            percentage_bp: Some(5_000),
            allowlist: vec!["tester-1".into(), "tester-2".into()],
            denylist: vec!["nope".into()],
            ..FeatureRollout::default()
        },
    );
    let listed = Rollout::new(spec);

    let mut group = c.benchmark_group("rollout");
    group.bench_function("bucket_of", |b| {
        b.iter(|| {
            bucket_of(
                black_box("aurora-concierge"),
                black_box(USER_ID),
                black_box(0),
            )
        })
    });
    group.bench_function("decide", |b| {
        b.iter(|| plain.decide(black_box(Some(USER_ID)), black_box(None)))
    });
    group.bench_function("decide_with_lists_and_feature", |b| {
        b.iter(|| listed.decide(black_box(Some(USER_ID)), black_box(Some("try_on"))))
    });
    group.finish();
}

fn price_extract(c: &mut Criterion) {
    let parser = PriceParser::new(&PriceVocabulary::default());
    let messages = [
        ("no_price", "do you have rose gold hoops in stock?"),
        ("under", "looking for a 14k gold ring under $500"),
        ("between", "necklaces between 200 and 400 dollars"),
        ("order_number", "where is my order AUR-100123, size 7"),
    ];
    let mut group = c.benchmark_group("price_extract");
    for (name, text) in messages {
        group.bench_function(name, |b| b.iter(|| parser.extract(black_box(text))));
    }
    group.finish();
}

criterion_group!(benches, rollout, price_extract);
criterion_main!(benches);
