//! Shopper routes: messages, catalog, order lookup, returns, stylist escalations, CSAT and flags.

use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse};
use super::models::{
    CatalogFilter, OrderItem, OrderView, Product, ReturnEligibility, SessionState, Ticket,
    CATEGORIES, METALS,
};
use super::platform::{Database, KeyValue};
use super::router::Route;
use super::store::{self, MessageLogEntry, NewReturn, OrderRecord};
use super::time::{format_iso, parse_iso, DAY_MS};
use super::validate::{self, check_id, check_order_number, normalise_email, Fields};
use super::{Api, Observation};
use crate::engine::{Entities, PriceKind, ReturnPolicy, Thresholds, UNKNOWN_INTENT};
use serde_json::{json, Map, Value};

/// KV's minimum expiration TTL.
const KV_MIN_TTL: u64 = 60;

/// Same message for an unknown order and a wrong email, so order numbers cannot be probed.
const ORDER_NOT_FOUND: &str = "no order matches that order number and email";

/// A validated creating request.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateInput {
    Return {
        order_number: String,
        email: String,
        sku: String,
        kind: String,
        reason: String,
        ring_size: Option<f64>,
    },
    Escalation {
        session_id: String,
        email: String,
        name: Option<String>,
        topic: String,
        message: String,
    },
    Csat {
        ticket_id: String,
        score: i64,
        comment: Option<String>,
    },
}

impl CreateInput {
    /// Validates the body of a creating route.
    pub fn parse(
        route: &Route,
        object: Map<String, Value>,
        thresholds: &Thresholds,
    ) -> Result<Self, ApiError> {
        match route {
            Route::Returns => {
                let f = Fields::new(
                    object,
                    &[
                        "order_number",
                        "email",
                        "sku",
                        "kind",
                        "reason",
                        "ring_size",
                    ],
                )?;
                let order_number = f.string("order_number", 1, 32)?;
                check_order_number("order_number", &order_number)?;
                let email = normalise_email("email", &f.string("email", 3, 254)?)?;
                let sku = f.string("sku", 1, 32)?;
                let kind = f.one_of("kind", &["return", "resize", "exchange"])?;
                let reason = f.string("reason", 1, 500)?;
                let policy = &thresholds.returns;
                let ring_size =
                    f.opt_number("ring_size", policy.ring_size_min, policy.ring_size_max)?;
                if ring_size.is_some_and(|s| (s * 2.0).fract() != 0.0) {
                    return Err(ApiError::invalid(
                        "ring_size",
                        "`ring_size` must be a whole or half size",
                    ));
                }
                if kind == "resize" && ring_size.is_none() {
                    return Err(ApiError::MissingField {
                        field: "ring_size".into(),
                    });
                }
                Ok(CreateInput::Return {
                    order_number,
                    email,
                    sku,
                    kind,
                    reason,
                    ring_size,
                })
            }
            Route::Escalations => {
                let f = Fields::new(object, &["session_id", "email", "name", "topic", "message"])?;
                let session_id = f.string("session_id", 1, 64)?;
                check_id("session_id", &session_id)?;
                let email = normalise_email("email", &f.string("email", 3, 254)?)?;
                let name = f.opt_string("name", 0, 120)?.filter(|n| !n.is_empty());
                let topic = f.string("topic", 1, 120)?;
                let message = f.string("message", 1, 2000)?;
                Ok(CreateInput::Escalation {
                    session_id,
                    email,
                    name,
                    topic,
                    message,
                })
            }
            _ => {
                let f = Fields::new(object, &["ticket_id", "score", "comment"])?;
                let ticket_id = f.string("ticket_id", 1, 64)?;
                check_id("ticket_id", &ticket_id)?;
                let score = f.integer("score", 1, 5)?;
                let comment = f.opt_string("comment", 0, 1000)?.filter(|c| !c.is_empty());
                Ok(CreateInput::Csat {
                    ticket_id,
                    score,
                    comment,
                })
            }
        }
    }
}

/// Which after-sales requests `order` allows at `now_ms` under `policy`.
pub fn eligibility(
    order: &OrderRecord,
    items: &[OrderItem],
    policy: &ReturnPolicy,
    now_ms: i64,
) -> ReturnEligibility {
    let none = |reason: &str| ReturnEligibility {
        return_: false,
        resize: false,
        exchange: false,
        reason: reason.to_string(),
        deadline: None,
    };
    if order.status == "cancelled" {
        return none("the order was cancelled");
    }
    let delivered = order.delivered_at.as_deref().and_then(parse_iso);
    let Some(delivered) = delivered.filter(|_| order.status == "delivered") else {
        return none("the order has not been delivered yet");
    };
    let return_deadline = delivered + i64::from(policy.return_window_days) * DAY_MS;
    let resize_deadline = delivered + i64::from(policy.resize_window_days) * DAY_MS;
    let in_return_window = now_ms <= return_deadline;
    let has_resizable = items
        .iter()
        .any(|i| policy.resizable_categories.contains(&i.category));
    let resize = has_resizable && now_ms <= resize_deadline;
    let reason = match (in_return_window, resize) {
        (true, _) => format!(
            "returns and exchanges are accepted within {} days of delivery",
            policy.return_window_days
        ),
        (false, true) => format!(
            "the {}-day return window has passed; rings can still be resized within {} days",
            policy.return_window_days, policy.resize_window_days
        ),
        (false, false) => format!(
            "the {}-day return window has passed",
            policy.return_window_days
        ),
    };
    ReturnEligibility {
        return_: in_return_window,
        resize,
        exchange: in_return_window,
        reason,
        deadline: Some(format_iso(if in_return_window || !resize {
            return_deadline
        } else {
            resize_deadline
        })),
    }
}

fn readable(id: &str) -> String {
    id.replace('_', " ")
}

fn price_phrase(entities: &Entities) -> String {
    let Some(price) = entities.price else {
        return String::new();
    };
    let fmt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("${v:.0}"));
    match price.kind {
        PriceKind::Under => format!(" under {}", fmt(price.max)),
        PriceKind::Over => format!(" over {}", fmt(price.min)),
        PriceKind::Between => format!(" between {} and {}", fmt(price.min), fmt(price.max)),
        PriceKind::Approx => format!(" around {}", fmt(price.max.or(price.min))),
        PriceKind::Exact => format!(" at {}", fmt(price.max.or(price.min))),
    }
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Catalog results for `filter`, from the KV cache when warm (a KV failure counts as a miss).
    pub async fn catalog(&self, filter: &CatalogFilter) -> Result<Vec<Product>, ApiError> {
        let key = filter.cache_key(self.catalog_version().await?);
        if let Ok(Some(cached)) = self.kv.get(&key).await {
            if let Ok(products) = serde_json::from_str::<Vec<Product>>(&cached) {
                return Ok(products);
            }
        }
        let products = store::search_products(self.db, filter).await?;
        if let Ok(body) = serde_json::to_string(&products) {
            let ttl = u64::from(self.engine.thresholds().catalog_cache_ttl_seconds).max(KV_MIN_TTL);
            // A failed cache write only costs the next request a D1 query.
            let _ = self.kv.put(&key, &body, ttl).await;
        }
        Ok(products)
    }

    /// `POST /v1/messages`.
    pub async fn message(
        &self,
        request: &ApiRequest,
        observation: &mut Observation,
    ) -> Result<ApiResponse, ApiError> {
        let f = Fields::new(
            validate::json_object(request)?,
            &["session_id", "user_id", "text"],
        )?;
        let session_id = f.string("session_id", 1, 64)?;
        check_id("session_id", &session_id)?;
        let user_id = f.opt_string("user_id", 1, 64)?;
        if let Some(user_id) = &user_id {
            check_id("user_id", user_id)?;
        }
        let text = f.string("text", 1, 2000)?;
        let thresholds = self.engine.thresholds();
        let classification = self.engine.classify(&text);
        let intent = classification.intent.clone();
        observation.intent = intent.clone();
        observation.confidence = classification.confidence;
        observation.cohort = if self
            .engine
            .rollout()
            .decide(user_id.as_deref(), None)
            .enabled
        {
            "enabled"
        } else {
            "disabled"
        };

        let session = self.advance_session(&session_id, &intent).await;
        let entities = &classification.entities;
        let mut body = json!({
            "intent": intent,
            "confidence": classification.confidence,
            "entities": entities,
            "rules_version": self.engine.rules_version(),
        });
        let (reply, next_step) = match intent.as_str() {
            "product_discovery" => {
                let filter = discovery_filter(entities, thresholds);
                let products = self.catalog(&filter).await?;
                let what = format!(
                    "{}{}{}",
                    entities.metal.as_deref().map(|m| format!("{} ", readable(m))).unwrap_or_default(),
                    entities.category.as_deref().map(readable).unwrap_or_else(|| "pieces".into()),
                    price_phrase(entities)
                );
                let found = !products.is_empty();
                body["products"] = json!(products);
                if found {
                    (format!("Here are {what} that are ready to ship."), "show_products")
                } else {
                    (format!("I couldn't find {what} ready to ship right now. A stylist can help you find something similar."), "offer_stylist")
                }
            }
            "order_tracking" => match (&entities.order_number, &entities.email) {
                (Some(number), Some(email)) => match self.owned_order(number, email).await? {
                    Some(view) => {
                        let reply = format!("Order {} is {}.", view.order_number, readable(&view.status));
                        body["order"] = json!(view);
                        (reply, "show_order")
                    }
                    None => ("I couldn't find an order matching that number and email. Please check both and try again.".to_string(), "ask_order_details"),
                },
                _ => ("I can check on your order. What is your order number (like AUR-123456) and the email you ordered with?".to_string(), "ask_order_details"),
            },
            "returns_resizing" => {
                let p = &thresholds.returns;
                (format!(
                    "Returns and exchanges are accepted within {} days of delivery. {} can be resized within {} days of delivery (sizes {} to {}). I can start a request for you.",
                    p.return_window_days,
                    if p.resizable_categories.is_empty() { "Nothing".to_string() } else { capitalise(&p.resizable_categories.join(" and ")) },
                    p.resize_window_days, p.ring_size_min, p.ring_size_max
                ), "return_form")
            }
            "stylist_escalation" => ("I'd be glad to connect you with one of our stylists. Leave your email and a short note and they will get back to you.".to_string(), "offer_stylist"),
            UNKNOWN_INTENT if session.unmatched_turns >= thresholds.unmatched_turns_before_stylist => (
                "I'm not sure I understood. Would you like to talk to one of our stylists?".to_string(),
                "offer_stylist",
            ),
            UNKNOWN_INTENT => ("Sorry, I didn't catch that. I can help you find jewelry, track an order, or arrange a return or resize.".to_string(), ""),
            other => {
                let (reply, next_step) = small_talk(other);
                (reply.to_string(), next_step)
            }
        };
        body["reply"] = json!(reply);
        body["next_step"] = if next_step.is_empty() {
            Value::Null
        } else {
            json!(next_step)
        };
        self.log_message(MessageLogEntry {
            intent,
            confidence: classification.confidence,
            created_at: format_iso(self.clock.now_ms()),
        })
        .await?;
        Ok(ApiResponse::json(200, &body))
    }

    /// Reads and updates the session's unmatched-turn count. KV trouble degrades to a fresh
    /// session rather than failing the message.
    async fn advance_session(&self, session_id: &str, intent: &str) -> SessionState {
        let key = format!("session:{session_id}");
        let ttl = u64::from(self.engine.thresholds().session_ttl_seconds).max(KV_MIN_TTL);
        let now = self.clock.now_ms();
        let before: SessionState = match self.kv.get(&key).await {
            Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_default(),
            _ => SessionState::default(),
        };
        let mut after = before.clone();
        after.unmatched_turns = if intent == UNKNOWN_INTENT {
            before.unmatched_turns.saturating_add(1)
        } else {
            0
        };
        after.last_intent = Some(intent.to_string());
        // Unchanged state is rewritten only to extend its expiry, at most every half TTL.
        let stale = now - before.written_at_ms > (ttl as i64) * 500;
        if after != before || stale {
            after.written_at_ms = now;
            if let Ok(text) = serde_json::to_string(&after) {
                let _ = self.kv.put(&key, &text, ttl).await;
            }
        }
        after
    }

    /// The order if `email` owns it; `None` for an unknown order and a wrong email alike.
    async fn owned_order(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<Option<OrderView>, ApiError> {
        let Some(order) = store::find_order(self.db, order_number).await? else {
            return Ok(None);
        };
        if !order.email.trim().eq_ignore_ascii_case(email.trim()) {
            return Ok(None);
        }
        let items = store::order_items(self.db, order_number).await?;
        let shipments = store::shipments(self.db, order_number).await?;
        let return_eligibility = eligibility(
            &order,
            &items,
            &self.engine.thresholds().returns,
            self.clock.now_ms(),
        );
        Ok(Some(OrderView {
            order_number: order.order_number,
            status: order.status,
            placed_at: order.placed_at,
            delivered_at: order.delivered_at,
            items,
            shipments,
            return_eligibility,
        }))
    }

    /// `GET /v1/products`.
    pub async fn products(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let thresholds = self.engine.thresholds();
        let params = validate::query_params(
            &request.query,
            &["category", "metal", "min", "max", "limit"],
        )?;
        let mut filter = CatalogFilter {
            category: None,
            metal: None,
            min_cents: None,
            max_cents: None,
            ready_to_ship_only: thresholds.ready_to_ship_only,
            limit: thresholds
                .default_result_limit
                .min(thresholds.max_result_limit),
        };
        for (name, value) in params {
            let value = value.trim().to_string();
            let dollars = |v: &str| -> Result<i64, ApiError> {
                v.parse::<f64>()
                    .ok()
                    .filter(|d| d.is_finite() && (0.0..=10_000_000.0).contains(d))
                    .map(|d| (d * 100.0).round() as i64)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            &name,
                            format!("`{name}` must be an amount in dollars between 0 and 10000000"),
                        )
                    })
            };
            match name.as_str() {
                "category" if CATEGORIES.contains(&value.as_str()) => filter.category = Some(value),
                "metal" if METALS.contains(&value.as_str()) => filter.metal = Some(value),
                "category" => {
                    return Err(ApiError::invalid(
                        "category",
                        format!("`category` must be one of {}", CATEGORIES.join(", ")),
                    ))
                }
                "metal" => {
                    return Err(ApiError::invalid(
                        "metal",
                        format!("`metal` must be one of {}", METALS.join(", ")),
                    ))
                }
                "min" => filter.min_cents = Some(dollars(&value)?),
                "max" => filter.max_cents = Some(dollars(&value)?),
                _ => {
                    filter.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=thresholds.max_result_limit).contains(n))
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "limit",
                                format!(
                                    "`limit` must be a whole number from 1 to {}",
                                    thresholds.max_result_limit
                                ),
                            )
                        })?;
                }
            }
        }
        if let (Some(min), Some(max)) = (filter.min_cents, filter.max_cents) {
            if min > max {
                return Err(ApiError::invalid(
                    "min",
                    "`min` must not be greater than `max`",
                ));
            }
        }
        let products = self.catalog(&filter).await?;
        Ok(ApiResponse::json(
            200,
            &json!({"count": products.len(), "products": products}),
        ))
    }

    /// `POST /v1/orders/lookup`.
    pub async fn order_lookup(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let f = Fields::new(validate::json_object(request)?, &["order_number", "email"])?;
        let order_number = f.string("order_number", 1, 32)?;
        check_order_number("order_number", &order_number)?;
        let email = normalise_email("email", &f.string("email", 3, 254)?)?;
        match self.owned_order(&order_number, &email).await? {
            Some(view) => Ok(ApiResponse::json(200, &view)),
            None => Err(ApiError::NotFound(ORDER_NOT_FOUND.into())),
        }
    }

    /// `GET /v1/flags`.
    pub async fn flags(
        &self,
        request: &ApiRequest,
        observation: &mut Observation,
    ) -> Result<ApiResponse, ApiError> {
        let params = validate::query_params(&request.query, &["user_id"])?;
        let user_id = params
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty());
        if let Some(user_id) = &user_id {
            check_id("user_id", user_id)?;
        }
        let decision = self.engine.rollout().decide(user_id.as_deref(), None);
        let (enabled, reason) = if self.kill_switch_on().await {
            (false, json!("emergency_off"))
        } else {
            (decision.enabled, json!(decision.reason))
        };
        observation.cohort = if enabled { "enabled" } else { "disabled" };
        Ok(ApiResponse::json(
            200,
            &json!({"enabled": enabled, "bucket": decision.bucket, "reason": reason, "rules_version": self.engine.rules_version()}),
        ))
    }

    /// The work of a creating POST, after validation and the idempotency claim.
    pub async fn perform_create(&self, input: &CreateInput) -> Result<ApiResponse, ApiError> {
        let now_ms = self.clock.now_ms();
        let now = format_iso(now_ms);
        match input {
            CreateInput::Return {
                order_number,
                email,
                sku,
                kind,
                reason,
                ring_size,
            } => {
                let order = store::find_order(self.db, order_number)
                    .await?
                    .filter(|o| o.email.trim().eq_ignore_ascii_case(email))
                    .ok_or_else(|| ApiError::NotFound(ORDER_NOT_FOUND.into()))?;
                let items = store::order_items(self.db, order_number).await?;
                let policy = &self.engine.thresholds().returns;
                let item = items.iter().find(|i| i.sku == *sku).ok_or_else(|| {
                    ApiError::not_eligible("sku", format!("`{sku}` is not part of this order"))
                })?;
                let allowed = eligibility(&order, &items, policy, now_ms);
                if kind == "resize" && !policy.resizable_categories.contains(&item.category) {
                    return Err(ApiError::not_eligible(
                        "sku",
                        format!(
                            "only {} can be resized",
                            policy.resizable_categories.join(", ")
                        ),
                    ));
                }
                let ok = match kind.as_str() {
                    "return" => allowed.return_,
                    "exchange" => allowed.exchange,
                    _ => allowed.resize,
                };
                if !ok {
                    return Err(ApiError::not_eligible(
                        "kind",
                        format!(
                            "this order is not eligible for a {kind}: {}",
                            allowed.reason
                        ),
                    ));
                }
                let return_id = format!("RET-{}", self.ids.token());
                store::insert_return(
                    self.db,
                    &NewReturn {
                        return_id: &return_id,
                        order_number,
                        sku,
                        kind,
                        reason,
                        ring_size: *ring_size,
                        created_at: &now,
                    },
                )
                .await?;
                Ok(ApiResponse::json(
                    201,
                    &json!({"return_id": return_id, "status": "requested", "kind": kind, "sku": sku, "order_number": order_number}),
                ))
            }
            CreateInput::Escalation {
                session_id,
                email,
                name,
                topic,
                message,
            } => {
                let ticket = Ticket {
                    ticket_id: format!("TCK-{}", self.ids.token()),
                    session_id: session_id.clone(),
                    email: email.clone(),
                    name: name.clone(),
                    topic: topic.clone(),
                    message: message.clone(),
                    status: "open".into(),
                    note: None,
                    created_at: now.clone(),
                    updated_at: now,
                };
                store::insert_ticket(self.db, &ticket).await?;
                Ok(ApiResponse::json(
                    201,
                    &json!({"ticket_id": ticket.ticket_id, "status": "open", "csat_url": "/v1/csat"}),
                ))
            }
            CreateInput::Csat {
                ticket_id,
                score,
                comment,
            } => {
                if store::find_ticket(self.db, ticket_id).await?.is_none() {
                    return Err(ApiError::NotFound(format!("no ticket `{ticket_id}`")));
                }
                if !store::insert_csat(self.db, ticket_id, *score, comment.as_deref(), &now).await?
                {
                    return Err(ApiError::AlreadyExists(format!(
                        "ticket `{ticket_id}` already has a CSAT response"
                    )));
                }
                Ok(ApiResponse::json(
                    201,
                    &json!({"ticket_id": ticket_id, "score": score}),
                ))
            }
        }
    }
}

/// The catalog filter for a discovery message: its category, metal and price (exact and
/// approximate prices widened by the tolerance), ready-to-ship and result limit from the thresholds.
pub fn discovery_filter(entities: &Entities, thresholds: &Thresholds) -> CatalogFilter {
    let (min_cents, max_cents) = entities
        .price
        .map(|p| p.to_cents_filter(thresholds.price_tolerance))
        .unwrap_or((None, None));
    CatalogFilter {
        category: entities.category.clone(),
        metal: entities.metal.clone(),
        min_cents,
        max_cents,
        ready_to_ship_only: thresholds.ready_to_ship_only,
        limit: thresholds
            .default_result_limit
            .min(thresholds.max_result_limit),
    }
}

/// Replies for the intents that need no lookup: (reply, next_step or "").
pub fn small_talk(intent: &str) -> (&'static str, &'static str) {
    const HELP: &str =
        "I can help you find jewelry, track an order, or arrange a return or resize.";
    match intent {
        "greeting" => ("Hi, welcome to Aurora! I can help you find jewelry, track an order, or arrange a return or resize.", ""),
        "thanks" => ("You're welcome! Would you rate this conversation?", "show_csat"),
        "goodbye" => ("Thanks for visiting Aurora. Would you rate this conversation before you go?", "show_csat"),
        "bot_questions" => ("I'm Aurora's automated concierge. A human stylist is always one step away if you'd prefer.", "offer_stylist"),
        "order_changes" => ("Orders can be changed or cancelled until they ship. What is your order number and the email you ordered with?", "ask_order_details"),
        "shipping_information" => ("Ready-to-ship pieces leave our studio quickly. For a specific order, share its number and your email and I'll check the tracking.", "ask_order_details"),
        "payment_billing" | "account_help" => ("A stylist can help with payments and accounts. Would you like me to connect you?", "offer_stylist"),
        "csat" | "feedback" => ("Thanks! How did we do today?", "show_csat"),
        _ => (HELP, ""),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
