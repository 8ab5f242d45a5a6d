//! Behaviour of the engine on the shipped rules: normalisation, typos, entities, masking of
//! numbers that are not prices, explain output, and the fail-closed engine.
#![cfg(not(target_arch = "wasm32"))]

use aurora_concierge::embedded;
use aurora_concierge::engine::{Engine, EngineSpec, RuleKind, UNKNOWN_INTENT};

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
        .any(|m| &**m == "order_tracking.command./track"));
}

#[test]
fn nothing_matched_is_unknown_with_zero_confidence() {
    let c = engine().classify("and so on then");
    assert_eq!(c.intent, UNKNOWN_INTENT);
    assert_eq!(c.confidence, 0.0);
    assert!(c.matched.is_empty());
    assert_eq!(&*c.rules_version, engine().rules_version());
}

#[test]
fn weak_cues_alone_stay_unknown_below_the_threshold() {
    let c = engine().classify("jewelry");
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
    let direct = aurora_concierge::engine::PriceParser::new(&Default::default());
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

/// Regression: "no" inside "no more than $300" voted for `deny`; entity words are now hidden
/// from intent phrases, and the price itself is evidence for shopping.
#[test]
fn words_inside_a_price_do_not_fire_intent_phrases() {
    for text in ["earrings no more than $300", "necklaces no more than 300"] {
        let e = engine().explain(text);
        assert_eq!(e.classification.intent, "product_discovery", "{text}");
        assert!(
            !e.hits.iter().any(|h| h.intent == "deny"),
            "{text}: {:?}",
            e.hits
        );
        assert!(e.intent_text.contains("{price}"), "{}", e.intent_text);
        assert!(e
            .hits
            .iter()
            .any(|h| h.rule == "product_discovery.evidence.price"));
    }
}

#[test]
fn order_number_digits_are_evidence_not_words() {
    let e = engine().explain("AUR-100123");
    assert_eq!(e.classification.intent, "order_tracking");
    assert_eq!(e.intent_text, "aur {order_number}");
    let hit = e
        .hits
        .iter()
        .find(|h| h.rule == "order_tracking.evidence.order_number")
        .expect("evidence hit");
    assert_eq!(hit.matched_text, "100123");
}

#[test]
fn a_message_that_only_names_products_is_shopping() {
    for (text, category) in [
        ("star necklace", Some("necklaces")),
        ("hoops", Some("earrings")),
        ("signet ring for men", Some("rings")),
        ("chunky chain", Some("necklaces")),
        ("in rose gold", None),
        ("knecklace", Some("necklaces")),
        ("earings", Some("earrings")),
        ("braclet", Some("bracelets")),
    ] {
        let c = engine().classify(text);
        assert_eq!(c.intent, "product_discovery", "{text}");
        assert_eq!(c.entities.category.as_deref(), category, "{text}");
        assert_eq!(c.entities.price, None, "{text}: no invented price");
    }
}

#[test]
fn a_named_category_beats_one_implied_by_a_style() {
    let e = engine().classify("solitaire pendant necklace").entities;
    assert_eq!(e.category.as_deref(), Some("necklaces"));
    assert_eq!(e.categories, ["necklaces"]);
    assert_eq!(e.styles, ["solitaire", "pendant"]);
    let e = engine().classify("a solitaire").entities;
    assert_eq!(
        e.category.as_deref(),
        Some("rings"),
        "implied when none named"
    );
    let e = engine().classify("gold chain bracelet").entities;
    assert_eq!(e.category.as_deref(), Some("bracelets"));
}

#[test]
fn two_categories_come_in_order_of_mention() {
    let e = engine()
        .classify("earrings and a necklace to match")
        .entities;
    assert_eq!(e.categories, ["earrings", "necklaces"]);
    assert_eq!(e.category.as_deref(), Some("earrings"));
    let e = engine().classify("a necklace and earrings").entities;
    assert_eq!(e.categories, ["necklaces", "earrings"]);
}

#[test]
fn things_the_shop_does_not_sell_are_recognised_with_alternatives() {
    let c = engine().classify("sterling silver studs");
    assert_eq!(c.intent, "product_discovery");
    assert_eq!(c.entities.metal, None, "silver is not mapped to a metal");
    assert_eq!(c.entities.category.as_deref(), Some("earrings"));
    let silver = &c.entities.unsupported[0];
    assert_eq!(silver.id, "silver");
    assert_eq!(silver.instead, ["white_gold", "platinum"]);

    let band = engine().classify("titanium band").entities;
    assert_eq!(band.unsupported[0].id, "titanium");
    assert_eq!(band.unsupported[0].instead, ["platinum"]);
    assert_eq!(band.category.as_deref(), Some("rings"));

    let anklet = engine().classify("gold ankle bracelet").entities;
    assert_eq!(anklet.unsupported[0].id, "anklets");
    assert!(anklet.unsupported[0].instead.is_empty());
    assert_eq!(anklet.category, None, "an ankle bracelet is not a bracelet");
    assert_eq!(anklet.metal.as_deref(), Some("yellow_gold"));
}

#[test]
fn what_the_shopper_does_not_want_is_excluded_not_searched_for() {
    use aurora_concierge::engine::{Excluded, ExcludedKind};
    let excluded = |kind, id: &str| Excluded {
        kind,
        id: id.to_string(),
    };
    let c = engine().classify("anything but yellow gold");
    assert_eq!(c.intent, "product_discovery");
    assert_eq!(c.entities.metal, None);
    assert_eq!(
        c.entities.excluded,
        [excluded(ExcludedKind::Metal, "yellow_gold")]
    );

    // The "no" of "no diamonds" belongs to the diamonds: it is not a "no".
    let c = engine().classify("no diamonds please");
    assert_eq!(c.intent, "product_discovery");
    assert!(c.entities.styles.is_empty());
    assert_eq!(
        c.entities.excluded,
        [excluded(ExcludedKind::Style, "diamond")]
    );

    let c = engine().classify("i'm not a fan of yellow gold, do you have platinum rings");
    assert_eq!(c.entities.metals, ["platinum"]);
    assert_eq!(c.entities.categories, ["rings"]);
    assert_eq!(
        c.entities.excluded,
        [excluded(ExcludedKind::Metal, "yellow_gold")]
    );

    let c = engine()
        .classify("white gold instead of yellow gold")
        .entities;
    assert_eq!(c.metals, ["white_gold"]);
    assert_eq!(c.excluded, [excluded(ExcludedKind::Metal, "yellow_gold")]);

    let c = engine().classify("not rings, earrings").entities;
    assert_eq!(c.categories, ["earrings"]);
    assert_eq!(c.excluded, [excluded(ExcludedKind::Category, "rings")]);

    let c = engine().classify("necklaces without diamonds").entities;
    assert_eq!(c.categories, ["necklaces"]);
    assert_eq!(c.excluded, [excluded(ExcludedKind::Style, "diamond")]);

    // Punctuation ends a negation; other words between do too; prices keep their own.
    for (text, metal) in [
        ("no, gold please", Some("yellow_gold")),
        ("gold rings", Some("yellow_gold")),
        ("no more than $300 gold rings", Some("yellow_gold")),
        ("not sure, maybe rose gold", Some("rose_gold")),
        ("is this not real gold", Some("yellow_gold")),
    ] {
        let e = engine().classify(text).entities;
        assert_eq!(e.metal.as_deref(), metal, "{text}");
        if metal.is_some() {
            assert!(e.excluded.is_empty(), "{text}: {:?}", e.excluded);
        }
    }
    assert_eq!(intent("is this not real gold"), "store_information");
}

#[test]
fn a_person_asking_for_a_person_gets_a_stylist() {
    for text in [
        "could a jewelry specialist help me compare two necklaces",
        "can a stylist help me pick an anniversary gift",
        "I'd like someone to help me choose an engagement ring under $3k",
    ] {
        assert_eq!(intent(text), "stylist_escalation", "{text}");
    }
    assert_eq!(
        intent("help me pick an anniversary gift"),
        "product_discovery"
    );
}

#[test]
fn entities_are_context_and_never_outweigh_a_strong_phrase() {
    assert_eq!(
        intent("the clasp on my rose gold tennis bracelet snapped"),
        "returns_resizing"
    );
    assert_eq!(intent("can I add a chain to my order"), "order_changes");
}

#[test]
fn explain_reports_every_step_with_entity_evidence() {
    let e = engine().explain("rose gold rings under $500");
    let kinds: Vec<&str> = e
        .entity_spans
        .mentions
        .iter()
        .map(|m| m.kind.name())
        .collect();
    assert_eq!(kinds, ["metal", "category", "price"]);
    let price = &e.entity_spans.mentions[2];
    assert_eq!(price.text, "under $500");
    assert_eq!(e.intent_text, "rose gold ring {price}");
    let evidence: Vec<&str> = e
        .hits
        .iter()
        .filter(|h| h.kind == RuleKind::Evidence)
        .map(|h| h.rule.as_str())
        .collect();
    assert_eq!(
        evidence,
        [
            "product_discovery.evidence.metal",
            "product_discovery.evidence.category",
            "product_discovery.evidence.price"
        ]
    );
    let added: f64 = e
        .hits
        .iter()
        .filter(|h| h.kind == RuleKind::Evidence)
        .map(|h| h.score)
        .sum();
    assert!((added - 0.9).abs() < 1e-9, "evidence is capped: {added}");
    let implied = engine().explain("hoops");
    let category = implied
        .entity_spans
        .mentions
        .iter()
        .find(|m| m.kind.name() == "category")
        .expect("implied category");
    assert_eq!(category.implied_by.as_deref(), Some("hoop"));
}

#[test]
fn follow_ups_have_their_own_intents() {
    assert_eq!(intent("cheaper"), "cheaper");
    assert_eq!(intent("something fancier"), "pricier");
    assert_eq!(intent("show me more"), "more_results");
    assert_eq!(intent("more"), "more_results");
    assert_eq!(intent("start over"), "start_over");
    assert_eq!(intent("what about necklaces"), "product_discovery");
    assert_eq!(intent("under 300 instead"), "product_discovery");
}

#[test]
fn the_domain_comes_from_the_rules() {
    let d = engine().domain();
    assert_eq!(
        d.categories,
        ["rings", "necklaces", "earrings", "bracelets"]
    );
    assert_eq!(
        d.metals,
        ["yellow_gold", "white_gold", "rose_gold", "platinum"]
    );
    assert!(d.is_order_number("AUR-100123"));
    assert!(!d.is_order_number("AUR-10012"));
    assert!(!d.is_order_number("AUR-10012é"));
    assert_eq!(d.order_number.example, "AUR-123456");
    assert!(d
        .styles
        .iter()
        .any(|s| s.id == "hoop" && s.implies.as_deref() == Some("earrings")));
    assert!(d.unsupported.iter().any(|u| u.id == "silver"));
    assert_eq!((d.ring_sizes.min, d.ring_sizes.max), (3.0, 13.0));
}

#[test]
fn a_short_message_of_unknown_words_is_a_product_search() {
    for text in ["peridot", "fish oil", "need pillows", "alexandrite pendant"] {
        let e = engine().explain(text);
        assert_eq!(e.classification.intent, "product_discovery", "{text}");
    }
    let e = engine().explain("peridot");
    assert!(e.hits.iter().any(
        |h| h.rule == "product_discovery.evidence.unrecognised" && h.matched_text == "peridot"
    ));
    // Stopwords and longer sentences do not count.
    assert_eq!(intent("and so on then"), UNKNOWN_INTENT);
    assert_eq!(
        intent("my neighbour says the weather will be lovely this weekend"),
        UNKNOWN_INTENT
    );
    // Order-number prefixes are not unknown words.
    assert_eq!(intent("AUR-100123"), "order_tracking");
}

#[test]
fn money_signs_alone_wake_the_price_parser() {
    let price = |t: &str| engine().classify(t).entities.price.map(|p| (p.max, p.kind));
    use aurora_concierge::engine::PriceKind;
    assert_eq!(
        price("earrings under £300"),
        Some((Some(300.0), PriceKind::Under))
    );
    assert_eq!(
        price("rings under €400"),
        Some((Some(400.0), PriceKind::Under))
    );
    assert_eq!(price("a ring, nice. really."), None);
}

/// The Worker's engine (`Engine::deferred`) knows its identity and domain before it builds its
/// classification tables, and once built it classifies exactly like the engine compiled up front.
#[test]
fn a_deferred_engine_is_the_compiled_engine_built_later() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let loaded = aurora_concierge::rules::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let eager = Engine::compile(&loaded.spec).expect("shipped rules compile");
    let lazy = Engine::deferred(loaded.spec.clone());
    assert!(eager.is_warm());
    assert!(!lazy.is_warm(), "nothing is built before it is needed");
    assert_eq!(lazy.rules_version(), eager.rules_version());
    assert_eq!(lazy.content_hash(), eager.content_hash());
    assert_eq!(
        lazy.domain(),
        eager.domain(),
        "the domain read from the spec is the compiled one"
    );
    assert_eq!(lazy.thresholds(), eager.thresholds());
    assert!(
        !lazy.is_warm(),
        "identity, domain and thresholds need no tables"
    );
    lazy.warm();
    assert!(lazy.is_warm());
    for text in [
        "rose gold rings under $500",
        "where is my order AUR-123456, jane@example.com",
        "nothing over $600 in white gold",
        "I want to return a ring, size 7",
        "hello",
        "asdf qwerty",
    ] {
        assert_eq!(lazy.classify(text), eager.classify(text), "{text}");
    }
    // Without warm(), the first message builds them.
    let first_use = Engine::deferred(loaded.spec);
    assert_eq!(
        first_use.classify("rose gold rings under $500").intent,
        "product_discovery"
    );
    assert!(first_use.is_warm());
}

/// The Worker's engine reads only the rule set's identity before its first answer
/// (`Engine::deferred_encoded`, the form `build.rs` embeds) and the whole rule set when it builds its
/// tables: the same identity, domain and replies, the same classifications, and a rule set of
/// another hash is refused (every message `unknown`) rather than mixed with this identity.
#[test]
fn an_engine_from_its_identity_and_the_encoded_rules_is_the_compiled_engine() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let loaded = aurora_concierge::rules::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let eager = Engine::compile(&loaded.spec).expect("shipped rules compile");
    let identity = loaded.spec.identity();
    let encoded: &'static [u8] = Box::leak(loaded.spec.encode().into_boxed_slice());
    let lazy = Engine::deferred_encoded(&identity, encoded);
    assert_eq!(lazy.rules_version(), eager.rules_version());
    assert_eq!(lazy.domain(), eager.domain());
    assert_eq!(lazy.domain_json().get(), eager.domain_json().get());
    assert_eq!(lazy.thresholds(), eager.thresholds());
    assert!(!lazy.is_warm());
    for text in [
        "rose gold rings under $500",
        "where is my order AUR-123456",
        "hello",
        "/track",
    ] {
        assert_eq!(lazy.classify(text), eager.classify(text), "{text}");
    }
    let mut other = loaded.spec.clone();
    other.content_hash = "0000".into();
    let other: &'static [u8] = Box::leak(other.encode().into_boxed_slice());
    let mismatched = Engine::deferred_encoded(&identity, other);
    assert_eq!(
        mismatched.classify("rose gold rings under $500").intent,
        "unknown"
    );
}

/// The embedded form reads back to the rule set it was written from, and bytes cut short or
/// followed by more are refused with a reason rather than read as another rule set.
#[test]
fn the_encoded_rule_set_reads_back_and_refuses_damaged_bytes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let loaded = aurora_concierge::rules::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    for spec in [
        loaded.spec.clone(),
        loaded.spec.clone().for_worker(),
        loaded.spec.identity(),
    ] {
        let bytes = spec.encode();
        assert_eq!(EngineSpec::decode(&bytes).as_ref(), Ok(&spec));
        let short = EngineSpec::decode(&bytes[..bytes.len() - 1]);
        assert!(short.is_err(), "{short:?}");
        let mut longer = bytes.clone();
        longer.push(0);
        let longer = EngineSpec::decode(&longer).map(|_| ());
        assert_eq!(
            longer,
            Err("1 bytes left over after the rule set".to_string())
        );
    }
    // Much smaller than the same rule set as JSON, which the Worker embedded before.
    let worker = loaded.spec.clone().for_worker();
    let json = serde_json::to_string(&worker).expect("serialises").len();
    assert!(
        worker.encode().len() * 4 < json * 3,
        "{} vs {json}",
        worker.encode().len()
    );
}
