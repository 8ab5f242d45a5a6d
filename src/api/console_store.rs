//! D1 storage of the staff console: ticket and return histories, transcripts, return decisions,
//! CSAT over a date range, unanswered questions and per-day analytics. Tables of
//! `migrations/0004_staff_console.sql`; conventions as in [`super::store`].

use super::kinds::{ReturnKind, ReturnStatus};
use super::models::ReturnRecord;
use super::platform::{Database, Row, SqlValue, Statement, StorageError};
use super::store::{int_col, opt_int_col, opt_real_col, opt_text_col, text_col};
use serde::Serialize;
use serde_json::Value;

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketEvent {
    pub at: String,
    pub actor: String,
    /// `created`, `status`, `assigned` or `note`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For `assigned`: the new assignee (null: unassigned).
    #[serde(skip_serializing_if = "is_not_assignment")]
    pub assignee: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_not_assignment(v: &Option<Option<String>>) -> bool {
    v.is_none()
}

/// The statement appending one ticket event; it writes nothing unless the ticket exists (so a
/// guarded ticket insert that wrote nothing leaves no orphan event).
pub fn ticket_event(
    ticket_id: &str,
    at: &str,
    actor: &str,
    kind: &str,
    status: Option<&str>,
    assignee: Option<&str>,
    note: Option<&str>,
) -> Statement {
    Statement::new(
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, status, assignee, note) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM tickets WHERE ticket_id = ?1)",
        vec![
            ticket_id.into(),
            at.into(),
            actor.into(),
            kind.into(),
            status.into(),
            assignee.into(),
            note.into(),
        ],
    )
}

/// The statement storing a ticket's transcript (a JSON array), only if the ticket exists.
pub fn insert_transcript(ticket_id: &str, messages_json: &str) -> Statement {
    Statement::new(
        "INSERT INTO ticket_transcripts (ticket_id, messages) \
         SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM tickets WHERE ticket_id = ?1) \
         ON CONFLICT DO NOTHING",
        vec![ticket_id.into(), messages_json.into()],
    )
}

/// A ticket's history, oldest first.
pub async fn ticket_events<D: Database>(
    db: &D,
    ticket_id: &str,
) -> Result<Vec<TicketEvent>, StorageError> {
    let rows = db
        .query(
            "SELECT at, actor, kind, status, assignee, note FROM ticket_events \
             WHERE ticket_id = ?1 ORDER BY id",
            &[ticket_id.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let kind = text_col(r, "kind")?;
            Ok(TicketEvent {
                at: text_col(r, "at")?,
                actor: text_col(r, "actor")?,
                assignee: (kind == "assigned")
                    .then(|| opt_text_col(r, "assignee"))
                    .transpose()?,
                kind,
                status: opt_text_col(r, "status")?,
                note: opt_text_col(r, "note")?,
            })
        })
        .collect()
}

/// A ticket's transcript as stored (a JSON array), empty when none was sent.
pub async fn transcript<D: Database>(db: &D, ticket_id: &str) -> Result<Value, StorageError> {
    let rows = db
        .query(
            "SELECT messages FROM ticket_transcripts WHERE ticket_id = ?1",
            &[ticket_id.into()],
        )
        .await?;
    Ok(rows
        .first()
        .map(|r| text_col(r, "messages"))
        .transpose()?
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_else(|| Value::Array(Vec::new())))
}

/// The CSAT response of a ticket: `{score, comment, at}`.
pub async fn ticket_csat<D: Database>(
    db: &D,
    ticket_id: &str,
) -> Result<Option<Value>, StorageError> {
    let rows = db
        .query(
            "SELECT score, comment, created_at FROM csat_responses WHERE ticket_id = ?1",
            &[ticket_id.into()],
        )
        .await?;
    rows.first()
        .map(|r| {
            Ok(serde_json::json!({
                "score": int_col(r, "score")?,
                "comment": opt_text_col(r, "comment")?,
                "at": text_col(r, "created_at")?,
            }))
        })
        .transpose()
}

/// The statement changing a ticket's status, assignee and latest note (each only when given;
/// `assignee: Some(None)` unassigns).
pub fn update_ticket(
    ticket_id: &str,
    status: Option<&str>,
    assignee: Option<Option<&str>>,
    note: Option<&str>,
    now: &str,
) -> Statement {
    Statement::new(
        "UPDATE tickets SET status = COALESCE(?2, status), \
           assignee = CASE WHEN ?3 = 1 THEN ?4 ELSE assignee END, \
           note = COALESCE(?5, note), updated_at = ?6 WHERE ticket_id = ?1",
        vec![
            ticket_id.into(),
            status.into(),
            SqlValue::Integer(i64::from(assignee.is_some())),
            assignee.flatten().into(),
            note.into(),
            now.into(),
        ],
    )
}

/// Columns of [`ReturnRecord`].
const RETURN_COLUMNS: &str = "return_id, order_number, email, sku, kind, reason, ring_size, \
     status, decision_reason, created_at, COALESCE(updated_at, created_at) AS updated_at";

fn return_from_row(r: &Row) -> Result<ReturnRecord, StorageError> {
    Ok(ReturnRecord {
        return_id: text_col(r, "return_id")?,
        order_number: text_col(r, "order_number")?,
        email: opt_text_col(r, "email")?,
        sku: text_col(r, "sku")?,
        kind: ReturnKind::from_column(&text_col(r, "kind")?, "return_requests.kind")?,
        reason: text_col(r, "reason")?,
        ring_size: opt_real_col(r, "ring_size")?,
        status: ReturnStatus::from_column(&text_col(r, "status")?, "return_requests.status")?,
        decision_reason: opt_text_col(r, "decision_reason")?,
        created_at: text_col(r, "created_at")?,
        updated_at: text_col(r, "updated_at")?,
    })
}

/// One return request by id.
pub async fn find_return<D: Database>(
    db: &D,
    id: &str,
) -> Result<Option<ReturnRecord>, StorageError> {
    let rows = db
        .query(
            &format!("SELECT {RETURN_COLUMNS} FROM return_requests WHERE return_id = ?1"),
            &[id.into()],
        )
        .await?;
    rows.first().map(return_from_row).transpose()
}

/// Which return requests a support list shows (as [`super::store::TicketQuery`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReturnQuery {
    pub status: Option<String>,
    pub email: Option<String>,
    pub order_number: Option<String>,
    pub after: Option<(String, String)>,
    pub limit: u32,
}

/// Return requests matching `q`, newest first, at most `q.limit + 1` (keyset paging).
pub async fn list_returns<D: Database>(
    db: &D,
    q: &ReturnQuery,
) -> Result<Vec<ReturnRecord>, StorageError> {
    let (after_at, after_id) = q.after.clone().unzip();
    let rows = db
        .query(
            &format!(
                "SELECT {RETURN_COLUMNS} FROM return_requests \
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR email = ?2) \
                   AND (?3 IS NULL OR order_number = ?3) \
                   AND (?4 IS NULL OR created_at < ?4 OR (created_at = ?4 AND return_id > ?5)) \
                 ORDER BY created_at DESC, return_id LIMIT ?6"
            ),
            &[
                q.status.clone().into(),
                q.email.clone().into(),
                q.order_number.clone().into(),
                after_at.into(),
                after_id.into(),
                SqlValue::Integer(i64::from(q.limit) + 1),
            ],
        )
        .await?;
    rows.iter().map(return_from_row).collect()
}

/// One entry of a return's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnEvent {
    pub at: String,
    pub actor: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A return's history, oldest first.
pub async fn return_events<D: Database>(
    db: &D,
    return_id: &str,
) -> Result<Vec<ReturnEvent>, StorageError> {
    let rows = db
        .query(
            "SELECT at, actor, status, note FROM return_events WHERE return_id = ?1 ORDER BY id",
            &[return_id.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ReturnEvent {
                at: text_col(r, "at")?,
                actor: text_col(r, "actor")?,
                status: text_col(r, "status")?,
                note: opt_text_col(r, "note")?,
            })
        })
        .collect()
}

/// The `requested` event of a new return (written only if the guarded insert wrote the row).
pub fn return_requested_event(return_id: &str, at: &str) -> Statement {
    Statement::new(
        "INSERT INTO return_events (return_id, at, actor, status) \
         SELECT ?1, ?2, 'shopper', 'requested' \
         WHERE EXISTS (SELECT 1 FROM return_requests WHERE return_id = ?1)",
        vec![return_id.into(), at.into()],
    )
}

/// Moves a return from `from` to `to` and appends the event, in one batch; false when its
/// status was no longer `from` (someone else moved it first).
#[allow(clippy::too_many_arguments)]
pub async fn transition_return<D: Database>(
    db: &D,
    return_id: &str,
    from: &str,
    to: &str,
    decision_reason: Option<&str>,
    actor: &str,
    note: Option<&str>,
    now: &str,
) -> Result<bool, StorageError> {
    let changed = db
        .batch(&[
            Statement::new(
                "UPDATE return_requests SET status = ?3, \
                   decision_reason = COALESCE(?4, decision_reason), updated_at = ?5 \
                 WHERE return_id = ?1 AND status = ?2",
                vec![
                    return_id.into(),
                    from.into(),
                    to.into(),
                    decision_reason.into(),
                    now.into(),
                ],
            ),
            Statement::new(
                "INSERT INTO return_events (return_id, at, actor, status, note) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1",
                vec![
                    return_id.into(),
                    now.into(),
                    actor.into(),
                    to.into(),
                    note.into(),
                ],
            ),
        ])
        .await?;
    Ok(changed.first().copied().unwrap_or(0) > 0)
}

/// `[from, to)` as ISO timestamps: the instants of a range of whole days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRange {
    pub from: String,
    pub until: String,
}

/// CSAT responses in a range: count and sum per day and score.
pub async fn csat_by_day_and_score<D: Database>(
    db: &D,
    range: &DayRange,
) -> Result<Vec<(String, i64, i64)>, StorageError> {
    let rows = db
        .query(
            "SELECT substr(created_at, 1, 10) AS day, score, COUNT(*) AS n FROM csat_responses \
             WHERE created_at >= ?1 AND created_at < ?2 GROUP BY day, score ORDER BY day, score",
            &[range.from.clone().into(), range.until.clone().into()],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((text_col(r, "day")?, int_col(r, "score")?, int_col(r, "n")?)))
        .collect()
}

/// CSAT count and average per day or week in a range, newest first.
pub async fn csat_by_period<D: Database>(
    db: &D,
    range: &DayRange,
    weekly: bool,
) -> Result<Vec<(String, i64, f64)>, StorageError> {
    let format = if weekly { "%Y-W%W" } else { "%Y-%m-%d" };
    let rows = db
        .query(
            "SELECT strftime(?1, created_at) AS period, COUNT(*) AS n, AVG(score) AS average \
             FROM csat_responses WHERE created_at >= ?2 AND created_at < ?3 \
             GROUP BY period ORDER BY period DESC LIMIT 400",
            &[
                format.into(),
                range.from.clone().into(),
                range.until.clone().into(),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                opt_text_col(r, "period")?.unwrap_or_default(),
                int_col(r, "n")?,
                opt_real_col(r, "average")?.unwrap_or(0.0),
            ))
        })
        .collect()
}

/// One CSAT comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatComment {
    /// Cursor position, not shown.
    #[serde(skip)]
    pub id: i64,
    pub at: String,
    pub score: i64,
    pub comment: String,
    pub ticket_id: Option<String>,
    pub session_id: Option<String>,
}

/// Comments in a range, newest first, after `(created_at, id)` of the previous page; at most
/// `limit + 1`.
pub async fn csat_comments<D: Database>(
    db: &D,
    range: &DayRange,
    after: Option<(String, i64)>,
    limit: u32,
) -> Result<Vec<CsatComment>, StorageError> {
    let (after_at, after_id) = after.unzip();
    let rows = db
        .query(
            "SELECT id, created_at, score, comment, ticket_id, session_id FROM csat_responses \
             WHERE created_at >= ?1 AND created_at < ?2 AND comment IS NOT NULL AND comment <> '' \
               AND (?3 IS NULL OR created_at < ?3 OR (created_at = ?3 AND id < ?4)) \
             ORDER BY created_at DESC, id DESC LIMIT ?5",
            &[
                range.from.clone().into(),
                range.until.clone().into(),
                after_at.into(),
                after_id.into(),
                SqlValue::Integer(i64::from(limit) + 1),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CsatComment {
                id: int_col(r, "id")?,
                at: text_col(r, "created_at")?,
                score: int_col(r, "score")?,
                comment: opt_text_col(r, "comment")?.unwrap_or_default(),
                ticket_id: opt_text_col(r, "ticket_id")?,
                session_id: opt_text_col(r, "session_id")?,
            })
        })
        .collect()
}

/// One grouped unanswered question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnansweredQuestion {
    pub text: String,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub intent: String,
    pub confidence: f64,
}

/// Unanswered questions whose key contains `q` (lower-case), most frequent first, then most
/// recent; `limit + 1` from `offset`.
pub async fn list_unanswered<D: Database>(
    db: &D,
    q: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<Vec<UnansweredQuestion>, StorageError> {
    let rows = db
        .query(
            "SELECT text, count, first_seen, last_seen, intent, confidence FROM unanswered_questions \
             WHERE (?1 IS NULL OR instr(key, ?1) > 0) \
             ORDER BY count DESC, last_seen DESC, key LIMIT ?2 OFFSET ?3",
            &[
                q.map(str::to_lowercase).into(),
                SqlValue::Integer(i64::from(limit) + 1),
                SqlValue::Integer(i64::from(offset)),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UnansweredQuestion {
                text: text_col(r, "text")?,
                count: int_col(r, "count")?,
                first_seen: text_col(r, "first_seen")?,
                last_seen: text_col(r, "last_seen")?,
                intent: text_col(r, "intent")?,
                confidence: opt_real_col(r, "confidence")?.unwrap_or(0.0),
            })
        })
        .collect()
}

/// `(day, key, n)` counts of a table's rows in a range, grouped by day and `group` (a fixed
/// column expression).
async fn per_day<D: Database>(
    db: &D,
    table: &'static str,
    group: &'static str,
    range: &DayRange,
) -> Result<Vec<(String, String, i64)>, StorageError> {
    let rows = db
        .query(
            &format!(
                "SELECT substr(created_at, 1, 10) AS day, {group} AS k, COUNT(*) AS n FROM {table} \
                 WHERE created_at >= ?1 AND created_at < ?2 GROUP BY day, k ORDER BY day, k"
            ),
            &[range.from.clone().into(), range.until.clone().into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                text_col(r, "day")?,
                opt_text_col(r, "k")?.unwrap_or_default(),
                int_col(r, "n")?,
            ))
        })
        .collect()
}

/// Messages per day and intent.
pub async fn messages_per_day<D: Database>(
    db: &D,
    range: &DayRange,
) -> Result<Vec<(String, String, i64)>, StorageError> {
    per_day(db, "message_log", "intent", range).await
}

/// Tickets per day.
pub async fn tickets_per_day<D: Database>(
    db: &D,
    range: &DayRange,
) -> Result<Vec<(String, String, i64)>, StorageError> {
    per_day(db, "tickets", "''", range).await
}

/// Return requests per day and (normalised) reason.
pub async fn returns_per_day<D: Database>(
    db: &D,
    range: &DayRange,
) -> Result<Vec<(String, String, i64)>, StorageError> {
    per_day(db, "return_requests", "lower(trim(reason))", range).await
}

/// CSAT count and score sum per day.
pub async fn csat_per_day<D: Database>(
    db: &D,
    range: &DayRange,
) -> Result<Vec<(String, i64, i64)>, StorageError> {
    let rows = db
        .query(
            "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS n, SUM(score) AS total \
             FROM csat_responses WHERE created_at >= ?1 AND created_at < ?2 \
             GROUP BY day ORDER BY day",
            &[range.from.clone().into(), range.until.clone().into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                text_col(r, "day")?,
                int_col(r, "n")?,
                opt_int_col(r, "total")?.unwrap_or(0),
            ))
        })
        .collect()
}

/// `GET /v1/admin/tickets/{id}` (and the answer of its PATCH).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketDetail {
    pub ticket: super::models::Ticket,
    pub events: Vec<TicketEvent>,
    /// The shopper's conversation up to the request, as the widget sent it.
    pub transcript: Value,
    pub csat: Option<Value>,
}

/// `GET /v1/admin/returns/{id}` (and the answer of its PATCH).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnDetail {
    #[serde(rename = "return")]
    pub record: ReturnRecord,
    pub events: Vec<ReturnEvent>,
}

/// One page of a queue: `{<name>: [...], count, next_cursor}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T: Serialize> {
    #[serde(flatten)]
    pub items: PageItems<T>,
    pub count: usize,
    pub next_cursor: Option<String>,
}

/// The items of a [`Page`] under the name of what they are.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageItems<T: Serialize> {
    Tickets(Vec<T>),
    Returns(Vec<T>),
    Questions(Vec<T>),
}

impl<T: Serialize> Page<T> {
    /// A page of `items` named by `name`.
    pub fn new(
        items: Vec<T>,
        name: fn(Vec<T>) -> PageItems<T>,
        next_cursor: Option<String>,
    ) -> Self {
        Page {
            count: items.len(),
            items: name(items),
            next_cursor,
        }
    }
}

/// `POST /v1/escalations/status`: a stylist request as its shopper sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketStatusReply<'a> {
    pub ticket_id: &'a str,
    pub status: super::kinds::TicketStatus,
    pub updated_at: &'a str,
    /// Whether the shopper already rated it.
    pub rated: bool,
}
