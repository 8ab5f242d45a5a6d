//! Runs every example and counterexample in the rule files against the compiled engine.

use super::diagnostic::Diagnostic;
use super::entities::{EntityChecks, EntityField};
use super::intents::IntentSource;
use crate::engine::{Classification, Engine};

fn explain_help(text: &str) -> String {
    format!(
        "run `concierge explain {}` to see which rules fired",
        serde_json::to_string(text).unwrap_or_default()
    )
}

fn describe(c: &Classification) -> String {
    format!("`{}` ({:.2})", c.intent, c.confidence)
}

/// Checks intent examples; returns how many were run.
pub fn run_intent_examples(
    engine: &Engine,
    intents: &[IntentSource],
    diagnostics: &mut Vec<Diagnostic>,
) -> usize {
    let mut count = 0;
    for intent in intents {
        for example in &intent.examples {
            count += 1;
            let c = engine.classify(example.get_ref());
            if c.intent != intent.id {
                diagnostics.push(
                    Diagnostic::new(
                        intent.file,
                        Some(example.span()),
                        format!(
                            "example `{}` classified as {}, expected `{}`",
                            example.get_ref(),
                            describe(&c),
                            intent.id
                        ),
                    )
                    .help(explain_help(example.get_ref()))
                    .example(),
                );
            }
        }
        for counter in &intent.counterexamples {
            count += 1;
            let c = engine.classify(counter.get_ref());
            if c.intent == intent.id {
                diagnostics.push(
                    Diagnostic::new(
                        intent.file,
                        Some(counter.span()),
                        format!(
                            "counterexample `{}` classified as `{}` ({:.2}), which it must not be",
                            counter.get_ref(),
                            intent.id,
                            c.confidence
                        ),
                    )
                    .help(explain_help(counter.get_ref()))
                    .example(),
                );
            }
        }
    }
    count
}

/// The values an example about `field` is checked against: the primary category or metal,
/// every style or unsupported id, or the pattern entity.
fn field_values(c: &Classification, field: EntityField) -> Vec<String> {
    let e = &c.entities;
    match field {
        EntityField::Category => e.category.iter().cloned().collect(),
        EntityField::Metal => e.metal.iter().cloned().collect(),
        EntityField::Style => e.styles.clone(),
        EntityField::Unsupported => e.unsupported.iter().map(|u| u.id.clone()).collect(),
        EntityField::OrderNumber => e.order_number.iter().cloned().collect(),
        EntityField::Email => e.email.iter().cloned().collect(),
        EntityField::RingSize => e.ring_size.iter().map(|v| v.to_string()).collect(),
    }
}

fn field_name(field: EntityField) -> &'static str {
    match field {
        EntityField::Category => "category",
        EntityField::Metal => "metal",
        EntityField::Style => "style",
        EntityField::Unsupported => "unsupported value",
        EntityField::OrderNumber => "order_number",
        EntityField::Email => "email",
        EntityField::RingSize => "ring_size",
    }
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() < 1e-6,
        _ => false,
    }
}

/// Checks entity and price examples; returns how many were run.
pub fn run_entity_examples(
    engine: &Engine,
    checks: &EntityChecks,
    diagnostics: &mut Vec<Diagnostic>,
) -> usize {
    let mut count = 0;
    for example in &checks.examples {
        count += 1;
        let c = engine.classify(example.text.get_ref());
        let got = field_values(&c, example.field);
        let name = field_name(example.field);
        let matches_expectation = match &example.value {
            Some(want) => got.iter().any(|g| g == want),
            None => !got.is_empty(),
        };
        let what = example
            .value
            .as_deref()
            .map_or_else(|| format!("a {name}"), |v| format!("{name} `{v}`"));
        let found = if got.is_empty() {
            "nothing".to_string()
        } else {
            got.iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if example.positive && !matches_expectation {
            diagnostics.push(
                Diagnostic::new(
                    checks.file,
                    Some(example.text.span()),
                    format!(
                        "example `{}` should yield {what}, found {found}",
                        example.text.get_ref()
                    ),
                )
                .help(explain_help(example.text.get_ref()))
                .example(),
            );
        } else if !example.positive && matches_expectation {
            diagnostics.push(
                Diagnostic::new(
                    checks.file,
                    Some(example.text.span()),
                    format!(
                        "counterexample `{}` must not yield {what}, found {found}",
                        example.text.get_ref()
                    ),
                )
                .help(explain_help(example.text.get_ref()))
                .example(),
            );
        }
    }
    for example in &checks.prices {
        count += 1;
        let c = engine.classify(example.text.get_ref());
        let ok = c.entities.price.is_some_and(|p| {
            p.kind == example.kind && same(p.min, example.min) && same(p.max, example.max)
        });
        if !ok {
            let found = c.entities.price.map_or_else(
                || "no price".to_string(),
                |p| serde_json::to_string(&p).unwrap_or_default(),
            );
            diagnostics.push(
                Diagnostic::new(
                    checks.file,
                    Some(example.text.span()),
                    format!(
                        "price example `{}` should parse as {{min: {:?}, max: {:?}, kind: {:?}}}, found {found}",
                        example.text.get_ref(),
                        example.min,
                        example.max,
                        example.kind
                    ),
                )
                .help(explain_help(example.text.get_ref()))
                .example(),
            );
        }
    }
    for text in &checks.not_prices {
        count += 1;
        let c = engine.classify(text.get_ref());
        if let Some(p) = c.entities.price {
            diagnostics.push(
                Diagnostic::new(
                    checks.file,
                    Some(text.span()),
                    format!(
                        "`{}` must not yield a price, found {}",
                        text.get_ref(),
                        serde_json::to_string(&p).unwrap_or_default()
                    ),
                )
                .help("add a `[not_price]` pattern that covers this span".to_string())
                .example(),
            );
        }
    }
    count
}
