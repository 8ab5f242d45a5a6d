//! `entities.toml`: category, style, metal and unsupported vocabularies, metal defaults, order
//! number, email and ring size patterns, spans that are never prices, the price vocabulary, and
//! entity examples.

use super::reader::{At, Reader};
use crate::engine::model::{PriceKind, PriceVocabulary, UnsupportedKind};
use crate::engine::spec::{EntitySpec, StyleEntry, UnsupportedEntry, VocabularyEntry};
use std::collections::BTreeMap;
use toml::de::DeTable;

pub(crate) const TOP_KEYS: &[&str] = &[
    "categories",
    "styles",
    "metals",
    "metal_defaults",
    "unsupported",
    "order_number",
    "email",
    "ring_size",
    "not_price",
    "prices",
    "price_examples",
];
pub(crate) const VOCAB_KEYS: &[&str] = &["synonyms", "examples", "counterexamples"];
pub(crate) const STYLE_KEYS: &[&str] = &["synonyms", "implies", "examples", "counterexamples"];
pub(crate) const UNSUPPORTED_KEYS: &[&str] = &[
    "kind",
    "synonyms",
    "instead",
    "note",
    "examples",
    "counterexamples",
];
pub(crate) const ORDER_KEYS: &[&str] = &[
    "prefix",
    "digits",
    "patterns",
    "examples",
    "counterexamples",
];
pub(crate) const EMAIL_KEYS: &[&str] = &["pattern", "examples", "counterexamples"];
pub(crate) const RING_KEYS: &[&str] = &["patterns", "min", "max", "examples", "counterexamples"];
pub(crate) const NOT_PRICE_KEYS: &[&str] = &["patterns", "examples"];
pub(crate) const PRICE_KEYS: &[&str] = &[
    "under",
    "over",
    "approx",
    "exact",
    "between",
    "range_joiners",
    "currency_words",
    "cents_words",
    "multipliers",
    "negations",
    "budget_words",
    "postfix_under",
    "postfix_over",
    "postfix_approx",
];
const ENTITY_PATTERN_HELP: &str =
    "patterns use Rust `regex` syntax over the original text; use a TOML literal string ('...')";
pub(crate) const PRICE_EXAMPLE_KEYS: &[&str] = &["text", "min", "max", "kind"];

/// Which entity an example is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityField {
    Category,
    Metal,
    Style,
    Unsupported,
    OrderNumber,
    Email,
    RingSize,
}

/// An example sentence and what it must (or must not) yield.
#[derive(Debug, Clone)]
pub struct EntityExample {
    pub field: EntityField,
    /// Expected canonical value (`rings`), or `None` for "any value".
    pub value: Option<String>,
    pub text: At<String>,
    /// `false` for a counterexample: the value must not be extracted.
    pub positive: bool,
}

/// A price example: the text and the range it must parse to.
#[derive(Debug, Clone)]
pub struct PriceExample {
    pub text: At<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub kind: PriceKind,
}

/// Entity examples to run once the engine is compiled.
#[derive(Debug, Clone, Default)]
pub struct EntityChecks {
    pub file: usize,
    pub examples: Vec<EntityExample>,
    pub prices: Vec<PriceExample>,
    /// Texts that must yield no price.
    pub not_prices: Vec<At<String>>,
}

fn patterns(r: &mut Reader<'_>, table: &DeTable<'_>, key: &str, context: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in r.strings(table, key) {
        if r.pattern(&p, &format!("in {context}"), ENTITY_PATTERN_HELP) {
            out.push(p.into_inner());
        }
    }
    out
}

/// Collects a table's examples and counterexamples about `field` (and `value`, if any).
fn examples(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    (field, value): (EntityField, Option<&str>),
    out: &mut Vec<EntityExample>,
) {
    for (key, positive) in [("examples", true), ("counterexamples", false)] {
        for text in r.strings(table, key) {
            out.push(EntityExample {
                field,
                value: value.map(str::to_string),
                text,
                positive,
            });
        }
    }
}

/// Ids are snake_case words: they become API values and catalog columns.
fn check_id(r: &mut Reader<'_>, id: &At<String>, what: &str) {
    let ok = !id.get_ref().is_empty()
        && id
            .get_ref()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        r.error(
            id.span(),
            format!("invalid id `{}` in [{what}]", id.get_ref()),
            Some("use lowercase letters, digits and `_` (e.g. `rose_gold`)".into()),
        );
    }
}

fn synonyms(r: &mut Reader<'_>, t: &DeTable<'_>, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in r.strings(t, "synonyms") {
        if !s.get_ref().chars().any(char::is_alphanumeric) {
            r.error(
                s.span(),
                format!("empty synonym in `{id}`"),
                Some("remove it".into()),
            );
            continue;
        }
        out.push(s.into_inner());
    }
    out
}

/// `[styles.<id>]`: `synonyms`, and `implies = "<category>"` when the style names a kind of piece.
fn read_styles(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    spec: &mut EntitySpec,
    checks: &mut EntityChecks,
) {
    let Some((vocab, _)) = r.table(table, "styles") else {
        return;
    };
    let categories: Vec<String> = spec.categories.iter().map(|c| c.id.clone()).collect();
    for (id, (t, _)) in r.named_tables(vocab, "styles") {
        r.known_keys(t, STYLE_KEYS, &format!("[styles.{}]", id.get_ref()));
        check_id(r, &id, "styles");
        let synonyms = synonyms(r, t, id.get_ref());
        let implies = r.string(t, "implies").and_then(|c| {
            if categories.contains(c.get_ref()) {
                return Some(c.into_inner());
            }
            let known: Vec<&str> = categories.iter().map(String::as_str).collect();
            r.error(
                c.span(),
                format!(
                    "style `{}` implies unknown category `{}`",
                    id.get_ref(),
                    c.get_ref()
                ),
                Some(match super::reader::did_you_mean(c.get_ref(), &known) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("categories are: {}", known.join(", ")),
                }),
            );
            None
        });
        examples(
            r,
            t,
            (EntityField::Style, Some(id.get_ref())),
            &mut checks.examples,
        );
        spec.styles.push(StyleEntry {
            id: id.into_inner(),
            synonyms,
            implies,
        });
    }
}

/// `[unsupported.<id>]`: what the shop does not sell (`kind` = metal, material or category), the
/// phrases that name it, what to offer `instead` and the `note` the concierge says about it.
fn read_unsupported(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    spec: &mut EntitySpec,
    checks: &mut EntityChecks,
) {
    let Some((vocab, _)) = r.table(table, "unsupported") else {
        return;
    };
    for (id, (t, span)) in r.named_tables(vocab, "unsupported") {
        let context = format!("[unsupported.{}]", id.get_ref());
        r.known_keys(t, UNSUPPORTED_KEYS, &context);
        check_id(r, &id, "unsupported");
        let kinds = ["metal", "material", "category"];
        let kind = match r.string(t, "kind") {
            Some(k) => match k.get_ref().as_str() {
                "metal" => UnsupportedKind::Metal,
                "material" => UnsupportedKind::Material,
                "category" => UnsupportedKind::Category,
                other => {
                    r.error(
                        k.span(),
                        format!("unknown kind `{other}` in {context}"),
                        Some(match super::reader::did_you_mean(other, &kinds) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("kinds are: {}", kinds.join(", ")),
                        }),
                    );
                    continue;
                }
            },
            None => {
                if t.get("kind").is_none() {
                    r.missing(span, "kind", &context, "\"metal\"");
                }
                continue;
            }
        };
        let (pool, what): (Vec<&str>, &str) = match kind {
            UnsupportedKind::Category => (
                spec.categories.iter().map(|c| c.id.as_str()).collect(),
                "category",
            ),
            _ => (spec.metals.iter().map(|m| m.id.as_str()).collect(), "metal"),
        };
        let mut instead = Vec::new();
        for value in r.strings(t, "instead") {
            if pool.contains(&value.get_ref().as_str()) {
                instead.push(value.into_inner());
                continue;
            }
            let help = match super::reader::did_you_mean(value.get_ref(), &pool) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("{what} ids are: {}", pool.join(", ")),
            };
            r.error(
                value.span(),
                format!(
                    "`instead` of `{}` names unknown {what} `{}`",
                    id.get_ref(),
                    value.get_ref()
                ),
                Some(help),
            );
        }
        let note = r.string(t, "note").map_or_else(String::new, At::into_inner);
        let synonyms = synonyms(r, t, id.get_ref());
        examples(
            r,
            t,
            (EntityField::Unsupported, Some(id.get_ref())),
            &mut checks.examples,
        );
        spec.unsupported.push(UnsupportedEntry {
            id: id.into_inner(),
            kind,
            synonyms,
            instead,
            note,
        });
    }
}

/// Reads the entities file into a spec and the examples to check.
pub fn read_entities(r: &mut Reader<'_>, table: &DeTable<'_>) -> (EntitySpec, EntityChecks) {
    r.known_keys(table, TOP_KEYS, "entities.toml");
    let mut spec = EntitySpec {
        order_number_prefix: "AUR-".into(),
        order_number_digits: 6,
        ring_size_min: 3.0,
        ring_size_max: 13.0,
        prices: PriceVocabulary::default(),
        ..EntitySpec::default()
    };
    let mut checks = EntityChecks {
        file: r.file,
        ..EntityChecks::default()
    };
    for (key, field) in [
        ("categories", EntityField::Category),
        ("metals", EntityField::Metal),
    ] {
        let Some((vocab, _)) = r.table(table, key) else {
            continue;
        };
        let mut entries = Vec::new();
        for (id, (t, _)) in r.named_tables(vocab, key) {
            r.known_keys(t, VOCAB_KEYS, &format!("[{key}.{}]", id.get_ref()));
            check_id(r, &id, key);
            let synonyms = synonyms(r, t, id.get_ref());
            let about = (field, Some(id.get_ref().as_str()));
            examples(r, t, about, &mut checks.examples);
            entries.push(VocabularyEntry {
                id: id.into_inner(),
                synonyms,
            });
        }
        if field == EntityField::Category {
            spec.categories = entries;
        } else {
            spec.metals = entries;
        }
    }
    read_styles(r, table, &mut spec, &mut checks);
    read_unsupported(r, table, &mut spec, &mut checks);
    if let Some((defaults, _)) = r.table(table, "metal_defaults") {
        for (phrase, metal) in r.string_map(defaults, "metal default") {
            if !spec.metals.iter().any(|m| m.id == *metal.get_ref()) {
                let known: Vec<&str> = spec.metals.iter().map(|m| m.id.as_str()).collect();
                r.error(
                    metal.span(),
                    format!(
                        "metal default `{}` names unknown metal `{}`",
                        phrase.get_ref(),
                        metal.get_ref()
                    ),
                    Some(match super::reader::did_you_mean(metal.get_ref(), &known) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("metals are: {}", known.join(", ")),
                    }),
                );
                continue;
            }
            spec.metal_defaults
                .push((phrase.into_inner(), metal.into_inner()));
        }
    }
    if let Some((t, _)) = r.table(table, "order_number") {
        r.known_keys(t, ORDER_KEYS, "[order_number]");
        spec.order_number_prefix = r
            .string(t, "prefix")
            .map_or_else(|| "AUR-".into(), At::into_inner);
        if let Some(digits) = r.number_in(t, "digits", 1.0, 18.0) {
            if digits.get_ref().fract() != 0.0 {
                r.error(
                    digits.span(),
                    "`digits` must be a whole number",
                    Some("e.g. `digits = 6`".into()),
                );
            }
            spec.order_number_digits = *digits.get_ref() as usize;
        }
        spec.order_number_patterns = patterns(r, t, "patterns", "[order_number]");
        let about = (EntityField::OrderNumber, None);
        examples(r, t, about, &mut checks.examples);
    }
    if let Some((t, span)) = r.table(table, "email") {
        r.known_keys(t, EMAIL_KEYS, "[email]");
        match r.string(t, "pattern") {
            Some(p) if r.pattern(&p, "in [email]", ENTITY_PATTERN_HELP) => {
                spec.email_pattern = p.into_inner();
            }
            Some(_) => {}
            None if t.get("pattern").is_none() => r.missing(span, "pattern", "[email]", "'...'"),
            None => {}
        }
        let about = (EntityField::Email, None);
        examples(r, t, about, &mut checks.examples);
    }
    if let Some((t, _)) = r.table(table, "ring_size") {
        r.known_keys(t, RING_KEYS, "[ring_size]");
        spec.ring_size_patterns = patterns(r, t, "patterns", "[ring_size]");
        if let Some(min) = r.number_in(t, "min", 0.0, 30.0) {
            spec.ring_size_min = min.into_inner();
        }
        if let Some(max) = r.number_in(t, "max", 0.0, 30.0) {
            if max.get_ref() < &spec.ring_size_min {
                r.error(
                    max.span(),
                    "ring size `max` is below `min`",
                    Some("swap them".into()),
                );
            }
            spec.ring_size_max = max.into_inner();
        }
        let about = (EntityField::RingSize, None);
        examples(r, t, about, &mut checks.examples);
    }
    if let Some((t, _)) = r.table(table, "not_price") {
        r.known_keys(t, NOT_PRICE_KEYS, "[not_price]");
        spec.not_price_patterns = patterns(r, t, "patterns", "[not_price]");
        checks.not_prices = r.strings(t, "examples");
    }
    if let Some((t, _)) = r.table(table, "prices") {
        r.known_keys(t, PRICE_KEYS, "[prices]");
        let v = &mut spec.prices;
        for (key, slot) in [
            ("under", &mut v.under),
            ("over", &mut v.over),
            ("approx", &mut v.approx),
            ("exact", &mut v.exact),
            ("between", &mut v.between),
            ("range_joiners", &mut v.range_joiners),
            ("currency_words", &mut v.currency_words),
            ("cents_words", &mut v.cents_words),
            ("negations", &mut v.negations),
            ("budget_words", &mut v.budget_words),
            ("postfix_under", &mut v.postfix_under),
            ("postfix_over", &mut v.postfix_over),
            ("postfix_approx", &mut v.postfix_approx),
        ] {
            if t.get(key).is_some() {
                *slot = r.strings(t, key).into_iter().map(At::into_inner).collect();
            }
        }
        if let Some((m, _)) = r.table(t, "multipliers") {
            let mut multipliers = BTreeMap::new();
            for (word, _) in m.iter() {
                if let Some(value) = r.number_in(m, word.get_ref(), 0.0, 1e9) {
                    multipliers.insert(word.get_ref().to_string(), value.into_inner());
                }
            }
            v.multipliers = multipliers;
        }
    }
    for (t, span) in r.tables(table, "price_examples") {
        r.known_keys(t, PRICE_EXAMPLE_KEYS, "[[price_examples]]");
        let Some(text) = r.string(t, "text") else {
            r.missing(span, "text", "[[price_examples]]", "\"rings under $500\"");
            continue;
        };
        let kind = match r.string(t, "kind") {
            Some(k) => match k.get_ref().as_str() {
                "exact" => PriceKind::Exact,
                "under" => PriceKind::Under,
                "over" => PriceKind::Over,
                "between" => PriceKind::Between,
                "approx" => PriceKind::Approx,
                other => {
                    let kinds = ["exact", "under", "over", "between", "approx"];
                    r.error(
                        k.span(),
                        format!("unknown price kind `{other}`"),
                        Some(match super::reader::did_you_mean(other, &kinds) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("kinds are: {}", kinds.join(", ")),
                        }),
                    );
                    continue;
                }
            },
            None => {
                r.missing(span, "kind", "[[price_examples]]", "\"under\"");
                continue;
            }
        };
        checks.prices.push(PriceExample {
            min: r.number(t, "min").map(At::into_inner),
            max: r.number(t, "max").map(At::into_inner),
            text,
            kind,
        });
    }
    (spec, checks)
}
