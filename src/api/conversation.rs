//! The conversation a shopper is having: the current search (categories, metals, styles, price,
//! page) and what was last shown, so follow-ups refine it. "in rose gold" replaces only the metal,
//! "what about necklaces" only the category, "under 300 instead" only the price; "cheaper" and
//! "more expensive" move the price window past what was shown; "show me more" pages; "start
//! over" clears.
//!
//! The state travels with the conversation itself: every reply carries it as `context` and the
//! widget sends it back with the next message, so the Worker stays stateless and pays no storage
//! round trip, and messages typed quickly cannot race each other (docs/conversation.md has the
//! measurements against a Durable Object per session). It holds no personal data: filter values
//! from the rules' domain, SKUs, a price span and a counter.
//!
//! Pure logic: [`Conversation::follow`] turns one classified message into a [`Step`], and the
//! handler runs the catalog query it asks for.

use super::error::ApiError;
use super::models::{CatalogFilter, PriceOrder};
use super::validate::Fields;
use crate::engine::{
    CoreIntent, Domain, Entities, ExcludedKind, PriceKind, PriceRange, Thresholds, UnsupportedKind,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the `context` shape; a context of another version starts a fresh conversation.
pub const CONTEXT_VERSION: i64 = 1;
/// Most values a filter slot holds.
const MAX_SLOT_VALUES: usize = 8;
/// Most SKUs a context may list as shown (the result limit is lower).
const MAX_SHOWN: usize = 100;
/// Deepest page a conversation can ask for.
const MAX_PAGE: i64 = 100;
/// Largest price anywhere in a context, in dollars.
const MAX_DOLLARS: f64 = 10_000_000.0;
/// When "cheaper"/"more expensive" has only a price bound to go by, move it by this factor.
const PRICE_STEP: f64 = 0.25;

/// The filters of the current search, as the widget shows them (removable chips).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub categories: Vec<String>,
    pub metals: Vec<String>,
    pub styles: Vec<String>,
    pub price: Option<PriceRange>,
}

impl Search {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
            && self.metals.is_empty()
            && self.styles.is_empty()
            && self.price.is_none()
    }
}

/// A filter slot the shopper can remove (a chip's ×).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Categories,
    Metals,
    Styles,
    Price,
}

impl Slot {
    /// Every slot, by its name in the API.
    pub const NAMES: [&'static str; 4] = ["categories", "metals", "styles", "price"];

    /// The slot called `name` in the API.
    pub fn from_name(name: &str) -> Option<Slot> {
        match name {
            "categories" => Some(Slot::Categories),
            "metals" => Some(Slot::Metals),
            "styles" => Some(Slot::Styles),
            "price" => Some(Slot::Price),
            _ => None,
        }
    }
}

/// Everything the concierge remembers between two messages of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// [`CONTEXT_VERSION`].
    pub v: i64,
    pub search: Search,
    /// The page of results last shown (1-based); 0 before any search.
    pub page: u32,
    /// SKUs last shown.
    pub shown: Vec<String>,
    /// Lowest and highest price last shown, in cents.
    pub shown_cents: Option<[i64; 2]>,
    /// Consecutive messages the concierge did not understand.
    pub unmatched: u32,
}

/// What a message asks the handler to do with the catalog.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Show `page` of the search (the conversation already holds it).
    Show { refinement: Refinement },
    /// The shopper asked only for things the shop does not sell (anklets): say so, search nothing.
    NotSold,
    /// "cheaper", "show me more" with nothing shown to refine.
    NothingToRefine,
    /// "start over": the search is cleared.
    Cleared,
    /// Not about the catalog.
    Other,
}

/// Why a search is being shown, for the reply's wording and for undoing a fruitless follow-up.
#[derive(Debug, Clone, PartialEq)]
pub enum Refinement {
    /// A search from the message's own words (new, or some slots replaced).
    Search,
    Cheaper,
    Pricier,
    NextPage,
    /// A chip was removed.
    Removed(Slot),
}

impl Conversation {
    /// A fresh conversation.
    pub fn new() -> Conversation {
        Conversation {
            v: CONTEXT_VERSION,
            ..Conversation::default()
        }
    }

    /// Reads the `context` a client sent back. Malformed contexts are a 422 at the exact path;
    /// filter values the current rules do not know (a context issued under other rules) are
    /// dropped, and a context of another version starts afresh.
    pub fn from_request(
        fields: &Fields,
        domain: &Domain,
        thresholds: &Thresholds,
    ) -> Result<Conversation, ApiError> {
        let Some(ctx) = fields.opt_object(
            "context",
            &["v", "search", "page", "shown", "shown_cents", "unmatched"],
        )?
        else {
            return Ok(Conversation::new());
        };
        let version = ctx.integer("v", 1, i64::from(u16::MAX))?;
        if version != CONTEXT_VERSION {
            return Ok(Conversation::new());
        }
        let mut conversation = Conversation::new();
        if let Some(search) =
            ctx.opt_object("search", &["categories", "metals", "styles", "price"])?
        {
            let known = |values: Vec<String>, ok: &dyn Fn(&str) -> bool| -> Vec<String> {
                let mut out: Vec<String> = Vec::new();
                for v in values {
                    if ok(&v) && !out.contains(&v) {
                        out.push(v);
                    }
                }
                out
            };
            conversation.search = Search {
                categories: known(
                    search.opt_strings("categories", MAX_SLOT_VALUES, 64)?,
                    &|v| domain.is_category(v),
                ),
                metals: known(search.opt_strings("metals", MAX_SLOT_VALUES, 64)?, &|v| {
                    domain.is_metal(v)
                }),
                styles: known(search.opt_strings("styles", MAX_SLOT_VALUES, 64)?, &|v| {
                    domain.is_style(v)
                }),
                price: price_from(&search)?,
            };
        }
        conversation.page = ctx.opt_integer("page", 0, MAX_PAGE)?.unwrap_or(0) as u32;
        // Up to MAX_SHOWN in any context, so one issued before `max_result_limit` was lowered
        // still reads; only the current limit's worth is kept.
        conversation.shown = ctx.opt_strings("shown", MAX_SHOWN, 32)?;
        if let Some(bad) = conversation
            .shown
            .iter()
            .position(|s| !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            let path = format!("{}[{bad}]", ctx.path("shown"));
            return Err(ApiError::invalid(
                &path,
                format!("`{path}` must be a SKU (letters, digits and `-`)"),
            ));
        }
        conversation
            .shown
            .truncate(thresholds.max_result_limit as usize);
        conversation.shown_cents = shown_cents_from(&ctx)?;
        conversation.unmatched = ctx.opt_integer("unmatched", 0, 1000)?.unwrap_or(0) as u32;
        Ok(conversation)
    }

    /// Updates the conversation for one classified message and says what to show. A message
    /// understood only as "words we do not know" (`guessed`) still searches, but counts as not
    /// understood toward offering a stylist.
    pub fn follow(
        &mut self,
        intent: &str,
        entities: &Entities,
        domain: &Domain,
        guessed: bool,
    ) -> Step {
        self.unmatched = if intent == crate::engine::UNKNOWN_INTENT || guessed {
            self.unmatched.saturating_add(1)
        } else {
            0
        };
        match CoreIntent::from_id(intent) {
            Some(CoreIntent::StartOver) => {
                *self = Conversation {
                    unmatched: self.unmatched,
                    ..Conversation::new()
                };
                Step::Cleared
            }
            Some(CoreIntent::ProductDiscovery) => {
                // "gold anklets": the kind of piece is not sold and nothing is offered instead,
                // so searching other kinds of piece would answer a question nobody asked.
                let not_sold_only = entities.categories.is_empty()
                    && entities
                        .unsupported
                        .iter()
                        .any(|u| u.kind == UnsupportedKind::Category)
                    && entities
                        .unsupported
                        .iter()
                        .filter(|u| u.kind == UnsupportedKind::Category)
                        .all(|u| u.instead.is_empty());
                if not_sold_only {
                    return Step::NotSold;
                }
                self.apply(entities, domain);
                self.page = 1;
                Step::Show {
                    refinement: Refinement::Search,
                }
            }
            Some(moved @ (CoreIntent::Cheaper | CoreIntent::Pricier)) => {
                let has_slots = self.apply(entities, domain);
                let cheaper = moved == CoreIntent::Cheaper;
                if entities.price.is_some() {
                    // "cheaper, under 300" says exactly what it means.
                    self.page = 1;
                    return Step::Show {
                        refinement: Refinement::Search,
                    };
                }
                let Some(price) = self.moved_price(cheaper) else {
                    if has_slots {
                        self.page = 1;
                        return Step::Show {
                            refinement: Refinement::Search,
                        };
                    }
                    return Step::NothingToRefine;
                };
                self.search.price = Some(price);
                self.page = 1;
                Step::Show {
                    refinement: if cheaper {
                        Refinement::Cheaper
                    } else {
                        Refinement::Pricier
                    },
                }
            }
            Some(CoreIntent::MoreResults) => {
                if self.apply(entities, domain) {
                    self.page = 1;
                    return Step::Show {
                        refinement: Refinement::Search,
                    };
                }
                if self.page == 0 {
                    return Step::NothingToRefine;
                }
                self.page = (self.page + 1).min(MAX_PAGE as u32);
                Step::Show {
                    refinement: Refinement::NextPage,
                }
            }
            _ => Step::Other,
        }
    }

    /// Removes one filter slot (a chip's ×) and asks for page 1 of what remains.
    pub fn remove(&mut self, slot: Slot) -> Step {
        match slot {
            Slot::Categories => self.search.categories.clear(),
            Slot::Metals => self.search.metals.clear(),
            Slot::Styles => self.search.styles.clear(),
            Slot::Price => self.search.price = None,
        }
        self.unmatched = 0;
        self.page = 1;
        Step::Show {
            refinement: Refinement::Removed(slot),
        }
    }

    /// Replaces the slots the message names; returns whether it named any.
    fn apply(&mut self, entities: &Entities, domain: &Domain) -> bool {
        let search = &mut self.search;
        let mut named = false;
        let instead_of = |kind: fn(UnsupportedKind) -> bool| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for u in entities.unsupported.iter().filter(|u| kind(u.kind)) {
                for v in &u.instead {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                }
            }
            out
        };
        let mut categories = entities.categories.clone();
        if categories.is_empty() {
            categories = instead_of(|k| k == UnsupportedKind::Category);
        }
        let categories = without_excluded(
            categories,
            &search.categories,
            &domain.categories,
            entities,
            ExcludedKind::Category,
        );
        if !categories.is_empty() {
            named = true;
            if categories != search.categories && entities.styles.is_empty() {
                // A style that implies another kind of piece ("hoop") does not carry over to
                // "what about necklaces"; stones and motifs ("diamond", "heart") do.
                search.styles.retain(|style| {
                    domain
                        .styles
                        .iter()
                        .find(|s| s.id == *style)
                        .and_then(|s| s.implies.as_ref())
                        .is_none_or(|c| categories.contains(c))
                });
            }
            search.categories = categories;
        }
        if !entities.styles.is_empty() {
            named = true;
            search.styles = entities.styles.clone();
        }
        // "no diamonds": a style not wanted leaves the search (the catalog has no "without").
        let before = search.styles.len();
        search
            .styles
            .retain(|style| !entities.excludes(ExcludedKind::Style, style));
        named |= search.styles.len() != before;
        let mut metals = entities.metals.clone();
        if metals.is_empty() {
            metals =
                instead_of(|k| matches!(k, UnsupportedKind::Metal | UnsupportedKind::Material));
        }
        let metals = without_excluded(
            metals,
            &search.metals,
            &domain.metals,
            entities,
            ExcludedKind::Metal,
        );
        if !metals.is_empty() {
            named = true;
            search.metals = metals;
        }
        if let Some(price) = entities.price {
            named = true;
            search.price = Some(price);
        }
        named
    }

    /// The price window past what was shown: below the cheapest piece shown, or above the
    /// dearest; without products shown, past the search's own price bound.
    fn moved_price(&self, cheaper: bool) -> Option<PriceRange> {
        let bound = |max: Option<f64>, min: Option<f64>| PriceRange {
            min,
            max,
            kind: if max.is_some() {
                PriceKind::Under
            } else {
                PriceKind::Over
            },
        };
        if let Some([low, high]) = self.shown_cents {
            return Some(if cheaper {
                bound(Some(dollars_floor(low - 1)), None)
            } else {
                bound(None, Some(dollars_ceil(high + 1)))
            });
        }
        let price = self.search.price?;
        let (min, max) = (price.min, price.max);
        Some(match (cheaper, min, max) {
            (true, Some(min), _) => bound(Some(min), None),
            (true, None, Some(max)) => bound(Some(max * (1.0 - PRICE_STEP)), None),
            (false, _, Some(max)) => bound(None, Some(max)),
            (false, Some(min), None) => bound(None, Some(min * (1.0 + PRICE_STEP))),
            _ => return None,
        })
    }

    /// Remembers what a search showed.
    pub fn shown(&mut self, skus: Vec<String>, cents: impl Iterator<Item = i64>) {
        let (mut low, mut high) = (i64::MAX, i64::MIN);
        for c in cents {
            low = low.min(c);
            high = high.max(c);
        }
        self.shown_cents = (!skus.is_empty()).then_some([low, high]);
        self.shown = skus;
    }

    /// The catalog query for the current search and page.
    pub fn filter(&self, thresholds: &Thresholds) -> CatalogFilter {
        let search = &self.search;
        let (min_cents, max_cents) = search
            .price
            .map(|p| p.to_cents_filter(thresholds.price_tolerance))
            .unwrap_or((None, None));
        let limit = thresholds
            .default_result_limit
            .min(thresholds.max_result_limit);
        CatalogFilter {
            categories: search.categories.clone(),
            metals: search.metals.clone(),
            styles: search.styles.clone(),
            min_cents,
            max_cents,
            order: PriceOrder::for_price(search.price.as_ref()),
            ready_to_ship_only: thresholds.ready_to_ship_only,
            limit,
            offset: self.page.saturating_sub(1) * limit,
        }
    }
}

fn dollars_floor(cents: i64) -> f64 {
    (cents.max(0) / 100) as f64
}

fn dollars_ceil(cents: i64) -> f64 {
    ((cents.max(0) + 99) / 100) as f64
}

fn price_from(search: &Fields) -> Result<Option<PriceRange>, ApiError> {
    let Some(price) = search.opt_object("price", &["min", "max", "kind"])? else {
        return Ok(None);
    };
    let kinds = ["exact", "under", "over", "between", "approx"];
    let kind = match price.one_of("kind", &kinds)?.as_str() {
        "exact" => PriceKind::Exact,
        "under" => PriceKind::Under,
        "over" => PriceKind::Over,
        "between" => PriceKind::Between,
        _ => PriceKind::Approx,
    };
    let min = price.opt_number("min", 0.0, MAX_DOLLARS)?;
    let max = price.opt_number("max", 0.0, MAX_DOLLARS)?;
    if min.is_none() && max.is_none() {
        return Err(ApiError::MissingField {
            field: price.path("max"),
        });
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            let path = price.path("min");
            return Err(ApiError::invalid(
                &path,
                format!("`{path}` must not be greater than `max`"),
            ));
        }
    }
    Ok(Some(PriceRange { min, max, kind }))
}

fn shown_cents_from(ctx: &Fields) -> Result<Option<[i64; 2]>, ApiError> {
    let path = ctx.path("shown_cents");
    let Some(value) = ctx.raw("shown_cents") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(
            &path,
            format!("`{path}` must be two whole, non-negative numbers of cents"),
        )
    };
    let Value::Array(items) = value else {
        return Err(bad());
    };
    // Whole numbers as JSON Schema counts them (`0.0` is one): what the OpenAPI document promises.
    let cents: Vec<i64> = items
        .iter()
        .filter_map(super::validate::whole_number)
        .collect();
    match cents[..] {
        // Either order: the document promises two whole numbers, not their order.
        [a, b] if items.len() == 2 && a >= 0 && b >= 0 => Ok(Some([a.min(b), a.max(b)])),
        _ => Err(bad()),
    }
}

/// The context as the JSON object the reply carries.
pub fn to_json(conversation: &Conversation) -> Value {
    serde_json::to_value(conversation).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// The categories or metals to search for after what the shopper said they do not want:
/// `named` (this message's) without them; when nothing is named, the search's current ones
/// without them, or every one of the domain's but them ("anything but yellow gold" searches the
/// other metals). Empty when nothing was named or excluded.
fn without_excluded(
    named: Vec<String>,
    current: &[String],
    all: &[String],
    entities: &Entities,
    kind: ExcludedKind,
) -> Vec<String> {
    if !entities.excluded.iter().any(|e| e.kind == kind) {
        return named;
    }
    let keep = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|id| !entities.excludes(kind, id))
            .cloned()
            .collect()
    };
    let mut out = keep(&named);
    if out.is_empty() {
        out = keep(current);
    }
    if out.is_empty() {
        out = keep(all);
    }
    out
}
