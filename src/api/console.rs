//! The staff console's routes: who am I, ticket detail and changes with an append-only history,
//! the returns queue and its state machine, CSAT and analytics over a date range, and the
//! questions the rules did not understand (redacted) with their corpus export. Plus the
//! shopper's return status check.

use super::admin::{decode_cursor, encode_cursor};
use super::auth::Staff;
use super::console_store::{self as cs, DayRange};
use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse};
use super::kinds::{ReturnAction, ReturnStatus, TicketStatus};
use super::platform::{Database, KeyValue};
use super::store;
use super::time::{format_iso, parse_iso, DAY_MS};
use super::validate::{self, check_id, check_order_number, normalise_email, Fields};
use super::Api;
use crate::engine::UNKNOWN_INTENT;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Ticket statuses.
pub const TICKET_STATUSES: &[&str] = TicketStatus::NAMES;
/// Return statuses, in the order a request moves through them.
pub const RETURN_STATUSES: &[&str] = ReturnStatus::NAMES;
/// Longest assignee name.
pub const MAX_ASSIGNEE: usize = 120;
/// Days in an analytics or CSAT range when none is given, and the most a range may span.
pub const DEFAULT_RANGE_DAYS: i64 = 30;
pub const MAX_RANGE_DAYS: i64 = 366;
/// Page sizes of the unanswered list and of CSAT comments.
pub const PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;
/// Deepest offset of the unanswered list's cursor.
pub const MAX_OFFSET: u32 = 9_999_999;
/// Most questions in one corpus export.
pub const MAX_EXPORT: u32 = 5_000;
/// Most distinct reasons `returns_by_reason` lists (the rest are summed under `other`).
pub const MAX_REASONS: usize = 20;

/// A `YYYY-MM-DD` parameter as epoch ms of its midnight (UTC). Any month 01–12 and day 01–31 is
/// taken, as the OpenAPI `pattern` promises (`2026-02-30` counts on to 2026-03-02).
fn day_param(name: &str, value: &str) -> Result<i64, ApiError> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && value
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped
        .then(|| parse_iso(value))
        .flatten()
        .ok_or_else(|| ApiError::invalid(name, format!("`{name}` must be a date like 2026-11-25")))
}

/// The `from`/`to` range of a query, whole UTC days, both included: by default the last
/// [`DEFAULT_RANGE_DAYS`] days up to today. Dates given the wrong way round are swapped and a
/// range longer than [`MAX_RANGE_DAYS`] keeps its last days, so every date pair the OpenAPI
/// document allows has an answer. Returns (first day, last day) as epoch ms.
pub fn day_range(
    from: Option<&str>,
    to: Option<&str>,
    now_ms: i64,
) -> Result<(i64, i64), ApiError> {
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
    let to_ms = to.map(|t| day_param("to", t)).transpose()?;
    let from_ms = from.map(|f| day_param("from", f)).transpose()?;
    let (mut first, last) = match (from_ms, to_ms) {
        (None, None) => (today - (DEFAULT_RANGE_DAYS - 1) * DAY_MS, today),
        (Some(f), None) => (f.min(today), f.max(today)),
        (None, Some(t)) => (t - (DEFAULT_RANGE_DAYS - 1) * DAY_MS, t),
        (Some(f), Some(t)) => (f.min(t), f.max(t)),
    };
    if (last - first) / DAY_MS >= MAX_RANGE_DAYS {
        first = last - (MAX_RANGE_DAYS - 1) * DAY_MS;
    }
    Ok((first, last))
}

fn iso_day(ms: i64) -> String {
    format_iso(ms)[..10].to_string()
}

fn as_range(first: i64, last: i64) -> DayRange {
    DayRange {
        from: format_iso(first),
        until: format_iso(last + DAY_MS),
    }
}

fn days_of(first: i64, last: i64) -> Vec<String> {
    (0..=((last - first) / DAY_MS))
        .map(|i| iso_day(first + i * DAY_MS))
        .collect()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn rate(n: i64, of: i64) -> f64 {
    if of > 0 {
        round4(n as f64 / of as f64)
    } else {
        0.0
    }
}

fn page_limit(value: &str, max: u32) -> Result<u32, ApiError> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ApiError::invalid(
                "limit",
                format!("`limit` must be a whole number from 1 to {max}"),
            )
        })
}

/// Stand-ins for the placeholders in an exported question, so that replaying it classifies it
/// as the original was (an email or an order number is evidence for some intents) while no
/// shopper's data is in the file. `{order_number}` becomes the rules' example order number.
pub fn stand_ins(text: &str, order_example: &str) -> String {
    text.replace("{email}", "shopper@example.com")
        .replace("{order_number}", order_example)
        .replace("{phone}", "555 010 0199")
        .replace("{name}", "Alex")
}

/// The unanswered questions as a corpus file for `concierge diff --corpus`: a header, then one
/// row per question with an empty `label` for the merchandiser to fill and `source`
/// `unanswered:count=N`. Placeholders become [`stand_ins`]; tabs and line breaks inside a
/// question become spaces; a question that would read as a comment (`#…`) gets a leading space.
pub fn corpus_tsv(
    questions: &[cs::UnansweredQuestion],
    generated_at: &str,
    order_example: &str,
) -> String {
    let mut out = format!(
        "# Unanswered questions exported {generated_at}: personal data replaced by made-up stand-ins.\n\
         # Fill `label` with the intent each should get, then: concierge diff OLD NEW --corpus FILE\n\
         text\tlabel\tsource\n"
    );
    for q in questions {
        let mut text: String = stand_ins(&q.text, order_example)
            .chars()
            .map(|c| {
                if matches!(c, '\t' | '\r' | '\n') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        if text.starts_with('#') || text.trim().is_empty() || text == "text" {
            text.insert(0, ' ');
        }
        out.push_str(&format!(
            "{text}\t\tunanswered:count={};last_seen={}\n",
            q.count, q.last_seen
        ));
    }
    out
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// `GET /v1/admin/me`.
    pub(super) fn me(&self, staff: &Staff, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        validate::query_params(&request.query, &[])?;
        Ok(ApiResponse::json(200, &staff))
    }

    /// The body of `GET /v1/admin/tickets/{id}` (and of its PATCH).
    async fn ticket_detail(&self, id: &str) -> Result<ApiResponse, ApiError> {
        check_id("id", id)?;
        let ticket = store::find_ticket(self.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no ticket `{id}`")))?;
        let events = cs::ticket_events(self.db, id).await?;
        let transcript = cs::transcript(self.db, id).await?;
        let csat = cs::ticket_csat(self.db, id).await?;
        Ok(ApiResponse::json(
            200,
            &cs::TicketDetail {
                ticket,
                events,
                transcript,
                csat,
            },
        ))
    }

    /// `GET /v1/admin/tickets/{id}`.
    pub(super) async fn get_ticket(
        &self,
        id: &str,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        validate::query_params(&request.query, &[])?;
        self.ticket_detail(id).await
    }

    /// `PATCH /v1/admin/tickets/{id}`: status, assignee and/or a note; each change is one
    /// event of the history under the caller's name.
    pub(super) async fn patch_ticket(
        &self,
        id: &str,
        staff: &Staff,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        check_id("id", id)?;
        let object = validate::json_object(request)?;
        let assignee_sent = object.contains_key("assignee");
        if object.is_empty() {
            return Err(ApiError::MissingField {
                field: "status".into(),
            });
        }
        let f = Fields::new(object, &["status", "assignee", "note"])?;
        let status = match f.raw("status") {
            None => None,
            Some(_) => Some(f.named("status", TicketStatus::NAMES, TicketStatus::from_name)?),
        };
        let assignee = if assignee_sent {
            Some(
                f.opt_string("assignee", 0, MAX_ASSIGNEE)?
                    .filter(|a| !a.is_empty()),
            )
        } else {
            None
        };
        let note = f.opt_string("note", 0, 2000)?.filter(|n| !n.is_empty());
        let ticket = store::find_ticket(self.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no ticket `{id}`")))?;
        let now = format_iso(self.clock.now_ms());
        let status = status.filter(|s| *s != ticket.status);
        let assignee = assignee.filter(|a| *a != ticket.assignee);
        let mut statements = Vec::new();
        if status.is_some() || assignee.is_some() || note.is_some() {
            statements.push(cs::update_ticket(
                id,
                status.map(TicketStatus::name),
                assignee.as_ref().map(|a| a.as_deref()),
                note.as_deref(),
                &now,
            ));
        }
        let actor = staff.actor.as_str();
        if let Some(status) = &status {
            statements.push(cs::ticket_event(
                id,
                &now,
                actor,
                "status",
                Some(status.name()),
                None,
                None,
            ));
        }
        if let Some(assignee) = &assignee {
            statements.push(cs::ticket_event(
                id,
                &now,
                actor,
                "assigned",
                None,
                assignee.as_deref(),
                None,
            ));
        }
        if let Some(note) = &note {
            statements.push(cs::ticket_event(
                id,
                &now,
                actor,
                "note",
                None,
                None,
                Some(note),
            ));
        }
        if !statements.is_empty() {
            self.db.batch(&statements).await?;
        }
        if status == Some(TicketStatus::Resolved) {
            // Committed above: staff hear that the shopper's request is done (once per change).
            self.notify_ticket_resolved(request, id, &now).await;
        }
        self.ticket_detail(id).await
    }

    /// `GET /v1/admin/returns`.
    pub(super) async fn list_returns(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let mut q = cs::ReturnQuery {
            limit: super::admin::TICKET_PAGE,
            ..cs::ReturnQuery::default()
        };
        let params = validate::query_params(
            &request.query,
            &["status", "email", "order_number", "limit", "cursor"],
        )?;
        for (name, value) in params {
            match name.as_str() {
                "status" => {
                    validate::param_one_of("status", &value, RETURN_STATUSES)?;
                    q.status = Some(value);
                }
                "email" => q.email = Some(normalise_email("email", &value)?),
                "order_number" => {
                    check_order_number("order_number", value.trim(), self.engine.domain())?;
                    q.order_number = Some(value.trim().to_string());
                }
                "limit" => q.limit = page_limit(&value, super::admin::MAX_TICKET_PAGE)?,
                _ => {
                    q.after = Some(decode_cursor(value.trim()).ok_or_else(|| {
                        ApiError::invalid(
                            "cursor",
                            "`cursor` must be a `next_cursor` of a previous page",
                        )
                    })?);
                }
            }
        }
        let mut returns = cs::list_returns(self.db, &q).await?;
        let more = returns.len() > q.limit as usize;
        returns.truncate(q.limit as usize);
        let next_cursor = returns
            .last()
            .filter(|_| more)
            .map(|r| encode_cursor(&r.created_at, &r.return_id));
        Ok(ApiResponse::json(
            200,
            &cs::Page::new(returns, cs::PageItems::Returns, next_cursor),
        ))
    }

    async fn return_detail(&self, id: &str) -> Result<ApiResponse, ApiError> {
        check_id("id", id)?;
        let record = cs::find_return(self.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no return `{id}`")))?;
        let events = cs::return_events(self.db, id).await?;
        Ok(ApiResponse::json(200, &cs::ReturnDetail { record, events }))
    }

    /// `GET /v1/admin/returns/{id}`.
    pub(super) async fn get_return(
        &self,
        id: &str,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        validate::query_params(&request.query, &[])?;
        self.return_detail(id).await
    }

    /// `PATCH /v1/admin/returns/{id}`: one step of the state machine; 409
    /// `invalid_transition` for a step the request's status does not allow.
    pub(super) async fn patch_return(
        &self,
        id: &str,
        staff: &Staff,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        check_id("id", id)?;
        let f = Fields::new(
            validate::json_object(request)?,
            &["action", "reason", "note"],
        )?;
        let action = f.named("action", ReturnAction::NAMES, ReturnAction::from_name)?;
        let reason = f.opt_string("reason", 0, 500)?.filter(|r| !r.is_empty());
        let note = f.opt_string("note", 0, 2000)?.filter(|n| !n.is_empty());
        if action == ReturnAction::Deny && reason.is_none() {
            return Err(ApiError::MissingField {
                field: "reason".into(),
            });
        }
        let record = cs::find_return(self.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no return `{id}`")))?;
        let to = record.status.after(action, record.kind).ok_or_else(|| {
            ApiError::InvalidTransition(format!(
                "cannot `{action}` a return that is `{}`",
                record.status
            ))
        })?;
        let decision = reason.as_deref().filter(|_| to.is_decision());
        let now = format_iso(self.clock.now_ms());
        let note = note.or_else(|| reason.clone().filter(|_| decision.is_none()));
        let moved = cs::transition_return(
            self.db,
            id,
            record.status.name(),
            to.name(),
            decision,
            &staff.actor,
            note.as_deref(),
            &now,
        )
        .await?;
        if !moved {
            return Err(ApiError::InvalidTransition(format!(
                "return `{id}` changed meanwhile; reload it"
            )));
        }
        self.return_detail(id).await
    }

    /// `POST /v1/returns/status`: the shopper's view of their request. An unknown id and an
    /// email that does not match answer the same 404, and each try spends the order-lookup
    /// budget, so ids cannot be probed.
    pub async fn return_status(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        super::check_shopper_header(request)?;
        let f = Fields::new(validate::json_object(request)?, &["return_id", "email"])?;
        let return_id = f.string("return_id", 1, 64)?;
        check_id("return_id", &return_id)?;
        let email = normalise_email("email", &f.string("email", 3, 254)?)?;
        // The id stands in for the order number in the budget: one id cannot be tried more
        // often than one order number.
        self.spend_lookup(&request.client_ip, &return_id).await?;
        let not_found = || ApiError::NotFound("no return request matches that id and email".into());
        let record = cs::find_return(self.db, &return_id)
            .await?
            .ok_or_else(not_found)?;
        let owner = match &record.email {
            Some(e) => Some(e.clone()),
            None => store::find_order(self.db, &record.order_number)
                .await?
                .map(|o| o.email),
        };
        if !owner.is_some_and(|o| o.trim().eq_ignore_ascii_case(&email)) {
            return Err(not_found());
        }
        Ok(ApiResponse::json(
            200,
            &json!({
                "return_id": record.return_id,
                "kind": record.kind,
                "status": record.status,
                "decision_reason": record.decision_reason,
                "updated_at": record.updated_at,
            }),
        ))
    }

    /// `POST /v1/escalations/status`: where the shopper's stylist request is and whether it was
    /// rated, so the widget can ask for a rating once staff resolve it. An unknown id and an
    /// email that does not match answer the same 404, and each try spends the order-lookup budget.
    pub async fn ticket_status(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        super::check_shopper_header(request)?;
        let f = Fields::new(validate::json_object(request)?, &["ticket_id", "email"])?;
        let ticket_id = f.string("ticket_id", 1, 64)?;
        check_id("ticket_id", &ticket_id)?;
        let email = normalise_email("email", &f.string("email", 3, 254)?)?;
        self.spend_lookup(&request.client_ip, &ticket_id).await?;
        let not_found =
            || ApiError::NotFound("no stylist request matches that id and email".into());
        let ticket = store::find_ticket(self.db, &ticket_id)
            .await?
            .filter(|t| t.email.trim().eq_ignore_ascii_case(&email))
            .ok_or_else(not_found)?;
        let rated = cs::ticket_csat(self.db, &ticket_id).await?.is_some();
        Ok(ApiResponse::json(
            200,
            &cs::TicketStatusReply {
                ticket_id: &ticket.ticket_id,
                status: ticket.status,
                updated_at: &ticket.updated_at,
                rated,
            },
        ))
    }

    /// `GET /v1/admin/unanswered`.
    pub(super) async fn unanswered(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let params = validate::query_params(&request.query, &["q", "limit", "cursor"])?;
        let (mut q, mut limit, mut offset) = (None, PAGE, 0);
        for (name, value) in params {
            match name.as_str() {
                "q" => {
                    let chars = value.chars().count();
                    if chars > 200 || value.chars().any(validate::is_forbidden_in_text) {
                        return Err(ApiError::invalid(
                            "q",
                            "`q` must be at most 200 characters of text",
                        ));
                    }
                    q = Some(crate::engine::question_key(&value)).filter(|k| !k.is_empty());
                }
                "limit" => limit = page_limit(&value, MAX_PAGE)?,
                _ => {
                    offset = value
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n <= MAX_OFFSET && value.trim().len() <= 7)
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "cursor",
                                "`cursor` must be a `next_cursor` of a previous page",
                            )
                        })?;
                }
            }
        }
        self.flush_message_log().await?;
        let mut questions = cs::list_unanswered(self.db, q.as_deref(), offset, limit).await?;
        let more = questions.len() > limit as usize;
        questions.truncate(limit as usize);
        let next_cursor = more.then(|| (offset + limit).to_string());
        Ok(ApiResponse::json(
            200,
            &cs::Page::new(questions, cs::PageItems::Questions, next_cursor),
        ))
    }

    /// `GET /v1/admin/unanswered/export`: [`corpus_tsv`] of the most frequent questions.
    pub(super) async fn unanswered_export(
        &self,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        validate::query_params(&request.query, &[])?;
        self.flush_message_log().await?;
        let mut questions = cs::list_unanswered(self.db, None, 0, MAX_EXPORT).await?;
        questions.truncate(MAX_EXPORT as usize);
        let body = corpus_tsv(
            &questions,
            &format_iso(self.clock.now_ms()),
            &self.engine.domain().order_number.example,
        );
        Ok(ApiResponse {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "text/tab-separated-values; charset=utf-8".into(),
                ),
                (
                    "content-disposition".into(),
                    "attachment; filename=\"unanswered.tsv\"".into(),
                ),
            ],
            body,
        })
    }

    /// `GET /v1/admin/csat`: totals, per period and per day (with the score distribution), and
    /// the comments, newest first and paged, over a date range.
    pub(super) async fn csat_report(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let params =
            validate::query_params(&request.query, &["period", "from", "to", "limit", "cursor"])?;
        let get = |n: &str| {
            params
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, v)| v.as_str())
        };
        let weekly = match get("period") {
            None | Some("day") => false,
            Some("week") => true,
            Some(_) => return Err(ApiError::invalid("period", "`period` must be day or week")),
        };
        let limit = get("limit").map_or(Ok(PAGE), |v| page_limit(v, MAX_PAGE))?;
        let after = get("cursor")
            .map(|c| {
                decode_cursor(c.trim())
                    .and_then(|(at, id)| id.parse::<i64>().ok().map(|id| (at, id)))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "cursor",
                            "`cursor` must be a `next_cursor` of a previous page",
                        )
                    })
            })
            .transpose()?;
        let (first, last) = day_range(get("from"), get("to"), self.clock.now_ms())?;
        let range = as_range(first, last);
        let cells = cs::csat_by_day_and_score(self.db, &range).await?;
        let mut distribution = [0i64; 5];
        let mut per_day: BTreeMap<String, [i64; 5]> = BTreeMap::new();
        for (day, score, n) in &cells {
            if (1..=5).contains(score) {
                let i = (*score - 1) as usize;
                distribution[i] += n;
                per_day.entry(day.clone()).or_default()[i] += n;
            }
        }
        let average = |d: &[i64; 5]| {
            let count: i64 = d.iter().sum();
            let total: i64 = d.iter().enumerate().map(|(i, n)| (i as i64 + 1) * n).sum();
            (count > 0).then(|| round2(total as f64 / count as f64))
        };
        // Inserted one by one: collecting into the map (a BTreeMap) sorts first, with a copy of
        // the standard library's stable sort of its own in the wasm.
        let as_map = |d: &[i64; 5]| {
            let mut map = Map::new();
            for (score, n) in (1..=5).zip(d) {
                map.insert(score.to_string(), json!(n));
            }
            map
        };
        let by_day: Vec<Value> = days_of(first, last)
            .into_iter()
            .map(|day| {
                let d = per_day.get(&day).copied().unwrap_or_default();
                json!({"day": day, "count": d.iter().sum::<i64>(), "average": average(&d), "distribution": as_map(&d)})
            })
            .collect();
        let by_period: Vec<Value> = cs::csat_by_period(self.db, &range, weekly)
            .await?
            .into_iter()
            .map(|(period, n, avg)| json!({"period": period, "count": n, "average": round2(avg)}))
            .collect();
        let mut comments = cs::csat_comments(self.db, &range, after, limit).await?;
        let more = comments.len() > limit as usize;
        comments.truncate(limit as usize);
        let next_cursor = comments
            .last()
            .filter(|_| more)
            .map(|c| encode_cursor(&c.at, &c.id.to_string()));
        Ok(ApiResponse::json(
            200,
            &json!({
                "from": iso_day(first),
                "to": iso_day(last),
                "average": average(&distribution),
                "count": distribution.iter().sum::<i64>(),
                "distribution": as_map(&distribution),
                "by_period": by_period,
                "by_day": by_day,
                "comments": comments,
                "next_cursor": next_cursor,
            }),
        ))
    }

    /// `GET /v1/admin/analytics`: the intent mix, unmatched and escalation rates, CSAT average
    /// and returns by reason over a date range, in total and per day (every day present).
    pub(super) async fn analytics(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let params = validate::query_params(&request.query, &["from", "to"])?;
        let get = |n: &str| {
            params
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, v)| v.as_str())
        };
        let (first, last) = day_range(get("from"), get("to"), self.clock.now_ms())?;
        self.flush_message_log().await?;
        let range = as_range(first, last);
        let messages = cs::messages_per_day(self.db, &range).await?;
        let tickets = cs::tickets_per_day(self.db, &range).await?;
        let returns = cs::returns_per_day(self.db, &range).await?;
        let csat = cs::csat_per_day(self.db, &range).await?;

        #[derive(Default)]
        struct Day {
            intents: BTreeMap<String, i64>,
            messages: i64,
            unmatched: i64,
            escalations: i64,
            returns: i64,
            csat_count: i64,
            csat_total: i64,
        }
        // Inserted one by one (collecting into a BTreeMap sorts first, with its own copy of the
        // sort code: engine/sort.rs).
        let mut days: BTreeMap<String, Day> = BTreeMap::new();
        for day in days_of(first, last) {
            days.insert(day, Day::default());
        }
        let mut intents: BTreeMap<String, i64> = BTreeMap::new();
        let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
        for (day, intent, n) in messages {
            let d = days.entry(day).or_default();
            *d.intents.entry(intent.clone()).or_default() += n;
            d.messages += n;
            if intent == UNKNOWN_INTENT {
                d.unmatched += n;
            }
            *intents.entry(intent).or_default() += n;
        }
        for (day, _, n) in tickets {
            days.entry(day).or_default().escalations += n;
        }
        for (day, reason, n) in returns {
            days.entry(day).or_default().returns += n;
            *reasons.entry(reason).or_default() += n;
        }
        for (day, n, total) in csat {
            let d = days.entry(day).or_default();
            d.csat_count += n;
            d.csat_total += total;
        }
        let sum = |f: fn(&Day) -> i64| days.values().map(f).sum::<i64>();
        let (messages, unmatched, escalations, returns) = (
            sum(|d| d.messages),
            sum(|d| d.unmatched),
            sum(|d| d.escalations),
            sum(|d| d.returns),
        );
        let (csat_count, csat_total) = (sum(|d| d.csat_count), sum(|d| d.csat_total));
        let csat_average = (csat_count > 0).then(|| round2(csat_total as f64 / csat_count as f64));
        // The most frequent reasons by name; the rest summed as `other`.
        let mut ranked: Vec<(String, i64)> = reasons.into_iter().collect();
        crate::engine::sort::sort_by(&mut ranked, |a, b| {
            b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
        });
        let mut returns_by_reason = Map::new();
        for (i, (reason, n)) in ranked.into_iter().enumerate() {
            let key = if i < MAX_REASONS {
                reason
            } else {
                "other".into()
            };
            let slot = returns_by_reason.entry(key).or_insert(json!(0));
            *slot = json!(slot.as_i64().unwrap_or(0) + n);
        }
        let per_day: Vec<Value> = days
            .iter()
            .map(|(day, d)| {
                json!({
                    "day": day,
                    "messages": d.messages,
                    "unmatched": d.unmatched,
                    "unmatched_rate": rate(d.unmatched, d.messages),
                    "escalations": d.escalations,
                    "escalation_rate": rate(d.escalations, d.messages),
                    "csat_average": (d.csat_count > 0).then(|| round2(d.csat_total as f64 / d.csat_count as f64)),
                    "returns": d.returns,
                    "intents": d.intents,
                })
            })
            .collect();
        Ok(ApiResponse::json(
            200,
            &json!({
                "from": iso_day(first),
                "to": iso_day(last),
                "intents": intents,
                "messages": messages,
                "unmatched": unmatched,
                "unmatched_rate": rate(unmatched, messages),
                "escalations": escalations,
                "escalation_rate": rate(escalations, messages),
                "returns": returns,
                "csat_average": csat_average,
                "returns_by_reason": returns_by_reason,
                "days": per_day,
            }),
        ))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_to_thirty_days_swap_and_are_capped() {
        let now = parse_iso("2026-11-25T12:00:00Z").unwrap_or_default();
        let day = |s: &str| parse_iso(s).unwrap_or_default();
        assert_eq!(
            day_range(None, None, now).ok(),
            Some((day("2026-10-27"), day("2026-11-25")))
        );
        assert_eq!(
            day_range(Some("2026-11-20"), Some("2026-11-10"), now).ok(),
            Some((day("2026-11-10"), day("2026-11-20")))
        );
        assert_eq!(
            day_range(Some("2020-01-01"), Some("2026-11-25"), now).ok(),
            Some((day("2025-11-25"), day("2026-11-25")))
        );
        assert_eq!(
            day_range(Some("2026-1-01"), None, now).map_err(|e| e.field().map(String::from)),
            Err(Some("from".into()))
        );
    }

    #[test]
    fn the_corpus_export_is_a_file_diff_reads() {
        let q = |text: &str, count| cs::UnansweredQuestion {
            text: text.into(),
            count,
            first_seen: "2026-11-01T00:00:00Z".into(),
            last_seen: "2026-11-02T00:00:00Z".into(),
            intent: "unknown".into(),
            confidence: 0.0,
        };
        let tsv = corpus_tsv(
            &[q("do you sell\tanklets", 3), q("#{order_number} late", 1)],
            "2026-11-25T12:00:00Z",
            "AUR-100123",
        );
        let rows = crate::cli::score::rows(&tsv);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "do you sell anklets");
        assert_eq!(rows[0].label, None);
        assert_eq!(rows[0].source, Some("unanswered"));
        assert_eq!(rows[1].text, " #AUR-100123 late");
    }
}
