//! Ad-hoc timing of `PriceParser::extract`: `cargo run --profile bench --example price_timing [TEXT...]`.
use aurora_concierge::engine::PriceParser;
use aurora_concierge::engine::PriceVocabulary;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let parser = PriceParser::new(&PriceVocabulary::default());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<&str> = if args.is_empty() {
        vec![
            "do you have rose gold hoops in stock?",
            "looking for a 14k gold ring under $500",
            "x",
            "1 2 3 4 5 6 7 8 9 10 11 12",
        ]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for text in texts {
        let n: u32 = std::env::var("ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500_000);
        let start = Instant::now();
        for _ in 0..n {
            black_box(parser.extract(black_box(text)));
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(n);
        println!("{text:?}: {ns:.0} ns");
    }
}
