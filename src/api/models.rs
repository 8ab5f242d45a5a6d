//! Response shapes of the API (serde), shared with the OpenAPI document.

use crate::engine::{PriceKind, PriceRange};
use serde::{Deserialize, Serialize};

/// A catalog product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub metal: String,
    /// Dollars, for display.
    pub price: f64,
    pub price_cents: i64,
    pub ready_to_ship: bool,
    pub stock: i64,
    pub image: String,
}

/// The order results come in: closest to what the shopper asked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceOrder {
    /// Cheapest first (no price, or a lower bound: "over $500").
    Ascending,
    /// Dearest first, for a ceiling: "under $500" shows what the budget buys, not the cheapest.
    Descending,
    /// Nearest to a target first ("around $500", "$300"), in cents.
    Nearest(i64),
}

impl PriceOrder {
    /// The order that suits a price constraint.
    pub fn for_price(price: Option<&PriceRange>) -> PriceOrder {
        match price {
            Some(p) if p.kind == PriceKind::Under => PriceOrder::Descending,
            Some(p) if matches!(p.kind, PriceKind::Approx | PriceKind::Exact) => {
                p.max.or(p.min).map_or(PriceOrder::Ascending, |v| {
                    PriceOrder::Nearest((v * 100.0).round() as i64)
                })
            }
            _ => PriceOrder::Ascending,
        }
    }

    /// The order as it appears in cache keys and SQL parameters.
    pub fn key(&self) -> String {
        match self {
            PriceOrder::Ascending => "asc".into(),
            PriceOrder::Descending => "desc".into(),
            PriceOrder::Nearest(cents) => format!("near{cents}"),
        }
    }
}

/// A catalog query after validation: what the SQL and the KV cache key are built from. Empty
/// lists mean "any"; several values in one list mean "any of them"; every style must appear in
/// the product's name.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFilter {
    pub categories: Vec<String>,
    pub metals: Vec<String>,
    pub styles: Vec<String>,
    pub min_cents: Option<i64>,
    pub max_cents: Option<i64>,
    pub order: PriceOrder,
    pub ready_to_ship_only: bool,
    pub limit: u32,
    pub offset: u32,
}

impl CatalogFilter {
    /// The normalised filter as a KV key suffix: every field, fixed order, `-` for absent.
    pub fn cache_key(&self, catalog_version: i64) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(",")
            }
        };
        let num = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
        format!(
            "catalog:v{catalog_version}:c={};m={};s={};min={};max={};o={};rts={};n={};at={}",
            list(&self.categories),
            list(&self.metals),
            list(&self.styles),
            num(self.min_cents),
            num(self.max_cents),
            self.order.key(),
            u8::from(self.ready_to_ship_only),
            self.limit,
            self.offset
        )
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub quantity: i64,
    pub price: f64,
}

/// A carrier scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentEvent {
    pub at: String,
    pub status: String,
    pub detail: String,
}

/// A parcel of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub status: String,
    pub shipped_at: Option<String>,
    pub delivered_at: Option<String>,
    pub events: Vec<ShipmentEvent>,
}

/// Which after-sales requests an order allows now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnEligibility {
    #[serde(rename = "return")]
    pub return_: bool,
    pub resize: bool,
    pub exchange: bool,
    pub reason: String,
    pub deadline: Option<String>,
}

/// An order as shown to the shopper who proved they own it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub order_number: String,
    pub status: super::kinds::OrderStatus,
    pub placed_at: String,
    pub delivered_at: Option<String>,
    pub items: Vec<OrderItem>,
    pub shipments: Vec<Shipment>,
    pub return_eligibility: ReturnEligibility,
}

/// A stylist ticket as support sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_id: String,
    pub session_id: String,
    pub email: String,
    pub name: Option<String>,
    pub topic: String,
    pub message: String,
    pub status: super::kinds::TicketStatus,
    /// The latest note (every note is in the ticket's history).
    pub note: Option<String>,
    /// The staff member the ticket is assigned to, if any.
    pub assignee: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A return, resize or exchange request as support sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnRecord {
    pub return_id: String,
    pub order_number: String,
    /// The shopper's email (lower-case).
    pub email: Option<String>,
    pub sku: String,
    pub kind: super::kinds::ReturnKind,
    pub reason: String,
    pub ring_size: Option<f64>,
    pub status: super::kinds::ReturnStatus,
    /// Why it was approved or denied (shown to the shopper).
    pub decision_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The answer to one `POST /v1/messages`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageReply {
    pub intent: String,
    pub confidence: f64,
    pub entities: crate::engine::Entities,
    pub rules_version: String,
    /// What the concierge says.
    pub reply: String,
    /// What the widget should offer next (`show_products`, `offer_stylist`, ...), or null.
    pub next_step: Option<crate::engine::NextStep>,
    /// Present when the message searched the catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<Product>>,
    /// Whether another page of the same search exists ("show me more").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderView>,
    /// The search now in effect, for removable chips.
    pub filters: super::conversation::Search,
    /// The page of `filters` shown (0 before any search).
    pub page: u32,
    /// The conversation to send back with the next message.
    pub context: super::conversation::Conversation,
}

/// Cents to dollars for display.
pub fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_names_every_field_so_filters_never_collide() {
        let a = CatalogFilter {
            categories: vec!["rings".into()],
            metals: Vec::new(),
            styles: Vec::new(),
            min_cents: None,
            max_cents: Some(50_000),
            order: PriceOrder::Descending,
            ready_to_ship_only: true,
            limit: 6,
            offset: 0,
        };
        let mut b = a.clone();
        b.min_cents = Some(50_000);
        b.max_cents = None;
        assert_ne!(a.cache_key(1), b.cache_key(1));
        assert_ne!(a.cache_key(1), a.cache_key(2));
        let mut c = a.clone();
        c.offset = 6;
        assert_ne!(a.cache_key(1), c.cache_key(1));
        assert_eq!(
            a.cache_key(3),
            "catalog:v3:c=rings;m=-;s=-;min=-;max=50000;o=desc;rts=1;n=6;at=0"
        );
    }
}

/// `GET /v1/products`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductList {
    pub count: usize,
    pub products: Vec<Product>,
}

/// Why `/v1/flags` says what it says: the rollout's reason, or the KV kill switch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FlagsReason {
    Rollout(crate::engine::RolloutReason),
    Emergency(EmergencyOff),
}

/// The KV kill switch (`ops:kill-switch`) is on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyOff {
    EmergencyOff,
}

/// `GET /v1/flags`: whether the widget shows, per feature, and the shop's domain.
#[derive(Debug, Clone, Serialize)]
pub struct FlagsReply<'a> {
    pub enabled: bool,
    pub bucket: u32,
    pub reason: FlagsReason,
    pub features: super::features::Features,
    pub rules_version: &'a str,
    /// [`crate::engine::Engine::domain`], serialised once per engine.
    pub domain: &'a serde_json::value::RawValue,
}

/// `201` of `POST /v1/returns`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnCreated<'a> {
    pub return_id: &'a str,
    pub status: super::kinds::ReturnStatus,
    pub kind: super::kinds::ReturnKind,
    pub sku: &'a str,
    pub order_number: &'a str,
}

/// `201` of `POST /v1/escalations`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketCreated<'a> {
    pub ticket_id: &'a str,
    pub status: super::kinds::TicketStatus,
    /// Where the shopper's rating goes.
    pub csat_url: &'static str,
}

/// `201` of `POST /v1/csat`: for a ticket or for a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CsatRecorded<'a> {
    Ticket { ticket_id: &'a str, score: i64 },
    Session { session_id: &'a str, score: i64 },
}
