//! Data-driven price expression tests: every `[[case]]` and `[[negative]]` in
//! `tests/data/prices.toml`, plus property tests over arbitrary text.

use aurora_concierge::engine::price::PriceParser;
use aurora_concierge::engine::{PriceKind, PriceVocabulary};
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

fn cases() -> Cases {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/prices.toml");
    let source = std::fs::read_to_string(path).expect("tests/data/prices.toml is readable");
    toml::from_str(&source).expect("tests/data/prices.toml is valid")
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
        cases.case.len() >= 80,
        "{} positive cases",
        cases.case.len()
    );
    assert!(
        cases.negative.len() >= 25,
        "{} negative cases",
        cases.negative.len()
    );
}

#[test]
fn every_positive_case_extracts_its_range() {
    let parser = parser();
    let mut failures = Vec::new();
    for case in cases().case {
        let Some(found) = parser.extract(&case.text) else {
            failures.push(format!("{:?}: no price", case.text));
            continue;
        };
        let r = found.range;
        let span = &case.text[found.start..found.end];
        if r.kind != case.kind || !close(r.min, case.min) || !close(r.max, case.max) {
            failures.push(format!(
                "{:?}: got {:?} min {:?} max {:?} from {span:?}; want {:?} min {:?} max {:?}",
                case.text, r.kind, r.min, r.max, case.kind, case.min, case.max
            ));
        } else if case.span.as_deref().is_some_and(|want| want != span) {
            failures.push(format!(
                "{:?}: span {span:?}, want {:?}",
                case.text,
                case.span.as_deref().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
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

/// Tokens that steer random text into the grammar's deeper paths.
fn pricey_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$".to_string()),
        Just("under".to_string()),
        Just("between".to_string()),
        Just("and".to_string()),
        Just("to".to_string()),
        Just("-".to_string()),
        Just("k".to_string()),
        Just("grand".to_string()),
        Just("a".to_string()),
        Just("hundred".to_string()),
        Just("thousand".to_string()),
        Just("twenty".to_string()),
        Just("five".to_string()),
        Just("dollars".to_string()),
        Just("cents".to_string()),
        Just("c".to_string()),
        Just("US$".to_string()),
        Just("gold".to_string()),
        Just("~".to_string()),
        Just("or less".to_string()),
        Just("+".to_string()),
        "[0-9]{1,20}",
        "[0-9]{1,3}(,[0-9]{3}){0,4}(\\.[0-9]{1,8})?",
        "\\PC{0,3}",
    ]
}

proptest! {
    // Long inputs are slow in debug builds; 64 cases of up to 16 KiB each per run.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn never_panics_and_spans_are_char_boundaries(text in "\\PC{0,4096}") {
        let parser = parser();
        if let Some(m) = parser.extract(&text) {
            prop_assert!(m.start < m.end && m.end <= text.len());
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        }
    }

    #[test]
    fn any_unicode_up_to_16_kib(text in any::<String>().prop_map(|s| s.chars().cycle().take(4096).collect::<String>())) {
        let parser = parser();
        if let Some(m) = parser.extract(&text) {
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
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
            prop_assert!(m.start < m.end && m.end <= text.len());
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
            let r = m.range;
            if let (Some(lo), Some(hi)) = (r.min, r.max) {
                prop_assert!(lo <= hi, "{:?}", r);
            }
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
