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
    /// `X-D1-Bookmark`: the D1 bookmark of the client's last answer, so its reads see its writes
    /// (see `replicas`).
    pub d1_bookmark: Option<String>,
    /// `CF-Connecting-IP`, or `unknown`.
    pub client_ip: String,
    /// The Worker's own origin (`scheme://host[:port]`), always allowed by CORS.
    pub own_origin: Option<String>,
    /// Cloudflare colo that served the request (empty locally).
    pub colo: String,
    pub body: Body,
}

/// The origin, path and query of a request URL as the runtime serialises it (WHATWG: scheme and
/// host already normalised, the path percent-encoded, `?` and `#` never inside the path), split
/// without parsing it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// `scheme://host[:port]`.
    pub origin: &'a str,
    /// Starts with `/`.
    pub path: &'a str,
    /// Without the `?`; empty when there is none.
    pub query: &'a str,
}

impl<'a> UrlParts<'a> {
    pub fn of(url: &'a str) -> UrlParts<'a> {
        let url = url.split_once('#').map_or(url, |(before, _)| before);
        let host_start = url.find("://").map_or(0, |i| i + 3);
        let (origin, rest) = match url[host_start..].find(['/', '?']) {
            Some(i) => url.split_at(host_start + i),
            None => (url, ""),
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        UrlParts {
            origin,
            path: if path.is_empty() { "/" } else { path },
            query,
        }
    }
}

/// The colo (data centre code) at the end of a `CF-Ray` header (`8f1b2c3d4e5f6789-AMS`), or `""`
/// without one. Read from the header rather than `request.cf.colo` because the runtime builds the
/// whole `cf` object on first access, a cost every request would pay for one field.
pub fn colo_of_ray(ray: Option<&str>) -> &str {
    ray.and_then(|ray| ray.trim().rsplit_once('-'))
        .map(|(_, colo)| colo)
        .filter(|colo| {
            (3..=4).contains(&colo.len()) && colo.bytes().all(|b| b.is_ascii_uppercase())
        })
        .unwrap_or("")
}

/// The request headers the API reads, in the order the Worker's glue (`src/worker/glue.js`,
/// `requestHead`) writes them after the method and URL.
pub const HEAD_HEADERS: [&str; 10] = [
    "content-length",
    "content-type",
    "authorization",
    "idempotency-key",
    "origin",
    "cf-connecting-ip",
    "x-shopper-id",
    "cf-access-jwt-assertion",
    "cf-ray",
    "x-d1-bookmark",
];

/// A request's method, URL and [`HEAD_HEADERS`] as the glue hands them over in one string:
/// `"\n"`-separated (no method, URL or header value holds a newline), an absent header as
/// `"\0"`. One string crosses from JavaScript instead of one per header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead<'a> {
    pub method: &'a str,
    pub url: &'a str,
    /// In [`HEAD_HEADERS`] order.
    pub headers: [Option<&'a str>; HEAD_HEADERS.len()],
}

impl<'a> RequestHead<'a> {
    /// `None` unless `text` has exactly the method, the URL and one field per header.
    pub fn parse(text: &'a str) -> Option<RequestHead<'a>> {
        let mut fields = text.split('\n');
        let method = fields.next()?;
        let url = fields.next()?;
        let mut headers = [None; HEAD_HEADERS.len()];
        for slot in &mut headers {
            let field = fields.next()?;
            *slot = (field != "\0").then_some(field);
        }
        fields.next().is_none().then_some(RequestHead {
            method,
            url,
            headers,
        })
    }

    /// The value of `name` (one of [`HEAD_HEADERS`]), if the request has it.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        HEAD_HEADERS
            .iter()
            .position(|h| *h == name)
            .and_then(|i| self.headers[i])
    }
}

/// Response headers as `name:value` lines for the glue's `respond`; `None` if a name or value
/// holds a newline or a name a colon (the runtime would refuse such a header anyway).
pub fn header_lines(headers: &[(String, String)]) -> Option<String> {
    let mut out = String::with_capacity(headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in headers {
        if name.contains(['\n', ':']) || value.contains('\n') {
            return None;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(name);
        out.push(':');
        out.push_str(value);
    }
    Some(out)
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
            d1_bookmark: None,
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

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn a_request_url_splits_into_origin_path_and_query() {
        let parts = UrlParts::of("https://shop.example/v1/products?category=rings&max=500");
        assert_eq!(parts.origin, "https://shop.example");
        assert_eq!(parts.path, "/v1/products");
        assert_eq!(parts.query, "category=rings&max=500");
        let parts = UrlParts::of("http://127.0.0.1:8787/health");
        assert_eq!(
            (parts.origin, parts.path, parts.query),
            ("http://127.0.0.1:8787", "/health", "")
        );
        // An empty query, a fragment, a bare origin and an encoded `?` in the path.
        assert_eq!(UrlParts::of("http://a.test/v1/flags?").query, "");
        assert_eq!(UrlParts::of("http://a.test/x?q=1#frag").query, "q=1");
        assert_eq!(UrlParts::of("http://a.test").path, "/");
        assert_eq!(UrlParts::of("http://a.test?q=1").query, "q=1");
        assert_eq!(UrlParts::of("http://a.test/a%3Fb?c").path, "/a%3Fb");
    }

    #[test]
    fn the_colo_comes_from_the_end_of_the_ray_id() {
        assert_eq!(colo_of_ray(Some("8f1b2c3d4e5f6789-AMS")), "AMS");
        assert_eq!(colo_of_ray(Some("8f1b2c3d4e5f6789-SJC ")), "SJC");
        for junk in [
            None,
            Some(""),
            Some("8f1b2c3d4e5f6789"),
            Some("x-ams"),
            Some("x-A"),
            Some("x-ABCDEFG"),
            Some("x-<b>"),
        ] {
            assert_eq!(colo_of_ray(junk), "", "{junk:?}");
        }
    }

    #[test]
    fn the_request_head_reads_back_what_the_glue_joins() {
        let text = "POST\nhttp://a.test/v1/messages?x=1\n17\napplication/json\n\0\n\0\nhttps://shop.example\n203.0.113.9\n\n\0\n8f1b2c3d4e5f6789-AMS\n00000001-00000002";
        let head = RequestHead::parse(text).expect("a whole head");
        assert_eq!(
            (head.method, head.url),
            ("POST", "http://a.test/v1/messages?x=1")
        );
        assert_eq!(head.header("content-length"), Some("17"));
        assert_eq!(head.header("authorization"), None);
        // An empty header is there, just empty; "\0" is absent.
        assert_eq!(head.header("x-shopper-id"), Some(""));
        assert_eq!(head.header("cf-access-jwt-assertion"), None);
        assert_eq!(head.header("cf-ray"), Some("8f1b2c3d4e5f6789-AMS"));
        assert_eq!(head.header("x-d1-bookmark"), Some("00000001-00000002"));
        assert_eq!(head.header("not-read"), None);
        // A field short or one too many is not a head.
        assert_eq!(RequestHead::parse("GET\nhttp://a.test/"), None);
        assert_eq!(RequestHead::parse(&format!("{text}\nextra")), None);
    }

    #[test]
    fn the_glue_writes_the_headers_in_the_order_the_head_reads_them() {
        let glue = include_str!("../worker/glue.js");
        let list = glue
            .split_once("const HEAD = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .expect("glue.js declares `const HEAD = [...];`")
            .0;
        let names: Vec<&str> = list
            .split(',')
            .map(|n| n.trim().trim_matches('\''))
            .filter(|n| !n.is_empty())
            .collect();
        assert_eq!(names, HEAD_HEADERS);
    }

    #[test]
    fn response_headers_cross_as_lines_unless_one_holds_a_newline() {
        let headers = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            header_lines(&headers(&[
                ("content-type", "application/json"),
                ("access-control-allow-origin", "https://shop.example:8443"),
            ]))
            .as_deref(),
            Some("content-type:application/json\naccess-control-allow-origin:https://shop.example:8443")
        );
        assert_eq!(header_lines(&[]).as_deref(), Some(""));
        assert_eq!(header_lines(&headers(&[("x-a", "one\ntwo")])), None);
        assert_eq!(header_lines(&headers(&[("x:a", "one")])), None);
    }
}
