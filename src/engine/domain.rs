//! The shop's domain as the compiled rules declare it, in one place for everything downstream:
//! the API's validation, `/v1/flags` (the widget's chips, ring-size picker and placeholders) and
//! the seed generator (`concierge domain`). Adding a category to `entities.toml` is then enough.

use super::entities::EntityExtractor;
use super::model::{Thresholds, UnsupportedKind};
use serde::Serialize;

/// A style and the category it implies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StyleInfo {
    pub id: String,
    pub implies: Option<String>,
}

/// Something the shop does not sell, what to offer instead and what to say about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnsupportedInfo {
    pub id: String,
    pub kind: UnsupportedKind,
    pub instead: Vec<String>,
    pub note: String,
}

/// How order numbers are written: `prefix` then `digits` digits (`AUR-123456`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderNumberFormat {
    pub prefix: String,
    pub digits: usize,
    /// A made-up example for placeholders and error messages.
    pub example: String,
}

/// Ring sizes the shop resizes to (US sizes, in halves).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingSizes {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

/// What the shop sells and how its identifiers look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Domain {
    pub categories: Vec<String>,
    pub metals: Vec<String>,
    pub styles: Vec<StyleInfo>,
    pub unsupported: Vec<UnsupportedInfo>,
    pub order_number: OrderNumberFormat,
    pub ring_sizes: RingSizes,
}

impl Domain {
    pub(super) fn of(entities: &EntityExtractor, thresholds: &Thresholds) -> Domain {
        let (prefix, digits) = entities.order_number_format();
        let example = format!(
            "{prefix}{}",
            "123456789".chars().cycle().take(digits).collect::<String>()
        );
        Domain {
            categories: entities.categories().to_vec(),
            metals: entities.metals().to_vec(),
            styles: entities
                .styles()
                .map(|(id, implies)| StyleInfo {
                    id: id.to_string(),
                    implies: implies.map(str::to_string),
                })
                .collect(),
            unsupported: entities
                .unsupported()
                .map(|(u, note)| UnsupportedInfo {
                    id: u.id.clone(),
                    kind: u.kind,
                    instead: u.instead.clone(),
                    note: note.to_string(),
                })
                .collect(),
            order_number: OrderNumberFormat {
                prefix: prefix.to_string(),
                digits,
                example,
            },
            ring_sizes: RingSizes {
                min: thresholds.returns.ring_size_min,
                max: thresholds.returns.ring_size_max,
                step: 0.5,
            },
        }
    }

    /// The same domain read straight from the rule set, without compiling it (an isolate knows
    /// its domain before its engine tables are built).
    pub(super) fn from_spec(spec: &super::spec::EntitySpec, thresholds: &Thresholds) -> Domain {
        let digits = spec.order_number_digits.max(1);
        let prefix = spec.order_number_prefix.clone();
        let example = format!(
            "{prefix}{}",
            "123456789".chars().cycle().take(digits).collect::<String>()
        );
        Domain {
            categories: spec.categories.iter().map(|c| c.id.clone()).collect(),
            metals: spec.metals.iter().map(|m| m.id.clone()).collect(),
            styles: spec
                .styles
                .iter()
                .map(|s| StyleInfo {
                    id: s.id.clone(),
                    // Only a declared category (the compiled engine drops an unknown one).
                    implies: s
                        .implies
                        .clone()
                        .filter(|c| spec.categories.iter().any(|k| &k.id == c)),
                })
                .collect(),
            unsupported: spec
                .unsupported
                .iter()
                .map(|u| UnsupportedInfo {
                    id: u.id.clone(),
                    kind: u.kind,
                    instead: u.instead.clone(),
                    note: u.note.clone(),
                })
                .collect(),
            order_number: OrderNumberFormat {
                prefix,
                digits,
                example,
            },
            ring_sizes: RingSizes {
                min: thresholds.returns.ring_size_min,
                max: thresholds.returns.ring_size_max,
                step: 0.5,
            },
        }
    }

    /// Whether `id` is a category of the catalog.
    pub fn is_category(&self, id: &str) -> bool {
        self.categories.iter().any(|c| c == id)
    }

    /// Whether `id` is a metal of the catalog.
    pub fn is_metal(&self, id: &str) -> bool {
        self.metals.iter().any(|m| m == id)
    }

    /// Whether `id` is a declared style.
    pub fn is_style(&self, id: &str) -> bool {
        self.styles.iter().any(|s| s.id == id)
    }

    /// What to say about the unsupported value `id`.
    pub fn note(&self, id: &str) -> Option<&str> {
        self.unsupported
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.note.as_str())
    }

    /// Whether `value` is a canonical order number (`AUR-` and six digits).
    pub fn is_order_number(&self, value: &str) -> bool {
        let format = &self.order_number;
        value
            .strip_prefix(format.prefix.as_str())
            .is_some_and(|digits| {
                digits.len() == format.digits && digits.bytes().all(|b| b.is_ascii_digit())
            })
    }
}
