//! Whole-answer accuracy on shopper queries (`tests/data/shopper-queries.tsv`): a query is right
//! when the intent, the category, the metal and the price (kind and bounds, or no price at all:
//! an invented price is wrong) all match. The file is split by a hash of the text into a dev half
//! (rules may be tuned on it) and a test half (reported, never tuned on).
//!
//! `cargo test --test shopper_queries -- --nocapture` prints both figures and every miss.
#![cfg(not(target_arch = "wasm32"))]

use aurora_concierge::embedded;
use aurora_concierge::engine::{Classification, PriceKind};

struct Query {
    text: String,
    intent: String,
    category: Option<String>,
    metal: Option<String>,
    /// `None`: no price may be found.
    price: Option<(PriceKind, Option<f64>, Option<f64>)>,
}

fn opt(s: &str) -> Option<String> {
    (s != "-").then(|| s.to_string())
}

fn price(s: &str) -> Option<(PriceKind, Option<f64>, Option<f64>)> {
    if s == "-" {
        return None;
    }
    let mut parts = s.split(':');
    let kind = match parts.next() {
        Some("under") => PriceKind::Under,
        Some("over") => PriceKind::Over,
        Some("between") => PriceKind::Between,
        Some("approx") => PriceKind::Approx,
        Some("exact") => PriceKind::Exact,
        other => panic!("bad price kind {other:?} in {s}"),
    };
    let num = |p: Option<&str>| {
        p.filter(|v| !v.is_empty())
            .map(|v| v.parse().expect("number"))
    };
    Some((kind, num(parts.next()), num(parts.next())))
}

fn queries() -> Vec<Query> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/shopper-queries.tsv"
    );
    let text = std::fs::read_to_string(path).expect("readable");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !l.starts_with("text\t"))
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 5, "five columns: {l}");
            Query {
                text: c[0].to_string(),
                intent: c[1].to_string(),
                category: opt(c[2]),
                metal: opt(c[3]),
                price: price(c[4]),
            }
        })
        .collect()
}

/// FNV-1a of the text: which half a query belongs to, stable across runs and machines.
fn in_test_half(text: &str) -> bool {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h % 2 == 1
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() < 1e-6,
        _ => false,
    }
}

fn miss(q: &Query, c: &Classification) -> Option<String> {
    let e = &c.entities;
    let price_ok = match (&q.price, &e.price) {
        (None, None) => true,
        (Some((kind, min, max)), Some(p)) => {
            p.kind == *kind && close(p.min, *min) && close(p.max, *max)
        }
        _ => false,
    };
    let ok = c.intent == q.intent && e.category == q.category && e.metal == q.metal && price_ok;
    (!ok).then(|| {
        format!(
            "{:<55} got {} {:?} {:?} {} | want {} {:?} {:?} {:?}",
            q.text,
            c.intent,
            e.category,
            e.metal,
            e.price
                .map(|p| format!("{:?}:{:?}:{:?}", p.kind, p.min, p.max))
                .unwrap_or_else(|| "-".into()),
            q.intent,
            q.category,
            q.metal,
            q.price
        )
    })
}

#[test]
fn whole_answers_on_shopper_queries() {
    let engine = embedded::load().expect("embedded rules");
    let mut totals = [(0usize, 0usize); 2];
    let mut misses = Vec::new();
    for q in queries() {
        let half = usize::from(in_test_half(&q.text));
        let c = engine.classify(&q.text);
        totals[half].1 += 1;
        match miss(&q, &c) {
            None => totals[half].0 += 1,
            Some(m) => misses.push(format!("[{}] {m}", ["dev", "test"][half])),
        }
    }
    for m in &misses {
        println!("miss {m}");
    }
    for (name, (right, all)) in ["dev", "test"].iter().zip(totals) {
        println!(
            "shopper queries, {name} half: {right}/{all} whole answers right ({:.1} %)",
            100.0 * right as f64 / all as f64
        );
    }
    let (right, all) = (totals[0].0 + totals[1].0, totals[0].1 + totals[1].1);
    assert!(
        right as f64 >= 0.90 * all as f64,
        "whole-answer accuracy {right}/{all} fell below 90 %"
    );
}
