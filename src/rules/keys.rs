//! The keys each table of each rule file accepts, as the readers check them; the JSON Schema of
//! the rule files (`concierge schema`) is tested against these lists.

pub(crate) use super::entities::{
    EMAIL_KEYS as EMAIL, NOT_PRICE_KEYS as NOT_PRICE, ORDER_KEYS as ORDER_NUMBER,
    PRICE_EXAMPLE_KEYS as PRICE_EXAMPLE, PRICE_KEYS as PRICES, RING_KEYS as RING_SIZE,
    STYLE_KEYS as STYLE, TOP_KEYS as ENTITIES_TOP, UNSUPPORTED_KEYS as UNSUPPORTED,
    VOCAB_KEYS as VOCABULARY,
};
pub(crate) use super::intents::{
    INTENT_KEYS as INTENT, LANGUAGE_KEYS as LANGUAGE, TOP_KEYS as INTENTS_TOP,
};
pub(crate) use super::settings::{
    ALERT_KEYS as ALERTS, CANARY_KEYS as CANARY, FEATURE_KEYS as FEATURE, GATE_KEYS as GATES,
    LEVEL_KEYS as LEVELS, MANIFEST_KEYS as MANIFEST, PHASE_KEYS as PHASE, RATE_KEYS as RATE_LIMITS,
    RETURN_KEYS as RETURNS, ROLLOUT_KEYS as ROLLOUT, THRESHOLD_KEYS as THRESHOLDS,
};
