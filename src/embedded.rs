//! The rule set compiled into this build. `build.rs` validates `rules/*.toml` with the rules
//! loader (a broken rule set fails the build with its diagnostics) and embeds the validated rule
//! set as plain data; a process (a Worker isolate) builds its engine tables from it once, on first
//! use, with no TOML parsing and no validation. Natively the rule files themselves are embedded
//! too, for the CLI's default and the tests.
//!
//! Invalid embedded data never panics: [`load`] reports why, and [`engine`] falls back to an
//! engine that fails closed (every message `unknown`, rollout off).

use crate::engine::{Engine, EngineSpec};
use std::sync::OnceLock;

#[cfg(not(target_arch = "wasm32"))]
include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The validated rule set, as `build.rs` wrote it.
/// ([`EngineSpec::encode`]: postcard, a fraction of JSON's size and of its reading work and code).
static RULE_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/rules.bin"));

/// The same rule set without what only the classification tables need: what a Worker isolate
/// reads before its first answer.
static IDENTITY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"));

/// Every regex the embedded engine compiles, as it compiles them: intent patterns, then order
/// number, email, ring size and the not-a-price patterns (joined into one, as the entity
/// extractor does). For `scripts/classify-instructions` and the regex tests.
#[cfg(not(target_arch = "wasm32"))]
pub fn regex_sources() -> Vec<String> {
    let spec: EngineSpec = EngineSpec::decode(RULE_SET).expect("embedded rule set");
    let e = &spec.entities;
    let mut all: Vec<String> = spec
        .intents
        .iter()
        .flat_map(|i| i.patterns.iter().map(|p| p.text.clone()))
        .collect();
    all.extend(e.order_number_patterns.iter().cloned());
    all.push(e.email_pattern.clone());
    all.extend(e.ring_size_patterns.iter().cloned());
    let not_price: Vec<String> = e
        .not_price_patterns
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect();
    all.push(not_price.join("|"));
    all
}

/// The embedded rule files as sources named `rules/<file>`.
#[cfg(not(target_arch = "wasm32"))]
pub fn sources() -> Vec<crate::rules::SourceFile> {
    RULE_FILES
        .iter()
        .map(|(name, text)| crate::rules::SourceFile {
            path: format!("rules/{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

fn compiled() -> &'static Result<Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        // In a Worker isolate the classification tables are built after the first response
        // (`Engine::warm` in the glue) or by the first message, not before the first answer;
        // `build.rs` compiled these very rules already, so they cannot fail here.
        #[cfg(target_arch = "wasm32")]
        return isolate_engine();
        #[cfg(not(target_arch = "wasm32"))]
        let spec: EngineSpec = EngineSpec::decode(RULE_SET)
            .map_err(|e| format!("embedded rule set is unreadable: {e}"))?;
        #[cfg(not(target_arch = "wasm32"))]
        Engine::compile(&spec).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "embedded rule set does not compile: {}",
                messages.join("; ")
            )
        })
    })
}

/// The engine as a Worker isolate gets it: the rules' identity read now, the classification
/// tables built from the embedded rule set on first use or by [`Engine::warm`] (with the
/// patterns' prefilter literals `build.rs` worked out). `scripts/classify-instructions` counts
/// what this and the table build cost.
pub fn isolate_engine() -> Result<Engine, String> {
    let identity: EngineSpec = EngineSpec::decode(IDENTITY)
        .map_err(|e| format!("embedded rule set is unreadable: {e}"))?;
    Ok(Engine::deferred_encoded(&identity, RULE_SET))
}

/// The engine for the embedded rules, or why they could not be built.
pub fn load() -> Result<&'static Engine, &'static str> {
    match compiled() {
        Ok(engine) => Ok(engine),
        Err(report) => Err(report.as_str()),
    }
}

/// The engine for the embedded rules, built on first call and reused. If the embedded rules
/// are unusable this is a fail-closed engine; check [`load`] to surface the reason.
pub fn engine() -> &'static Engine {
    static FAIL_CLOSED: OnceLock<Engine> = OnceLock::new();
    match compiled() {
        Ok(engine) => engine,
        Err(_) => FAIL_CLOSED.get_or_init(Engine::fail_closed),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::engine::intents::DualRegex;
    use proptest::prelude::*;

    /// Every regex of the shipped rules (intent patterns and entity patterns), each with its
    /// two lazy builds, and the Unicode build and the Worker's regex-lite build made here.
    type Builds = (String, DualRegex, regex::Regex, regex_lite::Regex);
    fn compiled() -> &'static [Builds] {
        static ALL: OnceLock<Vec<Builds>> = OnceLock::new();
        ALL.get_or_init(|| {
            regex_sources()
                .into_iter()
                .map(|s| {
                    let unicode = crate::engine::intents::compile_pattern(&s).expect("regex");
                    let lite = crate::engine::intents::compile_lite(&s).expect("regex-lite");
                    (s, DualRegex::default(), unicode, lite)
                })
                .collect()
        })
    }

    proptest! {
        /// The ASCII build of a pattern finds exactly what the Unicode one finds in an ASCII
        /// message (same matches, same capture spans), so the engine can run the smaller one;
        /// and so does the Worker's regex-lite build.
        #[test]
        fn ascii_and_unicode_builds_agree_on_ascii_messages(
            words in proptest::collection::vec(
                "(where|is|my|order|aur|#|-|[0-9]{1,8}|size|[0-9]\\.5|ring|return|track|it|not|arrived|\
                  k|14k|carat|\\$|[a-z]{1,6}|[a-z.+]{1,5}@[a-z]{1,5}\\.com|[A-Z][a-z]{0,5}|[ ,.?!'_])",
                0..14,
            )
        ) {
            let text = words.join(" ");
            prop_assert!(compiled().len() >= 30);
            for (source, dual, unicode, lite) in compiled() {
                let ascii = dual.for_haystack(source, &text).expect("compiles");
                let spans = |r: &regex::Regex| -> Vec<Vec<Option<(usize, usize)>>> {
                    r.captures_iter(&text)
                        .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                        .collect()
                };
                let lite_spans: Vec<Vec<Option<(usize, usize)>>> = lite
                    .captures_iter(&text)
                    .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                    .collect();
                prop_assert_eq!(spans(ascii), spans(unicode), "{} on {:?}", source, text);
                prop_assert_eq!(lite_spans, spans(unicode), "regex-lite: {} on {:?}", source, text);
            }
        }
    }

    /// The Worker's form of the rules (prefilter literals worked out and intent phrases and
    /// stopwords normalised by `build.rs`) classifies every message exactly as the rule files
    /// do, rule ids included, and the embedded rule set carries literals for most patterns (else
    /// the Worker would run them all on every message).
    #[test]
    fn precomputed_pattern_literals_classify_as_the_rule_files_do() {
        let loaded = crate::rules::compile_sources(sources()).expect("shipped rules compile");
        let embedded: EngineSpec = EngineSpec::decode(RULE_SET).expect("embedded rule set");
        assert_eq!(embedded, loaded.spec.clone().for_worker());
        assert!(embedded.phrases_normalised);
        // Normalising twice changes nothing (`for_worker` of a Worker form is that form).
        assert_eq!(embedded.clone().for_worker(), embedded);
        assert!(
            embedded.intents.iter().flat_map(|i| &i.phrases).any(|p| {
                let original = loaded.spec.intents.iter().flat_map(|i| &i.phrases);
                !original.clone().any(|o| o.text == p.text)
            }),
            "some phrase reads differently once normalised"
        );
        let patterns: Vec<&crate::engine::intents::PatternLiterals> =
            embedded.pattern_literals.iter().flatten().collect();
        let with_literals = patterns
            .iter()
            .filter(|p| p.prefixes.is_some() || p.suffixes.is_some())
            .count();
        assert!(
            with_literals * 10 >= patterns.len() * 8,
            "{with_literals} of {} patterns have literals",
            patterns.len()
        );
        // Most have both a prefix and a suffix set: a pattern runs when both occur.
        let both = patterns
            .iter()
            .filter(|p| p.prefixes.is_some() && p.suffixes.is_some())
            .count();
        assert!(
            both * 2 >= patterns.len(),
            "{both} of {} have both",
            patterns.len()
        );
        let worker = Engine::compile(&embedded).expect("embedded rules compile");
        let corpus = concat!(
            include_str!("../tests/data/shopper-queries.tsv"),
            include_str!("../tests/data/tiny-corpus.tsv")
        );
        let mut checked = 0;
        for line in corpus.lines() {
            let text = line.split('\t').next().unwrap_or_default();
            for text in [text.to_string(), format!("{text} ça va")] {
                assert_eq!(
                    worker.classify(&text),
                    loaded.engine.classify(&text),
                    "{text:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 300, "{checked} messages");
        // Literals of the wrong shape are not trusted: the engine works them out itself.
        let mut misshapen = embedded.clone();
        misshapen.pattern_literals.pop();
        let rebuilt = Engine::compile(&misshapen).expect("compiles");
        assert_eq!(
            rebuilt.classify("where is my order"),
            loaded.engine.classify("where is my order")
        );
    }

    /// Warming piece by piece builds the tables, then every regex, then stops; a warmed
    /// engine classifies as before.
    #[test]
    fn warming_piece_by_piece_ends_and_changes_no_answer() {
        let engine = isolate_engine().expect("embedded engine");
        assert!(!engine.is_warm());
        let spec: EngineSpec = EngineSpec::decode(RULE_SET).expect("embedded rule set");
        let e = &spec.entities;
        let regexes = spec.intents.iter().map(|i| i.patterns.len()).sum::<usize>()
            + e.order_number_patterns.len()
            + 1
            + e.ring_size_patterns.len()
            + usize::from(!e.not_price_patterns.is_empty());
        let pieces = (0..).take_while(|&piece| engine.warm_piece(piece)).count();
        assert!(engine.is_warm());
        assert_eq!(pieces, 2 + regexes);
        assert!(!engine.warm_piece(pieces + 7));
        let cold = isolate_engine().expect("embedded engine");
        for text in [
            "rose gold rings under $500",
            "where is my order AUR-100001? ada@example.com",
            "I need a size 7.5 ring, 14k gold",
            "Où est ma commande ?",
        ] {
            assert_eq!(engine.classify(text), cold.classify(text), "{text}");
        }
    }
}

/// The embedded engine's regexes at work, natively (`regex`) and in the Worker's wasm
/// (`regex-lite`, `cargo test --target wasm32-unknown-unknown --lib`): order numbers, emails and
/// ring sizes from the entity patterns, amounts that are not prices, and intent patterns, on
/// ASCII messages and on ones with other characters.
#[cfg(test)]
mod both_targets {
    use super::engine;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_kind_of_rule_regex_finds_what_it_should() {
        let e = |text: &str| engine().classify(text).entities;
        for text in [
            "where is AUR-100123",
            "my order number is #100123",
            "aur100123 ✨",
        ] {
            assert_eq!(
                e(text).order_number.as_deref(),
                Some("AUR-100123"),
                "{text}"
            );
        }
        assert_eq!(e("order 55123").order_number, None);
        assert_eq!(
            e("my email is jane.doe@example.com — thanks")
                .email
                .as_deref(),
            Some("jane.doe@example.com")
        );
        for (text, size) in [
            ("can I get it resized to a 7", 7.0),
            ("it's a size 6 1/2", 6.5),
            ("she wears a 7 ring size", 7.0),
            ("größe? size 8 please", 8.0),
        ] {
            assert_eq!(e(text).ring_size, Some(size), "{text}");
        }
        // `14k` is masked (not $14,000), `1.5 carat` is no price.
        let price = e("14k gold ring under $500").price.expect("a price");
        assert_eq!((price.min, price.max), (None, Some(500.0)));
        assert_eq!(e("a 1.5 carat diamond ring").price, None);
        // Intent patterns (behind their literals), ASCII and not.
        for text in [
            "how is my little parcel doing",
            "how is my little parcel doing 🙂",
        ] {
            let c = engine().classify(text);
            assert_eq!(c.intent, "order_tracking", "{text}");
            assert!(
                c.matched.iter().any(|r| r.contains(".pattern.")),
                "{text}: {:?}",
                c.matched
            );
        }
    }
}
