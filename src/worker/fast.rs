//! The three calls every request makes into the runtime, through `glue.js`: reading the
//! request's head, building the response and writing the Analytics Engine data point.
//!
//! Through web-sys each header read, header set, blob and setter is its own crossing between
//! wasm and JavaScript, with a string decoded or encoded each time; here each is one call with
//! one joined string. (The inspector's profiler put half of `GET /v1/flags` in those crossings,
//! but it runs wasm in V8's baseline tier; measured with wrk, the change is a few per cent:
//! `ONLY=perf scripts/bench` shows where a request's time goes.)

use crate::api::http::{header_lines, ApiResponse};
use crate::metrics::DataPoint;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/worker/glue.js")]
extern "C" {
    /// Method, URL and [`crate::api::http::HEAD_HEADERS`], read by [`crate::api::http::RequestHead`].
    #[wasm_bindgen(js_name = requestHead)]
    pub fn request_head(request: &web_sys::Request) -> String;

    #[wasm_bindgen(catch)]
    fn respond(status: u16, head: &str, body: &[u8]) -> Result<web_sys::Response, JsValue>;

    #[wasm_bindgen(js_name = writePoint, catch)]
    fn write_point(
        env: &worker::Env,
        binding: &str,
        index: &str,
        blobs: &str,
        double1: f64,
        double2: f64,
        double3: f64,
    ) -> Result<bool, JsValue>;
}

/// The runtime's `Response` for an API answer (the runtime copies the body).
pub fn response(api: &ApiResponse) -> worker::Result<web_sys::Response> {
    let head = header_lines(&api.headers)
        .ok_or_else(|| worker::Error::RustError("a response header holds a newline".into()))?;
    Ok(respond(api.status, &head, api.body.as_bytes())?)
}

/// Writes `point` to the Analytics Engine dataset bound as `binding`; `Ok(false)` when the
/// Worker has no such binding.
pub fn data_point(env: &worker::Env, binding: &str, point: &DataPoint) -> worker::Result<bool> {
    let [index] = point.indexes();
    let mut blobs = String::with_capacity(128);
    for (i, blob) in point.blobs().iter().enumerate() {
        if i > 0 {
            blobs.push('\n');
        }
        // Blobs are ids, codes and tokens; a newline would split one in two.
        blobs.extend(blob.chars().map(|c| if c == '\n' { ' ' } else { c }));
    }
    let [double1, double2, double3] = point.doubles();
    Ok(write_point(
        env, binding, &index, &blobs, double1, double2, double3,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::http::Body;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Runs `body` as a JavaScript function (the test runner's runtime) and returns its value.
    fn js(body: &str) -> JsValue {
        js_sys::Function::new_no_args(body)
            .call0(&JsValue::NULL)
            .expect("the snippet runs")
    }

    #[wasm_bindgen_test]
    async fn the_request_is_read_in_one_crossing_as_the_api_sees_it() {
        let request: web_sys::Request = js(r#"return new Request("http://a.test:8787/v1/messages?x=1", {
            method: "POST",
            headers: {
              "Content-Type": "application/json", "Origin": "https://shop.example",
              "CF-Connecting-IP": "203.0.113.9", "X-Shopper-Id": "", "CF-Ray": "8f1b2c3d4e5f6789-AMS",
              "Idempotency-Key": "k-1", "Authorization": "Bearer t", "X-D1-Bookmark": "0000002a-00000003",
            },
            body: '{"text":"hi"}',
          });"#)
        .unchecked_into();
        let read = crate::worker::to_api_request(&request).await.expect("read");
        assert_eq!(
            (
                read.method.as_str(),
                read.path.as_str(),
                read.query.as_str()
            ),
            ("POST", "/v1/messages", "x=1")
        );
        assert_eq!(read.own_origin.as_deref(), Some("http://a.test:8787"));
        assert_eq!(read.content_type.as_deref(), Some("application/json"));
        assert_eq!(read.origin.as_deref(), Some("https://shop.example"));
        assert_eq!(read.authorization.as_deref(), Some("Bearer t"));
        assert_eq!(read.idempotency_key.as_deref(), Some("k-1"));
        assert_eq!(read.shopper_id.as_deref(), Some(""));
        assert_eq!(read.access_jwt, None);
        assert_eq!(read.d1_bookmark.as_deref(), Some("0000002a-00000003"));
        assert_eq!(
            (read.client_ip.as_str(), read.colo.as_str()),
            ("203.0.113.9", "AMS")
        );
        assert!(matches!(&read.body, Body::Bytes(b) if b == br#"{"text":"hi"}"#));

        // No headers at all: every optional one absent, the IP `unknown`.
        let bare: web_sys::Request =
            js(r#"return new Request("http://a.test/health", { method: "QUERY" });"#)
                .unchecked_into();
        let read = crate::worker::to_api_request(&bare).await.expect("read");
        assert_eq!(
            (read.method.as_str(), read.path.as_str()),
            ("QUERY", "/health")
        );
        assert_eq!(
            (
                read.content_type,
                read.origin,
                read.client_ip.as_str(),
                read.colo.as_str()
            ),
            (None, None, "unknown", "")
        );
    }

    #[wasm_bindgen_test]
    async fn the_response_carries_status_headers_and_body() {
        let api = ApiResponse {
            status: 201,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "access-control-allow-origin".into(),
                    "https://shop.example:8443".into(),
                ),
                ("x-rules-version".into(), "2026.12.1".into()),
            ],
            body: r#"{"ok":"naïve ✓"}"#.into(),
        };
        let res = response(&api).expect("a response");
        assert_eq!(res.status(), 201);
        let headers = res.headers();
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .unwrap()
                .as_deref(),
            Some("https://shop.example:8443")
        );
        assert_eq!(
            headers.get("x-rules-version").unwrap().as_deref(),
            Some("2026.12.1")
        );
        let text = wasm_bindgen_futures::JsFuture::from(res.text().unwrap())
            .await
            .unwrap();
        assert_eq!(text.as_string().as_deref(), Some(r#"{"ok":"naïve ✓"}"#));

        // An empty body is no body (a 204 may not have one); a newline in a value is an error.
        let empty = response(&ApiResponse {
            status: 204,
            headers: vec![],
            body: String::new(),
        });
        assert!(empty.expect("a 204").body().is_none());
        let bad = ApiResponse {
            status: 200,
            headers: vec![("x-a".into(), "one\ntwo".into())],
            body: String::new(),
        };
        assert!(response(&bad).is_err());
    }

    #[wasm_bindgen_test]
    fn the_data_point_reaches_the_dataset_whole() {
        let env = js(
            "const seen = []; return { seen, ANALYTICS: { writeDataPoint: (p) => seen.push(p) } };",
        );
        let point = DataPoint {
            route: "POST /v1/messages".into(),
            method: "POST".into(),
            status: 200,
            intent: "order_tracking".into(),
            rules_version: "2026.12.1".into(),
            cohort: "enabled".into(),
            colo: "AMS".into(),
            worker_version: String::new(),
            error_code: "odd\ncode".into(),
            latency_ms: 3.0,
            confidence: 0.75,
        };
        let env_ref: &worker::Env = env.unchecked_ref();
        assert!(data_point(env_ref, "ANALYTICS", &point).unwrap());
        let seen = js_sys::Reflect::get(&env, &"seen".into()).unwrap();
        let written = js_sys::Reflect::get(&seen, &0.into()).unwrap();
        let field = |name: &str| {
            js_sys::Array::from(&js_sys::Reflect::get(&written, &name.into()).unwrap())
        };
        let strings =
            |a: js_sys::Array| a.iter().map(|v| v.as_string().unwrap()).collect::<Vec<_>>();
        assert_eq!(strings(field("indexes")), ["POST /v1/messages"]);
        let blobs = strings(field("blobs"));
        assert_eq!(blobs.len(), 9);
        assert_eq!(
            blobs.iter().map(String::as_str).collect::<Vec<_>>(),
            point
                .blobs()
                .iter()
                .map(|b| b.replace('\n', " "))
                .collect::<Vec<_>>()
        );
        let doubles: Vec<f64> = field("doubles")
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(doubles, point.doubles());
        // No binding: nothing written, no error.
        assert!(!data_point(env_ref, "MISSING", &point).unwrap());
    }
}
