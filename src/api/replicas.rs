//! Where a request's D1 session starts: D1 read replication through the Sessions API.
//!
//! With read replication on, a D1 session may answer its first query from the nearest replica.
//! Every query after that in the session sees at least what the first one saw, and the session's
//! bookmark names that point. The Worker opens one session per request where this module says,
//! answers with the session's bookmark in `X-D1-Bookmark`, and the widget sends the last one back,
//! so a shopper who has just filed a return sees it in the status lookup that follows, even from
//! a replica.
//!
//! - The catalog and the status lookups read only: without a bookmark, any replica will do (the
//!   catalog is cached in KV for minutes anyway, and an order's status a second old is fine).
//! - Creates read before they write (the ticket a CSAT answer names, the order a return names):
//!   without a bookmark they start at the primary.
//! - Staff views, health and everything else start at the primary: few requests, and staff act
//!   on what they see.
//!
//! Without read replication, every session's queries go to the primary and this changes nothing.

use super::error::ApiError;
use super::http::ApiRequest;
use super::router::{self, Route};

/// The response header with the session's bookmark, and the request header that sends it back.
pub const BOOKMARK_HEADER: &str = "x-d1-bookmark";

/// The longest bookmark accepted (D1's are 4 hex groups, about 60 characters).
const MAX_BOOKMARK_LEN: usize = 256;

/// Where a request's D1 session starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStart<'a> {
    /// The first query goes to the primary.
    Primary,
    /// Any replica may answer the first query.
    Unconstrained,
    /// A replica at least as new as this bookmark (from the client's last answer).
    Bookmark(&'a str),
}

impl SessionStart<'_> {
    /// The argument of the binding's `withSession`.
    pub fn as_str(&self) -> &str {
        match self {
            SessionStart::Primary => "first-primary",
            SessionStart::Unconstrained => "first-unconstrained",
            SessionStart::Bookmark(bookmark) => bookmark,
        }
    }
}

/// Where `request`'s session starts (see the module docs). A malformed bookmark is not used;
/// [`check_bookmark_header`] answers it with a 422.
pub fn session_start(request: &ApiRequest) -> SessionStart<'_> {
    let method = if request.method == "HEAD" {
        "GET"
    } else {
        request.method.as_str()
    };
    let bookmark = request
        .d1_bookmark
        .as_deref()
        .filter(|b| is_bookmark(b))
        .map(SessionStart::Bookmark);
    match router::route(method, &request.path) {
        Ok(
            Route::Messages
            | Route::Products
            | Route::OrderLookup
            | Route::ReturnStatus
            | Route::TicketStatus,
        ) => bookmark.unwrap_or(SessionStart::Unconstrained),
        Ok(Route::Returns | Route::Escalations | Route::Csat) => {
            bookmark.unwrap_or(SessionStart::Primary)
        }
        _ => SessionStart::Primary,
    }
}

/// 422 `invalid_field` at `X-D1-Bookmark` when the header is not a bookmark's shape: 1 to 256
/// letters, digits, `-`, `_`, `.` or `:`.
pub(crate) fn check_bookmark_header(request: &ApiRequest) -> Result<(), ApiError> {
    match request.d1_bookmark.as_deref() {
        Some(bookmark) if !is_bookmark(bookmark) => Err(ApiError::invalid(
            "X-D1-Bookmark",
            format!(
                "`X-D1-Bookmark` must be the `X-D1-Bookmark` of an earlier answer (1 to {MAX_BOOKMARK_LEN} letters, digits, `-`, `_`, `.` or `:`)"
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether `value` has a bookmark's shape (also checked before one goes out as a header).
pub fn is_bookmark(value: &str) -> bool {
    (1..=MAX_BOOKMARK_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOKMARK: &str = "0000002a-00000003-00004f9d-5b1ae2a7c4f4d1d6a4d7e6b3f09d3c11";

    fn request(method: &str, path: &str, bookmark: Option<&str>) -> ApiRequest {
        let mut request = ApiRequest::new(method, path);
        request.d1_bookmark = bookmark.map(str::to_string);
        request
    }

    #[test]
    fn reads_start_anywhere_creates_and_staff_at_the_primary() {
        for (method, path) in [
            ("POST", "/v1/messages"),
            ("GET", "/v1/products"),
            ("HEAD", "/v1/products"),
            ("POST", "/v1/orders/lookup"),
            ("POST", "/v1/returns/status"),
            ("POST", "/v1/escalations/status"),
        ] {
            let r = request(method, path, None);
            assert_eq!(session_start(&r), SessionStart::Unconstrained, "{path}");
            assert_eq!(session_start(&r).as_str(), "first-unconstrained");
        }
        for (method, path) in [
            ("POST", "/v1/returns"),
            ("POST", "/v1/escalations"),
            ("POST", "/v1/csat"),
            ("GET", "/v1/admin/tickets"),
            ("PATCH", "/v1/admin/returns/RT-1"),
            ("GET", "/health"),
            ("GET", "/v1/flags"),
            ("GET", "/nowhere"),
            ("DELETE", "/v1/products"),
        ] {
            let r = request(method, path, None);
            assert_eq!(session_start(&r), SessionStart::Primary, "{method} {path}");
            assert_eq!(session_start(&r).as_str(), "first-primary");
        }
    }

    #[test]
    fn a_bookmark_anchors_shopper_reads_and_creates_but_not_staff() {
        for (method, path) in [
            ("POST", "/v1/returns/status"),
            ("GET", "/v1/products"),
            ("POST", "/v1/csat"),
        ] {
            let r = request(method, path, Some(BOOKMARK));
            assert_eq!(
                session_start(&r),
                SessionStart::Bookmark(BOOKMARK),
                "{path}"
            );
            assert_eq!(session_start(&r).as_str(), BOOKMARK);
        }
        let staff = request("GET", "/v1/admin/tickets", Some(BOOKMARK));
        assert_eq!(session_start(&staff), SessionStart::Primary);
    }

    #[test]
    fn a_malformed_bookmark_is_never_used_and_answers_422_at_the_header() {
        let long = "a".repeat(MAX_BOOKMARK_LEN + 1);
        for bad in ["", "first primary", "x\"y", "🙂", long.as_str()] {
            let r = request("POST", "/v1/returns/status", Some(bad));
            assert_eq!(session_start(&r), SessionStart::Unconstrained, "{bad:?}");
            let error = check_bookmark_header(&r).unwrap_err();
            assert_eq!(error.status(), 422);
            let body: serde_json::Value = serde_json::from_str(&error.to_response().body).unwrap();
            assert_eq!(body["error"]["code"], "invalid_field");
            assert_eq!(body["error"]["field"], "X-D1-Bookmark");
        }
        let max = "a".repeat(MAX_BOOKMARK_LEN);
        for good in [BOOKMARK, "first-primary", max.as_str()] {
            let r = request("POST", "/v1/returns/status", Some(good));
            assert!(check_bookmark_header(&r).is_ok(), "{good}");
        }
        assert!(check_bookmark_header(&request("GET", "/v1/products", None)).is_ok());
    }
}
