//! Platform-free request and response values: the Worker converts `worker::Request` into an
//! [`ApiRequest`] and an [`ApiResponse`] back into a `worker::Response`.

use serde::Serialize;

/// Largest accepted request body (16 KiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The request body as the Worker read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Bytes(Vec<u8>),
    /// `Content-Length` (or the bytes read) exceeded [`MAX_BODY_BYTES`]; the body was not kept.
    TooLarge,
}

/// The parts of an HTTP request the API looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// `Cf-Access-Jwt-Assertion`: the staff member's Cloudflare Access token (see `auth`).
    pub access_jwt: Option<String>,
    pub idempotency_key: Option<String>,
    /// `X-Shopper-Id`: who the widget's shopper is, for per-feature rollout decisions.
    pub shopper_id: Option<String>,
    pub origin: Option<String>,
    /// `CF-Connecting-IP`, or `unknown`.
    pub client_ip: String,
    /// The Worker's own origin (`scheme://host[:port]`), always allowed by CORS.
    pub own_origin: Option<String>,
    /// Cloudflare colo that served the request (empty locally).
    pub colo: String,
    pub body: Body,
}

impl ApiRequest {
    /// A request with no headers and an empty body; handy in tests.
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        ApiRequest {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            content_type: None,
            authorization: None,
            access_jwt: None,
            idempotency_key: None,
            shopper_id: None,
            origin: None,
            client_ip: "unknown".to_string(),
            own_origin: None,
            colo: String::new(),
            body: Body::Bytes(Vec::new()),
        }
    }

    /// Sets a JSON body and its content type.
    pub fn with_json(mut self, body: &str) -> Self {
        self.content_type = Some("application/json".to_string());
        self.body = Body::Bytes(body.as_bytes().to_vec());
        self
    }
}

/// A response: status, headers (lower-case names) and a body (JSON unless a handler says otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        let body = serde_json::to_string(value).unwrap_or_else(|_| {
            r#"{"error":{"code":"internal","message":"internal error","field":null}}"#.into()
        });
        ApiResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    /// A response without a body (e.g. a 204 preflight).
    pub fn empty(status: u16) -> Self {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// Sets (replaces) a header.
    pub fn set_header(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.to_string()));
    }

    /// The value of a header, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}
