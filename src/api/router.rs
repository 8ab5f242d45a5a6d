//! Method + path → [`Route`]. An unknown path is 404, a known path with the wrong method 405
//! (with `Allow`), and `OPTIONS` on a known path is a CORS preflight.

use super::error::ApiError;

/// Every route of the API. `template()` is what metrics record, never the concrete path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Messages,
    Products,
    OrderLookup,
    Returns,
    /// `POST /v1/returns/status`: the shopper checks a request with its id and their email.
    ReturnStatus,
    Escalations,
    /// `POST /v1/escalations/status`: the shopper checks a stylist request with its id and
    /// their email (the widget asks for a rating once it is resolved).
    TicketStatus,
    Csat,
    Flags,
    AdminTickets,
    /// `PATCH /v1/admin/tickets/{id}`.
    AdminTicket(String),
    /// `GET /v1/admin/tickets/{id}`: the ticket, its history and transcript.
    AdminTicketDetail(String),
    /// `GET /v1/admin/me`: who the caller is.
    AdminMe,
    AdminReturns,
    /// `GET /v1/admin/returns/{id}`.
    AdminReturnDetail(String),
    /// `PATCH /v1/admin/returns/{id}`: approve, deny, receive, complete.
    AdminReturn(String),
    AdminUnanswered,
    /// `GET /v1/admin/unanswered/export`: the unanswered questions as a corpus TSV.
    AdminUnansweredExport,
    AdminCsat,
    AdminAnalytics,
    /// `GET /v1/admin/isolate`: this isolate's memory and buffers (admin).
    AdminIsolate,
    /// `OPTIONS` on a known path; carries the methods that path allows.
    Preflight(Vec<&'static str>),
}

/// Route templates in the order the OpenAPI document lists them: (method, path template).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("POST", "/v1/messages"),
    ("GET", "/v1/products"),
    ("POST", "/v1/orders/lookup"),
    ("POST", "/v1/returns"),
    ("POST", "/v1/returns/status"),
    ("POST", "/v1/escalations"),
    ("POST", "/v1/escalations/status"),
    ("POST", "/v1/csat"),
    ("GET", "/v1/flags"),
    ("GET", "/v1/admin/tickets"),
    ("GET", "/v1/admin/tickets/{id}"),
    ("PATCH", "/v1/admin/tickets/{id}"),
    ("GET", "/v1/admin/me"),
    ("GET", "/v1/admin/returns"),
    ("GET", "/v1/admin/returns/{id}"),
    ("PATCH", "/v1/admin/returns/{id}"),
    ("GET", "/v1/admin/unanswered"),
    ("GET", "/v1/admin/unanswered/export"),
    ("GET", "/v1/admin/csat"),
    ("GET", "/v1/admin/analytics"),
    ("GET", "/v1/admin/isolate"),
];

impl Route {
    /// `METHOD /path/{template}` for metrics and logs.
    pub fn template(&self) -> &'static str {
        match self {
            Route::Health => "GET /health",
            Route::Messages => "POST /v1/messages",
            Route::Products => "GET /v1/products",
            Route::OrderLookup => "POST /v1/orders/lookup",
            Route::Returns => "POST /v1/returns",
            Route::ReturnStatus => "POST /v1/returns/status",
            Route::TicketStatus => "POST /v1/escalations/status",
            Route::Escalations => "POST /v1/escalations",
            Route::Csat => "POST /v1/csat",
            Route::Flags => "GET /v1/flags",
            Route::AdminTickets => "GET /v1/admin/tickets",
            Route::AdminTicket(_) => "PATCH /v1/admin/tickets/{id}",
            Route::AdminTicketDetail(_) => "GET /v1/admin/tickets/{id}",
            Route::AdminMe => "GET /v1/admin/me",
            Route::AdminReturns => "GET /v1/admin/returns",
            Route::AdminReturnDetail(_) => "GET /v1/admin/returns/{id}",
            Route::AdminReturn(_) => "PATCH /v1/admin/returns/{id}",
            Route::AdminUnanswered => "GET /v1/admin/unanswered",
            Route::AdminUnansweredExport => "GET /v1/admin/unanswered/export",
            Route::AdminCsat => "GET /v1/admin/csat",
            Route::AdminAnalytics => "GET /v1/admin/analytics",
            Route::AdminIsolate => "GET /v1/admin/isolate",
            Route::Preflight(_) => "OPTIONS *",
        }
    }

    /// Whether the KV kill switch turns this route off (503 `concierge_disabled`). `/v1/flags`
    /// stays on: it is how the widget learns that it must hide.
    pub fn is_shopper(&self) -> bool {
        matches!(
            self,
            Route::Messages
                | Route::Products
                | Route::OrderLookup
                | Route::Returns
                | Route::ReturnStatus
                | Route::Escalations
                | Route::TicketStatus
                | Route::Csat
        )
    }

    /// Whether this route creates something and so honours `Idempotency-Key`.
    pub fn is_creating(&self) -> bool {
        matches!(self, Route::Returns | Route::Escalations | Route::Csat)
    }
}

/// Template used in metrics for requests that matched no route.
pub const UNMATCHED_TEMPLATE: &str = "UNMATCHED";

/// The admin resources addressed by id: `/v1/admin/tickets/{id}`, `/v1/admin/returns/{id}`.
#[derive(Clone, Copy)]
enum ById {
    Ticket,
    Return,
}

/// Resolves a request line to a route.
pub fn route(method: &str, path: &str) -> Result<Route, ApiError> {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let (allowed, by_id): (&[&'static str], Option<(ById, &str)>) = match path {
        "/health"
        | "/v1/products"
        | "/v1/flags"
        | "/v1/admin/tickets"
        | "/v1/admin/me"
        | "/v1/admin/returns"
        | "/v1/admin/unanswered"
        | "/v1/admin/unanswered/export"
        | "/v1/admin/csat"
        | "/v1/admin/analytics"
        | "/v1/admin/isolate" => (&["GET", "HEAD"], None),
        "/v1/messages"
        | "/v1/orders/lookup"
        | "/v1/returns"
        | "/v1/returns/status"
        | "/v1/escalations"
        | "/v1/escalations/status"
        | "/v1/csat" => (&["POST"], None),
        _ => {
            let found = [
                ("/v1/admin/tickets/", ById::Ticket),
                ("/v1/admin/returns/", ById::Return),
            ]
            .into_iter()
            .find_map(|(prefix, kind)| path.strip_prefix(prefix).map(|id| (kind, id)));
            match found {
                Some((kind, id)) if !id.is_empty() && !id.contains('/') => {
                    (&["GET", "HEAD", "PATCH"], Some((kind, id)))
                }
                _ => return Err(ApiError::NotFound(format!("no route for `{path}`"))),
            }
        }
    };
    if method == "OPTIONS" {
        let mut methods = allowed.to_vec();
        methods.push("OPTIONS");
        return Ok(Route::Preflight(methods));
    }
    if !allowed.contains(&method) {
        let mut methods = allowed.to_vec();
        methods.push("OPTIONS");
        return Err(ApiError::MethodNotAllowed { allowed: methods });
    }
    if let Some((kind, id)) = by_id {
        let id = super::validate::percent_decode(id);
        return Ok(match (kind, method == "PATCH") {
            (ById::Ticket, true) => Route::AdminTicket(id),
            (ById::Ticket, false) => Route::AdminTicketDetail(id),
            (ById::Return, true) => Route::AdminReturn(id),
            (ById::Return, false) => Route::AdminReturnDetail(id),
        });
    }
    Ok(match path {
        "/health" => Route::Health,
        "/v1/products" => Route::Products,
        "/v1/flags" => Route::Flags,
        "/v1/admin/tickets" => Route::AdminTickets,
        "/v1/admin/me" => Route::AdminMe,
        "/v1/admin/returns" => Route::AdminReturns,
        "/v1/admin/unanswered" => Route::AdminUnanswered,
        "/v1/admin/unanswered/export" => Route::AdminUnansweredExport,
        "/v1/admin/csat" => Route::AdminCsat,
        "/v1/admin/analytics" => Route::AdminAnalytics,
        "/v1/admin/isolate" => Route::AdminIsolate,
        "/v1/messages" => Route::Messages,
        "/v1/orders/lookup" => Route::OrderLookup,
        "/v1/returns" => Route::Returns,
        "/v1/returns/status" => Route::ReturnStatus,
        "/v1/escalations" => Route::Escalations,
        "/v1/escalations/status" => Route::TicketStatus,
        _ => Route::Csat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_route_resolves_to_its_own_template() {
        for (method, path) in ROUTES {
            let concrete = path.replace("{id}", "TCK-1");
            let resolved =
                route(method, &concrete).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            assert_eq!(resolved.template(), format!("{method} {path}"));
        }
    }

    #[test]
    fn unknown_path_is_404_and_wrong_method_is_405_with_allow() {
        assert_eq!(route("GET", "/v1/nope").unwrap_err().status(), 404);
        assert_eq!(
            route("GET", "/v1/admin/tickets/a/b").unwrap_err().status(),
            404
        );
        let err = route("DELETE", "/v1/messages").unwrap_err();
        assert_eq!(err.status(), 405);
        assert_eq!(err.to_response().header("allow"), Some("POST, OPTIONS"));
        assert_eq!(
            route("DELETE", "/v1/admin/tickets/TCK-1")
                .unwrap_err()
                .status(),
            405
        );
        assert_eq!(
            route("GET", "/v1/admin/tickets/TCK-1").ok(),
            Some(Route::AdminTicketDetail("TCK-1".into()))
        );
        assert_eq!(
            route("PATCH", "/v1/admin/returns/RET-1").ok(),
            Some(Route::AdminReturn("RET-1".into()))
        );
        assert!(matches!(
            route("OPTIONS", "/v1/messages"),
            Ok(Route::Preflight(_))
        ));
        assert_eq!(route("GET", "/health/").ok(), Some(Route::Health));
    }
}
