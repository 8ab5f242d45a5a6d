//! Behaviour of the engine on the shipped rules: normalisation, typos, entities, masking of
//! numbers that are not prices, explain output, and the fail-closed engine.
#![cfg(not(target_arch = "wasm32"))]

use aurora_concierge::embedded;
use aurora_concierge::engine::{Engine, RuleKind, UNKNOWN_INTENT};

fn engine() -> &'static Engine {
    embedded::load().unwrap_or_else(|r| panic!("{r}"))
}

fn intent(text: &str) -> String {
    engine().classify(text).intent
}

#[test]
fn the_four_core_intents() {
    assert_eq!(intent("Where’s my order?"), "order_tracking");
    assert_eq!(
        intent("show me rose gold rings under $500"),
        "product_discovery"
    );
    assert_eq!(
        intent("I need to resize my ring to a 6"),
        "returns_resizing"
    );
    assert_eq!(
        intent("can I speak with a stylist please"),
        "stylist_escalation"
    );
}

#[test]
fn typos_of_longer_words_still_match() {
    assert_eq!(intent("where is my refnd"), "returns_resizing");
    assert_eq!(intent("trak my order"), "order_tracking");
    assert_eq!(intent("i want a neckalce"), "product_discovery");
    assert_eq!(
        engine()
            .classify("braclet for my wife")
            .entities
            .category
            .as_deref(),
        Some("bracelets")
    );
}

#[test]
fn slash_commands_win_outright() {
    let c = engine().classify("/track AUR-100123");
    assert_eq!(c.intent, "order_tracking");
    assert!((c.confidence - 1.0).abs() < 1e-3, "{}", c.confidence);
    assert!(c
        .matched
        .iter()
        .any(|m| m == "order_tracking.command./track"));
}

#[test]
fn nothing_matched_is_unknown_with_zero_confidence() {
    let c = engine().classify("qwertyuiop zxcvb");
    assert_eq!(c.intent, UNKNOWN_INTENT);
    assert_eq!(c.confidence, 0.0);
    assert!(c.matched.is_empty());
    assert_eq!(c.rules_version, engine().rules_version());
}

#[test]
fn weak_cues_alone_stay_unknown_below_the_threshold() {
    let c = engine().classify("silver");
    assert_eq!(c.intent, UNKNOWN_INTENT);
    assert!(c.confidence > 0.0 && c.confidence < engine().thresholds().min_confidence);
}

#[test]
fn metals_resolve_synonyms_and_the_gold_default() {
    let metal = |t: &str| engine().classify(t).entities.metal;
    assert_eq!(metal("14k gold hoops").as_deref(), Some("yellow_gold"));
    assert_eq!(metal("18K Gold band").as_deref(), Some("yellow_gold"));
    assert_eq!(metal("gold chain").as_deref(), Some("yellow_gold"));
    assert_eq!(
        metal("18k white gold solitaire").as_deref(),
        Some("white_gold")
    );
    assert_eq!(metal("rosegold studs").as_deref(), Some("rose_gold"));
    assert_eq!(metal("rose-gold studs").as_deref(), Some("rose_gold"));
    assert_eq!(metal("platinum band").as_deref(), Some("platinum"));
    assert_eq!(metal("a ring"), None);
}

#[test]
fn categories_resolve_synonyms_and_plurals() {
    let category = |t: &str| engine().classify(t).entities.category;
    assert_eq!(category("diamond studs").as_deref(), Some("earrings"));
    assert_eq!(category("a tennis bracelet").as_deref(), Some("bracelets"));
    assert_eq!(category("solitaires").as_deref(), Some("rings"));
    assert_eq!(category("a pendant").as_deref(), Some("necklaces"));
    assert_eq!(category("bangles").as_deref(), Some("bracelets"));
    assert_eq!(category("hoops").as_deref(), Some("earrings"));
}

#[test]
fn order_numbers_emails_and_ring_sizes() {
    let e = engine()
        .classify("order #100123 for Jane.Doe@Example.com, resize to size 6.5")
        .entities;
    assert_eq!(e.order_number.as_deref(), Some("AUR-100123"));
    assert_eq!(e.email.as_deref(), Some("Jane.Doe@Example.com"));
    assert_eq!(e.ring_size, Some(6.5));
    assert_eq!(
        engine()
            .classify("aur-100124")
            .entities
            .order_number
            .as_deref(),
        Some("AUR-100124")
    );
    assert_eq!(
        engine()
            .classify("order 100125 please")
            .entities
            .order_number
            .as_deref(),
        Some("AUR-100125")
    );
    assert_eq!(engine().classify("order 55123").entities.order_number, None);
}

#[test]
fn numbers_that_are_not_prices_never_become_prices() {
    for text in [
        "size 7",
        "order 55123",
        "14k gold",
        "18k white gold band",
        "AUR-100123",
        "1.5 carat",
        "ring size 6.5",
    ] {
        assert_eq!(engine().classify(text).entities.price, None, "{text}");
    }
}

#[test]
fn explain_lists_every_fired_rule_with_spans_and_the_reason() {
    let text = "Where is my order? I need a refund";
    let e = engine().explain(text);
    assert_eq!(e.classification, engine().classify(text));
    assert!(!e.hits.is_empty());
    for hit in &e.hits {
        assert_eq!(&text[hit.span.clone()], hit.matched_text, "{hit:?}");
        assert!(hit.score > 0.0);
    }
    assert!(e
        .hits
        .iter()
        .any(|h| h.kind == RuleKind::Phrase && h.matched_text == "Where is my order"));
    let intents: Vec<&str> = e.scores.iter().map(|s| s.intent.as_str()).collect();
    assert!(
        intents.contains(&"order_tracking") && intents.contains(&"returns_resizing"),
        "{intents:?}"
    );
    assert!(e.scores.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(
        e.reason.contains(&format!("`{}`", e.classification.intent)),
        "{}",
        e.reason
    );
}

#[test]
fn explain_reports_typo_corrections() {
    let e = engine().explain("refnd please");
    let hit = e
        .hits
        .iter()
        .find(|h| h.rule.starts_with("returns_resizing.phrase.refund"))
        .expect("refund fired");
    assert_eq!(hit.corrections, vec!["refnd → refund".to_string()]);
}

#[test]
fn fail_closed_engine_turns_everything_off() {
    let engine = Engine::fail_closed();
    assert_eq!(engine.classify("where is my order").intent, UNKNOWN_INTENT);
    let decision = engine.rollout().decide(Some("u-1"), None);
    assert!(!decision.enabled);
}

#[test]
fn prices_in_words_reach_the_price_parser() {
    // Regression guard for the gate that skips the price parser on messages without a digit,
    // `$` or a number/currency word.
    for text in [
        "five hundred dollars",
        "rings under a grand",
        "around two grand",
        "twenty bucks",
    ] {
        assert!(engine().classify(text).entities.price.is_some(), "{text}");
    }
    let direct = aurora_concierge::engine::price::PriceParser::new(&Default::default());
    for text in [
        "necklaces under 200 dollars",
        "hoops between $200 and $400",
        "studs ~$300",
    ] {
        assert_eq!(
            engine().classify(text).entities.price,
            direct.extract(text).map(|m| m.range),
            "{text}"
        );
    }
}
