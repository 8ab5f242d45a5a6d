//! Response shapes of the API (serde), shared with the OpenAPI document.

use serde::{Deserialize, Serialize};

/// Canonical category ids (as extracted by the engine and stored in `products.category`).
pub const CATEGORIES: &[&str] = &["rings", "necklaces", "earrings", "bracelets"];
/// Canonical metal ids.
pub const METALS: &[&str] = &["yellow_gold", "white_gold", "rose_gold", "platinum"];

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

/// A catalog query after validation: what the SQL and the KV cache key are built from.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFilter {
    pub category: Option<String>,
    pub metal: Option<String>,
    pub min_cents: Option<i64>,
    pub max_cents: Option<i64>,
    pub ready_to_ship_only: bool,
    pub limit: u32,
}

impl CatalogFilter {
    /// The normalised filter as a KV key suffix: every field, fixed order, `-` for absent.
    pub fn cache_key(&self, catalog_version: i64) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let num = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
        format!(
            "catalog:v{catalog_version}:c={};m={};min={};max={};rts={};n={}",
            opt(&self.category),
            opt(&self.metal),
            num(self.min_cents),
            num(self.max_cents),
            u8::from(self.ready_to_ship_only),
            self.limit
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
    pub status: String,
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
    pub status: String,
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Per-session conversation state kept in KV.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub unmatched_turns: u32,
    pub last_intent: Option<String>,
    /// When this state was last written (epoch ms), to refresh its KV expiry sparingly.
    #[serde(default)]
    pub written_at_ms: i64,
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
            category: Some("rings".into()),
            metal: None,
            min_cents: None,
            max_cents: Some(50_000),
            ready_to_ship_only: true,
            limit: 6,
        };
        let mut b = a.clone();
        b.min_cents = Some(50_000);
        b.max_cents = None;
        assert_ne!(a.cache_key(1), b.cache_key(1));
        assert_ne!(a.cache_key(1), a.cache_key(2));
        assert_eq!(
            a.cache_key(3),
            "catalog:v3:c=rings;m=-;min=-;max=50000;rts=1;n=6"
        );
    }
}
