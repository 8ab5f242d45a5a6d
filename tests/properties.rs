//! Property tests: no input (any Unicode, up to the 16 KiB request limit) makes the engine
//! panic, and classification is deterministic and well-formed.
#![cfg(not(target_arch = "wasm32"))]

use aurora_concierge::embedded;
use proptest::prelude::*;

fn check(text: &str) {
    let engine = embedded::engine();
    let a = engine.classify(text);
    let b = engine.classify(text);
    assert_eq!(a, b, "classification must be deterministic");
    assert!((0.0..=1.0).contains(&a.confidence));
    assert!(a.intent == "unknown" || engine.intent_ids().any(|i| i == a.intent));
    let e = engine.explain(text);
    assert_eq!(e.classification, a);
    for hit in &e.hits {
        assert!(
            text.get(hit.span.clone()).is_some(),
            "span {:?} not on char boundaries",
            hit.span
        );
    }
}

proptest! {
    // Long inputs are slow in debug builds; 32 cases up to 16 KiB plus the cases below suffice.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_unicode_up_to_16_kib(chars in proptest::collection::vec(any::<char>(), 0..4096)) {
        let text: String = chars.into_iter().collect();
        prop_assume!(text.len() <= 16 * 1024);
        check(&text);
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn shop_like_text(text in "[a-zA-Z0-9 $#@.,'’~/\\-]{0,300}") {
        check(&text);
    }

    #[test]
    fn words_from_the_rules_in_any_order(words in proptest::collection::vec(
        prop_oneof![
            Just("where"), Just("is"), Just("my"), Just("order"), Just("refund"), Just("ring"),
            Just("size"), Just("7"), Just("$500"), Just("under"), Just("14k"), Just("gold"),
            Just("rose-gold"), Just("AUR-100123"), Just("#100123"), Just("a@b.co"), Just("don’t"),
            Just("between"), Just("and"), Just("2k"), Just("grand"), Just("trak"), Just("/track"),
        ], 0..40)) {
        check(&words.join(" "));
    }
}

#[test]
fn sixteen_kib_of_one_word_does_not_panic() {
    check(&"order ".repeat(16 * 1024 / 6));
    check(&"é".repeat(8 * 1024));
    check(&"9".repeat(16 * 1024));
}
