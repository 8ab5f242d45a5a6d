//! Classifies the benchmark's 50 shop messages `ROUNDS` times (default 200), for counting
//! instructions with valgrind, which does not depend on what else the machine is doing:
//! `scripts/classify-instructions` runs it twice (0 and N rounds) and prints instructions per
//! message.
use aurora_concierge::embedded;
use std::hint::black_box;

include!("../benches/messages.rs");

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let Ok(engine) = embedded::load() else {
        eprintln!("embedded rules are invalid");
        std::process::exit(1);
    };
    // Warm the per-thread scratch buffers and lazily built state once, so 0 rounds measures
    // everything but the steady-state classifications.
    for message in MESSAGES {
        black_box(engine.classify(black_box(message)));
    }
    for _ in 0..rounds {
        for message in MESSAGES {
            black_box(engine.classify(black_box(message)));
        }
    }
}
