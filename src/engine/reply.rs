//! What the concierge says: the intents whose replies the Worker builds from data ([`CoreIntent`]),
//! the fixed replies the rules declare for every other intent ([`ReplySpec`]), and what the widget
//! does next ([`NextStep`]). Intent ids stay strings in the rules and on the wire; code that acts
//! on an intent matches on these enums, never on id strings.

use serde::{Deserialize, Serialize};

/// The intents the Worker answers with its own logic (a catalog search, an order lookup, the
/// returns policy, a stylist form, a conversation move). The first four must be declared by every
/// rule set; the conversation moves are optional (without them "cheaper" is just unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoreIntent {
    ProductDiscovery,
    OrderTracking,
    ReturnsResizing,
    StylistEscalation,
    /// "cheaper": move the price past what was shown.
    Cheaper,
    /// "something pricier".
    Pricier,
    /// "show me more": the next page.
    MoreResults,
    /// "start over": clear the conversation.
    StartOver,
}

impl CoreIntent {
    /// Every core intent, required ones first.
    pub const ALL: [CoreIntent; 8] = [
        CoreIntent::ProductDiscovery,
        CoreIntent::OrderTracking,
        CoreIntent::ReturnsResizing,
        CoreIntent::StylistEscalation,
        CoreIntent::Cheaper,
        CoreIntent::Pricier,
        CoreIntent::MoreResults,
        CoreIntent::StartOver,
    ];

    /// The intent id in rule files, replies and analytics.
    pub const fn id(self) -> &'static str {
        match self {
            CoreIntent::ProductDiscovery => "product_discovery",
            CoreIntent::OrderTracking => "order_tracking",
            CoreIntent::ReturnsResizing => "returns_resizing",
            CoreIntent::StylistEscalation => "stylist_escalation",
            CoreIntent::Cheaper => "cheaper",
            CoreIntent::Pricier => "pricier",
            CoreIntent::MoreResults => "more_results",
            CoreIntent::StartOver => "start_over",
        }
    }

    /// The core intent with this id, if it is one.
    pub fn from_id(id: &str) -> Option<CoreIntent> {
        CoreIntent::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Whether every rule set must declare it (the Worker's replies depend on it).
    pub const fn is_required(self) -> bool {
        matches!(
            self,
            CoreIntent::ProductDiscovery
                | CoreIntent::OrderTracking
                | CoreIntent::ReturnsResizing
                | CoreIntent::StylistEscalation
        )
    }
}

/// What the widget should offer after a reply (`next_step` in `POST /v1/messages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// Products are in the reply: show them.
    ShowProducts,
    /// Offer the stylist form.
    OfferStylist,
    /// An order is in the reply: show it.
    ShowOrder,
    /// Ask for an order number and email.
    AskOrderDetails,
    /// Offer the return/resize form.
    ReturnForm,
    /// Ask for a satisfaction rating.
    ShowCsat,
}

impl NextStep {
    /// Every step, in the order the documentation lists them.
    pub const ALL: [NextStep; 6] = [
        NextStep::ShowProducts,
        NextStep::OfferStylist,
        NextStep::ShowOrder,
        NextStep::AskOrderDetails,
        NextStep::ReturnForm,
        NextStep::ShowCsat,
    ];

    /// The name in rule files and JSON (`offer_stylist`).
    pub const fn name(self) -> &'static str {
        match self {
            NextStep::ShowProducts => "show_products",
            NextStep::OfferStylist => "offer_stylist",
            NextStep::ShowOrder => "show_order",
            NextStep::AskOrderDetails => "ask_order_details",
            NextStep::ReturnForm => "return_form",
            NextStep::ShowCsat => "show_csat",
        }
    }

    /// The step named `name` in a rule file.
    pub fn from_name(name: &str) -> Option<NextStep> {
        NextStep::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The fixed reply the rules declare for an intent that is not a [`CoreIntent`]
/// (`reply` and `next_step` in its `[[intent]]`), editable by merchandisers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplySpec {
    pub text: String,
    #[serde(default)]
    pub next_step: Option<NextStep>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for step in NextStep::ALL {
            assert_eq!(NextStep::from_name(step.name()), Some(step));
            assert_eq!(
                serde_json::to_value(step).unwrap(),
                serde_json::Value::String(step.name().into())
            );
        }
        for intent in CoreIntent::ALL {
            assert_eq!(CoreIntent::from_id(intent.id()), Some(intent));
        }
        assert_eq!(CoreIntent::from_id("greeting"), None);
        assert_eq!(NextStep::from_name("offer-stylist"), None);
        assert_eq!(
            CoreIntent::ALL.iter().filter(|c| c.is_required()).count(),
            4
        );
    }
}
