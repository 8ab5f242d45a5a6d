//! Classification speed on a mixed corpus of realistic jewelry-shop messages.
//!
//! `cargo bench --bench engine -- classify` reports the time per message (each iteration
//! classifies the next message of the corpus, round robin), so criterion's median is the median
//! cost of one message. Goal: under 2 µs natively. `cargo bench --bench engine -- price` times the
//! price parser alone on one message per shape. `cargo bench --bench engine -- scaled` times the
//! same corpus against the shipped rules grown 1×, 3× and 10× (`scripts/scale-rules`): the goal is
//! that 10× costs at most 1.3× the shipped rules.

use aurora_concierge::embedded;
use aurora_concierge::engine::PriceParser;
use aurora_concierge::engine::PriceVocabulary;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

include!("messages.rs");

#[path = "support/scale_rules.rs"]
mod scale_rules;

/// The embedded rules with `intents.toml` grown `k`×, compiled (examples not run).
fn scaled_engine(k: usize) -> aurora_concierge::engine::Engine {
    let sources = embedded::sources()
        .into_iter()
        .map(|mut s| {
            if s.path.ends_with("intents.toml") {
                s.text = scale_rules::scale_intents(&s.text, k);
            }
            s
        })
        .collect();
    match aurora_concierge::rules::compile_sources(sources) {
        Ok(loaded) => loaded.engine,
        Err(report) => panic!("rules scaled {k}x do not compile:\n{report}"),
    }
}

/// Per-message cost as the rule set grows: each iteration classifies the next corpus message.
fn scaled(c: &mut Criterion) {
    for k in [1, 3, 10] {
        let engine = scaled_engine(k);
        let mut next = 0usize;
        c.bench_function(&format!("classify/scaled_{k}x"), |b| {
            b.iter(|| {
                let message = MESSAGES[next % MESSAGES.len()];
                next = next.wrapping_add(1);
                engine.classify(black_box(message))
            })
        });
    }
}

fn classify(c: &mut Criterion) {
    let engine = embedded::load().expect("embedded rules are valid");
    let mut next = 0usize;
    c.bench_function("classify/mixed_corpus_per_message", |b| {
        b.iter(|| {
            let message = MESSAGES[next % MESSAGES.len()];
            next = next.wrapping_add(1);
            engine.classify(black_box(message))
        })
    });
    c.bench_function("classify/whole_corpus_50_messages", |b| {
        b.iter(|| {
            for message in MESSAGES {
                black_box(engine.classify(black_box(message)));
            }
        })
    });
}

/// The price parser on its own, one message shape per case. `no_price` is the common case: a
/// message with digits that holds no price still pays for tokenizing and the cue search.
fn price_extract(c: &mut Criterion) {
    // The built-in vocabulary is the one rules/entities.toml ships.
    let parser = PriceParser::new(&PriceVocabulary::default());
    let cases: &[(&str, &str)] = &[
        (
            "under_currency",
            "Do you have rose gold engagement rings under $1,500?",
        ),
        (
            "words",
            "something around two thousand five hundred dollars",
        ),
        (
            "range",
            "show me platinum wedding bands between $800 and $2k",
        ),
        (
            "negated_cap",
            "a gold necklace for my mom, nothing over $600 please",
        ),
        (
            "two_part_range",
            "earrings at least 200 but no more than 500 dollars",
        ),
        (
            "budget",
            "diamond studs for my wife's birthday, my budget is 1500",
        ),
        (
            "no_price",
            "I need to resize my ring, it's too tight. I'm a size 6.5 now",
        ),
        ("no_number", "can I talk to a stylist about a custom piece?"),
    ];
    for (name, text) in cases {
        c.bench_function(&format!("price_extract/{name}"), |b| {
            b.iter(|| parser.extract(black_box(text)))
        });
    }
}

criterion_group!(benches, classify, scaled, price_extract);
criterion_main!(benches);
