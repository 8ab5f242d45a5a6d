//! D1 storage: the SQL the handlers run, behind a small async [`Database`] trait so the same
//! queries run on D1 in the Worker and on SQLite in native tests.
//!
//! # Schema the Worker queries (agreed with `migrations/`)
//!
//! Timestamps are ISO-8601 UTC text `YYYY-MM-DDTHH:MM:SSZ` (they sort and compare as text).
//! Money is integer cents. Booleans are INTEGER 0/1. Emails are stored lower-case.
//!
//! ```text
//! products(sku TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL  -- rings|necklaces|earrings|bracelets
//!          , metal TEXT NOT NULL        -- yellow_gold|white_gold|rose_gold|platinum
//!          , price_cents INTEGER NOT NULL, ready_to_ship INTEGER NOT NULL, stock INTEGER NOT NULL
//!          , image TEXT NOT NULL)       -- index on (category, metal, price_cents)
//! orders(order_number TEXT PRIMARY KEY  -- AUR-123456
//!        , email TEXT NOT NULL          -- lower-case
//!        , status TEXT NOT NULL         -- processing|shipped|delivered|cancelled
//!        , placed_at TEXT NOT NULL, delivered_at TEXT)   -- delivered_at NULL unless delivered
//! order_items(order_number TEXT NOT NULL REFERENCES orders, sku TEXT NOT NULL, name TEXT NOT NULL,
//!             category TEXT NOT NULL, quantity INTEGER NOT NULL, price_cents INTEGER NOT NULL)
//! shipments(id INTEGER PRIMARY KEY, order_number TEXT NOT NULL REFERENCES orders, carrier TEXT NOT NULL,
//!           tracking_number TEXT NOT NULL, status TEXT NOT NULL  -- label_created|in_transit|delivered|returned
//!           , shipped_at TEXT, delivered_at TEXT)
//! shipment_events(shipment_id INTEGER NOT NULL REFERENCES shipments, at TEXT NOT NULL,
//!                 status TEXT NOT NULL, detail TEXT NOT NULL)
//! return_requests(return_id TEXT PRIMARY KEY, order_number TEXT NOT NULL, sku TEXT NOT NULL,
//!                 kind TEXT NOT NULL    -- return|resize|exchange
//!                 , reason TEXT NOT NULL, ring_size REAL, status TEXT NOT NULL, created_at TEXT NOT NULL,
//!                 email TEXT, decision_reason TEXT, updated_at TEXT)   -- the last three from 0004
//! tickets(ticket_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, email TEXT NOT NULL, name TEXT,
//!         topic TEXT NOT NULL, message TEXT NOT NULL, status TEXT NOT NULL  -- open|pending|resolved|closed
//!         , note TEXT, assignee TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
//! csat_responses(id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id TEXT UNIQUE REFERENCES tickets,
//!                session_id TEXT UNIQUE   -- exactly one of the two
//!                , score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5), comment TEXT, created_at TEXT NOT NULL)
//! ticket_events, ticket_transcripts, return_events, unanswered_questions   -- 0004; see console_store
//! idempotency_keys(key TEXT PRIMARY KEY  -- SHA-256 of route, client and header (0003)
//!                  , route TEXT NOT NULL, request_hash TEXT NOT NULL,
//!                  status TEXT NOT NULL  -- in_flight|done
//!                  , owner TEXT NOT NULL -- the claiming request's random token
//!                  , response_status INTEGER, response_body TEXT, created_at TEXT NOT NULL,
//!                  claimed_at TEXT NOT NULL)  -- start of the current lease
//! message_log(id INTEGER PRIMARY KEY AUTOINCREMENT, intent TEXT NOT NULL, confidence REAL NOT NULL,
//!             created_at TEXT NOT NULL)          -- no personal data: admin analytics only
//! catalog_meta(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)  -- one row (1, 1);
//!             bump `version` whenever products change: it is part of the KV catalog cache key
//! ```

use super::idempotency::{guarded_insert, Claim};
use super::models::{
    dollars, CatalogFilter, OrderItem, PriceOrder, Product, Shipment, ShipmentEvent, Ticket,
};
use super::platform::{Database, Row, SqlValue, Statement, StorageError};
use serde_json::Value;

/// A text column; error when absent or not text.
pub fn text_col(row: &Row, col: &str) -> Result<String, StorageError> {
    opt_text_col(row, col)?.ok_or_else(|| StorageError::RowShape(format!("`{col}` is null")))
}

/// A nullable text column.
pub fn opt_text_col(row: &Row, col: &str) -> Result<Option<String>, StorageError> {
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(StorageError::RowShape(format!(
            "`{col}` is not text: {other}"
        ))),
    }
}

/// An integer column (D1 may hand integers back as JS numbers, i.e. floats).
pub fn int_col(row: &Row, col: &str) -> Result<i64, StorageError> {
    opt_int_col(row, col)?.ok_or_else(|| StorageError::RowShape(format!("`{col}` is null")))
}

/// A nullable integer column.
pub fn opt_int_col(row: &Row, col: &str) -> Result<Option<i64>, StorageError> {
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| StorageError::RowShape(format!("`{col}` is not an integer: {v}"))),
    }
}

/// A nullable real column.
pub fn opt_real_col(row: &Row, col: &str) -> Result<Option<f64>, StorageError> {
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| StorageError::RowShape(format!("`{col}` is not a number: {v}"))),
    }
}

/// The catalog version (part of the KV cache key); 0 when the meta row is missing.
pub async fn catalog_version<D: Database>(db: &D) -> Result<i64, StorageError> {
    let rows = db
        .query("SELECT version FROM catalog_meta WHERE id = 1", &[])
        .await?;
    rows.first().map_or(Ok(0), |r| int_col(r, "version"))
}

fn product_from_row(row: &Row) -> Result<Product, StorageError> {
    let price_cents = int_col(row, "price_cents")?;
    Ok(Product {
        sku: text_col(row, "sku")?,
        name: text_col(row, "name")?,
        category: text_col(row, "category")?,
        metal: text_col(row, "metal")?,
        price: dollars(price_cents),
        price_cents,
        ready_to_ship: int_col(row, "ready_to_ship")? != 0,
        stock: int_col(row, "stock")?,
        image: text_col(row, "image")?,
    })
}

/// Products matching `filter` in its order, one more than its limit so the caller can tell
/// whether another page exists. Lists travel as JSON arrays (`json_each`), so the statement is
/// the same for any number of categories, metals and styles; a style matches the start of a word
/// of the product name (`hoop` in "Hoop Earrings", `three stone` in "Three-Stone Ring").
pub async fn search_products<D: Database>(
    db: &D,
    filter: &CatalogFilter,
) -> Result<Vec<Product>, StorageError> {
    let json =
        |values: &[String]| serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string());
    let styles: Vec<String> = filter
        .styles
        .iter()
        .map(|s| s.replace('_', " ").to_lowercase())
        .collect();
    let (order, target) = match filter.order {
        PriceOrder::Ascending => ("asc", None),
        PriceOrder::Descending => ("desc", None),
        PriceOrder::Nearest(cents) => ("near", Some(cents)),
    };
    let rows = db
        .query(
            "SELECT sku, name, category, metal, price_cents, ready_to_ship, stock, image FROM products \
             WHERE (?1 = '[]' OR category IN (SELECT value FROM json_each(?1))) \
               AND (?2 = '[]' OR metal IN (SELECT value FROM json_each(?2))) \
               AND NOT EXISTS (SELECT 1 FROM json_each(?3) AS s \
                 WHERE instr(' ' || lower(replace(products.name, '-', ' ')), ' ' || s.value) = 0) \
               AND (?4 IS NULL OR price_cents >= ?4) AND (?5 IS NULL OR price_cents <= ?5) \
               AND (?6 = 0 OR (ready_to_ship = 1 AND stock > 0)) \
             ORDER BY CASE ?7 WHEN 'desc' THEN -price_cents \
                              WHEN 'near' THEN abs(price_cents - ?8) \
                              ELSE price_cents END, sku \
             LIMIT ?9 OFFSET ?10",
            &[
                json(&filter.categories).into(),
                json(&filter.metals).into(),
                json(&styles).into(),
                filter.min_cents.into(),
                filter.max_cents.into(),
                SqlValue::Integer(i64::from(filter.ready_to_ship_only)),
                order.into(),
                target.into(),
                SqlValue::Integer(i64::from(filter.limit) + 1),
                SqlValue::Integer(i64::from(filter.offset)),
            ],
        )
        .await?;
    rows.iter().map(product_from_row).collect()
}

/// An order row before its owner is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    pub order_number: String,
    pub email: String,
    pub status: super::kinds::OrderStatus,
    pub placed_at: String,
    pub delivered_at: Option<String>,
}

/// The order with this number, if any.
pub async fn find_order<D: Database>(
    db: &D,
    order_number: &str,
) -> Result<Option<OrderRecord>, StorageError> {
    let rows = db
        .query(
            "SELECT order_number, email, status, placed_at, delivered_at FROM orders WHERE order_number = ?1",
            &[order_number.into()],
        )
        .await?;
    rows.first()
        .map(|r| {
            Ok(OrderRecord {
                order_number: text_col(r, "order_number")?,
                email: text_col(r, "email")?,
                status: super::kinds::OrderStatus::from_column(
                    &text_col(r, "status")?,
                    "orders.status",
                )?,
                placed_at: text_col(r, "placed_at")?,
                delivered_at: opt_text_col(r, "delivered_at")?,
            })
        })
        .transpose()
}

/// The lines of an order.
pub async fn order_items<D: Database>(
    db: &D,
    order_number: &str,
) -> Result<Vec<OrderItem>, StorageError> {
    let rows = db
        .query(
            "SELECT sku, name, category, quantity, price_cents FROM order_items WHERE order_number = ?1 ORDER BY rowid",
            &[order_number.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OrderItem {
                sku: text_col(r, "sku")?,
                name: text_col(r, "name")?,
                category: text_col(r, "category")?,
                quantity: int_col(r, "quantity")?,
                price: dollars(int_col(r, "price_cents")?),
            })
        })
        .collect()
}

/// The shipments of an order with their scans, oldest scan first.
pub async fn shipments<D: Database>(
    db: &D,
    order_number: &str,
) -> Result<Vec<Shipment>, StorageError> {
    let rows = db
        .query(
            "SELECT s.id AS id, s.carrier AS carrier, s.tracking_number AS tracking_number, s.status AS status, \
                    s.shipped_at AS shipped_at, s.delivered_at AS delivered_at, \
                    e.at AS event_at, e.status AS event_status, e.detail AS event_detail \
             FROM shipments s LEFT JOIN shipment_events e ON e.shipment_id = s.id \
             WHERE s.order_number = ?1 ORDER BY s.id, e.at",
            &[order_number.into()],
        )
        .await?;
    let mut out: Vec<(i64, Shipment)> = Vec::new();
    for r in &rows {
        let id = int_col(r, "id")?;
        if out.last().is_none_or(|(last, _)| *last != id) {
            out.push((
                id,
                Shipment {
                    carrier: text_col(r, "carrier")?,
                    tracking_number: text_col(r, "tracking_number")?,
                    status: text_col(r, "status")?,
                    shipped_at: opt_text_col(r, "shipped_at")?,
                    delivered_at: opt_text_col(r, "delivered_at")?,
                    events: Vec::new(),
                },
            ));
        }
        if let (Some(at), Some((_, shipment))) = (opt_text_col(r, "event_at")?, out.last_mut()) {
            shipment.events.push(ShipmentEvent {
                at,
                status: opt_text_col(r, "event_status")?.unwrap_or_default(),
                detail: opt_text_col(r, "event_detail")?.unwrap_or_default(),
            });
        }
    }
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

/// A new return, resize or exchange request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReturn<'a> {
    pub return_id: &'a str,
    pub order_number: &'a str,
    pub sku: &'a str,
    pub kind: &'a str,
    pub reason: &'a str,
    pub ring_size: Option<f64>,
    /// The shopper's email, lower-case.
    pub email: &'a str,
    pub created_at: &'a str,
}

/// The statement storing a return request with status `requested` (guarded by `claim`).
pub fn insert_return(r: &NewReturn<'_>, claim: Option<&Claim>) -> Statement {
    guarded_insert(
        "return_requests",
        &[
            "return_id",
            "order_number",
            "sku",
            "kind",
            "reason",
            "ring_size",
            "status",
            "email",
            "created_at",
            "updated_at",
        ],
        vec![
            r.return_id.into(),
            r.order_number.into(),
            r.sku.into(),
            r.kind.into(),
            r.reason.into(),
            r.ring_size.into(),
            "requested".into(),
            r.email.into(),
            r.created_at.into(),
            r.created_at.into(),
        ],
        "",
        claim,
    )
}

/// The statement storing a new ticket (guarded by `claim`).
pub fn insert_ticket(t: &Ticket, claim: Option<&Claim>) -> Statement {
    guarded_insert(
        "tickets",
        &[
            "ticket_id",
            "session_id",
            "email",
            "name",
            "topic",
            "message",
            "status",
            "note",
            "assignee",
            "created_at",
            "updated_at",
        ],
        vec![
            t.ticket_id.clone().into(),
            t.session_id.clone().into(),
            t.email.clone().into(),
            t.name.clone().into(),
            t.topic.clone().into(),
            t.message.clone().into(),
            t.status.name().into(),
            t.note.clone().into(),
            t.assignee.clone().into(),
            t.created_at.clone().into(),
            t.updated_at.clone().into(),
        ],
        "",
        claim,
    )
}

const TICKET_COLUMNS: &str = "ticket_id, session_id, email, name, topic, message, status, note, \
     assignee, created_at, updated_at";

fn ticket_from_row(r: &Row) -> Result<Ticket, StorageError> {
    Ok(Ticket {
        ticket_id: text_col(r, "ticket_id")?,
        session_id: text_col(r, "session_id")?,
        email: text_col(r, "email")?,
        name: opt_text_col(r, "name")?,
        topic: text_col(r, "topic")?,
        message: text_col(r, "message")?,
        status: super::kinds::TicketStatus::from_column(&text_col(r, "status")?, "tickets.status")?,
        note: opt_text_col(r, "note")?,
        assignee: opt_text_col(r, "assignee")?,
        created_at: text_col(r, "created_at")?,
        updated_at: text_col(r, "updated_at")?,
    })
}

/// One ticket by id.
pub async fn find_ticket<D: Database>(db: &D, id: &str) -> Result<Option<Ticket>, StorageError> {
    let rows = db
        .query(
            &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket_id = ?1"),
            &[id.into()],
        )
        .await?;
    rows.first().map(ticket_from_row).transpose()
}

/// Which tickets a support list shows: filters, the page size and where the last page ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketQuery {
    pub status: Option<String>,
    /// Lower-case email of the shopper.
    pub email: Option<String>,
    /// An order number the topic or message mentions.
    pub order_number: Option<String>,
    /// The staff member it is assigned to.
    pub assignee: Option<String>,
    /// `(created_at, ticket_id)` of the last ticket of the previous page.
    pub after: Option<(String, String)>,
    pub limit: u32,
}

/// Tickets matching `q`, newest first (ties by id), at most `q.limit + 1` so the caller can tell
/// whether another page exists. Keyset paging: a page never repeats or skips a ticket when new
/// ones arrive meanwhile.
pub async fn list_tickets<D: Database>(
    db: &D,
    q: &TicketQuery,
) -> Result<Vec<Ticket>, StorageError> {
    let (after_at, after_id) = q.after.clone().unzip();
    let rows = db
        .query(
            &format!(
                "SELECT {TICKET_COLUMNS} FROM tickets \
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR email = ?2) \
                   AND (?3 IS NULL OR instr(upper(topic || ' ' || message), ?3) > 0) \
                   AND (?4 IS NULL OR created_at < ?4 OR (created_at = ?4 AND ticket_id > ?5)) \
                   AND (?7 IS NULL OR assignee = ?7) \
                 ORDER BY created_at DESC, ticket_id LIMIT ?6"
            ),
            &[
                q.status.clone().into(),
                q.email.clone().into(),
                // SQLite's upper() folds ASCII only: so does the needle.
                q.order_number
                    .as_ref()
                    .map(|n| n.to_ascii_uppercase())
                    .into(),
                after_at.into(),
                after_id.into(),
                SqlValue::Integer(i64::from(q.limit) + 1),
                q.assignee.clone().into(),
            ],
        )
        .await?;
    rows.iter().map(ticket_from_row).collect()
}

/// What a CSAT response rates: a stylist ticket or a whole conversation (session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsatSubject {
    Ticket(String),
    Session(String),
}

/// The statement storing a CSAT response (guarded by `claim`); it changes no row when the ticket
/// or the session already has one (the unique keys).
pub fn insert_csat(
    subject: &CsatSubject,
    score: i64,
    comment: Option<&str>,
    now: &str,
    claim: Option<&Claim>,
) -> Statement {
    let (ticket_id, session_id) = match subject {
        CsatSubject::Ticket(id) => (Some(id.as_str()), None),
        CsatSubject::Session(id) => (None, Some(id.as_str())),
    };
    guarded_insert(
        "csat_responses",
        &["ticket_id", "session_id", "score", "comment", "created_at"],
        vec![
            ticket_id.into(),
            session_id.into(),
            score.into(),
            comment.into(),
            now.into(),
        ],
        "ON CONFLICT DO NOTHING",
        claim,
    )
}

/// One classified message for admin analytics: intent and confidence only, plus, when the
/// rules did not understand it, its text with personal data replaced by placeholders
/// ([`crate::engine::Engine::redact`]) for the unanswered-questions list.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageLogEntry {
    pub intent: String,
    pub confidence: f64,
    pub created_at: String,
    /// The redacted message, only for messages the rules did not understand.
    pub question: Option<String>,
}

/// Appends message-log entries in one batch (one transaction), so a failure writes none of
/// them and a retry cannot write any twice.
pub async fn insert_message_log<D: Database>(
    db: &D,
    entries: &[MessageLogEntry],
) -> Result<(), StorageError> {
    // Every row in one statement with one parameter, a JSON array of [intent, confidence, at]
    // (D1 allows 100 bound parameters a statement: a row each would take a statement per 30
    // rows, and locally each statement costs the isolate about as much as a message does).
    let rows: Vec<(&str, f64, &str)> = entries
        .iter()
        .map(|e| {
            // NaN would reach SQLite as null and fail the NOT NULL column, and the batch with it.
            let confidence = if e.confidence.is_finite() {
                e.confidence
            } else {
                0.0
            };
            (e.intent.as_str(), confidence, e.created_at.as_str())
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| StorageError::Database(e.to_string()))?;
    let mut statements = vec![Statement::new(
        "INSERT INTO message_log (intent, confidence, created_at) \
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') \
         FROM json_each(?1) ORDER BY key",
        vec![rows.into()],
    )];
    statements.extend(
        entries
            .iter()
            .filter_map(|e| e.question.as_deref().map(|q| (e, q)))
            .map(|(e, question)| {
                upsert_unanswered(question, &e.intent, e.confidence, &e.created_at)
            }),
    );
    if !statements.is_empty() {
        db.batch(&statements).await?;
    }
    Ok(())
}

/// Counts one more asking of a (redacted) question, grouped by [`crate::engine::question_key`];
/// the latest wording, intent and confidence are kept.
pub fn upsert_unanswered(question: &str, intent: &str, confidence: f64, at: &str) -> Statement {
    Statement::new(
        "INSERT INTO unanswered_questions (key, text, count, first_seen, last_seen, intent, confidence) \
         VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5) \
         ON CONFLICT (key) DO UPDATE SET count = count + 1, \
           first_seen = min(first_seen, excluded.first_seen), \
           text = CASE WHEN excluded.last_seen >= last_seen THEN excluded.text ELSE text END, \
           intent = CASE WHEN excluded.last_seen >= last_seen THEN excluded.intent ELSE intent END, \
           confidence = CASE WHEN excluded.last_seen >= last_seen THEN excluded.confidence ELSE confidence END, \
           last_seen = max(last_seen, excluded.last_seen)",
        vec![
            crate::engine::question_key(question).into(),
            question.into(),
            at.into(),
            intent.into(),
            SqlValue::Real(confidence),
        ],
    )
}

/// What one run of the scheduled purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub idempotency_keys: u64,
    pub message_log: u64,
    pub unanswered_questions: u64,
}

/// Rows deleted per table per run, so a backlog is worked off over several runs within D1's
/// limits on a statement's duration.
pub const PURGE_BATCH: i64 = 5_000;

/// Deletes idempotency keys created before `keys_before`, message-log rows created before
/// `log_before` and unanswered questions last asked before `questions_before` (ISO
/// timestamps), at most [`PURGE_BATCH`] of each, in one batch.
pub async fn purge<D: Database>(
    db: &D,
    keys_before: &str,
    log_before: &str,
    questions_before: &str,
) -> Result<Purged, StorageError> {
    let changed = db
        .batch(&[
            Statement::new(
                "DELETE FROM idempotency_keys WHERE key IN \
                 (SELECT key FROM idempotency_keys WHERE created_at < ?1 LIMIT ?2)",
                vec![keys_before.into(), SqlValue::Integer(PURGE_BATCH)],
            ),
            Statement::new(
                "DELETE FROM message_log WHERE id IN \
                 (SELECT id FROM message_log WHERE created_at < ?1 LIMIT ?2)",
                vec![log_before.into(), SqlValue::Integer(PURGE_BATCH)],
            ),
            Statement::new(
                "DELETE FROM unanswered_questions WHERE key IN \
                 (SELECT key FROM unanswered_questions WHERE last_seen < ?1 LIMIT ?2)",
                vec![questions_before.into(), SqlValue::Integer(PURGE_BATCH)],
            ),
        ])
        .await?;
    Ok(Purged {
        idempotency_keys: changed.first().copied().unwrap_or(0),
        message_log: changed.get(1).copied().unwrap_or(0),
        unanswered_questions: changed.get(2).copied().unwrap_or(0),
    })
}

/// A trivial query proving the database answers.
pub async fn ping<D: Database>(db: &D) -> Result<(), StorageError> {
    db.query("SELECT 1 AS ok", &[]).await.map(|_| ())
}
