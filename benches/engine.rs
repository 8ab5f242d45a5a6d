//! Classification speed on a mixed corpus of realistic jewelry-shop messages.
//!
//! `cargo bench --bench engine -- classify` reports the time per message (each iteration
//! classifies the next message of the corpus, round robin), so criterion's median is the median
//! cost of one message. Goal: under 2 µs natively. `cargo bench --bench engine -- price` times the
//! price parser alone on one message per shape.

use aurora_concierge::embedded;
use aurora_concierge::engine::PriceParser;
use aurora_concierge::engine::PriceVocabulary;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

include!("messages.rs");

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

criterion_group!(benches, classify, price_extract);
criterion_main!(benches);
