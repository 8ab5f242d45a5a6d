//! `concierge schema`: a JSON Schema for each rule file, so editors (Taplo / Even Better TOML)
//! complete and check keys as a merchandiser types. Each `rules/*.toml` names its schema on its
//! first line (`#:schema ./schema/intents.schema.json`); the schemas are committed under
//! `rules/schema/` and a test keeps them equal to this module's output.
//!
//! The types below only describe the files; `src/rules/` reads them (with spans and diagnostics).
//! A test checks that every table's keys here are the keys the reader accepts. Native only.

use super::CliError;
use clap::Args;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `concierge schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write `<file>.schema.json` for every rule file into DIR instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
}

/// `manifest.toml`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Manifest {
    /// The rules version every answer carries; bump it on every change (`check` warns otherwise).
    version: String,
    /// The rules schema version this build reads.
    #[schemars(range(min = 1, max = 1))]
    schema: i64,
    description: Option<String>,
}

/// `intents.toml`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct IntentsFile {
    language: Option<Language>,
    /// One table per need a shopper can have.
    intent: Vec<Intent>,
}

/// `[language]`: words the normaliser rewrites, never corrects or ignores.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Language {
    /// `dont = "do not"`: rewritten before matching.
    aliases: Option<BTreeMap<String, String>>,
    /// Words never typo-corrected.
    never_correct: Option<Vec<String>>,
    /// Words that say nothing about what the shopper wants.
    stopwords: Option<Vec<String>>,
}

/// One `[[intent]]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Intent {
    /// Lowercase letters, digits and `_`; `unknown` is reserved.
    #[schemars(regex(pattern = r"^[a-z0-9_]+$"))]
    id: String,
    description: Option<String>,
    /// Breaks ties between intents with the same score.
    priority: Option<i64>,
    /// Slash commands that select the intent outright (`/track`).
    commands: Option<Vec<Command>>,
    /// Forgive small typos in its phrases.
    typo_tolerant: Option<bool>,
    /// Score 1.0 each, a little more per extra word.
    phrases: Option<Vec<String>>,
    /// Score 0.4: one alone stays below `min_confidence`.
    weak_phrases: Option<Vec<String>>,
    /// Score 5.0: wins whatever else the message says.
    decisive_phrases: Option<Vec<String>>,
    /// Rust regexes over the normalised, lowercase text (placeholders such as `{price}` included).
    patterns: Option<Vec<String>>,
    weak_patterns: Option<Vec<String>>,
    decisive_patterns: Option<Vec<String>>,
    /// Entity kinds that count toward the intent, and how much each adds.
    evidence: Option<Evidence>,
    /// Messages that must classify as this intent.
    examples: Option<Vec<String>>,
    /// Messages that must not.
    counterexamples: Option<Vec<String>>,
}

/// A slash command.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Command(#[schemars(regex(pattern = r"^/\S+$"))] String);

/// An evidence weight.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Weight(#[schemars(range(min = 0.01, max = 2.0))] f64);

/// `evidence = { category = 0.7, price = 0.6 }`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Evidence {
    category: Option<Weight>,
    style: Option<Weight>,
    metal: Option<Weight>,
    unsupported: Option<Weight>,
    price: Option<Weight>,
    order_number: Option<Weight>,
    email: Option<Weight>,
    ring_size: Option<Weight>,
    /// A short message with a word the rules do not know.
    unrecognised: Option<Weight>,
}

/// `entities.toml`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct EntitiesFile {
    /// `[categories.<id>]`: kinds of piece.
    categories: Option<BTreeMap<String, Vocabulary>>,
    /// `[styles.<id>]`: styles and stones; `implies` a category when they name a kind of piece.
    styles: Option<BTreeMap<String, Style>>,
    /// `[metals.<id>]`.
    metals: Option<BTreeMap<String, Vocabulary>>,
    /// A phrase → the metal id it means (`gold = "yellow_gold"`).
    metal_defaults: Option<BTreeMap<String, String>>,
    /// `[unsupported.<id>]`: what the shop does not sell.
    unsupported: Option<BTreeMap<String, Unsupported>>,
    order_number: Option<OrderNumber>,
    email: Option<Email>,
    ring_size: Option<RingSize>,
    /// Spans that are never prices (`14k gold`, `1 carat`).
    not_price: Option<NotPrice>,
    /// The price parser's words.
    prices: Option<Prices>,
    /// Texts and the price they must parse to.
    price_examples: Option<Vec<PriceExample>>,
}

/// A vocabulary entry.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Vocabulary {
    synonyms: Option<Vec<String>>,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

/// A style entry.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Style {
    synonyms: Option<Vec<String>>,
    /// The category id the style names (`solitaire` → `rings`).
    implies: Option<String>,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

/// What kind of thing is not sold.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
enum UnsupportedKind {
    Metal,
    Material,
    Category,
}

/// Something the shop does not sell.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Unsupported {
    kind: UnsupportedKind,
    synonyms: Option<Vec<String>>,
    /// Metal or category ids to offer instead.
    instead: Option<Vec<String>>,
    /// What the concierge says about it.
    note: Option<String>,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

/// `[order_number]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct OrderNumber {
    prefix: Option<String>,
    #[schemars(range(min = 1, max = 18))]
    digits: Option<u32>,
    /// Regexes over the original text; the first group is the number.
    patterns: Option<Vec<String>>,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

/// `[email]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Email {
    pattern: String,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

/// `[ring_size]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct RingSize {
    patterns: Option<Vec<String>>,
    #[schemars(range(min = 0.0, max = 30.0))]
    min: Option<f64>,
    #[schemars(range(min = 0.0, max = 30.0))]
    max: Option<f64>,
    examples: Option<Vec<String>>,
    counterexamples: Option<Vec<String>>,
}

/// `[not_price]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct NotPrice {
    patterns: Option<Vec<String>>,
    /// Texts that must yield no price.
    examples: Option<Vec<String>>,
}

/// `[prices]`: word lists of the price grammar.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Prices {
    under: Option<Vec<String>>,
    over: Option<Vec<String>>,
    approx: Option<Vec<String>>,
    exact: Option<Vec<String>>,
    between: Option<Vec<String>>,
    range_joiners: Option<Vec<String>>,
    currency_words: Option<Vec<String>>,
    cents_words: Option<Vec<String>>,
    /// `k = 1000`.
    multipliers: Option<BTreeMap<String, f64>>,
    negations: Option<Vec<String>>,
    budget_words: Option<Vec<String>>,
    postfix_under: Option<Vec<String>>,
    postfix_over: Option<Vec<String>>,
    postfix_approx: Option<Vec<String>>,
}

/// The kind of a price.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
enum PriceKind {
    Exact,
    Under,
    Over,
    Between,
    Approx,
}

/// One `[[price_examples]]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct PriceExample {
    text: String,
    min: Option<f64>,
    max: Option<f64>,
    kind: PriceKind,
}

/// `thresholds.toml`; keys left out keep their defaults.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct ThresholdsFile {
    /// Below it, the answer is `unknown`.
    #[schemars(range(min = 0.0, max = 1.0))]
    min_confidence: Option<f64>,
    /// An `exact` or `approx` price is searched ± this share.
    #[schemars(range(min = 0.0, max = 1.0))]
    price_tolerance: Option<f64>,
    unmatched_turns_before_stylist: Option<u32>,
    default_result_limit: Option<u32>,
    max_result_limit: Option<u32>,
    ready_to_ship_only: Option<bool>,
    catalog_cache_ttl_seconds: Option<u32>,
    session_ttl_seconds: Option<u32>,
    /// Days an unanswered question (stored redacted for merchandisers) is kept after it was
    /// last asked; the hourly purge deletes older ones.
    unanswered_retention_days: Option<u32>,
    /// Messages answered below this confidence (or `unknown`) are kept as unanswered
    /// questions, so weak answers are reviewed as well as misses.
    #[schemars(range(min = 0.0, max = 1.0))]
    unanswered_below_confidence: Option<f64>,
    alerts: Option<Alerts>,
    rate_limits: Option<RateLimits>,
    returns: Option<Returns>,
    canary: Option<Canary>,
}

/// `[canary]`: the gated walk of `scripts/canary`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Canary {
    /// `[[canary.phase]]`, in order; percentages rise and end at 100.
    phase: Option<Vec<CanaryPhase>>,
    gates: Option<CanaryGates>,
}

/// One `[[canary.phase]]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct CanaryPhase {
    name: String,
    /// Share of traffic for the new version; 0 reaches only version-override requests.
    #[schemars(range(min = 0, max = 100))]
    percentage: u32,
    min_requests: Option<u32>,
    soak_minutes: Option<u32>,
}

/// `[canary.gates]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct CanaryGates {
    #[schemars(range(min = 0.0, max = 1.0))]
    max_error_rate: Option<f64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    max_error_rate_increase: Option<f64>,
    max_latency_p95_ms: Option<f64>,
    max_latency_p95_ratio: Option<f64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    max_unmatched_rate_increase: Option<f64>,
    #[schemars(range(min = 0.0, max = 1.0))]
    max_escalation_rate_increase: Option<f64>,
    min_messages: Option<u32>,
}

/// `[alerts]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Alerts {
    latency_p95_ms: Option<Levels>,
    error_rate: Option<Levels>,
    unmatched_rate: Option<Levels>,
    escalation_rate: Option<Levels>,
    /// Lower is worse: `warn` at or above `critical`.
    csat_average: Option<Levels>,
    rate_limited_rate: Option<Levels>,
    database_error_rate: Option<Levels>,
    /// Messages per widget load; lower is worse.
    messages_per_session: Option<Levels>,
    min_requests: Option<u32>,
}

/// A warning and a critical level.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Levels {
    warn: Option<f64>,
    critical: Option<f64>,
}

/// `[rate_limits]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct RateLimits {
    messages_per_minute: Option<u32>,
    creates_per_minute: Option<u32>,
    lookups_per_minute: Option<u32>,
}

/// `[returns]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Returns {
    return_window_days: Option<u32>,
    resize_window_days: Option<u32>,
    resizable_categories: Option<Vec<String>>,
    #[schemars(range(min = 0.0, max = 30.0))]
    ring_size_min: Option<f64>,
    #[schemars(range(min = 0.0, max = 30.0))]
    ring_size_max: Option<f64>,
}

/// `rollout.toml`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct RolloutFile {
    /// `false` turns the widget off for everyone.
    enabled: Option<bool>,
    /// Share of users who see the widget, 0-100 with at most two decimals.
    #[schemars(range(min = 0.0, max = 100.0))]
    percentage: Option<f64>,
    /// Changing it reshuffles who is in (`diff` exits 5).
    salt: Option<String>,
    seed: Option<u32>,
    allowlist: Option<Vec<String>>,
    denylist: Option<Vec<String>>,
    /// `scheme://host[:port]`, no path or trailing slash.
    allowed_origins: Option<Vec<String>>,
    features: Option<BTreeMap<String, Feature>>,
}

/// `[features.<name>]`: overrides for one feature.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Feature {
    enabled: Option<bool>,
    #[schemars(range(min = 0.0, max = 100.0))]
    percentage: Option<f64>,
    allowlist: Option<Vec<String>>,
    denylist: Option<Vec<String>>,
}

/// The schema of one file: draft-07 (what Taplo reads), optional keys without a `null`
/// alternative (TOML has none), titled with the file name.
fn schema_of<T: JsonSchema>(file: &str) -> Value {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    drop_null(&mut value);
    if let Some(object) = value.as_object_mut() {
        object.insert("title".into(), format!("{file}.toml").into());
    }
    value
}

/// Removes the `null` alternative schemars gives `Option` fields: a TOML key is left out, never
/// null.
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".into(), only);
                }
            }
            let single = match object.get_mut("anyOf") {
                Some(Value::Array(choices)) => {
                    choices.retain(|c| c.get("type").is_none_or(|t| t != "null"));
                    (choices.len() == 1).then(|| choices.remove(0))
                }
                _ => None,
            };
            if let Some(Value::Object(only)) = single {
                object.remove("anyOf");
                for (k, v) in only {
                    object.entry(k).or_insert(v);
                }
            }
            object.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// Every rule file and its schema, in `RULE_FILES` order.
pub fn schemas() -> Vec<(&'static str, Value)> {
    vec![
        ("manifest", schema_of::<Manifest>("manifest")),
        ("intents", schema_of::<IntentsFile>("intents")),
        ("entities", schema_of::<EntitiesFile>("entities")),
        ("thresholds", schema_of::<ThresholdsFile>("thresholds")),
        ("rollout", schema_of::<RolloutFile>("rollout")),
    ]
}

/// The text of a schema file.
pub fn render(schema: &Value) -> String {
    serde_json::to_string_pretty(schema).unwrap_or_default() + "\n"
}

pub fn run(args: &SchemaArgs) -> Result<(), CliError> {
    match &args.write {
        Some(dir) => write_all(dir),
        None => {
            for (name, schema) in schemas() {
                println!("// {name}.toml\n{}", render(&schema));
            }
            Ok(())
        }
    }
}

fn write_all(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::Usage(format!("cannot create `{}`: {e}", dir.display())))?;
    for (name, schema) in schemas() {
        let path = dir.join(format!("{name}.schema.json"));
        std::fs::write(&path, render(&schema))
            .map_err(|e| CliError::Usage(format!("cannot write `{}`: {e}", path.display())))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::EntityKind;
    use crate::rules::keys;

    /// The property names of the object at `pointer` (following `$ref`s into `$defs`).
    fn properties(root: &Value, pointer: &str) -> Vec<String> {
        let mut at = root.pointer(pointer).unwrap_or(&Value::Null);
        for _ in 0..4 {
            let next = at
                .get("$ref")
                .or_else(|| {
                    at.get("anyOf")
                        .and_then(|a| a.get(0))
                        .and_then(|v| v.get("$ref"))
                })
                .or_else(|| at.get("items").and_then(|i| i.get("$ref")))
                .or_else(|| at.get("additionalProperties").and_then(|i| i.get("$ref")));
            match next.and_then(Value::as_str) {
                Some(r) => {
                    at = root
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or(&Value::Null)
                }
                None => break,
            }
        }
        let mut names: Vec<String> = at
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        v.sort();
        v
    }

    /// The schema and the reader must accept the same keys, table by table.
    #[test]
    fn schema_keys_are_the_keys_the_reader_accepts() {
        let all = schemas();
        let get = |name: &str| &all.iter().find(|(n, _)| *n == name).expect("schema").1;
        let cases: &[(&str, &str, &[&str])] = &[
            ("manifest", "", keys::MANIFEST),
            ("intents", "", keys::INTENTS_TOP),
            ("intents", "/properties/language", keys::LANGUAGE),
            ("intents", "/properties/intent", keys::INTENT),
            ("entities", "", keys::ENTITIES_TOP),
            ("entities", "/properties/categories", keys::VOCABULARY),
            ("entities", "/properties/styles", keys::STYLE),
            ("entities", "/properties/unsupported", keys::UNSUPPORTED),
            ("entities", "/properties/order_number", keys::ORDER_NUMBER),
            ("entities", "/properties/email", keys::EMAIL),
            ("entities", "/properties/ring_size", keys::RING_SIZE),
            ("entities", "/properties/not_price", keys::NOT_PRICE),
            ("entities", "/properties/prices", keys::PRICES),
            (
                "entities",
                "/properties/price_examples",
                keys::PRICE_EXAMPLE,
            ),
            ("thresholds", "", keys::THRESHOLDS),
            ("thresholds", "/properties/alerts", keys::ALERTS),
            (
                "thresholds",
                "/definitions/Alerts/properties/error_rate",
                keys::LEVELS,
            ),
            ("thresholds", "/properties/rate_limits", keys::RATE_LIMITS),
            ("thresholds", "/properties/returns", keys::RETURNS),
            ("thresholds", "/properties/canary", keys::CANARY),
            (
                "thresholds",
                "/definitions/Canary/properties/phase",
                keys::PHASE,
            ),
            (
                "thresholds",
                "/definitions/Canary/properties/gates",
                keys::GATES,
            ),
            ("rollout", "", keys::ROLLOUT),
            ("rollout", "/properties/features", keys::FEATURE),
        ];
        for (file, pointer, want) in cases {
            assert_eq!(
                properties(get(file), pointer),
                sorted(want),
                "{file}.toml at `{pointer}`"
            );
        }
        let kinds: Vec<&str> = EntityKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(
            properties(get("intents"), "/definitions/Intent/properties/evidence"),
            sorted(&kinds)
        );
    }

    /// `rules/schema/*.schema.json` are this module's output: after changing a rule file's
    /// shape, run `cargo run --bin concierge -- schema --write rules/schema`.
    #[test]
    fn committed_schemas_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/schema");
        for (name, schema) in schemas() {
            let path = dir.join(format!("{name}.schema.json"));
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == render(&schema),
                "`{}` is stale: run `cargo run --bin concierge -- schema --write rules/schema`",
                path.display()
            );
        }
    }

    /// Each rule file names its schema on its first line, as Taplo expects.
    #[test]
    fn every_rule_file_names_its_schema_on_its_first_line() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for (name, _) in schemas() {
            let text =
                std::fs::read_to_string(dir.join(format!("{name}.toml"))).expect("rule file");
            let first = text.lines().next().unwrap_or_default();
            assert_eq!(
                first,
                format!("#:schema ./schema/{name}.schema.json"),
                "{name}.toml"
            );
        }
    }
}
