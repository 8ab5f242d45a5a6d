//! Classification speed on a mixed corpus of realistic jewelry-shop messages.
//!
//! `cargo bench --bench engine -- classify` reports the time per message (each iteration
//! classifies the next message of the corpus, round robin), so criterion's median is the median
//! cost of one message. Goal: under 2 µs natively.

use aurora_concierge::embedded;
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

criterion_group!(benches, classify);
criterion_main!(benches);
