//! Per-feature rollout with effect: each feature of `[features.*]` in `rules/rollout.toml` gates
//! its API routes, what `/v1/messages` offers, and (through `/v1/flags`) the widget's matching UI.
//!
//! The shopper is the message's `user_id`, else the `X-Shopper-Id` header the widget sends on every
//! call; decisions are the engine's deterministic per-feature bucketing (`Rollout::decide`). A call
//! without a shopper id gets a feature only at 100 % (or never, when it is switched off).

use super::error::ApiError;
use super::router::Route;
use crate::engine::rollout::Rollout;
use serde::Serialize;

/// The features the API knows, by their names in `rollout.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// Catalog search: `GET /v1/products` and product answers in chat.
    ProductSearch,
    /// Order lookups: `POST /v1/orders/lookup` and order tracking in chat.
    OrderLookup,
    /// Return, resize and exchange requests: `POST /v1/returns` and the form in chat.
    ReturnsForm,
    /// Stylist requests: `POST /v1/escalations` and every offer of a stylist in chat.
    StylistChat,
}

impl Feature {
    /// Every feature, in `/v1/flags` order.
    pub const ALL: [Feature; 4] = [
        Feature::ProductSearch,
        Feature::OrderLookup,
        Feature::ReturnsForm,
        Feature::StylistChat,
    ];

    /// The name in `rollout.toml` and `/v1/flags`.
    pub fn name(self) -> &'static str {
        match self {
            Feature::ProductSearch => "product_search",
            Feature::OrderLookup => "order_lookup",
            Feature::ReturnsForm => "returns_form",
            Feature::StylistChat => "stylist_chat",
        }
    }

    /// The feature a shopper route belongs to; `None` for routes every shopper gets.
    pub fn of_route(route: &Route) -> Option<Feature> {
        match route {
            Route::Products => Some(Feature::ProductSearch),
            Route::OrderLookup => Some(Feature::OrderLookup),
            Route::Returns => Some(Feature::ReturnsForm),
            Route::Escalations => Some(Feature::StylistChat),
            _ => None,
        }
    }
}

/// The decision for every feature for one shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Features {
    pub product_search: bool,
    pub order_lookup: bool,
    pub returns_form: bool,
    pub stylist_chat: bool,
}

impl Features {
    /// Decides every feature for `user_id` (anonymous when `None`).
    pub fn decide(rollout: &Rollout, user_id: Option<&str>) -> Features {
        let on = |f: Feature| rollout.decide(user_id, Some(f.name())).enabled;
        Features {
            product_search: on(Feature::ProductSearch),
            order_lookup: on(Feature::OrderLookup),
            returns_form: on(Feature::ReturnsForm),
            stylist_chat: on(Feature::StylistChat),
        }
    }

    /// Whether `feature` is on.
    pub fn has(&self, feature: Feature) -> bool {
        match feature {
            Feature::ProductSearch => self.product_search,
            Feature::OrderLookup => self.order_lookup,
            Feature::ReturnsForm => self.returns_form,
            Feature::StylistChat => self.stylist_chat,
        }
    }

    /// `403 feature_disabled` unless `feature` is on.
    pub fn require(&self, feature: Feature) -> Result<(), ApiError> {
        if self.has(feature) {
            Ok(())
        } else {
            Err(ApiError::FeatureDisabled(feature.name()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_knows_exactly_the_features_the_rules_may_name() {
        let names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names, crate::engine::model::FEATURES);
    }
}
