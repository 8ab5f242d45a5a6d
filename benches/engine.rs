//! Classification speed on a mixed corpus of realistic jewelry-shop messages.
//!
//! `cargo bench --bench engine -- classify` reports the time per message (each iteration
//! classifies the next message of the corpus, round robin), so criterion's median is the median
//! cost of one message. Goal: under 2 µs natively. `cargo bench --bench engine -- price` times the
//! price parser alone on one message per shape.

use aurora_concierge::embedded;
use aurora_concierge::engine::price::PriceParser;
use aurora_concierge::engine::PriceVocabulary;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// Written for this benchmark: what shoppers type into a jewelry shop's chat.
const MESSAGES: &[&str] = &[
    "hi there!",
    "Do you have rose gold engagement rings under $1,500?",
    "where is my order AUR-100123",
    "I need to resize my ring, it's too tight. I'm a size 6.5 now",
    "can I talk to a stylist about a custom piece?",
    "looking for 14k gold hoops around $300",
    "has my necklace shipped yet? order #100456",
    "I want to return the bracelet I bought last week",
    "what's your return policy for earrings?",
    "show me platinum wedding bands between $800 and $2k",
    "thanks so much, that's perfect",
    "my email is jane.doe@example.com and order 100789",
    "diamond studs for my wife's birthday, budget is 2 grand",
    "is the gold real or plated?",
    "do you ship to Canada?",
    "the clasp on my tennis bracelet broke",
    "trak my order pls",
    "I'd like a refnd",
    "what time does your store open on saturday",
    "are you a bot?",
    "Necklaces under 200 dollars",
    "a white gold solitaire, 1 carat, size 7",
    "can I pay with paypal",
    "cancel my order please",
    "I forgot my password",
    "when will my earrings arrive? it's been two weeks",
    "I'd like to exchange my hoops for studs",
    "get me a human, this is useless",
    "something sparkly for my girlfriend, not too expensive",
    "bye!",
    "Do you sell men's chains? 18k yellow gold, ~$1k",
    "package says delivered but I never got it",
    "ring is too big, can you size it down to a 5",
    "any pearl earrings in stock?",
    "What's the price of the emerald pendant",
    "is there a warranty on your pieces",
    "I'm not sure what she likes, can an expert help me pick?",
    "my order hasn't arrived and I'm getting worried",
    "rosegold bangle",
    "how much is shipping to the UK",
    "yes please",
    "no thanks",
    "gift ideas under $100 for my mom",
    "USD 3.14",
    "Where's my refund? I returned the ring on the 3rd",
    "can I change the delivery address on order AUR-100999",
    "I want to buy a matching set, necklace and earrings",
    "¿tienen anillos de oro?",
    "my ring turned my finger green, I want my money back",
    "is it possible to get it engraved?",
];

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
