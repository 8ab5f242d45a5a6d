//! Method + path → [`Route`]. An unknown path is 404, a known path with the wrong method 405
//! (with `Allow`), and `OPTIONS` on a known path is a CORS preflight.

use super::error::ApiError;

/// Every route of the API. `template()` is what metrics record, never the concrete path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Messages,
    Products,
    OrderLookup,
    Returns,
    Escalations,
    Csat,
    Flags,
    AdminTickets,
    AdminTicket(String),
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
    ("GET", "/openapi.json"),
    ("POST", "/v1/messages"),
    ("GET", "/v1/products"),
    ("POST", "/v1/orders/lookup"),
    ("POST", "/v1/returns"),
    ("POST", "/v1/escalations"),
    ("POST", "/v1/csat"),
    ("GET", "/v1/flags"),
    ("GET", "/v1/admin/tickets"),
    ("PATCH", "/v1/admin/tickets/{id}"),
    ("GET", "/v1/admin/csat"),
    ("GET", "/v1/admin/analytics"),
    ("GET", "/v1/admin/isolate"),
];

impl Route {
    /// `METHOD /path/{template}` for metrics and logs.
    pub fn template(&self) -> &'static str {
        match self {
            Route::Health => "GET /health",
            Route::OpenApi => "GET /openapi.json",
            Route::Messages => "POST /v1/messages",
            Route::Products => "GET /v1/products",
            Route::OrderLookup => "POST /v1/orders/lookup",
            Route::Returns => "POST /v1/returns",
            Route::Escalations => "POST /v1/escalations",
            Route::Csat => "POST /v1/csat",
            Route::Flags => "GET /v1/flags",
            Route::AdminTickets => "GET /v1/admin/tickets",
            Route::AdminTicket(_) => "PATCH /v1/admin/tickets/{id}",
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
                | Route::Escalations
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

/// Whether `path` belongs to the API (everything else may be a static asset).
pub fn is_api_path(path: &str) -> bool {
    path == "/health" || path == "/openapi.json" || path == "/v1" || path.starts_with("/v1/")
}

/// Resolves a request line to a route.
pub fn route(method: &str, path: &str) -> Result<Route, ApiError> {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let (allowed, ticket_id): (&[&'static str], Option<&str>) = match path {
        "/health"
        | "/openapi.json"
        | "/v1/products"
        | "/v1/flags"
        | "/v1/admin/tickets"
        | "/v1/admin/csat"
        | "/v1/admin/analytics"
        | "/v1/admin/isolate" => (&["GET", "HEAD"], None),
        "/v1/messages" | "/v1/orders/lookup" | "/v1/returns" | "/v1/escalations" | "/v1/csat" => {
            (&["POST"], None)
        }
        _ => match path.strip_prefix("/v1/admin/tickets/") {
            Some(id) if !id.is_empty() && !id.contains('/') => (&["PATCH"], Some(id)),
            _ => return Err(ApiError::NotFound(format!("no route for `{path}`"))),
        },
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
    Ok(match (path, ticket_id) {
        (_, Some(id)) => Route::AdminTicket(super::validate::percent_decode(id)),
        ("/health", _) => Route::Health,
        ("/openapi.json", _) => Route::OpenApi,
        ("/v1/products", _) => Route::Products,
        ("/v1/flags", _) => Route::Flags,
        ("/v1/admin/tickets", _) => Route::AdminTickets,
        ("/v1/admin/csat", _) => Route::AdminCsat,
        ("/v1/admin/analytics", _) => Route::AdminAnalytics,
        ("/v1/admin/isolate", _) => Route::AdminIsolate,
        ("/v1/messages", _) => Route::Messages,
        ("/v1/orders/lookup", _) => Route::OrderLookup,
        ("/v1/returns", _) => Route::Returns,
        ("/v1/escalations", _) => Route::Escalations,
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
            route("GET", "/v1/admin/tickets/TCK-1")
                .unwrap_err()
                .status(),
            405
        );
        assert!(matches!(
            route("OPTIONS", "/v1/messages"),
            Ok(Route::Preflight(_))
        ));
        assert_eq!(route("GET", "/health/").ok(), Some(Route::Health));
    }
}
