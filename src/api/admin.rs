//! Support and admin routes (bearer token + role) and `/health`.

use super::auth::{require, Role};
use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse};
use super::platform::{Database, KeyValue};
use super::router::Route;
use super::store;
use super::validate;
use super::Api;
use serde_json::json;

use super::console::TICKET_STATUSES;

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

/// `GET /v1/admin/tickets` parameters: `status`, `email`, `order_number`, `assignee`, `limit`,
/// `cursor`.
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
        &[
            "status",
            "email",
            "order_number",
            "assignee",
            "limit",
            "cursor",
        ],
    )?;
    for (name, value) in params {
        match name.as_str() {
            "status" => {
                validate::param_one_of("status", &value, TICKET_STATUSES)?;
                q.status = Some(value);
            }
            "assignee" => {
                let value = value.trim();
                if value.is_empty()
                    || value.chars().count() > super::console::MAX_ASSIGNEE
                    || value.chars().any(validate::is_forbidden_in_text)
                {
                    return Err(ApiError::invalid(
                        "assignee",
                        "`assignee` must be 1 to 120 characters of text",
                    ));
                }
                q.assignee = Some(value.to_string());
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
        Route::AdminTickets
        | Route::AdminTicket(_)
        | Route::AdminTicketDetail(_)
        | Route::AdminReturns
        | Route::AdminReturnDetail(_)
        | Route::AdminReturn(_) => &[Role::Support, Role::Admin],
        Route::AdminCsat | Route::AdminMe => &[Role::Support, Role::Merchandiser, Role::Admin],
        Route::AdminAnalytics | Route::AdminUnanswered | Route::AdminUnansweredExport => {
            &[Role::Merchandiser, Role::Admin]
        }
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
                    &super::console_store::Page::new(
                        tickets,
                        super::console_store::PageItems::Tickets,
                        next_cursor,
                    ),
                ))
            }
            Route::AdminIsolate => {
                validate::query_params(&request.query, &[])?;
                Ok(ApiResponse::json(200, &self.state.report()))
            }
            Route::AdminMe => self.me(&staff, request),
            Route::AdminTicketDetail(id) => self.get_ticket(id, request).await,
            Route::AdminTicket(id) => self.patch_ticket(id, &staff, request).await,
            Route::AdminReturns => self.list_returns(request).await,
            Route::AdminReturnDetail(id) => self.get_return(id, request).await,
            Route::AdminReturn(id) => self.patch_return(id, &staff, request).await,
            Route::AdminUnanswered => self.unanswered(request).await,
            Route::AdminUnansweredExport => self.unanswered_export(request).await,
            Route::AdminCsat => self.csat_report(request).await,
            _ => self.analytics(request).await,
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
