//! Support and admin routes (bearer token + role) and `/health`.

use super::auth::{require, Role};
use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse};
use super::platform::{Database, KeyValue};
use super::router::Route;
use super::store;
use super::time::format_iso;
use super::validate::{self, Fields};
use super::Api;
use serde_json::{json, Map, Value};

const TICKET_STATUSES: &[&str] = &["open", "pending", "closed"];

/// Tickets per page when the request names no `limit`, and the most it may name.
pub const TICKET_PAGE: u32 = 50;
pub const MAX_TICKET_PAGE: u32 = 200;

/// The `cursor` of the next page: `{created_at}~{ticket_id}` of the page's last ticket.
pub fn encode_cursor(created_at: &str, ticket_id: &str) -> String {
    format!("{created_at}~{ticket_id}")
}

/// The inverse of [`encode_cursor`]: a `YYYY-MM-DDTHH:MM:SSZ` shaped time (compared as text,
/// so any such string is a usable position) and a ticket id; `None` for anything else.
pub fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    let (at, id) = cursor.split_once('~')?;
    let shape = b"0000-00-00T00:00:00Z";
    let at_ok = at.len() == shape.len()
        && at.bytes().zip(shape.iter()).all(|(b, s)| match s {
            b'0' => b.is_ascii_digit(),
            other => b == *other,
        });
    (at_ok && validate::check_id("cursor", id).is_ok()).then(|| (at.to_string(), id.to_string()))
}

/// `GET /v1/admin/tickets` parameters: `status`, `email`, `order_number`, `limit`, `cursor`.
fn ticket_query(
    query: &str,
    domain: &crate::engine::Domain,
) -> Result<store::TicketQuery, ApiError> {
    let mut q = store::TicketQuery {
        limit: TICKET_PAGE,
        ..store::TicketQuery::default()
    };
    let params = validate::query_params(
        query,
        &["status", "email", "order_number", "limit", "cursor"],
    )?;
    for (name, value) in params {
        match name.as_str() {
            "status" => {
                if !TICKET_STATUSES.contains(&value.as_str()) {
                    return Err(ApiError::invalid(
                        "status",
                        "`status` must be one of open, pending, closed",
                    ));
                }
                q.status = Some(value);
            }
            "email" => q.email = Some(validate::normalise_email("email", &value)?),
            "order_number" => {
                validate::check_order_number("order_number", value.trim(), domain)?;
                q.order_number = Some(value.trim().to_string());
            }
            "limit" => {
                q.limit = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_TICKET_PAGE).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "limit",
                            format!("`limit` must be a whole number from 1 to {MAX_TICKET_PAGE}"),
                        )
                    })?;
            }
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
    Ok(q)
}

/// Roles allowed on each admin route.
pub fn allowed_roles(route: &Route) -> &'static [Role] {
    match route {
        Route::AdminTickets | Route::AdminTicket(_) => &[Role::Support, Role::Admin],
        Route::AdminCsat => &[Role::Support, Role::Merchandiser, Role::Admin],
        Route::AdminAnalytics => &[Role::Merchandiser, Role::Admin],
        _ => &[Role::Admin],
    }
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Authenticates, checks the role, then runs the admin route.
    pub async fn admin(
        &self,
        route: &Route,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        let staff = self.staff(request).await?;
        require(staff.role, allowed_roles(route))?;
        match route {
            Route::AdminTickets => {
                let query = ticket_query(&request.query, self.engine.domain())?;
                let mut tickets = store::list_tickets(self.db, &query).await?;
                let more = tickets.len() > query.limit as usize;
                tickets.truncate(query.limit as usize);
                let next_cursor = tickets
                    .last()
                    .filter(|_| more)
                    .map(|t| encode_cursor(&t.created_at, &t.ticket_id));
                Ok(ApiResponse::json(
                    200,
                    &json!({"tickets": tickets, "count": tickets.len(), "next_cursor": next_cursor}),
                ))
            }
            Route::AdminIsolate => {
                validate::query_params(&request.query, &[])?;
                Ok(ApiResponse::json(200, &self.state.report()))
            }
            Route::AdminTicket(id) => {
                validate::check_id("id", id)?;
                let f = Fields::new(validate::json_object(request)?, &["status", "note"])?;
                let status = f.one_of("status", TICKET_STATUSES)?;
                let note = f.opt_string("note", 0, 2000)?;
                let now = format_iso(self.clock.now_ms());
                if !store::update_ticket(self.db, id, &status, note.as_deref(), &now).await? {
                    return Err(ApiError::NotFound(format!("no ticket `{id}`")));
                }
                let ticket = store::find_ticket(self.db, id)
                    .await?
                    .ok_or_else(|| ApiError::NotFound(format!("no ticket `{id}`")))?;
                Ok(ApiResponse::json(200, &ticket))
            }
            Route::AdminCsat => {
                let params = validate::query_params(&request.query, &["period"])?;
                let weekly = match params.first().map(|(_, v)| v.as_str()) {
                    None | Some("day") | Some("") => false,
                    Some("week") => true,
                    Some(_) => {
                        return Err(ApiError::invalid("period", "`period` must be day or week"))
                    }
                };
                let distribution = store::csat_distribution(self.db).await?;
                let count: i64 = distribution.iter().sum();
                let total: i64 = distribution
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as i64 + 1) * n)
                    .sum();
                let average =
                    (count > 0).then(|| (total as f64 / count as f64 * 100.0).round() / 100.0);
                let by_period: Vec<Value> = store::csat_by_period(self.db, weekly)
                    .await?
                    .into_iter()
                    .map(|(period, n, avg)| json!({"period": period, "count": n, "average": (avg * 100.0).round() / 100.0}))
                    .collect();
                let distribution: Map<String, Value> = (1..=5)
                    .map(|s| (s.to_string(), json!(distribution[s - 1])))
                    .collect();
                Ok(ApiResponse::json(
                    200,
                    &json!({"average": average, "count": count, "distribution": distribution, "by_period": by_period}),
                ))
            }
            _ => {
                validate::query_params(&request.query, &[])?;
                self.flush_message_log().await?;
                let intents = store::intent_counts(self.db).await?;
                let messages: i64 = intents.iter().map(|(_, n)| n).sum();
                let unmatched = intents
                    .iter()
                    .find(|(i, _)| i == crate::engine::UNKNOWN_INTENT)
                    .map_or(0, |(_, n)| *n);
                let unmatched_rate = if messages > 0 {
                    unmatched as f64 / messages as f64
                } else {
                    0.0
                };
                let intents: Map<String, Value> =
                    intents.into_iter().map(|(i, n)| (i, json!(n))).collect();
                Ok(ApiResponse::json(
                    200,
                    &json!({
                        "intents": intents,
                        "messages": messages,
                        "unmatched_rate": (unmatched_rate * 10_000.0).round() / 10_000.0,
                        "escalations": store::count_rows(self.db, "tickets").await?,
                        "returns": store::count_rows(self.db, "return_requests").await?,
                    }),
                ))
            }
        }
    }

    /// `GET /health`: rules identity and a live check of D1 and KV.
    pub async fn health(&self) -> Result<ApiResponse, ApiError> {
        // Independent round trips, in flight together.
        let (d1, kv) =
            futures_util::future::join(store::ping(self.db), self.kv.get("ops:health")).await;
        let (d1, kv) = (d1.is_ok(), kv.is_ok());
        let status = if d1 && kv { "ok" } else { "degraded" };
        Ok(ApiResponse::json(
            if d1 && kv { 200 } else { 503 },
            &json!({
                "status": status,
                "rules_version": self.engine.rules_version(),
                "rules_hash": self.engine.content_hash(),
                "worker_version": self.config.worker_version,
                "bindings": {
                    "d1": if d1 { "ok" } else { "error" },
                    "kv": if kv { "ok" } else { "error" },
                    "analytics": if self.config.analytics_bound { "ok" } else { "missing" },
                },
            }),
        ))
    }
}
