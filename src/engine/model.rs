//! The engine's public vocabulary: what a classification, a price range, thresholds and a rollout
//! decision look like. Shared by the CLI, the Worker and the ops tooling, so it is plain data with
//! serde derives and no behaviour beyond small helpers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The id of the fallback intent for messages that match nothing confidently.
pub const UNKNOWN_INTENT: &str = "unknown";

/// What kind of price constraint a shopper stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceKind {
    Exact,
    Under,
    Over,
    Between,
    Approx,
}

/// A price constraint in US dollars. `exact` and `approx` keep the stated amount in both bounds
/// (the tolerance is applied when it becomes a catalog filter); a two-part range ("at least 200
/// but no more than 500") is `between`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub kind: PriceKind,
}

impl PriceRange {
    /// The catalog filter in whole cents. `exact` and `approx` are widened by `tolerance`
    /// (0.15 = ±15 %): a shopper who names one price wants pieces near it, and few pieces cost
    /// exactly that. Bounds and ranges are kept as stated.
    pub fn to_cents_filter(&self, tolerance: f64) -> (Option<i64>, Option<i64>) {
        let (min, max) = match self.kind {
            PriceKind::Exact | PriceKind::Approx => (
                self.min.map(|v| v * (1.0 - tolerance)),
                self.max.map(|v| v * (1.0 + tolerance)),
            ),
            _ => (self.min, self.max),
        };
        let cents = |v: f64| (v * 100.0).round() as i64;
        (min.map(cents), max.map(cents))
    }
}

/// The kinds of entity the engine extracts. Intents declare which of them count as evidence
/// (`evidence = { category = 0.6 }` in `intents.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Category,
    Style,
    Metal,
    Unsupported,
    Price,
    OrderNumber,
    Email,
    RingSize,
    /// Not an entity: words the rules do not know, in a short message ("peridot", "fish oil").
    /// As evidence it makes an unknown noun phrase a product search.
    Unrecognised,
}

impl EntityKind {
    /// Every kind, in the order they are reported.
    pub const ALL: [EntityKind; 9] = [
        EntityKind::Category,
        EntityKind::Style,
        EntityKind::Metal,
        EntityKind::Unsupported,
        EntityKind::Price,
        EntityKind::OrderNumber,
        EntityKind::Email,
        EntityKind::RingSize,
        EntityKind::Unrecognised,
    ];

    /// The name used in rule files and JSON (`order_number`).
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Category => "category",
            EntityKind::Style => "style",
            EntityKind::Metal => "metal",
            EntityKind::Unsupported => "unsupported",
            EntityKind::Price => "price",
            EntityKind::OrderNumber => "order_number",
            EntityKind::Email => "email",
            EntityKind::RingSize => "ring_size",
            EntityKind::Unrecognised => "unrecognised",
        }
    }

    /// The kind named `name` in a rule file.
    pub fn from_name(name: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether words inside this entity are hidden from intent phrases and patterns: a price's
    /// "no more than" must not vote for `deny`, an order number's digits for nothing.
    pub fn masks_intents(self) -> bool {
        matches!(
            self,
            EntityKind::Price | EntityKind::OrderNumber | EntityKind::Email | EntityKind::RingSize
        )
    }
}

/// What kind of thing the shop does not sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsupportedKind {
    /// A metal the shop does not work in (silver); `instead` names metals.
    Metal,
    /// A material that is not a metal of the catalog (titanium, stainless steel); `instead` names metals.
    Material,
    /// A kind of jewelry the shop does not make (anklets, watches); `instead` names categories.
    Category,
}

/// Something the shopper asked for that the shop does not sell, and what to offer instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unsupported {
    /// The id declared in `entities.toml` (`silver`).
    pub id: String,
    pub kind: UnsupportedKind,
    /// Catalog values to offer instead (metal ids, or category ids for a category); may be empty.
    pub instead: Vec<String>,
}

/// What kind of thing a shopper said they do not want.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcludedKind {
    Category,
    Metal,
    Style,
}

/// A category, metal or style the shopper said they do not want ("anything but yellow gold",
/// "no diamonds", "not a ring"): never searched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    pub kind: ExcludedKind,
    /// The catalog id (`yellow_gold`, `diamond`, `rings`).
    pub id: String,
}

/// Entities extracted from one message; absent ones serialise as `null` (or `[]` for lists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub price: Option<PriceRange>,
    /// The category the shopper means: the first one named outright ("necklace"), else the first
    /// one implied by a style ("solitaire" → `rings`).
    pub category: Option<String>,
    /// Every category meant, in order of mention (named ones only, when any is named).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Canonical metal id: `yellow_gold`, `white_gold`, `rose_gold`, `platinum`.
    pub metal: Option<String>,
    /// Every metal named, in order of mention.
    #[serde(default)]
    pub metals: Vec<String>,
    /// Styles and stones named (`hoop`, `solitaire`, `diamond`), in order of mention.
    #[serde(default)]
    pub styles: Vec<String>,
    /// Things named that the shop does not sell (`silver`, `anklets`), in order of mention.
    #[serde(default)]
    pub unsupported: Vec<Unsupported>,
    pub order_number: Option<String>,
    pub email: Option<String>,
    /// US ring size, e.g. 7 or 6.5.
    pub ring_size: Option<f64>,
    /// What the shopper said they do not want, in order of mention (omitted when nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<Excluded>,
}

impl Entities {
    /// Whether an entity of `kind` was found.
    pub fn has(&self, kind: EntityKind) -> bool {
        match kind {
            EntityKind::Category => self.category.is_some(),
            EntityKind::Style => !self.styles.is_empty(),
            EntityKind::Metal => self.metal.is_some(),
            EntityKind::Unsupported => !self.unsupported.is_empty(),
            EntityKind::Price => self.price.is_some(),
            EntityKind::OrderNumber => self.order_number.is_some(),
            EntityKind::Email => self.email.is_some(),
            EntityKind::RingSize => self.ring_size.is_some(),
            EntityKind::Unrecognised => false,
        }
    }

    /// Whether the shopper said they do not want `id` of `kind`.
    pub fn excludes(&self, kind: ExcludedKind, id: &str) -> bool {
        self.excluded.iter().any(|e| e.kind == kind && e.id == id)
    }
}

/// The engine's answer for one message; the JSON shape of `concierge classify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub text: String,
    pub intent: String,
    /// 0.0..=1.0; below `Thresholds::min_confidence` the intent is `unknown`.
    pub confidence: f64,
    pub entities: Entities,
    /// Ids of every rule that fired (e.g. `order_tracking.phrase.where is my order`); shared
    /// with the compiled rules, so a classification copies no rule id.
    pub matched: Vec<Arc<str>>,
    pub rules_version: Arc<str>,
}

impl Classification {
    /// Whether the intent won only on words the rules do not know (`unrecognised` evidence):
    /// a guess that a short unknown phrase is a product search, not an understood message.
    pub fn only_unrecognised(&self) -> bool {
        let own = |m: &&Arc<str>| {
            m.strip_prefix(self.intent.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
        };
        let mut rules = self.matched.iter().filter(own).peekable();
        rules.peek().is_some() && rules.all(|m| m.ends_with(".evidence.unrecognised"))
    }
}

/// A warn/critical pair for a metric where higher is worse (latency, error rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertLevels {
    pub warn: f64,
    pub critical: f64,
}

/// Alerting thresholds evaluated by `concierge alerts` on Analytics Engine results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertThresholds {
    /// p95 latency in ms (defaults warn 1000, critical 2000).
    pub latency_p95_ms: AlertLevels,
    /// Share of 5xx responses, 0..1 (defaults warn 0.05, critical 0.10).
    pub error_rate: AlertLevels,
    /// Share of `/v1/messages` answered with the `unknown` intent, 0..1.
    pub unmatched_rate: AlertLevels,
    /// Share of messages classified as stylist escalation, 0..1.
    pub escalation_rate: AlertLevels,
    /// Average CSAT score; lower is worse, so `warn` > `critical` here.
    pub csat_average: AlertLevels,
    /// Share of requests answered 429 `rate_limited`, 0..1 (defaults warn 0.05, critical 0.15).
    pub rate_limited_rate: AlertLevels,
    /// Share of requests that failed because D1 or KV did, 0..1 (defaults 0.005 / 0.02).
    pub database_error_rate: AlertLevels,
    /// Messages per widget load (`GET /v1/flags`, one per page view); lower is worse
    /// (defaults warn 0.10, critical 0.03).
    pub messages_per_session: AlertLevels,
    /// Windows with fewer requests than this do not raise rate alerts.
    pub min_requests: u64,
}

/// Per-client rate limits (requests per minute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimits {
    pub messages_per_minute: u32,
    pub creates_per_minute: u32,
    pub lookups_per_minute: u32,
}

/// Return, resize and exchange policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnPolicy {
    /// Days after delivery during which a return or exchange is accepted.
    pub return_window_days: u32,
    /// Days after delivery during which a resize is accepted.
    pub resize_window_days: u32,
    /// Categories that can be resized (normally only `rings`).
    pub resizable_categories: Vec<String>,
    /// Smallest and largest ring size offered for resizing.
    pub ring_size_min: f64,
    pub ring_size_max: f64,
}

/// Every tunable number of the product, from the thresholds rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Minimum confidence for an intent to win over `unknown`.
    pub min_confidence: f64,
    /// Approximate-price tolerance as a fraction (0.15 = ±15 %).
    pub price_tolerance: f64,
    pub alerts: AlertThresholds,
    pub rate_limits: RateLimits,
    /// After this many consecutive `unknown` turns the reply offers a stylist.
    pub unmatched_turns_before_stylist: u32,
    /// Products returned when a request does not ask for a number.
    pub default_result_limit: u32,
    /// Upper bound on products returned by any request.
    pub max_result_limit: u32,
    /// Discovery results only include ready-to-ship products.
    pub ready_to_ship_only: bool,
    /// TTL of cached catalog query results in KV.
    pub catalog_cache_ttl_seconds: u32,
    /// TTL of per-session state in KV.
    pub session_ttl_seconds: u32,
    /// Days an unanswered question is kept after it was last asked (then the hourly purge
    /// deletes it).
    pub unanswered_retention_days: u32,
    /// Messages answered with a confidence below this (or `unknown`) are kept as unanswered
    /// questions; at or above `min_confidence`, so weak answers are reviewed too.
    pub unanswered_below_confidence: f64,
    pub returns: ReturnPolicy,
    /// The gated canary walk of `scripts/canary` (ops tooling only; the Worker ignores it).
    pub canary: CanaryPlan,
}

/// One phase of a gated canary: the new Worker version's share of traffic and how long and how
/// much traffic it must see before its gates are judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanaryPhase {
    pub name: String,
    /// Share of traffic for the new version, 0..=100 (0: only requests that carry a
    /// `Cloudflare-Workers-Version-Overrides` header, e.g. staff beta testers, reach it).
    pub percentage: u32,
    /// Requests the new version must have served in the window before the gates count.
    pub min_requests: u64,
    /// Minutes to wait at this phase before the first gate check.
    pub soak_minutes: u32,
}

/// What the new version must hold, alone and against the old version over the same window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanaryGates {
    /// Highest 5xx share of the new version (0..1).
    pub max_error_rate: f64,
    /// Highest 5xx share above the old version's, in points (0..1).
    pub max_error_rate_increase: f64,
    /// Highest p95 latency of the new version, in ms.
    pub max_latency_p95_ms: f64,
    /// Highest p95 latency as a multiple of the old version's.
    pub max_latency_p95_ratio: f64,
    /// Highest unmatched share above the old version's, in points (0..1).
    pub max_unmatched_rate_increase: f64,
    /// Highest escalation share above the old version's, in points (0..1).
    pub max_escalation_rate_increase: f64,
    /// Classified messages each version needs before the intent-share gates are judged.
    pub min_messages: u64,
}

/// The phases and gates of `[canary]` in `thresholds.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanaryPlan {
    pub phases: Vec<CanaryPhase>,
    pub gates: CanaryGates,
}

impl Default for CanaryPlan {
    /// beta (0 %, version overrides only) → 10 % → 25 % → 50 % → 100 %, each gated on
    /// 5xx < 2 % and p95 < 800 ms.
    fn default() -> Self {
        let phase = |name: &str, percentage, min_requests, soak_minutes| CanaryPhase {
            name: name.to_string(),
            percentage,
            min_requests,
            soak_minutes,
        };
        CanaryPlan {
            phases: vec![
                phase("beta", 0, 20, 10),
                phase("10%", 10, 200, 15),
                phase("25%", 25, 400, 15),
                phase("50%", 50, 800, 15),
                phase("100%", 100, 0, 0),
            ],
            gates: CanaryGates {
                max_error_rate: 0.02,
                max_error_rate_increase: 0.01,
                max_latency_p95_ms: 800.0,
                max_latency_p95_ratio: 1.5,
                max_unmatched_rate_increase: 0.05,
                max_escalation_rate_increase: 0.05,
                min_messages: 50,
            },
        }
    }
}

/// The features the product has (`[features.*]` in `rollout.toml` may only name these): catalog
/// search, order lookups, the return/resize form and stylist requests.
pub const FEATURES: [&str; 4] = [
    "product_search",
    "order_lookup",
    "returns_form",
    "stylist_chat",
];

/// Rollout for one feature, overriding the master settings where set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureRollout {
    pub enabled: Option<bool>,
    /// Basis points, 0..=10000.
    pub percentage_bp: Option<u32>,
    pub allowlist: Vec<String>,
    pub denylist: Vec<String>,
}

/// Rollout settings from the rollout rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutSpec {
    /// Master kill switch: `false` turns everything off for everyone.
    pub enabled: bool,
    /// Share of users in the rollout, in basis points (0..=10000; 2550 = 25.50 %).
    pub percentage_bp: u32,
    /// Bucketing salt: `murmur3_32("{salt}:{user_id}", seed) % 10000`.
    pub salt: String,
    pub seed: u32,
    pub allowlist: Vec<String>,
    pub denylist: Vec<String>,
    pub features: BTreeMap<String, FeatureRollout>,
    /// Origins allowed to embed the widget (CORS).
    pub allowed_origins: Vec<String>,
}

/// Why a rollout decision came out the way it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutReason {
    KillSwitch,
    FeatureDisabled,
    Denylisted,
    Allowlisted,
    InRollout,
    OutOfRollout,
    /// No user id was given; only a 100 % rollout shows the widget.
    Anonymous,
}

/// The rollout decision for one user (and optionally one feature).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutDecision {
    pub enabled: bool,
    /// 0..10000
    pub bucket: u32,
    pub reason: RolloutReason,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_confidence: 0.5,
            price_tolerance: 0.15,
            alerts: AlertThresholds {
                latency_p95_ms: AlertLevels {
                    warn: 1000.0,
                    critical: 2000.0,
                },
                error_rate: AlertLevels {
                    warn: 0.05,
                    critical: 0.10,
                },
                unmatched_rate: AlertLevels {
                    warn: 0.25,
                    critical: 0.40,
                },
                escalation_rate: AlertLevels {
                    warn: 0.15,
                    critical: 0.30,
                },
                csat_average: AlertLevels {
                    warn: 3.5,
                    critical: 3.0,
                },
                rate_limited_rate: AlertLevels {
                    warn: 0.05,
                    critical: 0.15,
                },
                database_error_rate: AlertLevels {
                    warn: 0.005,
                    critical: 0.02,
                },
                messages_per_session: AlertLevels {
                    warn: 0.10,
                    critical: 0.03,
                },
                min_requests: 50,
            },
            rate_limits: RateLimits {
                messages_per_minute: 60,
                creates_per_minute: 10,
                lookups_per_minute: 20,
            },
            unmatched_turns_before_stylist: 2,
            default_result_limit: 6,
            max_result_limit: 24,
            ready_to_ship_only: true,
            catalog_cache_ttl_seconds: 300,
            session_ttl_seconds: 1800,
            unanswered_retention_days: 90,
            unanswered_below_confidence: 0.6,
            returns: ReturnPolicy {
                return_window_days: 30,
                resize_window_days: 60,
                resizable_categories: vec!["rings".into()],
                ring_size_min: 3.0,
                ring_size_max: 13.0,
            },
            canary: CanaryPlan::default(),
        }
    }
}

impl Default for RolloutSpec {
    fn default() -> Self {
        RolloutSpec {
            enabled: true,
            percentage_bp: 10_000,
            salt: "aurora-concierge".into(),
            seed: 0,
            allowlist: Vec::new(),
            denylist: Vec::new(),
            features: BTreeMap::new(),
            allowed_origins: Vec::new(),
        }
    }
}

/// Words of the price grammar, from the `[prices]` table of the entities rule file.
/// Numbers, number words ("five hundred"), `$`/`¢` and the context words that veto a price
/// (`size`, `order`, units, karat words) are built into the parser; see `engine::price`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PriceVocabulary {
    /// Upper bounds before an amount: "under", "less than", "up to", "at most", "max", "sub".
    pub under: Vec<String>,
    /// Lower bounds before an amount: "over", "more than", "greater than", "at least", "from".
    pub over: Vec<String>,
    /// Approximations before an amount: "around", "about", "roughly", "~".
    pub approx: Vec<String>,
    /// Words that pin an amount: "exactly", "precisely".
    pub exact: Vec<String>,
    /// Range openers: "between".
    pub between: Vec<String>,
    /// Range joiners: "and" (after `between` only), "to", "-", "~".
    pub range_joiners: Vec<String>,
    /// Currency marks before or after an amount: "dollars", "bucks", "usd", "us$", "€", "eur".
    /// Every currency counts as a price mark; the amount is kept as stated.
    pub currency_words: Vec<String>,
    /// Words that mark cents: "cents", "c", "pennies".
    pub cents_words: Vec<String>,
    /// Suffix multipliers: "k" = 1000, "grand" = 1000.
    pub multipliers: BTreeMap<String, f64>,
    /// Words that turn the next bound around: "nothing over $600" and "can't go over 300" are
    /// upper bounds, "not less than 200" a lower one.
    pub negations: Vec<String>,
    /// Budget words: before an amount ("budget 1500", "my budget is 1500", "want to spend 400")
    /// or after it ("$500 budget", "$400 to spend"). A budget without a bound word is a ceiling.
    pub budget_words: Vec<String>,
    /// Upper bounds after an amount: "or less", "max", "tops".
    pub postfix_under: Vec<String>,
    /// Lower bounds after an amount: "or more", "and up", "+", "plus".
    pub postfix_over: Vec<String>,
    /// Approximations after an amount: "or so", "ish", "give or take", "range".
    pub postfix_approx: Vec<String>,
}

impl Default for PriceVocabulary {
    /// The vocabulary `rules/entities.toml` ships; keep the two in step.
    fn default() -> Self {
        let words = |ws: &[&str]| ws.iter().map(|w| (*w).to_string()).collect::<Vec<_>>();
        PriceVocabulary {
            under: words(&[
                "under",
                "<",
                "<=",
                "≤",
                "below",
                "beneath",
                "less than",
                "less then",
                "lower than",
                "cheaper than",
                "less expensive than",
                "no more than",
                "not more than",
                "up to",
                "at most",
                "at the most",
                "max",
                "maximum",
                "max of",
                "maximum of",
                "tops",
                "sub",
                "sub-",
                "within",
            ]),
            over: words(&[
                "over",
                ">",
                ">=",
                "≥",
                "above",
                "beyond",
                "more than",
                "more then",
                "greater than",
                "higher than",
                "pricier than",
                "more expensive than",
                "at least",
                "no less than",
                "not less than",
                "from",
                "starting at",
                "starting from",
                "min",
                "minimum",
                "min of",
                "minimum of",
                "upwards of",
                "north of",
                "in excess of",
                "exceed",
                "exceeding",
            ]),
            approx: words(&[
                "around",
                "about",
                "roughly",
                "approximately",
                "approx",
                "~",
                "close to",
                "near",
                "nearly",
                "almost",
                "circa",
                "something like",
                "in the region of",
                "ballpark",
            ]),
            exact: words(&["exactly", "precisely"]),
            between: words(&["between"]),
            range_joiners: words(&["and", "to", "-", "~", "through", "thru"]),
            currency_words: words(&[
                "dollars",
                "dollar",
                "bucks",
                "buck",
                "usd",
                "us$",
                "us dollars",
                "american dollars",
                "canadian dollars",
                "australian dollars",
                "€",
                "eur",
                "euro",
                "euros",
                "£",
                "gbp",
                "pound",
                "pounds",
                "quid",
                "cad",
                "c$",
                "ca$",
                "aud",
                "a$",
                "au$",
                "nzd",
                "nz$",
                "hk$",
                "chf",
                "cny",
                "yuan",
                "¥",
                "jpy",
                "yen",
                "₹",
                "inr",
                "rs",
                "rs.",
                "rupee",
                "rupees",
                "hkd",
                "sgd",
                "mxn",
                "aed",
            ]),
            cents_words: words(&["cents", "cent", "c", "penny", "pennies", "pence"]),
            multipliers: [
                ("k", 1e3),
                ("grand", 1e3),
                ("mil", 1e6),
                ("m", 1e6),
                ("bn", 1e9),
                ("lakh", 1e5),
                ("lakhs", 1e5),
                ("crore", 1e7),
                ("crores", 1e7),
            ]
            .into_iter()
            // Inserted one by one: collecting into a BTreeMap sorts first, with its own copy of
            // the sort code (engine/sort.rs).
            .fold(BTreeMap::new(), |mut map, (w, f)| {
                map.insert(w.to_string(), f);
                map
            }),
            negations: words(&[
                "not",
                "no",
                "nothing",
                "none",
                "never",
                "without",
                "cannot",
                "can't",
                "cant",
                "don't",
                "dont",
                "won't",
                "wont",
                "doesn't",
                "doesnt",
                "didn't",
                "didnt",
                "shouldn't",
                "shouldnt",
                "wouldn't",
                "wouldnt",
                "isn't",
                "isnt",
                "mustn't",
            ]),
            budget_words: words(&[
                "budget",
                "budget cap",
                "budget limit",
                "spending limit",
                "spending cap",
                "price limit",
                "price cap",
                "price range",
                "limit",
                "spend",
                "spending",
                "to spend",
                "afford",
            ]),
            postfix_under: words(&[
                "or less",
                "or under",
                "and under",
                "or below",
                "and below",
                "or lower",
                "or cheaper",
                "and less",
                "max",
                "maximum",
                "tops",
                "at most",
                "at the most",
                "at the very most",
                "is my max",
                "is my maximum",
                "is my limit",
                "is the max",
                "is the limit",
                "is the most",
            ]),
            postfix_over: words(&[
                "or more",
                "and up",
                "and above",
                "or above",
                "and over",
                "or over",
                "or higher",
                "and higher",
                "or greater",
                "and upwards",
                "or upwards",
                "upwards",
                "and beyond",
                "min",
                "minimum",
                "at least",
                "at minimum",
                "+",
                "plus",
            ]),
            postfix_approx: words(&[
                "or so",
                "ish",
                "-ish",
                "give or take",
                "more or less",
                "or thereabouts",
                "roughly",
                "approx",
                "approximately",
                "range",
                "price range",
                "ballpark",
                "mark",
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_approx_prices_search_a_band_bounds_do_not() {
        let range = |kind, min, max| PriceRange { min, max, kind };
        let v = Some(500.0);
        assert_eq!(
            range(PriceKind::Exact, v, v).to_cents_filter(0.15),
            (Some(42_500), Some(57_500))
        );
        assert_eq!(
            range(PriceKind::Approx, v, v).to_cents_filter(0.15),
            (Some(42_500), Some(57_500))
        );
        assert_eq!(
            range(PriceKind::Under, None, v).to_cents_filter(0.15),
            (None, Some(50_000))
        );
        assert_eq!(
            range(PriceKind::Between, Some(200.0), v).to_cents_filter(0.15),
            (Some(20_000), Some(50_000))
        );
    }
}
