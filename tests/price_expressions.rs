//! Data-driven price expression tests: every `[[case]]` and `[[negative]]` in
//! `tests/data/prices.toml`, plus property tests over arbitrary text.

use aurora_concierge::engine::{PriceKind, PriceVocabulary};
use aurora_concierge::engine::{PriceMatch, PriceParser};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
    negative: Vec<Negative>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    text: String,
    min: Option<f64>,
    max: Option<f64>,
    kind: PriceKind,
    /// The exact matched text, when the case pins it.
    span: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Negative {
    text: String,
}

fn read_cases(name: &str) -> Cases {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    toml::from_str(&source).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cases() -> Cases {
    read_cases("prices.toml")
}

fn parser() -> PriceParser {
    PriceParser::new(&PriceVocabulary::default())
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        _ => false,
    }
}

#[test]
fn corpus_is_large_enough() {
    let cases = cases();
    assert!(
        cases.case.len() >= 250,
        "{} positive cases",
        cases.case.len()
    );
    assert!(
        cases.negative.len() >= 80,
        "{} negative cases",
        cases.negative.len()
    );
}

/// Why `case` fails, or `None` when the parser reads it as declared.
fn check_case(parser: &PriceParser, case: &Case) -> Option<String> {
    let Some(found) = parser.extract(&case.text) else {
        return Some(format!("{:?}: no price", case.text));
    };
    let r = found.range;
    let span = &case.text[found.start..found.end];
    if r.kind != case.kind || !close(r.min, case.min) || !close(r.max, case.max) {
        Some(format!(
            "{:?}: got {:?} min {:?} max {:?} from {span:?}; want {:?} min {:?} max {:?}",
            case.text, r.kind, r.min, r.max, case.kind, case.min, case.max
        ))
    } else if case.span.as_deref().is_some_and(|want| want != span) {
        Some(format!(
            "{:?}: span {span:?}, want {:?}",
            case.text,
            case.span.as_deref().unwrap_or_default()
        ))
    } else {
        None
    }
}

#[test]
fn every_positive_case_extracts_its_range() {
    let parser = parser();
    let failures: Vec<String> = cases()
        .case
        .iter()
        .filter_map(|case| check_case(&parser, case))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Not a gate: prints how many of the held-out phrasings (written apart from prices.toml)
/// come out as declared, and which do not. `cargo test --test price_expressions held_out --
/// --nocapture` shows the list.
#[test]
fn held_out_pass_rate() {
    let parser = parser();
    let held_out = read_cases("prices_heldout.toml");
    let mut misses: Vec<String> = held_out
        .case
        .iter()
        .filter_map(|case| check_case(&parser, case))
        .collect();
    misses.extend(held_out.negative.iter().filter_map(|n| {
        parser
            .extract(&n.text)
            .map(|m| format!("{:?}: got {:?}, want no price", n.text, m.range))
    }));
    let total = held_out.case.len() + held_out.negative.len();
    let passed = total - misses.len();
    println!(
        "held-out price phrasings: {passed}/{total} ({:.1} %) as declared",
        100.0 * passed as f64 / total.max(1) as f64
    );
    for miss in &misses {
        println!("  miss: {miss}");
    }
}

#[test]
fn no_negative_case_is_a_price() {
    let parser = parser();
    let failures: Vec<String> = cases()
        .negative
        .iter()
        .filter_map(|n| {
            parser.extract(&n.text).map(|m| {
                format!(
                    "{:?}: got {:?} from {:?}",
                    n.text,
                    m.range,
                    &n.text[m.start..m.end]
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn built_in_vocabulary_is_the_one_the_rules_ship() {
    // Tests, benches and `EntityExtractor::default` use `PriceVocabulary::default()`; it must be
    // the `[prices]` table of rules/entities.toml, or they test a parser nobody runs.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/entities.toml");
    let source = std::fs::read_to_string(path).expect("rules/entities.toml is readable");
    let mut table: toml::Table = toml::from_str(&source).expect("rules/entities.toml is valid");
    let prices = table.remove("prices").expect("a [prices] table");
    let shipped: PriceVocabulary = prices.try_into().expect("[prices] is a vocabulary");
    assert_eq!(shipped, PriceVocabulary::default());
}

#[test]
fn vocabulary_drives_the_bound_words() {
    // A vocabulary without "under" does not read "under 500"; one with "beneath" does.
    let mut vocabulary = PriceVocabulary::default();
    vocabulary.under.retain(|w| w != "under");
    vocabulary.under.push("Beneath".into());
    let parser = PriceParser::new(&vocabulary);
    assert_eq!(parser.extract("under 500"), None);
    let found = parser.extract("beneath 500").map(|m| m.range);
    assert_eq!(
        found.map(|r| (r.kind, r.max)),
        Some((PriceKind::Under, Some(500.0)))
    );
}

#[test]
fn empty_vocabulary_phrases_are_ignored() {
    let mut vocabulary = PriceVocabulary::default();
    vocabulary.approx.push(String::new());
    vocabulary.range_joiners.push("   ".into());
    let parser = PriceParser::new(&vocabulary);
    assert_eq!(parser.extract("$5").map(|m| m.range.min), Some(Some(5.0)));
}

/// Tokens that steer random text into the grammar's deeper paths: bounds, negations, budgets,
/// postfixes, two-part connectors, currency codes and signs, number words, cents.
fn pricey_token() -> impl Strategy<Value = String> {
    const WORDS: &[&str] = &[
        "$",
        "under",
        "between",
        "and",
        "to",
        "-",
        "–",
        "k",
        "grand",
        "a",
        "hundred",
        "thousand",
        "twenty",
        "five",
        "half",
        "couple",
        "dollars",
        "dollar",
        "cents",
        "c",
        "US$",
        "USD",
        "€",
        "Rs.",
        "gold",
        "~",
        "or less",
        "or so",
        "ish",
        "+",
        "plus",
        "tops",
        "max",
        "min",
        "nothing",
        "not",
        "no",
        "can't",
        "don’t",
        "want",
        "spend",
        "to spend",
        "budget",
        "is",
        "my",
        "'s",
        "over",
        "at least",
        "but",
        "no more than",
        "more than",
        "range",
        "<",
        ">",
        "size",
        "#",
        "%",
        "of",
        "lakh",
        "billion",
        "exactly",
        "around",
        "14k",
        "rings",
        "th",
        ",",
        ".",
    ];
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => "[0-9]{1,20}",
        1 => "[0-9]{1,3}(,[0-9]{3}){0,4}(\\.[0-9]{1,8})?",
        1 => "\\PC{0,3}",
    ]
}

/// Every span of `m` is a non-empty range of `text` on char boundaries, the second after the
/// first, and the range's bounds are ordered.
fn well_formed(text: &str, m: &PriceMatch) -> Result<(), TestCaseError> {
    for span in m.spans() {
        prop_assert!(span.start < span.end && span.end <= text.len(), "{span:?}");
        prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    }
    if let Some(second) = &m.second {
        prop_assert!(m.end <= second.start, "{m:?}");
    }
    if let (Some(lo), Some(hi)) = (m.range.min, m.range.max) {
        prop_assert!(lo <= hi, "{:?}", m.range);
    }
    Ok(())
}

proptest! {
    // Long inputs are slow in debug builds; 64 cases of up to 16 KiB each per run.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn never_panics_and_spans_are_char_boundaries(text in "\\PC{0,4096}") {
        if let Some(m) = parser().extract(&text) {
            well_formed(&text, &m)?;
        }
    }

    #[test]
    fn any_unicode_up_to_16_kib(text in any::<String>().prop_map(|s| s.chars().cycle().take(4096).collect::<String>())) {
        if let Some(m) = parser().extract(&text) {
            well_formed(&text, &m)?;
        }
    }

    #[test]
    fn price_words_around_arbitrary_unicode(
        parts in prop::collection::vec((pricey_token(), any::<char>()), 0..32),
    ) {
        // Multi-byte characters glued to every grammar path: spans must stay on boundaries.
        let text: String = parts.iter().flat_map(|(t, c)| t.chars().chain([*c])).collect();
        if let Some(m) = parser().extract(&text) {
            well_formed(&text, &m)?;
        }
    }
}

proptest! {
    // `PROPTEST_CASES` (default 256) scales this one for longer fuzzing runs.
    #[test]
    fn price_like_text_is_handled_and_deterministic(
        tokens in prop::collection::vec(pricey_token(), 0..64),
        spaced in any::<bool>(),
    ) {
        let text = tokens.join(if spaced { " " } else { "" });
        let parser = parser();
        let first = parser.extract(&text);
        if let Some(m) = &first {
            well_formed(&text, m)?;
        }
        prop_assert_eq!(first, parser.extract(&text));
    }
}

#[test]
fn long_messages_spill_to_the_heap_and_keep_spans() {
    // Regression guard for the stack/heap token buffer: a price past the first 48 tokens.
    let filler = "please show me something pretty, ".repeat(30);
    let text = format!("{filler}rings between $1,200 and 2k for size 7");
    let found = parser().extract(&text).expect("a price after 150 tokens");
    assert_eq!(&text[found.start..found.end], "between $1,200 and 2k");
    assert_eq!(
        (found.range.min, found.range.max),
        (Some(1200.0), Some(2000.0))
    );
}
