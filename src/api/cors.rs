//! CORS for the widget: origins listed in the rollout rules (plus the Worker's own origin) are
//! echoed back; preflights answer 204 with the allowed methods and headers.

use super::http::ApiResponse;

/// Headers a widget may send.
/// `cloudflare-workers-version-key` is the widget's version affinity during gradual deployments;
/// `x-shopper-id` its shopper, for per-feature rollout; `x-d1-bookmark` the D1 bookmark of its last
/// answer (see `replicas`).
pub const ALLOWED_HEADERS: &str =
    "content-type, idempotency-key, authorization, cloudflare-workers-version-key, x-shopper-id, x-d1-bookmark";

/// The origin to echo in `Access-Control-Allow-Origin`, if `origin` is allowed.
pub fn allowed_origin<'a>(
    origin: Option<&'a str>,
    allowed: &[String],
    own_origin: Option<&str>,
) -> Option<&'a str> {
    let origin = origin?;
    let listed = allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    (listed || own_origin.is_some_and(|own| own.eq_ignore_ascii_case(origin))).then_some(origin)
}

/// Adds the CORS response headers for an allowed origin.
pub fn decorate(response: &mut ApiResponse, origin: Option<&str>) {
    if let Some(origin) = origin {
        response.set_header("access-control-allow-origin", origin);
        response.set_header("vary", "Origin");
        response.set_header(
            "access-control-expose-headers",
            "x-rules-version, retry-after, idempotent-replayed, x-d1-bookmark",
        );
    }
}

/// The 204 answer to a preflight for a path that allows `methods`.
pub fn preflight(methods: &[&str], origin: Option<&str>) -> ApiResponse {
    let mut response = ApiResponse::empty(204);
    response.set_header("allow", &methods.join(", "));
    if origin.is_some() {
        response.set_header("access-control-allow-methods", &methods.join(", "));
        response.set_header("access-control-allow-headers", ALLOWED_HEADERS);
        response.set_header("access-control-max-age", "600");
    }
    decorate(&mut response, origin);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_or_own_origins_are_echoed() {
        let allowed = vec!["https://shop.example".to_string()];
        assert_eq!(
            allowed_origin(Some("https://shop.example"), &allowed, None),
            Some("https://shop.example")
        );
        assert_eq!(
            allowed_origin(Some("https://evil.example"), &allowed, None),
            None
        );
        assert_eq!(
            allowed_origin(
                Some("http://127.0.0.1:8787"),
                &allowed,
                Some("http://127.0.0.1:8787")
            ),
            Some("http://127.0.0.1:8787")
        );
        assert_eq!(allowed_origin(None, &allowed, None), None);
    }

    #[test]
    fn preflight_lists_methods_and_headers_for_allowed_origins_only() {
        let ok = preflight(&["POST", "OPTIONS"], Some("https://shop.example"));
        assert_eq!(ok.status, 204);
        assert_eq!(
            ok.header("access-control-allow-headers"),
            Some(ALLOWED_HEADERS)
        );
        let denied = preflight(&["POST", "OPTIONS"], None);
        assert_eq!(denied.header("access-control-allow-origin"), None);
    }
}
