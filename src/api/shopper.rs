//! Shopper routes: messages, catalog, order lookup, returns, stylist escalations, CSAT and flags.

use super::conversation::{Conversation, Refinement, Search, Slot, Step};
use super::error::ApiError;
use super::features::Features;
use super::http::{ApiRequest, ApiResponse};
use super::idempotency::Claim;
use super::kinds::{OrderStatus, ReturnKind, ReturnStatus};
use super::models::{
    CatalogFilter, CsatRecorded, EmergencyOff, FlagsReason, FlagsReply, MessageReply, OrderItem,
    OrderView, PriceOrder, Product, ProductList, ReturnCreated, ReturnEligibility, Ticket,
    TicketCreated,
};
use super::platform::{Database, KeyValue, Statement};
use super::router::Route;
use super::store::{self, CsatSubject, MessageLogEntry, NewReturn, OrderRecord};
use super::time::{format_iso, parse_iso, DAY_MS};
use super::validate::{self, check_id, check_order_number, normalise_email, Fields};
use super::Cohort;
use super::{console_store, Api, Observation};
use crate::engine::{
    Classification, CoreIntent, Domain, NextStep, PriceKind, PriceRange, ReturnPolicy, Thresholds,
    UNKNOWN_INTENT,
};
use serde_json::{Map, Value};

/// KV's minimum expiration TTL.
const KV_MIN_TTL: u64 = 60;

/// Same message for an unknown order and a wrong email, so order numbers cannot be probed.
const ORDER_NOT_FOUND: &str = "no order matches that order number and email";

/// The fields of a `POST /v1/messages` body other than the conversation's `context`, validated.
/// The Worker checks them before handing a message to a session's store, so bad input is a
/// 4xx that costs no store request.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageInput {
    pub session_id: String,
    pub user_id: Option<String>,
    pub said: Said,
}

/// What the shopper did: typed a message or removed a filter chip.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    Text(String),
    Remove(Slot),
}

impl MessageInput {
    /// Every field a message body may carry.
    pub const FIELDS: &'static [&'static str] =
        &["session_id", "user_id", "text", "context", "remove"];

    /// Validates the message's own fields (exactly one of `text` and `remove`).
    pub fn parse(f: &Fields) -> Result<MessageInput, ApiError> {
        let session_id = f.string("session_id", 1, 64)?;
        check_id("session_id", &session_id)?;
        let user_id = f.opt_string("user_id", 1, 64)?;
        if let Some(user_id) = &user_id {
            check_id("user_id", user_id)?;
        }
        let text = f.opt_string("text", 1, 2000)?;
        let remove = match f.opt_string("remove", 1, 16)? {
            None => None,
            Some(name) => Some(Slot::from_name(&name).ok_or_else(|| {
                ApiError::invalid(
                    "remove",
                    format!("`remove` must be one of {}", Slot::NAMES.join(", ")),
                )
            })?),
        };
        let said = match (text, remove) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "remove",
                    "send either `text` or `remove`, not both",
                ))
            }
            (None, None) => {
                return Err(ApiError::MissingField {
                    field: "text".into(),
                })
            }
            (None, Some(slot)) => Said::Remove(slot),
            (Some(text), None) => Said::Text(text),
        };
        Ok(MessageInput {
            session_id,
            user_id,
            said,
        })
    }
}

/// A create ready to commit: the row's guarded insert, the answer once it is written, and the
/// error when the insert writes nothing while the claim still holds (a CSAT response already
/// stored for the ticket).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub insert: Statement,
    /// Statements that follow the insert in the same batch (history, transcript); each writes
    /// nothing unless the insert wrote its row.
    pub extra: Vec<Statement>,
    pub response: ApiResponse,
    pub conflict: ApiError,
}

/// A validated creating request.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateInput {
    Return {
        order_number: String,
        email: String,
        sku: String,
        kind: ReturnKind,
        reason: String,
        ring_size: Option<f64>,
    },
    Escalation {
        session_id: String,
        email: String,
        name: Option<String>,
        topic: String,
        message: String,
        /// The conversation up to the escalation, as the widget sent it.
        transcript: Vec<TranscriptLine>,
    },
    Csat {
        subject: CsatSubject,
        score: i64,
        comment: Option<String>,
    },
}

/// One message of the conversation attached to a ticket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TranscriptLine {
    /// `shopper` or `concierge`.
    pub role: String,
    pub text: String,
    /// When it was said (`YYYY-MM-DDTHH:MM:SSZ`), if the widget knew.
    pub at: Option<String>,
}

/// Most messages a ticket's transcript may hold, and the most characters of each.
pub const MAX_TRANSCRIPT_LINES: usize = 50;
pub const MAX_TRANSCRIPT_TEXT: usize = 1000;

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` with calendar-shaped fields; the OpenAPI `pattern` of a
/// transcript line's `at` says the same.
fn is_iso_instant(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|p| p.iter().all(u8::is_ascii_digit));
    let fixed = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    // `get`, never slicing: the text is the client's and may hold multi-byte characters.
    let tail = s.get(19..).unwrap_or("");
    let tail_ok = tail == "Z"
        || tail
            .strip_prefix('.')
            .and_then(|t| t.strip_suffix('Z'))
            .is_some_and(|f| (1..=3).contains(&f.len()) && f.bytes().all(|c| c.is_ascii_digit()));
    let num =
        |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok()).unwrap_or(99);
    fixed
        && tail_ok
        && (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) <= 23
        && num(14..16) <= 59
        && num(17..19) <= 59
}

/// Validates `transcript`: at most [`MAX_TRANSCRIPT_LINES`] objects of `role`, `text` and an
/// optional `at`, each problem reported at its path (`transcript[3].text`).
fn parse_transcript(f: &Fields) -> Result<Vec<TranscriptLine>, ApiError> {
    let Some(value) = f.raw("transcript") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(ApiError::invalid(
            "transcript",
            "`transcript` must be an array of messages",
        ));
    };
    if items.len() > MAX_TRANSCRIPT_LINES {
        return Err(ApiError::invalid(
            "transcript",
            format!("`transcript` must have at most {MAX_TRANSCRIPT_LINES} items"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("transcript[{i}]");
        let Value::Object(map) = item else {
            return Err(ApiError::invalid(
                &path,
                format!("`{path}` must be an object"),
            ));
        };
        let line = Fields::nested(map.clone(), &["role", "text", "at"], &path)?;
        let role = line.one_of("role", &["shopper", "concierge"])?;
        let text = line.string("text", 1, MAX_TRANSCRIPT_TEXT)?;
        // Checked as sent (not trimmed), exactly as the OpenAPI `pattern` reads it.
        let at = match line.raw("at") {
            None => None,
            Some(Value::String(at)) if is_iso_instant(at) => parse_iso(at).map(format_iso),
            Some(_) => {
                let at_path = line.path("at");
                return Err(ApiError::invalid(
                    &at_path,
                    format!("`{at_path}` must be a UTC time like 2026-11-25T19:45:00Z"),
                ));
            }
        };
        out.push(TranscriptLine { role, text, at });
    }
    Ok(out)
}

impl CreateInput {
    /// Validates the body of a creating route.
    pub fn parse(
        route: &Route,
        object: Map<String, Value>,
        thresholds: &Thresholds,
        domain: &Domain,
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
                check_order_number("order_number", &order_number, domain)?;
                let email = normalise_email("email", &f.string("email", 3, 254)?)?;
                let sku = f.string("sku", 1, 32)?;
                let kind = f.named("kind", ReturnKind::NAMES, ReturnKind::from_name)?;
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
                if kind == ReturnKind::Resize && ring_size.is_none() {
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
                let f = Fields::new(
                    object,
                    &[
                        "session_id",
                        "email",
                        "name",
                        "topic",
                        "message",
                        "transcript",
                    ],
                )?;
                let session_id = f.string("session_id", 1, 64)?;
                check_id("session_id", &session_id)?;
                let email = normalise_email("email", &f.string("email", 3, 254)?)?;
                let name = f.opt_string("name", 0, 120)?.filter(|n| !n.is_empty());
                let topic = f.string("topic", 1, 120)?;
                let message = f.string("message", 1, 2000)?;
                let transcript = parse_transcript(&f)?;
                Ok(CreateInput::Escalation {
                    session_id,
                    email,
                    name,
                    topic,
                    message,
                    transcript,
                })
            }
            _ => {
                // `null` is not "absent" here: exactly one of the two ids must be a string.
                for id in ["ticket_id", "session_id"] {
                    if object.get(id).is_some_and(Value::is_null) {
                        return Err(ApiError::invalid(id, format!("`{id}` must be a string")));
                    }
                }
                let f = Fields::new(object, &["ticket_id", "session_id", "score", "comment"])?;
                let ticket_id = f.opt_string("ticket_id", 1, 64)?;
                let session_id = f.opt_string("session_id", 1, 64)?;
                let subject = match (ticket_id, session_id) {
                    (Some(_), Some(_)) => {
                        return Err(ApiError::invalid(
                            "session_id",
                            "send either `ticket_id` or `session_id`, not both",
                        ))
                    }
                    (None, None) => {
                        return Err(ApiError::MissingField {
                            field: "ticket_id".into(),
                        })
                    }
                    (Some(id), None) => {
                        check_id("ticket_id", &id)?;
                        CsatSubject::Ticket(id)
                    }
                    (None, Some(id)) => {
                        check_id("session_id", &id)?;
                        CsatSubject::Session(id)
                    }
                };
                let score = f.integer("score", 1, 5)?;
                let comment = f.opt_string("comment", 0, 1000)?.filter(|c| !c.is_empty());
                Ok(CreateInput::Csat {
                    subject,
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
    if order.status == OrderStatus::Cancelled {
        return none("the order was cancelled");
    }
    let delivered = order.delivered_at.as_deref().and_then(parse_iso);
    let Some(delivered) = delivered.filter(|_| order.status == OrderStatus::Delivered) else {
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

fn dollars_text(v: f64) -> String {
    let whole = v.round() as i64;
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}")
}

/// "under $500", "between $200 and $400", "around $300".
fn price_phrase(price: &PriceRange) -> String {
    let fmt = |v: Option<f64>| v.map_or_else(String::new, dollars_text);
    match price.kind {
        PriceKind::Under => format!("under {}", fmt(price.max)),
        PriceKind::Over => format!("over {}", fmt(price.min)),
        PriceKind::Between => format!("between {} and {}", fmt(price.min), fmt(price.max)),
        PriceKind::Approx | PriceKind::Exact => format!("around {}", fmt(price.max.or(price.min))),
    }
}

/// "a or b", "a, b or c".
fn either(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The search in words: "rose gold hoop earrings under $500", "diamond pieces".
pub fn describe_search(search: &Search) -> String {
    let metals: Vec<String> = search.metals.iter().map(|m| readable(m)).collect();
    let categories: Vec<String> = search.categories.iter().map(|c| readable(c)).collect();
    let mut words = Vec::new();
    if !metals.is_empty() {
        words.push(either(&metals));
    }
    for style in &search.styles {
        words.push(readable(style));
    }
    words.push(if categories.is_empty() {
        "pieces".to_string()
    } else {
        either(&categories)
    });
    if let Some(price) = &search.price {
        words.push(price_phrase(price));
    }
    words.join(" ")
}

/// What the catalog query of one message found.
struct Shown {
    products: Vec<Product>,
    more: bool,
    /// The styles were dropped to find anything ("no moon necklaces; here are other necklaces").
    relaxed_styles: Option<Vec<String>>,
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Catalog results for `filter` (up to one more than its limit, which tells that another page
    /// exists), from the KV cache when warm (a KV failure counts as a miss).
    ///
    /// A page this isolate read within `CATALOG_VERSION_CACHE_SECONDS` is served from memory
    /// ([`IsolateState::cached_page`]): its key names the catalog version, which is trusted for
    /// that long anyway.
    pub async fn catalog(&self, filter: &CatalogFilter) -> Result<Vec<Product>, ApiError> {
        let key = filter.cache_key(self.catalog_version().await?);
        let now = self.clock.now_ms();
        let max_age = self.config.catalog_version_cache_ms;
        if let Some(products) = self.state.cached_page(&key, now, max_age) {
            return Ok(products.as_ref().clone());
        }
        if let Ok(Some(cached)) = self.kv.get(&key).await {
            if let Ok(products) = serde_json::from_str::<Vec<Product>>(&cached) {
                self.state
                    .remember_page(key, now, std::rc::Rc::new(products.clone()));
                return Ok(products);
            }
        }
        let products = store::search_products(self.db, filter).await?;
        if let Ok(body) = serde_json::to_string(&products) {
            let ttl = u64::from(self.engine.thresholds().catalog_cache_ttl_seconds).max(KV_MIN_TTL);
            // A failed cache write only costs the next request a D1 query.
            let _ = self.kv.put(&key, &body, ttl).await;
        }
        self.state
            .remember_page(key, now, std::rc::Rc::new(products.clone()));
        Ok(products)
    }

    /// `POST /v1/messages`: one shopper message (or one removed filter chip) in, the concierge's
    /// answer out, with the conversation's `context` to send back next time.
    pub async fn message(
        &self,
        request: &ApiRequest,
        observation: &mut Observation,
    ) -> Result<ApiResponse, ApiError> {
        let f = Fields::new(validate::json_object(request)?, MessageInput::FIELDS)?;
        let input = MessageInput::parse(&f)?;
        let features = self.features_for(request, input.user_id.as_deref())?;
        let thresholds = self.engine.thresholds();
        let domain = self.engine.domain();
        let mut conversation = Conversation::from_request(&f, domain, thresholds)?;
        let before = conversation.clone();
        observation.cohort = Some(Cohort::of(
            self.engine
                .rollout()
                .decide(input.user_id.as_deref(), None)
                .enabled,
        ));

        let (classification, step) = match input.said {
            Said::Remove(slot) => (None, conversation.remove(slot)),
            Said::Text(text) => {
                let c = self.engine.classify(&text);
                let step =
                    conversation.follow(&c.intent, &c.entities, domain, c.only_unrecognised());
                (Some(c), step)
            }
        };
        let (intent, confidence) = classification.as_ref().map_or_else(
            || (CoreIntent::ProductDiscovery.id().to_string(), 1.0),
            |c| (c.intent.clone(), c.confidence),
        );
        observation.intent = intent.clone();
        observation.confidence = confidence;

        let mut reply = MessageReply {
            intent: intent.clone(),
            confidence,
            entities: classification
                .as_ref()
                .map(|c| c.entities.clone())
                .unwrap_or_default(),
            rules_version: self.engine.rules_version().to_string(),
            reply: String::new(),
            next_step: None,
            products: None,
            more: None,
            order: None,
            filters: Search::default(),
            page: 0,
            context: Conversation::default(),
        };
        let notes = not_sold_notes(classification.as_ref(), domain);
        match step {
            Step::Show { .. } if !features.product_search => {
                // Search is switched off for this shopper: the conversation stays as it was.
                conversation = Conversation {
                    unmatched: conversation.unmatched,
                    ..before.clone()
                };
                reply.reply = "I can't search our pieces here right now.".to_string();
                if features.stylist_chat {
                    reply
                        .reply
                        .push_str(" One of our stylists can help you find something.");
                    reply.next_step = Some(NextStep::OfferStylist);
                }
            }
            Step::Show { refinement } => {
                let shown = self.show(&mut conversation, &refinement).await?;
                let what = describe_search(&conversation.search);
                match (&refinement, shown) {
                    (Refinement::Cheaper | Refinement::Pricier | Refinement::NextPage, None) => {
                        // A follow-up that finds nothing leaves the conversation as it was.
                        let was = describe_search(&before.search);
                        conversation = Conversation {
                            unmatched: conversation.unmatched,
                            ..before.clone()
                        };
                        reply.reply = match refinement {
                            Refinement::Cheaper => {
                                format!("Those are the most affordable {was} I have ready to ship.")
                            }
                            Refinement::Pricier => {
                                format!("Those are the finest {was} I have ready to ship.")
                            }
                            _ => format!("That's everything I have for {was} right now."),
                        };
                        // Nothing to do but refine differently: no form pops up.
                        reply.next_step = None;
                    }
                    (_, None) => {
                        reply.reply = format!("I couldn't find {what} ready to ship right now.");
                        if features.stylist_chat {
                            reply
                                .reply
                                .push_str(" A stylist can help you find something similar.");
                            reply.next_step = Some(NextStep::OfferStylist);
                        }
                        reply.products = Some(Vec::new());
                        reply.more = Some(false);
                    }
                    (_, Some(shown)) => {
                        let lead = match (&shown.relaxed_styles, &refinement) {
                            (Some(styles), _) => {
                                let wanted = describe_search(&Search {
                                    styles: styles.clone(),
                                    ..conversation.search.clone()
                                });
                                format!(
                                    "I don't have {wanted} ready to ship right now; here are other {what}."
                                )
                            }
                            (None, Refinement::NextPage) => format!("Here are more {what}."),
                            (None, Refinement::Search)
                                if conversation.search.is_empty()
                                    && features.stylist_chat
                                    && conversation.unmatched
                                        >= thresholds.unmatched_turns_before_stylist =>
                            {
                                reply.next_step = Some(NextStep::OfferStylist);
                                "I'm not sure we carry that. Would you like one of our stylists to help you find it?".to_string()
                            }
                            (None, Refinement::Search) if conversation.search.is_empty() => {
                                // Shopping words the rules do not know ("peridot"), or nothing
                                // specific ("show me something nice").
                                "I'm not sure we carry exactly that. Here are some of our pieces that are ready to ship; tell me a kind of piece, a metal or a budget and I'll narrow it down.".to_string()
                            }
                            (None, _) => format!("Here are {what} that are ready to ship."),
                        };
                        reply.reply = lead;
                        reply.next_step = reply.next_step.or(Some(NextStep::ShowProducts));
                        reply.more = Some(shown.more);
                        reply.products = Some(shown.products);
                    }
                }
            }
            Step::NotSold => {
                reply.reply = "Is there something else I can help you find?".into();
            }
            Step::NothingToRefine => {
                reply.reply = "Tell me what you're looking for first, for example \"rose gold rings under $500\".".into();
            }
            Step::Cleared => {
                reply.reply = "Okay, let's start over. What are you looking for?".into();
            }
            Step::Other => {
                let (text, next_step) = self
                    .answer(
                        &intent,
                        classification.as_ref(),
                        &mut reply,
                        &conversation,
                        &features,
                        &request.client_ip,
                    )
                    .await?;
                reply.reply = text;
                reply.next_step = next_step;
            }
        }
        if !notes.is_empty() {
            reply.reply = format!("{} {}", notes.join(" "), reply.reply);
        }
        reply.filters = conversation.search.clone();
        reply.page = conversation.page;
        reply.context = conversation;
        // A message the rules did not understand is kept for merchandisers, redacted here by
        // the engine; the write happens with the message log, after the answer has gone out.
        let question = classification
            .as_ref()
            .filter(|c| {
                c.intent == UNKNOWN_INTENT
                    || c.confidence < thresholds.unanswered_below_confidence
                    || c.only_unrecognised()
            })
            .map(|c| self.engine.redact(&c.text).text);
        self.log_message(MessageLogEntry {
            intent,
            confidence,
            created_at: format_iso(self.clock.now_ms()),
            question,
        });
        Ok(ApiResponse::json(200, &reply))
    }

    /// Runs the conversation's search (dropping styles when they alone leave nothing) and
    /// remembers what was shown; `None` when nothing matched.
    async fn show(
        &self,
        conversation: &mut Conversation,
        refinement: &Refinement,
    ) -> Result<Option<Shown>, ApiError> {
        let thresholds = self.engine.thresholds();
        let mut filter = conversation.filter(thresholds);
        let mut products = self.catalog(&filter).await?;
        let mut relaxed_styles = None;
        if products.is_empty()
            && !conversation.search.styles.is_empty()
            && !matches!(refinement, Refinement::NextPage)
        {
            filter.styles.clear();
            products = self.catalog(&filter).await?;
            if !products.is_empty() {
                relaxed_styles = Some(std::mem::take(&mut conversation.search.styles));
            }
        }
        if products.is_empty() {
            return Ok(None);
        }
        let more = products.len() > filter.limit as usize;
        products.truncate(filter.limit as usize);
        conversation.shown(
            products.iter().map(|p| p.sku.clone()).collect(),
            products.iter().map(|p| p.price_cents),
        );
        Ok(Some(Shown {
            products,
            more,
            relaxed_styles,
        }))
    }

    /// Replies for intents that are not about the catalog: (reply, next step).
    async fn answer(
        &self,
        intent: &str,
        classification: Option<&Classification>,
        reply: &mut MessageReply,
        conversation: &Conversation,
        features: &Features,
        client_ip: &str,
    ) -> Result<(String, Option<NextStep>), ApiError> {
        let thresholds = self.engine.thresholds();
        let entities = classification.map(|c| &c.entities);
        let core = CoreIntent::from_id(intent);
        Ok(match core {
            Some(CoreIntent::OrderTracking) if !features.order_lookup => (
                "I can't look up orders here right now. The shipping confirmation email has a link to follow your parcel.".to_string(),
                None,
            ),
            Some(CoreIntent::OrderTracking) => match entities.map(|e| (&e.order_number, &e.email)) {
                Some((Some(number), Some(email))) => match self.tracked_order(client_ip, number, email).await? {
                    Some(view) => {
                        let text = format!("Order {} is {}.", view.order_number, readable(view.status.name()));
                        reply.order = Some(view);
                        (text, Some(NextStep::ShowOrder))
                    }
                    None => ("I couldn't find an order matching that number and email. Please check both and try again.".to_string(), Some(NextStep::AskOrderDetails)),
                },
                _ => (format!(
                    "I can check on your order. What is your order number (like {}) and the email you ordered with?",
                    self.engine.domain().order_number.example
                ), Some(NextStep::AskOrderDetails)),
            },
            Some(CoreIntent::ReturnsResizing) => {
                let p = &thresholds.returns;
                let policy = format!(
                    "Returns and exchanges are accepted within {} days of delivery. {} can be resized within {} days of delivery (sizes {} to {}).",
                    p.return_window_days,
                    if p.resizable_categories.is_empty() { "Nothing".to_string() } else { capitalise(&p.resizable_categories.join(" and ")) },
                    p.resize_window_days, p.ring_size_min, p.ring_size_max
                );
                if features.returns_form {
                    (format!("{policy} I can start a request for you."), Some(NextStep::ReturnForm))
                } else {
                    (format!("{policy} Reply to your order confirmation email to start one."), None)
                }
            }
            Some(CoreIntent::StylistEscalation) if !features.stylist_chat => (
                "Our stylists aren't taking requests here right now. I can still help you find jewelry, track an order, or explain returns and resizing.".to_string(),
                None,
            ),
            Some(CoreIntent::StylistEscalation) => ("I'd be glad to connect you with one of our stylists. Leave your email and a short note and they will get back to you.".to_string(), Some(NextStep::OfferStylist)),
            None if intent == UNKNOWN_INTENT
                && features.stylist_chat
                    && conversation.unmatched >= thresholds.unmatched_turns_before_stylist =>
            (
                "I'm not sure I understood. Would you like to talk to one of our stylists?".to_string(),
                Some(NextStep::OfferStylist),
            ),
            None if intent == UNKNOWN_INTENT => ("Sorry, I didn't catch that. I can help you find jewelry, track an order, or arrange a return or resize.".to_string(), None),
            // The rules' own reply; every non-core intent has one once `concierge check` passes.
            // A core intent that reaches here (a conversation move the search did not take, or
            // product discovery with search handled above) gets the general offer of help.
            _ => match self.engine.reply(intent) {
                Some(declared) => (declared.text.clone(), declared.next_step),
                None => (HELP.to_string(), None),
            },
        })
    }

    /// [`Api::owned_order`] for a tracking message, after spending the shared lookup budget.
    async fn tracked_order(
        &self,
        client_ip: &str,
        order_number: &str,
        email: &str,
    ) -> Result<Option<OrderView>, ApiError> {
        self.spend_lookup(client_ip, order_number).await?;
        self.owned_order(order_number, email).await
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
        // The items and the shipments of a known order: independent reads, in flight together.
        let (items, shipments) = futures_util::future::join(
            store::order_items(self.db, order_number),
            store::shipments(self.db, order_number),
        )
        .await;
        let (items, shipments) = (items?, shipments?);
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

    /// `GET /v1/products`: the catalog by category, metal, style and price, cheapest first.
    pub async fn products(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let thresholds = self.engine.thresholds();
        let domain = self.engine.domain();
        let params = validate::query_params(
            &request.query,
            &["category", "metal", "style", "min", "max", "limit"],
        )?;
        let mut filter = CatalogFilter {
            categories: Vec::new(),
            metals: Vec::new(),
            styles: Vec::new(),
            min_cents: None,
            max_cents: None,
            order: PriceOrder::Ascending,
            ready_to_ship_only: thresholds.ready_to_ship_only,
            limit: thresholds
                .default_result_limit
                .min(thresholds.max_result_limit),
            offset: 0,
        };
        for (name, value) in params {
            let value = value.trim().to_string();
            let dollars = |v: &str| -> Result<i64, ApiError> {
                // An OpenAPI `number`: JSON's number syntax (`12`, `499.99`, `1e-05`), read by
                // serde_json's parser rather than `f64::from_str`, which the Worker does not link.
                serde_json::from_str::<f64>(v)
                    .ok()
                    .filter(|d| (0.0..=10_000_000.0).contains(d))
                    .map(|d| (d * 100.0).round() as i64)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            &name,
                            format!("`{name}` must be an amount in dollars between 0 and 10000000"),
                        )
                    })
            };
            let one_of = |known: &[String], ok: bool| -> Result<Vec<String>, ApiError> {
                if ok {
                    Ok(vec![value.clone()])
                } else {
                    Err(ApiError::invalid(
                        &name,
                        format!("`{name}` must be one of {}", known.join(", ")),
                    ))
                }
            };
            match name.as_str() {
                "category" => {
                    filter.categories = one_of(&domain.categories, domain.is_category(&value))?
                }
                "metal" => filter.metals = one_of(&domain.metals, domain.is_metal(&value))?,
                "style" => {
                    let styles: Vec<String> = domain.styles.iter().map(|s| s.id.clone()).collect();
                    filter.styles = one_of(&styles, domain.is_style(&value))?;
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
        // A `min` above `max` is a range with nothing in it: the query finds nothing (200, no
        // products), as the OpenAPI document, which cannot relate two parameters, allows.
        let mut products = self.catalog(&filter).await?;
        products.truncate(filter.limit as usize);
        Ok(ApiResponse::json(
            200,
            &ProductList {
                count: products.len(),
                products,
            },
        ))
    }

    /// `POST /v1/orders/lookup`.
    pub async fn order_lookup(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let f = Fields::new(validate::json_object(request)?, &["order_number", "email"])?;
        let order_number = f.string("order_number", 1, 32)?;
        check_order_number("order_number", &order_number, self.engine.domain())?;
        let email = normalise_email("email", &f.string("email", 3, 254)?)?;
        self.spend_lookup(&request.client_ip, &order_number).await?;
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
            (false, FlagsReason::Emergency(EmergencyOff::EmergencyOff))
        } else {
            (decision.enabled, FlagsReason::Rollout(decision.reason))
        };
        // Per-feature decisions for the widget's UI; nothing is on while the widget is off.
        let features = if enabled {
            Features::decide(self.engine.rollout(), user_id.as_deref())
        } else {
            Features {
                product_search: false,
                order_lookup: false,
                returns_form: false,
                stylist_chat: false,
            }
        };
        observation.cohort = Some(Cohort::of(enabled));
        Ok(ApiResponse::json(
            200,
            &FlagsReply {
                enabled,
                bucket: decision.bucket,
                reason,
                features,
                rules_version: self.engine.rules_version(),
                domain: self.engine.domain_json(),
            },
        ))
    }

    /// The work of a creating POST after validation and the idempotency claim, up to the row to
    /// write: checks that need reads run here; the row itself is written by the caller in one
    /// batch with the stored response ([`Api::create`](super::Api)).
    pub async fn prepare_create(
        &self,
        input: &CreateInput,
        request: &ApiRequest,
        claim: Option<&Claim>,
    ) -> Result<Prepared, ApiError> {
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
                self.spend_lookup(&request.client_ip, order_number).await?;
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
                if *kind == ReturnKind::Resize
                    && !policy.resizable_categories.contains(&item.category)
                {
                    return Err(ApiError::not_eligible(
                        "sku",
                        format!(
                            "only {} can be resized",
                            policy.resizable_categories.join(", ")
                        ),
                    ));
                }
                let ok = match kind {
                    ReturnKind::Return => allowed.return_,
                    ReturnKind::Exchange => allowed.exchange,
                    ReturnKind::Resize => allowed.resize,
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
                let insert = store::insert_return(
                    &NewReturn {
                        return_id: &return_id,
                        order_number,
                        sku,
                        kind: kind.name(),
                        reason,
                        ring_size: *ring_size,
                        email,
                        created_at: &now,
                    },
                    claim,
                );
                Ok(Prepared {
                    insert,
                    extra: vec![console_store::return_requested_event(&return_id, &now)],
                    response: ApiResponse::json(
                        201,
                        &ReturnCreated {
                            return_id: &return_id,
                            status: ReturnStatus::Requested,
                            kind: *kind,
                            sku,
                            order_number,
                        },
                    ),
                    conflict: ApiError::Internal("return row was not written".into()),
                })
            }
            CreateInput::Escalation {
                session_id,
                email,
                name,
                topic,
                message,
                transcript,
            } => {
                let ticket = Ticket {
                    ticket_id: format!("TCK-{}", self.ids.token()),
                    session_id: session_id.clone(),
                    email: email.clone(),
                    name: name.clone(),
                    topic: topic.clone(),
                    message: message.clone(),
                    status: super::kinds::TicketStatus::Open,
                    note: None,
                    assignee: None,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                };
                let mut extra = vec![console_store::ticket_event(
                    &ticket.ticket_id,
                    &now,
                    "shopper",
                    "created",
                    Some("open"),
                    None,
                    None,
                )];
                if !transcript.is_empty() {
                    let json = serde_json::to_string(transcript)
                        .map_err(|e| ApiError::Internal(e.to_string()))?;
                    extra.push(console_store::insert_transcript(&ticket.ticket_id, &json));
                }
                Ok(Prepared {
                    insert: store::insert_ticket(&ticket, claim),
                    extra,
                    response: ApiResponse::json(
                        201,
                        &TicketCreated {
                            ticket_id: &ticket.ticket_id,
                            status: ticket.status,
                            csat_url: "/v1/csat",
                        },
                    ),
                    conflict: ApiError::Internal("ticket row was not written".into()),
                })
            }
            CreateInput::Csat {
                subject,
                score,
                comment,
            } => {
                let insert = store::insert_csat(subject, *score, comment.as_deref(), &now, claim);
                let (response, conflict) = match subject {
                    CsatSubject::Ticket(ticket_id) => {
                        if store::find_ticket(self.db, ticket_id).await?.is_none() {
                            return Err(ApiError::NotFound(format!("no ticket `{ticket_id}`")));
                        }
                        (
                            CsatRecorded::Ticket {
                                ticket_id,
                                score: *score,
                            },
                            format!("ticket `{ticket_id}` already has a CSAT response"),
                        )
                    }
                    CsatSubject::Session(session_id) => (
                        CsatRecorded::Session {
                            session_id,
                            score: *score,
                        },
                        format!("conversation `{session_id}` already has a CSAT response"),
                    ),
                };
                Ok(Prepared {
                    insert,
                    extra: Vec::new(),
                    response: ApiResponse::json(201, &response),
                    // The unique keys: a response for this ticket or session already exists.
                    conflict: ApiError::AlreadyExists(conflict),
                })
            }
        }
    }
}

/// What the concierge says about the things a message asked for that the shop does not sell.
fn not_sold_notes(classification: Option<&Classification>, domain: &Domain) -> Vec<String> {
    let Some(c) = classification else {
        return Vec::new();
    };
    let mut notes: Vec<String> = Vec::new();
    for u in &c.entities.unsupported {
        if let Some(note) = domain.note(&u.id).filter(|n| !n.is_empty()) {
            if !notes.iter().any(|n| n == note) {
                notes.push(note.to_string());
            }
        }
    }
    notes
}

/// What the concierge offers when it has nothing more specific to say.
const HELP: &str = "I can help you find jewelry, track an order, or arrange a return or resize.";

/// The first letter upper-cased when it is ASCII (the rules' words are; a first letter outside
/// ASCII stays as written, so the Worker links no Unicode upper-casing table).
fn capitalise(s: &str) -> String {
    let mut out = s.to_string();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    out
}
