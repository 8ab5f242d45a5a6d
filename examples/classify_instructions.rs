//! Classifies the benchmark's 50 shop messages `ROUNDS` times (default 200), for counting
//! instructions with valgrind, which does not depend on what else the machine is doing:
//! `scripts/classify-instructions` runs it twice (0 and N rounds) and prints instructions per
//! message. With `SCALE=K` the rules are the shipped ones grown K× (`scripts/scale-rules`).
//! With `BUILDS=N` it also builds the embedded engine N times as a fresh Worker isolate does
//! (`embedded::isolate_engine`, then the classification tables): the script's second figure;
//! with `WARM_ALL=1` also every regex (`Engine::warm_piece`): its third; with `LITE=1` instead
//! of that, every regex of the rules compiled with regex-lite, as the Worker compiles them: its
//! fourth.
use aurora_concierge::{embedded, engine::Engine, rules};
use std::hint::black_box;

include!("../benches/messages.rs");

#[path = "../benches/support/scale_rules.rs"]
mod scale_rules;

fn engine(scale: usize) -> Result<Engine, String> {
    if scale <= 1 {
        return embedded::load().cloned().map_err(str::to_string);
    }
    let sources = embedded::sources()
        .into_iter()
        .map(|mut s| {
            if s.path.ends_with("intents.toml") {
                s.text = scale_rules::scale_intents(&s.text, scale);
            }
            s
        })
        .collect();
    rules::compile_sources(sources)
        .map(|loaded| loaded.engine)
        .map_err(|report| report.to_string())
}

fn main() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = env("ROUNDS", 200);
    // Read once in every run, so the differences count only what they should.
    let regex_sources = embedded::regex_sources();
    for _ in 0..env("BUILDS", 0) {
        match embedded::isolate_engine() {
            Ok(engine) => {
                // TABLES=0: only what precedes an isolate's first answer (the rules' identity).
                if env("TABLES", 1) == 1 {
                    engine.warm();
                }
                // TYPOS=1: the typo index too, which the first unknown word builds.
                if env("TYPOS", 0) == 1 {
                    engine.warm_piece(1);
                }
                // WARM_ALL=1: every regex too, as the Worker does after its first response
                // (LITE=1: with regex-lite, the Worker's regex engine).
                if env("WARM_ALL", 0) == 1 && env("LITE", 0) == 1 {
                    for source in &regex_sources {
                        let compiled = aurora_concierge::engine::compile_lite(source);
                        std::mem::forget(black_box(compiled));
                    }
                } else if env("WARM_ALL", 0) == 1 {
                    (2..).take_while(|&piece| engine.warm_piece(piece)).count();
                }
                // An isolate never drops its engine: count the build, not the drop.
                std::mem::forget(black_box(engine));
            }
            Err(report) => {
                eprintln!("{report}");
                std::process::exit(1);
            }
        }
    }
    let engine = match engine(env("SCALE", 1)) {
        Ok(engine) => engine,
        Err(report) => {
            eprintln!("rules are invalid:\n{report}");
            std::process::exit(1);
        }
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
