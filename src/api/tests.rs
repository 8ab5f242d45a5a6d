//! Handler tests over in-memory fakes: SQLite with the real migrations for D1, a map for KV, a
//! vector for the metrics sink, a settable clock and counting ids.

use super::auth::AdminTokens;
use super::error::ApiError;
use super::http::{ApiRequest, ApiResponse, Body, MAX_BODY_BYTES};
use super::platform::{
    Clock, Database, IdSource, KeyValue, LocalFuture, LookupBudget, MetricsSink, Row, SqlValue,
    Statement, StorageError,
};
use super::session::{SessionStorage, StoredConversation, IDLE_TTL_MS};
use super::time::parse_iso;
use super::turnstile::Turnstile;
use super::{Api, Config, IsolateState};
use crate::engine::Engine;
use crate::metrics::DataPoint;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Notifications (queue and webhook delivery) and Cloudflare Access sign-in.
mod notify_access;

/// SQLite with every migration applied. `yield_once` makes each statement return `Pending` once
/// first, so concurrently polled requests interleave at every query like they do on D1.
struct SqliteDb {
    conn: rusqlite::Connection,
    yield_once: bool,
    /// Statements containing this text fail, as a D1 outage would.
    fail_on: Option<&'static str>,
}

impl SqliteDb {
    fn new() -> Self {
        let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("sqlite: {e}"));
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for file in files {
            let sql = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
            conn.execute_batch(&sql)
                .unwrap_or_else(|e| panic!("{file:?}: {e}"));
        }
        conn.execute_batch(FIXTURE)
            .unwrap_or_else(|e| panic!("fixture: {e}"));
        SqliteDb {
            conn,
            yield_once: false,
            fail_on: None,
        }
    }

    fn count(&self, sql: &str) -> i64 {
        self.conn.query_row(sql, [], |r| r.get(0)).unwrap_or(-1)
    }

    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StorageError> {
        if self.fail_on.is_some_and(|needle| sql.contains(needle)) {
            return Err(StorageError::Database("D1_ERROR: simulated outage".into()));
        }
        let err = |e: rusqlite::Error| StorageError::Database(e.to_string());
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let params: Vec<rusqlite::types::Value> = params
            .iter()
            .map(|p| match p {
                SqlValue::Null => rusqlite::types::Value::Null,
                SqlValue::Integer(i) => rusqlite::types::Value::Integer(*i),
                SqlValue::Real(f) => rusqlite::types::Value::Real(*f),
                SqlValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
            })
            .collect();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut map = Row::new();
            for (i, name) in names.iter().enumerate() {
                let v: rusqlite::types::Value = row.get(i).map_err(err)?;
                map.insert(
                    name.clone(),
                    match v {
                        rusqlite::types::Value::Null => Value::Null,
                        rusqlite::types::Value::Integer(n) => json!(n),
                        rusqlite::types::Value::Real(f) => json!(f),
                        rusqlite::types::Value::Text(s) => json!(s),
                        rusqlite::types::Value::Blob(_) => Value::Null,
                    },
                );
            }
            out.push(map);
        }
        Ok(out)
    }
}

/// A future that is `Pending` exactly once (and wakes itself).
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Database for SqliteDb {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StorageError> {
        if self.yield_once {
            YieldOnce(false).await;
        }
        self.run(sql, params)
    }

    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, StorageError> {
        if self.yield_once {
            YieldOnce(false).await;
        }
        self.run(sql, params)?;
        Ok(self.conn.changes())
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, StorageError> {
        if self.yield_once {
            YieldOnce(false).await;
        }
        let err = |e: rusqlite::Error| StorageError::Database(e.to_string());
        self.conn.execute_batch("BEGIN").map_err(err)?;
        let mut changed = Vec::new();
        for statement in statements {
            if let Err(e) = self.run(&statement.sql, &statement.params) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
            changed.push(self.conn.changes());
        }
        self.conn.execute_batch("COMMIT").map_err(err)?;
        Ok(changed)
    }
}

/// The shared order-lookup budget in memory: `per_client` and `per_order` attempts each.
struct MemoryBudget {
    per_client: u32,
    per_order: u32,
    spent: RefCell<HashMap<String, u32>>,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget {
            per_client: 1_000,
            per_order: 1_000,
            spent: RefCell::default(),
        }
    }
}

impl LookupBudget for MemoryBudget {
    fn spend<'a>(
        &'a self,
        client: &'a str,
        order_number: &'a str,
    ) -> LocalFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            let mut spent = self.spent.borrow_mut();
            for (key, limit) in [
                (format!("client:{client}"), self.per_client),
                (format!("order:{order_number}"), self.per_order),
            ] {
                let n = spent.entry(key).or_insert(0);
                if *n >= limit {
                    return Ok(false);
                }
                *n += 1;
            }
            Ok(true)
        })
    }
}

#[derive(Default)]
struct MemoryKv {
    entries: RefCell<HashMap<String, (String, u64)>>,
    reads: Cell<u32>,
    /// Every read fails, as a KV outage would.
    failing: Cell<bool>,
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.reads.set(self.reads.get() + 1);
        if self.failing.get() {
            return Err(StorageError::Kv("simulated KV outage".into()));
        }
        Ok(self.entries.borrow().get(key).map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), StorageError> {
        if ttl_seconds < 60 {
            return Err(StorageError::Kv(format!(
                "ttl {ttl_seconds} below KV's minimum of 60"
            )));
        }
        self.entries
            .borrow_mut()
            .insert(key.into(), (value.into(), ttl_seconds));
        Ok(())
    }
}

#[derive(Default)]
struct VecSink(RefCell<Vec<DataPoint>>, RefCell<Vec<String>>);

impl MetricsSink for VecSink {
    fn write(&self, point: &DataPoint) {
        self.0.borrow_mut().push(point.clone());
    }

    fn internal_error(&self, route: &str, detail: &str) {
        self.1.borrow_mut().push(format!("{route}: {detail}"));
    }
}

struct TestClock(Cell<i64>);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

#[derive(Default)]
struct CountingIds(Cell<u32>);

impl IdSource for CountingIds {
    fn token(&self) -> String {
        self.0.set(self.0.get() + 1);
        format!("T{:09}", self.0.get())
    }
}

/// Products, orders in each status, relative to [`NOW`].
const FIXTURE: &str = "
INSERT OR REPLACE INTO catalog_meta (id, version) VALUES (1, 7);
INSERT INTO products VALUES
 ('RG-1', 'Rose Band', 'rings', 'rose_gold', 42000, 1, 5, '/img/rings.svg'),
 ('RG-2', 'Rose Solitaire', 'rings', 'rose_gold', 52000, 1, 2, '/img/rings.svg'),
 ('RG-3', 'Rose Signet (made to order)', 'rings', 'rose_gold', 30000, 0, 0, '/img/rings.svg'),
 ('NK-1', 'Gold Chain', 'necklaces', 'yellow_gold', 90000, 1, 1, '/img/necklaces.svg');
INSERT INTO orders VALUES
 ('AUR-100001', 'ada@example.com', 'delivered', '2026-11-01T10:00:00Z', '2026-11-10T10:00:00Z'),
 ('AUR-100002', 'bo@example.com', 'delivered', '2026-08-01T10:00:00Z', '2026-09-20T10:00:00Z'),
 ('AUR-100003', 'cy@example.com', 'processing', '2026-11-24T10:00:00Z', NULL),
 ('AUR-100004', 'di@example.com', 'cancelled', '2026-11-20T10:00:00Z', NULL);
INSERT INTO order_items VALUES
 ('AUR-100001', 'RG-1', 'Rose Band', 'rings', 1, 42000),
 ('AUR-100001', 'NK-1', 'Gold Chain', 'necklaces', 1, 90000),
 ('AUR-100002', 'RG-2', 'Rose Solitaire', 'rings', 1, 52000),
 ('AUR-100003', 'NK-1', 'Gold Chain', 'necklaces', 1, 90000),
 ('AUR-100004', 'RG-1', 'Rose Band', 'rings', 1, 42000);
INSERT INTO shipments VALUES (1, 'AUR-100001', 'UPS', '1Z999', 'delivered', '2026-11-05T10:00:00Z', '2026-11-10T10:00:00Z');
INSERT INTO shipment_events (shipment_id, at, status, detail) VALUES
 (1, '2026-11-05T10:00:00Z', 'in_transit', 'Picked up'),
 (1, '2026-11-10T10:00:00Z', 'delivered', 'Left at front door');
";

const NOW: &str = "2026-11-25T12:00:00Z";

/// Drives futures to completion with a no-op waker, polling them round-robin.
fn block_on_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    while outputs.iter().any(Option::is_none) {
        for (i, f) in futures.iter_mut().enumerate() {
            if outputs[i].is_none() {
                if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                    outputs[i] = Some(out);
                }
            }
        }
    }
    outputs.into_iter().flatten().collect()
}

fn block_on<F: Future>(future: F) -> F::Output {
    block_on_all(vec![future])
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!())
}

struct Harness {
    db: SqliteDb,
    kv: MemoryKv,
    clock: TestClock,
    ids: CountingIds,
    engine: Engine,
    config: Config,
    state: IsolateState,
    sink: VecSink,
    lookups: MemoryBudget,
    notifier: super::notify::MemoryNotifier,
    access_keys: Box<dyn super::platform::AccessKeys>,
}

impl Harness {
    fn new() -> Self {
        Harness {
            db: SqliteDb::new(),
            kv: MemoryKv::default(),
            clock: TestClock(Cell::new(parse_iso(NOW).unwrap_or_default())),
            ids: CountingIds::default(),
            engine: crate::embedded::engine().clone(),
            config: Config {
                tokens: AdminTokens {
                    support: Some("sup".into()),
                    merchandiser: Some("mer".into()),
                    admin: Some("adm".into()),
                },
                ..Config::default()
            },
            state: IsolateState::default(),
            sink: VecSink::default(),
            lookups: MemoryBudget::default(),
            notifier: super::notify::MemoryNotifier::default(),
            access_keys: Box::new(super::platform::NoAccessKeys),
        }
    }

    fn api(&self) -> Api<'_, SqliteDb, MemoryKv> {
        Api {
            db: &self.db,
            kv: &self.kv,
            clock: &self.clock,
            ids: &self.ids,
            engine: &self.engine,
            config: &self.config,
            state: &self.state,
            lookups: &self.lookups,
            notifier: &self.notifier,
            access_keys: self.access_keys.as_ref(),
        }
    }

    /// Serves one request, then writes the message log if it is due, as the Worker does in
    /// `ctx.wait_until` (a failure there is the Worker's log line, never the answer).
    fn send(&self, request: ApiRequest) -> ApiResponse {
        let api = self.api();
        let response = block_on(api.serve(&request, &self.sink));
        let _ = block_on(api.flush_due_message_log());
        response
    }

    fn post(&self, path: &str, body: Value) -> ApiResponse {
        self.send(ApiRequest::new("POST", path).with_json(&body.to_string()))
    }

    fn post_keyed(&self, path: &str, key: &str, body: Value) -> ApiResponse {
        let mut request = ApiRequest::new("POST", path).with_json(&body.to_string());
        request.idempotency_key = Some(key.into());
        self.send(request)
    }

    fn get(&self, path: &str) -> ApiResponse {
        self.send(ApiRequest::new("GET", path))
    }
}

fn error_of(response: &ApiResponse) -> (u16, String, Value) {
    let body = response.json_body();
    (
        response.status,
        body["error"]["code"].as_str().unwrap_or("").to_string(),
        body["error"]["field"].clone(),
    )
}

#[test]
fn health_reports_rules_and_bindings_and_every_response_has_rules_version() {
    let h = Harness::new();
    let response = h.get("/health");
    assert_eq!(response.status, 200);
    let body = response.json_body();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["bindings"]["d1"], "ok");
    assert_eq!(body["bindings"]["analytics"], "missing");
    assert_eq!(
        response.header("x-rules-version"),
        Some(h.engine.rules_version())
    );
    assert_eq!(
        h.get("/nope").header("x-rules-version"),
        Some(h.engine.rules_version())
    );
}

#[test]
fn bad_input_is_4xx_with_code_and_field_never_500() {
    let h = Harness::new();
    let mut big = ApiRequest::new("POST", "/v1/messages").with_json("{}");
    big.body = Body::Bytes(vec![b' '; MAX_BODY_BYTES + 1]);
    assert_eq!(error_of(&h.send(big)).1, "payload_too_large");
    let mut text = ApiRequest::new("POST", "/v1/messages").with_json("{}");
    text.content_type = Some("text/plain".into());
    assert_eq!(error_of(&h.send(text)).0, 415);
    let broken = ApiRequest::new("POST", "/v1/messages").with_json("{\"text\": \"hi\"");
    assert_eq!(
        error_of(&h.send(broken)),
        (400, "invalid_json".into(), Value::Null)
    );
    let cases = [
        (
            "/v1/messages",
            json!({"session_id": "s1", "text": "hi", "mood": "x"}),
            "unknown_field",
            "mood",
        ),
        (
            "/v1/messages",
            json!({"session_id": "s1"}),
            "missing_field",
            "text",
        ),
        (
            "/v1/messages",
            json!({"session_id": "s 1", "text": "hi"}),
            "invalid_field",
            "session_id",
        ),
        (
            "/v1/messages",
            json!({"session_id": "s1", "text": 5}),
            "invalid_field",
            "text",
        ),
        (
            "/v1/csat",
            json!({"ticket_id": "TCK-1", "score": 6}),
            "invalid_field",
            "score",
        ),
        (
            "/v1/csat",
            json!({"ticket_id": "TCK-1", "score": "5"}),
            "invalid_field",
            "score",
        ),
        (
            "/v1/orders/lookup",
            json!({"order_number": "123", "email": "a@b.example"}),
            "invalid_field",
            "order_number",
        ),
        (
            "/v1/returns",
            json!({"order_number": "AUR-100001", "email": "ada@example.com", "sku": "RG-1", "kind": "resize", "reason": "tight"}),
            "missing_field",
            "ring_size",
        ),
        (
            "/v1/returns",
            json!({"order_number": "AUR-100001", "email": "ada@example.com", "sku": "RG-1", "kind": "resize", "reason": "tight", "ring_size": 7.25}),
            "invalid_field",
            "ring_size",
        ),
        (
            "/v1/escalations",
            json!({"session_id": "s1", "email": "nope", "topic": "t", "message": "m"}),
            "invalid_field",
            "email",
        ),
    ];
    for (path, body, code, field) in cases {
        let response = h.post(path, body.clone());
        assert_eq!(
            error_of(&response),
            (422, code.to_string(), json!(field)),
            "{path} {body}"
        );
    }
    assert_eq!(error_of(&h.get("/v1/products?limit=0")).2, json!("limit"));
    // A `min` above `max` finds nothing (the document cannot relate the two parameters).
    assert_eq!(h.get("/v1/products?min=9&max=1").json_body()["count"], 0);
    assert_eq!(
        error_of(&h.get("/v1/products?colour=red")).1,
        "unknown_field"
    );
}

#[test]
fn product_amounts_are_json_numbers() {
    let h = Harness::new();
    // What an OpenAPI `number` may be written as, exponent included.
    for ok in ["600", "599.99", "6e2", "1e-05", "0"] {
        let response = h.get(&format!("/v1/products?max={ok}"));
        assert_eq!(response.status, 200, "max={ok}: {}", response.json_body());
    }
    let cheap = h.get("/v1/products?max=1e-05").json_body();
    assert_eq!(cheap["count"], 0, "{cheap}");
    for bad in [
        "abc",
        "NaN",
        "inf",
        "1e400",
        "-1",
        "10000001",
        "5%20dollars",
    ] {
        assert_eq!(
            error_of(&h.get(&format!("/v1/products?min={bad}"))),
            (422, "invalid_field".to_string(), json!("min")),
            "min={bad}"
        );
    }
}

#[test]
fn the_returns_policy_names_the_resizable_categories_capitalised() {
    let h = Harness::new();
    let reply = h
        .post(
            "/v1/messages",
            json!({"session_id": "s-policy", "text": "how do I return a necklace"}),
        )
        .json_body();
    let text = reply["reply"].as_str().unwrap_or_default();
    assert!(text.contains(" Rings can be resized within "), "{reply}");
}

#[test]
fn routing_errors_are_json_404_and_405() {
    let h = Harness::new();
    assert_eq!(error_of(&h.get("/v1/unknown")).1, "not_found");
    let wrong = h.get("/v1/messages");
    assert_eq!(error_of(&wrong).1, "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("POST, OPTIONS"));
}

#[test]
fn catalog_filters_ready_to_ship_cheapest_first_and_serves_repeats_from_kv() {
    let h = Harness::new();
    let response = h.get("/v1/products?category=rings&metal=rose_gold&max=600");
    let body = response.json_body();
    let skus: Vec<&str> = body["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert_eq!(
        skus,
        ["RG-1", "RG-2"],
        "made-to-order RG-3 is excluded, cheapest first"
    );
    assert_eq!(body["products"][0]["price"], json!(420.0));
    let key = "catalog:v7:c=rings;m=rose_gold;s=-;min=-;max=60000;o=asc;rts=1;n=6;at=0";
    assert_eq!(
        h.kv.entries.borrow().get(key).map(|(_, ttl)| *ttl),
        Some(300)
    );
    // The second identical query is answered from KV even if D1 changed underneath.
    h.db.conn
        .execute_batch("DELETE FROM products")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        h.get("/v1/products?max=600&metal=rose_gold&category=rings")
            .json_body()["count"],
        2
    );
}

#[test]
fn an_isolate_serves_a_page_it_read_lately_without_kv_for_as_long_as_it_trusts_the_version() {
    let h = Harness::new();
    let path = "/v1/products?category=rings&metal=rose_gold&max=600";
    assert_eq!(h.get(path).json_body()["count"], 2);
    let reads = h.kv.reads.get();
    // Within CATALOG_VERSION_CACHE_SECONDS: from memory, even with the KV entry gone.
    h.kv.entries.borrow_mut().clear();
    h.clock.0.set(h.clock.0.get() + 59_000);
    assert_eq!(h.get(path).json_body()["count"], 2);
    assert_eq!(h.kv.reads.get(), reads, "no KV read for the repeat");
    // Past it, the version is read again and the page with it (here from D1, KV being empty).
    h.db.conn
        .execute_batch("DELETE FROM products WHERE sku = 'RG-2'")
        .unwrap_or_else(|e| panic!("{e}"));
    h.clock.0.set(h.clock.0.get() + 2_000);
    assert_eq!(h.get(path).json_body()["count"], 1);
    assert!(h.kv.reads.get() > reads);
}

#[test]
fn order_lookup_hides_whether_the_order_exists() {
    let h = Harness::new();
    let ok = h.post(
        "/v1/orders/lookup",
        json!({"order_number": "AUR-100001", "email": "ADA@example.com"}),
    );
    assert_eq!(ok.status, 200);
    let body = ok.json_body();
    assert_eq!(body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        body["shipments"][0]["events"][1]["detail"],
        "Left at front door"
    );
    assert_eq!(body["return_eligibility"]["return"], true);
    assert_eq!(
        body["return_eligibility"]["deadline"],
        "2026-12-10T10:00:00Z"
    );
    let wrong_email = h.post(
        "/v1/orders/lookup",
        json!({"order_number": "AUR-100001", "email": "eve@example.com"}),
    );
    let unknown = h.post(
        "/v1/orders/lookup",
        json!({"order_number": "AUR-999999", "email": "ada@example.com"}),
    );
    assert_eq!(wrong_email.status, 404);
    assert_eq!(wrong_email.body, unknown.body);
}

#[test]
fn returns_follow_the_policy_windows_and_ring_only_resizing() {
    let h = Harness::new();
    let base = json!({"order_number": "AUR-100001", "email": "ada@example.com", "reason": "changed my mind"});
    let with = |extra: Value| {
        let mut b = base.clone();
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        b
    };
    let created = h.post(
        "/v1/returns",
        with(json!({"sku": "NK-1", "kind": "return"})),
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.json_body()["return_id"], "RET-T000000001");
    assert_eq!(h.db.count("SELECT COUNT(*) FROM return_requests"), 1);
    let necklace_resize = h.post(
        "/v1/returns",
        with(json!({"sku": "NK-1", "kind": "resize", "ring_size": 7})),
    );
    assert_eq!(
        error_of(&necklace_resize),
        (422, "not_eligible".into(), json!("sku"))
    );
    let not_in_order = h.post(
        "/v1/returns",
        with(json!({"sku": "RG-2", "kind": "return"})),
    );
    assert_eq!(error_of(&not_in_order).2, json!("sku"));
    // AUR-100002 was delivered 66 days before NOW: past both windows (30 and 60 days).
    let late = h.post("/v1/returns", json!({"order_number": "AUR-100002", "email": "bo@example.com", "sku": "RG-2", "kind": "resize", "reason": "r", "ring_size": 6.5}));
    assert_eq!(error_of(&late), (422, "not_eligible".into(), json!("kind")));
    let undelivered = h.post("/v1/returns", json!({"order_number": "AUR-100003", "email": "cy@example.com", "sku": "NK-1", "kind": "return", "reason": "r"}));
    assert_eq!(error_of(&undelivered).1, "not_eligible");
}

#[test]
fn idempotency_replays_rejects_changed_bodies_and_expires_after_a_day() {
    let h = Harness::new();
    let body = json!({"session_id": "s1", "email": "ada@example.com", "topic": "Sizing", "message": "Help"});
    let first = h.post_keyed("/v1/escalations", "k-1", body.clone());
    assert_eq!(first.status, 201);
    let replay = h.post_keyed("/v1/escalations", "k-1", body.clone());
    assert_eq!(
        (replay.status, replay.body.as_str()),
        (201, first.body.as_str())
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 1);
    let changed = h.post_keyed("/v1/escalations", "k-1", json!({"session_id": "s1", "email": "ada@example.com", "topic": "Other", "message": "Help"}));
    assert_eq!(error_of(&changed).1, "idempotency_key_reused");
    h.clock.0.set(h.clock.0.get() + super::time::DAY_MS + 1000);
    let after_expiry = h.post_keyed("/v1/escalations", "k-1", body);
    assert_eq!(after_expiry.status, 201);
    assert_ne!(after_expiry.body, first.body);
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 2);
    assert_eq!(h.db.count("SELECT COUNT(*) FROM idempotency_keys"), 1);
}

#[test]
fn twenty_concurrent_identical_requests_create_exactly_one_row() {
    let mut h = Harness::new();
    h.db.yield_once = true;
    h.config.rate_limit_scale = 100;
    let body = json!({"session_id": "s1", "email": "ada@example.com", "topic": "Sizing", "message": "Help"}).to_string();
    let requests: Vec<ApiRequest> = (0..20)
        .map(|_| {
            let mut r = ApiRequest::new("POST", "/v1/escalations").with_json(&body);
            r.idempotency_key = Some("same-key".into());
            r
        })
        .collect();
    let api = h.api();
    let responses = block_on_all(requests.iter().map(|r| api.serve(r, &h.sink)).collect());
    let created = responses.iter().filter(|r| r.status == 201).count();
    let in_flight = responses
        .iter()
        .filter(|r| error_of(r).1 == "idempotency_in_flight")
        .count();
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 1);
    assert!(
        created >= 1 && created + in_flight == 20,
        "created {created}, in flight {in_flight}"
    );
    let ticket_ids: std::collections::BTreeSet<String> = responses
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.json_body()["ticket_id"].to_string())
        .collect();
    assert_eq!(ticket_ids.len(), 1, "replays carry the first ticket id");
}

#[test]
fn csat_needs_a_ticket_and_accepts_one_response() {
    let h = Harness::new();
    let ticket = h.post(
        "/v1/escalations",
        json!({"session_id": "s1", "email": "ada@example.com", "topic": "t", "message": "m"}),
    );
    let id = ticket.json_body()["ticket_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        h.post("/v1/csat", json!({"ticket_id": id, "score": 5}))
            .status,
        201
    );
    assert_eq!(
        error_of(&h.post("/v1/csat", json!({"ticket_id": id, "score": 4}))).1,
        "already_exists"
    );
    assert_eq!(
        error_of(&h.post("/v1/csat", json!({"ticket_id": "TCK-none", "score": 4}))).0,
        404
    );
}

#[test]
fn admin_role_matrix() {
    let h = Harness::new();
    let routes: [(&str, &str, Option<Value>); 4] = [
        ("GET", "/v1/admin/tickets", None),
        (
            "PATCH",
            "/v1/admin/tickets/TCK-missing",
            Some(json!({"status": "closed"})),
        ),
        ("GET", "/v1/admin/csat", None),
        ("GET", "/v1/admin/analytics", None),
    ];
    // Expected status per token: none, garbage, support, merchandiser, admin.
    let expected: [[u16; 5]; 4] = [
        [401, 401, 200, 403, 200],
        [401, 401, 404, 403, 404],
        [401, 401, 200, 200, 200],
        [401, 401, 403, 200, 200],
    ];
    let tokens = [
        None,
        Some("Bearer nope"),
        Some("Bearer sup"),
        Some("Bearer mer"),
        Some("Bearer adm"),
    ];
    for ((method, path, body), row) in routes.iter().zip(expected) {
        for (token, want) in tokens.iter().zip(row) {
            let mut request = ApiRequest::new(method, path);
            if let Some(body) = body {
                request = request.with_json(&body.to_string());
            }
            request.authorization = token.map(str::to_string);
            assert_eq!(
                h.send(request).status,
                want,
                "{method} {path} with {token:?}"
            );
        }
    }
}

#[test]
fn support_closes_a_ticket_and_csat_stats_add_up() {
    let h = Harness::new();
    for (i, score) in [5, 4, 5].iter().enumerate() {
        let t = h.post("/v1/escalations", json!({"session_id": format!("s{i}"), "email": "ada@example.com", "topic": "t", "message": "m"}));
        let id = t.json_body()["ticket_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        h.post("/v1/csat", json!({"ticket_id": id, "score": score}));
    }
    let mut patch = ApiRequest::new("PATCH", "/v1/admin/tickets/TCK-T000000001")
        .with_json(r#"{"status": "closed", "note": "sent sizer"}"#);
    patch.authorization = Some("Bearer sup".into());
    let patched = h.send(patch).json_body();
    let patched = &patched["ticket"];
    assert_eq!(
        (patched["status"].as_str(), patched["note"].as_str()),
        (Some("closed"), Some("sent sizer"))
    );
    let mut csat = ApiRequest::new("GET", "/v1/admin/csat?period=week");
    csat.authorization = Some("Bearer mer".into());
    let stats = h.send(csat).json_body();
    assert_eq!(stats["count"], 3);
    assert_eq!(stats["average"], json!(4.67));
    assert_eq!(stats["distribution"]["5"], 2);
    assert_eq!(stats["by_period"][0]["count"], 3);
}

#[test]
fn unmatched_turns_offer_a_stylist_and_analytics_counts_messages() {
    let h = Harness::new();
    let say = |text: &str, context: Value| {
        h.post(
            "/v1/messages",
            json!({"session_id": "s-1", "text": text, "context": context}),
        )
        .json_body()
    };
    // The skeleton engine classifies everything as unknown; the threshold is 2 turns. The count
    // travels in the conversation's context, not in storage.
    let first = say("how about that", Value::Null);
    assert_eq!(first["next_step"], Value::Null);
    assert_eq!(first["context"]["unmatched"], 1);
    let second = say("and so on", first["context"].clone());
    assert_eq!(second["next_step"], "offer_stylist");
    assert_eq!(second["intent"], "unknown");
    assert_eq!(second["context"]["unmatched"], 2);
    assert!(h.kv.entries.borrow().is_empty(), "no session state in KV");
    let mut analytics = ApiRequest::new("GET", "/v1/admin/analytics");
    analytics.authorization = Some("Bearer adm".into());
    let body = h.send(analytics).json_body();
    assert_eq!(body["messages"], 2);
    assert_eq!(body["intents"]["unknown"], 2);
    assert_eq!(body["unmatched_rate"], json!(1.0));
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let h = Harness::new();
    let limit = h.engine.thresholds().rate_limits.lookups_per_minute;
    let lookup = || {
        h.post(
            "/v1/orders/lookup",
            json!({"order_number": "AUR-100001", "email": "ada@example.com"}),
        )
    };
    for _ in 0..limit {
        assert_eq!(lookup().status, 200);
    }
    let limited = lookup();
    assert_eq!(error_of(&limited).0, 429);
    assert!(limited
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| (1..=60).contains(&s)));
}

#[test]
fn kill_switch_in_kv_turns_the_widget_off_after_the_isolate_cache_expires() {
    let h = Harness::new();
    assert_eq!(h.get("/v1/flags?user_id=u-1").json_body()["enabled"], true);
    block_on(h.kv.put(super::KILL_SWITCH_KEY, "on", 60)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        h.get("/v1/flags?user_id=u-1").json_body()["enabled"],
        true,
        "cached for 60 s"
    );
    h.clock.0.set(h.clock.0.get() + 60_000);
    let body = h.get("/v1/flags?user_id=u-1").json_body();
    assert_eq!(
        (body["enabled"].as_bool(), body["reason"].as_str()),
        (Some(false), Some("emergency_off"))
    );
}

#[test]
fn data_points_use_route_templates_and_carry_no_personal_data() {
    let h = Harness::new();
    h.post(
        "/v1/orders/lookup",
        json!({"order_number": "AUR-100001", "email": "ada@example.com"}),
    );
    let mut patch =
        ApiRequest::new("PATCH", "/v1/admin/tickets/TCK-secret").with_json(r#"{"status": "open"}"#);
    patch.authorization = Some("Bearer sup".into());
    h.send(patch);
    h.post(
        "/v1/messages",
        json!({"session_id": "s-private", "text": "hello"}),
    );
    let points = h.sink.0.borrow();
    assert_eq!(points.len(), 3);
    assert_eq!(points[0].route, "POST /v1/orders/lookup");
    assert_eq!(
        (
            points[1].route.as_str(),
            points[1].status,
            points[1].error_code.as_str()
        ),
        ("PATCH /v1/admin/tickets/{id}", 404, "not_found")
    );
    assert_eq!(
        (points[2].intent.as_str(), points[2].confidence),
        ("greeting", 0.7981)
    );
    let all = points
        .iter()
        .map(DataPoint::to_log_line)
        .collect::<String>();
    for secret in ["ada@", "AUR-100001", "TCK-secret", "s-private"] {
        assert!(!all.contains(secret), "{secret} leaked into {all}");
    }
}

#[test]
fn cors_echoes_only_allowed_origins_and_answers_preflight() {
    let mut h = Harness::new();
    h.engine = Engine::default();
    let mut own = ApiRequest::new("OPTIONS", "/v1/messages");
    own.origin = Some("http://127.0.0.1:8787".into());
    own.own_origin = Some("http://127.0.0.1:8787".into());
    let preflight = h.send(own);
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://127.0.0.1:8787")
    );
    let mut foreign = ApiRequest::new("GET", "/health");
    foreign.origin = Some("https://evil.example".into());
    assert_eq!(h.send(foreign).header("access-control-allow-origin"), None);
}

#[test]
fn openapi_document_lists_every_route() {
    let doc: Value = serde_json::from_str(super::OPENAPI_JSON).unwrap_or(Value::Null);
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in super::router::ROUTES {
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {path} missing from openapi.json");
    }
}

/// The document and the code agree: the same routes (and nothing else), the same error codes,
/// the bounds the handlers enforce, and the statuses each route can answer.
#[test]
fn openapi_document_equals_what_the_code_serves() {
    let doc: Value = serde_json::from_str(super::OPENAPI_JSON).unwrap_or(Value::Null);
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
        for method in ops.as_object().into_iter().flatten().map(|(m, _)| m) {
            documented.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> = super::router::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes);

    let mut codes: Vec<String> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(String::from))
        .collect();
    codes.sort();
    let mut ours: Vec<String> = ApiError::samples()
        .iter()
        .map(|e| e.code().to_string())
        .collect();
    ours.sort();
    assert_eq!(codes, ours);

    let param = |path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .map(|p| p["schema"].clone())
            .unwrap_or(Value::Null)
    };
    let thresholds = crate::embedded::engine().thresholds().clone();
    assert_eq!(
        param("/v1/products", "get", "limit")["maximum"],
        json!(thresholds.max_result_limit)
    );
    assert_eq!(
        param("/v1/admin/tickets", "get", "limit")["maximum"],
        json!(super::admin::MAX_TICKET_PAGE)
    );
    let domain = crate::embedded::engine().domain().clone();
    let styles: Vec<String> = domain.styles.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        param("/v1/products", "get", "category")["enum"],
        json!(domain.categories)
    );
    assert_eq!(
        param("/v1/products", "get", "metal")["enum"],
        json!(domain.metals)
    );
    assert_eq!(param("/v1/products", "get", "style")["enum"], json!(styles));
    // Shopper routes document the kill switch's 503; no route documents a 500.
    for (method, path) in super::router::ROUTES {
        let responses = &doc["paths"][path][method.to_ascii_lowercase()]["responses"];
        let route = super::router::route(method, &path.replace("{id}", "TCK-1"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            responses["503"].is_object(),
            route.is_shopper() || route == super::router::Route::Health,
            "{method} {path}: 503"
        );
        assert!(
            responses["500"].is_null(),
            "{method} {path} documents a 500"
        );
    }
}

/// The engine compiled from the rules in `rules/`, as the Worker embeds it.
fn with_embedded_rules() -> Harness {
    let mut h = Harness::new();
    h.engine = crate::embedded::engine().clone();
    h.config.rate_limit_scale = 100;
    h
}

#[test]
fn discovery_message_returns_matching_ready_to_ship_products() {
    let h = with_embedded_rules();
    let body = h
        .post(
            "/v1/messages",
            json!({"session_id": "s1", "text": "do you have rose gold rings?"}),
        )
        .json_body();
    assert_eq!(body["intent"], "product_discovery", "{body}");
    assert_eq!(
        (
            body["entities"]["metal"].as_str(),
            body["entities"]["category"].as_str()
        ),
        (Some("rose_gold"), Some("rings"))
    );
    let skus: Vec<&str> = body["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert_eq!(
        skus,
        ["RG-1", "RG-2"],
        "RG-3 is not ready to ship; cheapest first"
    );
    assert_eq!(body["next_step"], "show_products");
    assert_eq!(body["rules_version"], h.engine.rules_version());
}

#[test]
fn tracking_asks_for_details_then_shows_the_owned_order() {
    let h = with_embedded_rules();
    let ask = h
        .post(
            "/v1/messages",
            json!({"session_id": "s1", "text": "where is my order?"}),
        )
        .json_body();
    assert_eq!(
        (ask["intent"].as_str(), ask["next_step"].as_str()),
        (Some("order_tracking"), Some("ask_order_details")),
        "{ask}"
    );
    let show = h.post("/v1/messages", json!({"session_id": "s1", "text": "where is my order AUR-100001, email ada@example.com"})).json_body();
    assert_eq!(show["next_step"], "show_order", "{show}");
    assert_eq!(show["order"]["status"], "delivered");
    let wrong = h.post("/v1/messages", json!({"session_id": "s1", "text": "where is my order AUR-100001, email eve@example.com"})).json_body();
    assert_eq!(
        (wrong["next_step"].as_str(), wrong.get("order")),
        (Some("ask_order_details"), None)
    );
}

#[test]
fn a_storage_failure_is_a_generic_500_that_releases_the_idempotency_key() {
    let mut h = Harness::new();
    h.db.fail_on = Some("INSERT INTO tickets");
    let body =
        json!({"session_id": "s1", "email": "ada@example.com", "topic": "t", "message": "m"});
    let failed = h.post_keyed("/v1/escalations", "k-500", body.clone());
    assert_eq!(error_of(&failed), (500, "internal".into(), Value::Null));
    assert!(
        !failed.body.contains("simulated"),
        "details stay in the operator log: {}",
        failed.body
    );
    assert_eq!(h.sink.1.borrow().len(), 1);
    assert!(h.sink.1.borrow()[0].contains("POST /v1/escalations: database error"));
    // The data point tells database failures apart, for the database-error alert.
    assert_eq!(
        h.sink.0.borrow().last().map(|p| p.error_code.clone()),
        Some("database_error".to_string())
    );
    assert_eq!(
        h.db.count("SELECT COUNT(*) FROM idempotency_keys"),
        0,
        "the key is released for the retry"
    );
    h.db.fail_on = None;
    assert_eq!(h.post_keyed("/v1/escalations", "k-500", body).status, 201);
}

#[test]
fn api_answers_are_not_cacheable() {
    let h = Harness::new();
    let lookup = h.post(
        "/v1/orders/lookup",
        json!({"order_number": "AUR-100001", "email": "ada@example.com"}),
    );
    assert_eq!(lookup.header("cache-control"), Some("no-store"));
    assert_eq!(lookup.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(h.get("/health").header("cache-control"), Some("no-store"));
    // The document is a static asset now: the Worker has no such route.
    assert_eq!(h.get("/openapi.json").status, 404);
}

#[test]
fn discovery_message_with_a_price_filters_by_it() {
    let h = with_embedded_rules();
    let under = h
        .post(
            "/v1/messages",
            json!({"session_id": "s1", "text": "rose gold rings under $500"}),
        )
        .json_body();
    assert_eq!(under["entities"]["price"]["max"], json!(500.0), "{under}");
    let skus: Vec<&str> = under["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert_eq!(skus, ["RG-1"], "RG-2 costs $520");
    // "around $460" with ±15 % tolerance is $391..$529: both rose gold rings match.
    let approx = h
        .post(
            "/v1/messages",
            json!({"session_id": "s2", "text": "rose gold ring around $460"}),
        )
        .json_body();
    let skus: Vec<&str> = approx["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert_eq!(skus, ["RG-1", "RG-2"], "{approx}");
    let none = h
        .post(
            "/v1/messages",
            json!({"session_id": "s3", "text": "rose gold rings under $100"}),
        )
        .json_body();
    assert_eq!(
        (
            none["products"].as_array().map(Vec::len),
            none["next_step"].as_str()
        ),
        (Some(0), Some("offer_stylist"))
    );
}

/// A catalog for conversations: ten rose gold rings from $100 to $1,000, hoops and studs, and a
/// few necklaces.
fn conversation_harness() -> Harness {
    let h = with_embedded_rules();
    let mut sql = String::from("DELETE FROM products; INSERT INTO products VALUES ");
    let mut rows = Vec::new();
    for i in 1..=10 {
        rows.push(format!(
            "('RR-{i:02}', 'Rose Band {i}', 'rings', 'rose_gold', {}, 1, 3, '/img/rings.svg')",
            i * 10_000
        ));
        rows.push(format!(
            "('YR-{i:02}', 'Gold Band {i}', 'rings', 'yellow_gold', {}, 1, 3, '/img/rings.svg')",
            i * 10_000 + 500
        ));
    }
    for (sku, name, metal, cents) in [
        ("ER-1", "Rose Hoop Earrings", "rose_gold", 25_000),
        ("ER-2", "Gold Hoop Earrings", "yellow_gold", 35_000),
        ("ER-3", "White Stud Earrings", "white_gold", 45_000),
        ("ER-4", "Platinum Stud Earrings", "platinum", 95_000),
        ("NK-1", "Rose Pendant Necklace", "rose_gold", 30_000),
        ("NK-2", "Gold Chain Necklace", "yellow_gold", 60_000),
    ] {
        rows.push(format!(
            "('{sku}', '{name}', '{}', '{metal}', {cents}, 1, 2, '/img/x.svg')",
            if sku.starts_with("ER") {
                "earrings"
            } else {
                "necklaces"
            }
        ));
    }
    sql.push_str(&rows.join(", "));
    h.db.conn
        .execute_batch(&sql)
        .unwrap_or_else(|e| panic!("{e}"));
    h
}

/// One conversation: each message sends back the previous reply's context.
struct Chat<'h> {
    h: &'h Harness,
    session: &'static str,
    context: Value,
}

impl<'h> Chat<'h> {
    fn new(h: &'h Harness, session: &'static str) -> Self {
        Chat {
            h,
            session,
            context: Value::Null,
        }
    }

    fn send(&mut self, body: Value) -> Value {
        let mut body = body;
        body["session_id"] = json!(self.session);
        body["context"] = self.context.clone();
        let response = self.h.post("/v1/messages", body);
        assert_eq!(response.status, 200, "{}", response.body);
        let reply = response.json_body();
        self.context = reply["context"].clone();
        reply
    }

    fn say(&mut self, text: &str) -> Value {
        self.send(json!({ "text": text }))
    }
}

fn skus(reply: &Value) -> Vec<String> {
    reply["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sku"].as_str().map(str::to_string))
        .collect()
}

fn prices(reply: &Value) -> Vec<f64> {
    reply["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["price"].as_f64())
        .collect()
}

#[test]
fn follow_ups_replace_one_slot_at_a_time() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-refine");
    let first = chat.say("rings under $500");
    assert_eq!(first["filters"]["categories"], json!(["rings"]));
    assert_eq!(first["filters"]["price"]["max"], json!(500.0));
    // Under a ceiling, what the budget buys comes first.
    assert_eq!(
        prices(&first),
        [500.0, 405.0, 400.0, 305.0, 300.0, 205.0],
        "{first}"
    );
    let rose = chat.say("in rose gold");
    assert_eq!(rose["intent"], "product_discovery");
    assert_eq!(rose["filters"]["metals"], json!(["rose_gold"]));
    assert_eq!(
        rose["filters"]["categories"],
        json!(["rings"]),
        "category kept"
    );
    assert_eq!(rose["filters"]["price"]["max"], json!(500.0), "price kept");
    assert_eq!(skus(&rose), ["RR-05", "RR-04", "RR-03", "RR-02", "RR-01"]);
    assert_eq!(
        rose["reply"],
        "Here are rose gold rings under $500 that are ready to ship."
    );
    let cheaper_cap = chat.say("under 300 instead");
    assert_eq!(cheaper_cap["filters"]["price"]["max"], json!(300.0));
    assert_eq!(cheaper_cap["filters"]["metals"], json!(["rose_gold"]));
    assert_eq!(skus(&cheaper_cap), ["RR-03", "RR-02", "RR-01"]);
    let necklaces = chat.say("what about necklaces");
    assert_eq!(necklaces["filters"]["categories"], json!(["necklaces"]));
    assert_eq!(skus(&necklaces), ["NK-1"], "rose gold necklaces under $300");
}

#[test]
fn what_the_shopper_does_not_want_leaves_the_search() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-exclude");
    let rose = chat.say("rose gold rings");
    assert_eq!(rose["filters"]["metals"], json!(["rose_gold"]));
    let metal_of = |reply: &Value| -> Vec<String> {
        reply["products"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["metal"].as_str().map(str::to_string))
            .collect()
    };
    // Not rose gold after all: every other metal, the category kept.
    let other = chat.say("actually, anything but rose gold");
    assert_eq!(other["intent"], "product_discovery", "{other}");
    assert_eq!(
        other["entities"]["excluded"],
        json!([{ "kind": "metal", "id": "rose_gold" }])
    );
    let metals = other["filters"]["metals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !metals.is_empty() && !metals.contains(&json!("rose_gold")),
        "{other}"
    );
    assert!(metals.contains(&json!("yellow_gold")), "{other}");
    assert_eq!(other["filters"]["categories"], json!(["rings"]));
    let shown = metal_of(&other);
    assert!(
        !shown.is_empty() && shown.iter().all(|m| m == "yellow_gold"),
        "{shown:?}"
    );

    // A category not wanted, named first in a fresh conversation: the other kinds of piece.
    let mut chat = Chat::new(&h, "s-exclude-2");
    let not_rings = chat.say("gold jewelry but no rings");
    assert_eq!(not_rings["intent"], "product_discovery", "{not_rings}");
    let categories = not_rings["filters"]["categories"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !categories.is_empty() && !categories.contains(&json!("rings")),
        "{not_rings}"
    );
    assert!(skus(&not_rings)
        .iter()
        .all(|s| !s.starts_with("YR") && !s.starts_with("RR")));
    assert!(!skus(&not_rings).is_empty(), "{not_rings}");

    // Without an exclusion, nothing is excluded and the field is left out.
    let plain = chat.say("gold rings");
    assert!(plain["entities"].get("excluded").is_none(), "{plain}");
}

#[test]
fn cheaper_and_more_expensive_move_past_what_was_shown() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-price");
    let first = chat.say("rose gold rings around $600");
    assert_eq!(first["context"]["shown_cents"], json!([60000, 60000]));
    let cheaper = chat.say("cheaper");
    assert_eq!(cheaper["intent"], "cheaper");
    assert_eq!(cheaper["filters"]["price"]["kind"], "under");
    assert_eq!(cheaper["filters"]["price"]["max"], json!(599.0));
    assert_eq!(prices(&cheaper)[0], 500.0, "{cheaper}");
    assert!(prices(&cheaper).iter().all(|p| *p < 600.0));
    let pricier = chat.say("something more expensive");
    assert_eq!(pricier["intent"], "pricier");
    assert_eq!(pricier["filters"]["price"]["kind"], "over");
    let lowest_before = 100.0;
    assert!(
        prices(&pricier).iter().all(|p| *p > 500.0),
        "above the dearest shown ({lowest_before}..500): {pricier}"
    );
    // Nothing cheaper than the cheapest: the conversation stays where it was.
    let mut bottom = Chat::new(&h, "s-bottom");
    bottom.say("rose gold rings under $150");
    let before = bottom.context.clone();
    let none = bottom.say("cheaper");
    assert_eq!(
        none["reply"],
        "Those are the most affordable rose gold rings under $150 I have ready to ship."
    );
    assert_eq!(none.get("products"), None);
    assert_eq!(none["context"]["search"], before["search"]);
}

#[test]
fn show_me_more_pages_and_start_over_clears() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-page");
    let first = chat.say("rings");
    assert_eq!(first["more"], true);
    assert_eq!(first["page"], 1);
    let page1 = skus(&first);
    let second = chat.say("show me more");
    assert_eq!(second["intent"], "more_results");
    assert_eq!(second["page"], 2);
    assert_eq!(second["reply"], "Here are more rings.");
    let page2 = skus(&second);
    assert_eq!(page2.len(), 6);
    assert!(page2.iter().all(|s| !page1.contains(s)), "no repeats");
    chat.say("more");
    let last = chat.say("next");
    assert_eq!(last["page"], 4);
    assert_eq!(last["more"], false, "20 rings in pages of 6");
    assert_eq!(skus(&last).len(), 2);
    let beyond = chat.say("more please");
    assert_eq!(
        beyond["reply"],
        "That's everything I have for rings right now."
    );
    assert_eq!(beyond["page"], 4, "stays on the last page");
    let cleared = chat.say("start over");
    assert_eq!(cleared["intent"], "start_over");
    assert_eq!(
        cleared["filters"],
        json!({"categories": [], "metals": [], "styles": [], "price": null})
    );
    assert_eq!(cleared["page"], 0);
    let nothing = chat.say("show me more");
    assert!(
        nothing["reply"]
            .as_str()
            .is_some_and(|r| r.starts_with("Tell me what you're looking for")),
        "{nothing}"
    );
}

#[test]
fn two_conversations_do_not_mix() {
    let h = conversation_harness();
    let mut a = Chat::new(&h, "s-a");
    let mut b = Chat::new(&h, "s-a");
    a.say("rose gold rings");
    b.say("necklaces");
    let a2 = a.say("under 300");
    let b2 = b.say("under 300");
    assert_eq!(a2["filters"]["categories"], json!(["rings"]));
    assert_eq!(a2["filters"]["metals"], json!(["rose_gold"]));
    assert_eq!(b2["filters"]["categories"], json!(["necklaces"]));
    assert_eq!(b2["filters"]["metals"], json!([]));
}

#[test]
fn a_removed_chip_clears_only_its_slot() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-chip");
    chat.say("rose gold hoops under $300");
    let removed = chat.send(json!({"remove": "metals"}));
    assert_eq!(removed["filters"]["metals"], json!([]));
    assert_eq!(removed["filters"]["styles"], json!(["hoop"]));
    assert_eq!(removed["filters"]["categories"], json!(["earrings"]));
    assert_eq!(skus(&removed), ["ER-1"]);
    let no_price = chat.send(json!({"remove": "price"}));
    assert_eq!(skus(&no_price), ["ER-1", "ER-2"]);
    let both = h.post(
        "/v1/messages",
        json!({"session_id": "s", "text": "hi", "remove": "price"}),
    );
    assert_eq!(
        error_of(&both),
        (422, "invalid_field".into(), json!("remove"))
    );
    let bad = h.post(
        "/v1/messages",
        json!({"session_id": "s", "remove": "colour"}),
    );
    assert_eq!(
        error_of(&bad),
        (422, "invalid_field".into(), json!("remove"))
    );
}

#[test]
fn things_not_sold_are_said_plainly_with_the_nearest_alternatives() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-silver");
    let silver = chat.say("sterling silver studs");
    let reply = silver["reply"].as_str().unwrap_or_default();
    assert!(reply.starts_with("We don't work in silver"), "{reply}");
    assert!(
        reply.contains("white gold or platinum stud earrings"),
        "{reply}"
    );
    assert_eq!(silver["entities"]["unsupported"][0]["id"], "silver");
    assert_eq!(skus(&silver), ["ER-3", "ER-4"]);
    let anklet = Chat::new(&h, "s-anklet").say("a gold anklet");
    assert!(
        anklet["reply"]
            .as_str()
            .is_some_and(|r| r.starts_with("We don't make anklets.")),
        "{anklet}"
    );
    assert_eq!(anklet.get("products"), None);
}

#[test]
fn a_style_with_nothing_in_stock_falls_back_to_its_category() {
    let h = conversation_harness();
    let moon = Chat::new(&h, "s-moon").say("moon necklace");
    assert_eq!(
        moon["reply"],
        "I don't have moon necklaces ready to ship right now; here are other necklaces."
    );
    assert_eq!(skus(&moon), ["NK-1", "NK-2"]);
    assert_eq!(moon["filters"]["styles"], json!([]));
    let hoops = Chat::new(&h, "s-hoops").say("hoops");
    assert_eq!(skus(&hoops), ["ER-1", "ER-2"], "only hoops: {hoops}");
}

#[test]
fn five_fast_messages_keep_every_refinement() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-fast");
    for text in [
        "rings",
        "in rose gold",
        "under $800",
        "over 200",
        "show me more",
    ] {
        chat.say(text);
    }
    let search = &chat.context["search"];
    assert_eq!(search["categories"], json!(["rings"]));
    assert_eq!(search["metals"], json!(["rose_gold"]));
    assert_eq!(search["price"]["kind"], "over", "the last price wins");
    assert_eq!(chat.context["page"], 2);
}

#[test]
fn a_malformed_context_is_a_422_at_its_path_and_changes_nothing() {
    let h = conversation_harness();
    for (context, path) in [
        (json!("nope"), "context"),
        (
            json!({"v": 1, "search": {"metals": "rose_gold"}}),
            "context.search.metals",
        ),
        (
            json!({"v": 1, "search": {"metals": [7]}}),
            "context.search.metals[0]",
        ),
        (
            json!({"v": 1, "search": {"price": {"kind": "cheap", "max": 5}}}),
            "context.search.price.kind",
        ),
        (
            json!({"v": 1, "search": {"price": {"kind": "between", "min": 9, "max": 5}}}),
            "context.search.price.min",
        ),
        (json!({"v": 1, "page": -1}), "context.page"),
        (json!({"v": 1, "shown": ["RG 1"]}), "context.shown[0]"),
        (
            json!({"v": 1, "shown_cents": [5, -1]}),
            "context.shown_cents",
        ),
        (json!({"v": 1, "extra": true}), "context.extra"),
        (json!({"search": {}}), "context.v"),
    ] {
        let response = h.post(
            "/v1/messages",
            json!({"session_id": "s", "text": "rings", "context": context}),
        );
        let (status, _, field) = error_of(&response);
        assert_eq!((status, field), (422, json!(path)), "{context}");
    }
    // Whole numbers written as floats are whole numbers, as the OpenAPI `integer` says (schemathesis
    // sent `[0.0, 0]` and got a 422).
    let floats = h.post(
        "/v1/messages",
        json!({"session_id": "s", "text": "cheaper", "context": {"v": 1.0, "shown_cents": [0.0, 50000.0]}}),
    );
    assert_eq!(floats.status, 200, "{}", floats.body);
    let (status, _, field) = error_of(&h.post(
        "/v1/messages",
        json!({"session_id": "s", "text": "rings", "context": {"v": 1, "shown_cents": [0.5, 1]}}),
    ));
    assert_eq!((status, field), (422, json!("context.shown_cents")));
    // Values the current rules do not know are dropped, not fatal.
    let old = h
        .post(
            "/v1/messages",
            json!({"session_id": "s", "text": "under 300", "context": {"v": 1, "search": {"categories": ["brooches", "rings"]}}}),
        )
        .json_body();
    assert_eq!(old["filters"]["categories"], json!(["rings"]));
    let other_version = h
        .post(
            "/v1/messages",
            json!({"session_id": "s", "text": "under 300", "context": {"v": 99, "search": {"categories": ["rings"]}}}),
        )
        .json_body();
    assert_eq!(other_version["filters"]["categories"], json!([]));
}

/// A copy of the shipped rules with one more category (`brooches`, with a style implying it)
/// in place of the "not sold" entry, in a fresh temp directory.
fn rules_with_brooches() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!(
        "aurora-rules-brooches-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    for file in crate::rules::RULE_FILES {
        let text = std::fs::read_to_string(root.join("rules").join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let text = if *file == "entities.toml" {
            let start = text
                .find("[unsupported.brooches]")
                .unwrap_or_else(|| panic!("rules declare brooches as not sold"));
            let end = start
                + text[start..]
                    .find("\n\n")
                    .unwrap_or_else(|| panic!("entry ends"));
            let mut edited = text.clone();
            edited.replace_range(start..end, "");
            edited.replacen(
                "[styles.solitaire]",
                "[categories.brooches]\nsynonyms = [\"brooch\", \"broach\", \"lapel pin\"]\n\n\
                 [styles.cameo]\nsynonyms = [\"cameo\"]\nimplies = \"brooches\"\n\n\
                 [styles.solitaire]",
                1,
            )
        } else {
            text
        };
        std::fs::write(dir.join(file), text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// The domain comes from the rules, once: a category added to `entities.toml` is classified,
/// seeded by `scripts/gen-seed`, accepted by the API's validation, listed by `/v1/flags` and
/// searched, with no other change anywhere.
#[test]
fn a_category_added_to_the_rules_works_end_to_end() {
    let dir = rules_with_brooches();
    let loaded = crate::rules::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded.failed_examples.is_none());
    let mut h = Harness::new();
    h.engine = loaded.engine;
    h.config.rate_limit_scale = 100;
    assert!(h.engine.domain().is_category("brooches"));
    let c = h.engine.classify("a cameo in rose gold");
    assert_eq!(c.intent, "product_discovery");
    assert_eq!(c.entities.category.as_deref(), Some("brooches"));

    // The seed generator reads the same domain (what `concierge domain` prints).
    let out = dir.join("seed");
    let domain_file = dir.join("domain.json");
    std::fs::write(
        &domain_file,
        serde_json::to_string(h.engine.domain()).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let status = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gen-seed"))
        .args(["--domain", &domain_file.to_string_lossy()])
        .args(["--out", &out.to_string_lossy()])
        .status()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(status.success());
    let seed = std::fs::read_to_string(out.join("seed.sql")).unwrap_or_else(|e| panic!("{e}"));
    h.db.conn
        .execute_batch(&seed)
        .unwrap_or_else(|e| panic!("seed: {e}"));
    assert_eq!(
        h.db.count("SELECT COUNT(*) FROM products WHERE category = 'brooches'"),
        60
    );

    let flags = h.get("/v1/flags").json_body();
    assert!(flags["domain"]["categories"]
        .as_array()
        .is_some_and(|c| c.contains(&json!("brooches"))));
    let listed = h.get("/v1/products?category=brooches&metal=rose_gold&limit=3");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json_body()["count"], 3);
    let reply = h
        .post(
            "/v1/messages",
            json!({"session_id": "s-b", "text": "rose gold brooches under $1,000"}),
        )
        .json_body();
    assert_eq!(
        reply["filters"]["categories"],
        json!(["brooches"]),
        "{reply}"
    );
    let products = reply["products"].as_array().cloned().unwrap_or_default();
    assert!(!products.is_empty());
    assert!(products
        .iter()
        .all(|p| p["category"] == "brooches" && p["metal"] == "rose_gold"));
    // The shipped rules still do not know it.
    let shipped = Harness::new();
    let refused = shipped.get("/v1/products?category=brooches");
    assert_eq!(
        error_of(&refused),
        (422, "invalid_field".into(), json!("category"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_words_search_but_count_as_not_understood() {
    let h = conversation_harness();
    let mut chat = Chat::new(&h, "s-guess");
    let first = chat.say("qwzx plorb vrumf");
    assert_eq!(first["intent"], "product_discovery");
    assert_eq!(first["context"]["unmatched"], 1);
    assert_eq!(first["next_step"], "show_products");
    assert!(first["reply"]
        .as_str()
        .is_some_and(|r| r.starts_with("I'm not sure we carry exactly that")));
    let second = chat.say("blarg snorf");
    assert_eq!(second["context"]["unmatched"], 2);
    assert_eq!(second["next_step"], "offer_stylist", "{second}");
    let understood = chat.say("rose gold rings");
    assert_eq!(understood["context"]["unmatched"], 0);
}

// ---- The `durable_object` conversation store: `Api::serve_session` over one session's storage.

/// One session's storage in memory; either operation can be made to fail.
#[derive(Default)]
struct MemorySession {
    stored: RefCell<Option<StoredConversation>>,
    saves: Cell<u32>,
    fail_load: Cell<bool>,
    fail_save: Cell<bool>,
}

impl SessionStorage for MemorySession {
    fn load(&self) -> Result<Option<StoredConversation>, StorageError> {
        if self.fail_load.get() {
            return Err(StorageError::Database("SQLITE_IOERR: simulated".into()));
        }
        Ok(self.stored.borrow().clone())
    }

    fn save(&self, conversation: &StoredConversation) -> Result<(), StorageError> {
        if self.fail_save.get() {
            return Err(StorageError::Database("SQLITE_FULL: simulated".into()));
        }
        self.saves.set(self.saves.get() + 1);
        *self.stored.borrow_mut() = Some(conversation.clone());
        Ok(())
    }
}

impl MemorySession {
    fn context(&self) -> Value {
        self.stored
            .borrow()
            .as_ref()
            .and_then(|s| serde_json::from_str(&s.context).ok())
            .unwrap_or(Value::Null)
    }
}

/// A message body for one session, answered through its store (no `context` sent).
async fn session_message(
    h: &Harness,
    gate: &Turnstile,
    store: &MemorySession,
    body: Value,
) -> ApiResponse {
    let request = ApiRequest::new("POST", "/v1/messages").with_json(&body.to_string());
    h.api().serve_session(gate, store, &request, &h.sink).await
}

fn say_in_session(h: &Harness, gate: &Turnstile, store: &MemorySession, text: &str) -> Value {
    let response = block_on(session_message(
        h,
        gate,
        store,
        json!({"session_id": "s-do", "text": text}),
    ));
    assert_eq!(response.status, 200, "{text}: {}", response.body);
    response.json_body()
}

#[test]
fn a_session_store_keeps_the_conversation_the_client_does_not_send() {
    let h = conversation_harness();
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    say_in_session(&h, &gate, &store, "rings under $500");
    let rose = say_in_session(&h, &gate, &store, "in rose gold");
    assert_eq!(rose["filters"]["categories"], json!(["rings"]), "{rose}");
    assert_eq!(rose["filters"]["price"]["max"], json!(500.0));
    assert_eq!(skus(&rose), ["RR-05", "RR-04", "RR-03", "RR-02", "RR-01"]);
    let capped = say_in_session(&h, &gate, &store, "under 300 instead");
    assert_eq!(capped["filters"]["metals"], json!(["rose_gold"]));
    assert_eq!(skus(&capped), ["RR-03", "RR-02", "RR-01"]);
    // The store holds exactly what the last reply carried.
    assert_eq!(store.context(), capped["context"]);
    assert_eq!(store.saves.get(), 3);
}

#[test]
fn a_context_sent_to_a_session_store_is_ignored() {
    let h = conversation_harness();
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    say_in_session(&h, &gate, &store, "rose gold rings");
    for sent in [
        json!({"v": 1, "search": {"categories": ["necklaces"], "metals": ["yellow_gold"]}}),
        json!("nope"),
    ] {
        let reply = block_on(session_message(
            &h,
            &gate,
            &store,
            json!({"session_id": "s-do", "text": "under 300", "context": sent}),
        ));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let reply = reply.json_body();
        assert_eq!(reply["filters"]["categories"], json!(["rings"]), "{reply}");
        assert_eq!(reply["filters"]["metals"], json!(["rose_gold"]));
    }
}

#[test]
fn bad_input_to_a_session_store_is_its_4xx_and_stores_nothing() {
    let h = conversation_harness();
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    say_in_session(&h, &gate, &store, "rose gold rings");
    let before = store.stored.borrow().clone();
    for (body, status, field) in [
        (json!({"session_id": "s-do"}), 422, json!("text")),
        (
            json!({"session_id": "s-do", "text": "x", "remove": "price"}),
            422,
            json!("remove"),
        ),
        (
            json!({"session_id": "s-do", "text": "x", "colour": "red"}),
            422,
            json!("colour"),
        ),
    ] {
        let response = block_on(session_message(&h, &gate, &store, body));
        let (got_status, _, got_field) = error_of(&response);
        assert_eq!(
            (got_status, got_field),
            (status, field),
            "{}",
            response.body
        );
    }
    assert_eq!(*store.stored.borrow(), before);
    assert_eq!(store.saves.get(), 1);
}

#[test]
fn a_failing_session_store_is_a_500_internal_without_details() {
    let h = conversation_harness();
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    for fail in [&store.fail_load, &store.fail_save] {
        fail.set(true);
        let response = block_on(session_message(
            &h,
            &gate,
            &store,
            json!({"session_id": "s-do", "text": "rings"}),
        ));
        let (status, code, _) = error_of(&response);
        assert_eq!((status, code.as_str()), (500, "internal"));
        assert!(!response.body.contains("SQLITE"), "{}", response.body);
        assert_eq!(
            response.header("x-rules-version"),
            Some(h.engine.rules_version())
        );
        fail.set(false);
    }
    let details = h.sink.1.borrow();
    assert!(details[0].contains("SQLITE_IOERR"), "{details:?}");
    assert!(details[1].contains("SQLITE_FULL"), "{details:?}");
    assert_eq!(
        h.sink.0.borrow().last().map(|p| p.route.clone()),
        Some("POST /v1/messages".to_string())
    );
    // The store works again once storage does.
    assert_eq!(say_in_session(&h, &gate, &store, "rings")["page"], 1);
}

#[test]
fn a_session_idle_for_a_day_starts_afresh() {
    let h = conversation_harness();
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    say_in_session(&h, &gate, &store, "rose gold rings");
    h.clock.0.set(h.clock.0.get() + IDLE_TTL_MS - 1);
    let kept = say_in_session(&h, &gate, &store, "under 300");
    assert_eq!(kept["filters"]["categories"], json!(["rings"]));
    h.clock.0.set(h.clock.0.get() + IDLE_TTL_MS);
    let fresh = say_in_session(&h, &gate, &store, "under 300");
    assert_eq!(fresh["filters"]["categories"], json!([]), "{fresh}");
}

#[test]
fn a_session_store_does_not_spend_the_rate_limit_the_worker_already_counted() {
    let mut h = conversation_harness();
    h.config.rate_limit_scale = 1;
    let per_minute = h.engine.thresholds().rate_limits.messages_per_minute;
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    for _ in 0..=per_minute {
        say_in_session(&h, &gate, &store, "rings");
    }
    let request = ApiRequest::new("POST", "/v1/messages").with_json("{}");
    for _ in 0..per_minute {
        assert_eq!(h.api().admit(&request), Ok(()));
    }
    assert!(matches!(
        h.api().admit(&request),
        Err(ApiError::RateLimited { .. })
    ));
}

/// Refinements of one slot each, so every order of applying them ends in the same search.
const BACK_TO_BACK: [&str; 5] = [
    "rings",
    "in rose gold",
    "under 500",
    "show me more",
    "under 450 instead",
];

/// Sends [`BACK_TO_BACK`] to one store all at once (polled round-robin, each D1 query yielding
/// once as on D1), each request passing its own gate when `shared_gate` is false.
fn back_to_back(shared_gate: bool) -> (Vec<Value>, Value) {
    let mut h = conversation_harness();
    h.db.yield_once = true;
    let store = MemorySession::default();
    let shared = Turnstile::default();
    let own: Vec<Turnstile> = BACK_TO_BACK.iter().map(|_| Turnstile::default()).collect();
    let replies = block_on_all(
        BACK_TO_BACK
            .iter()
            .zip(&own)
            .map(|(text, own)| {
                let gate = if shared_gate { &shared } else { own };
                session_message(
                    &h,
                    gate,
                    &store,
                    json!({"session_id": "s-fast", "text": text}),
                )
            })
            .collect(),
    );
    let replies = replies.iter().map(ApiResponse::json_body).collect();
    (replies, store.context())
}

#[test]
fn back_to_back_messages_of_one_session_keep_every_refinement() {
    // One at a time, as a patient shopper would send them.
    let h = conversation_harness();
    let (gate, store) = (Turnstile::default(), MemorySession::default());
    let sequential: Vec<Value> = BACK_TO_BACK
        .iter()
        .map(|text| say_in_session(&h, &gate, &store, text))
        .collect();
    let last = &sequential[4];
    assert_eq!(last["filters"]["categories"], json!(["rings"]));
    assert_eq!(last["filters"]["metals"], json!(["rose_gold"]));
    assert_eq!(last["filters"]["price"]["max"], json!(450.0));

    // All at once through the session's gate: served in arrival order, one at a time, so the
    // replies and the stored conversation are exactly those of the patient shopper.
    let (replies, stored) = back_to_back(true);
    for (fast, slow) in replies.iter().zip(&sequential) {
        assert_eq!(fast["filters"], slow["filters"]);
        assert_eq!(fast["page"], slow["page"]);
        assert_eq!(skus(fast), skus(slow));
    }
    assert_eq!(stored, store.context());
}

#[test]
fn without_the_gate_back_to_back_messages_lose_refinements() {
    // Why the gate exists: a Durable Object lets a second request in while the first awaits D1,
    // both read the same stored conversation, and the last write wins.
    let (_, stored) = back_to_back(false);
    let search = &stored["search"];
    assert!(
        search["categories"] != json!(["rings"]) || search["metals"] != json!(["rose_gold"]),
        "expected a lost refinement without the gate: {stored}"
    );
}

/// A harness over the shipped rules with each file's text passed through `edit(file name, text)`.
fn harness_with_rules(edit: impl Fn(&str, String) -> String) -> Harness {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.extension().is_some_and(|x| x == "toml") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            sources.push(crate::rules::SourceFile {
                path: format!("rules/{name}"),
                text: edit(&name, text),
            });
        }
    }
    let loaded = crate::rules::compile_sources(sources).unwrap_or_else(|r| panic!("{r}"));
    let mut h = Harness::new();
    h.engine = loaded.engine;
    h.config.rate_limit_scale = 100;
    h
}

/// Per-feature rollout with effect (`[features.*]` in `rollout.toml`).
mod features {
    use super::*;

    /// The shipped rules with `rollout.toml`'s feature tables replaced by `features`.
    fn harness_with_features(features: &str) -> Harness {
        harness_with_rules(|name, mut text| {
            if name == "rollout.toml" {
                let cut = text.find("[features.").unwrap_or(text.len());
                text.truncate(cut);
                text.push_str(features);
            }
            text
        })
    }

    fn as_shopper(mut request: ApiRequest, shopper: &str) -> ApiRequest {
        request.shopper_id = Some(shopper.into());
        request
    }

    const ZERO: &str = "[features.order_lookup]\npercentage = 0\nallowlist = [\"u-tester\"]\n\n[features.stylist_chat]\nenabled = false\n";

    #[test]
    fn a_feature_at_zero_percent_closes_its_route_and_its_chat_answer() {
        let h = harness_with_features(ZERO);
        let lookup = json!({"order_number": "AUR-100001", "email": "ada@example.com"});
        let request = ApiRequest::new("POST", "/v1/orders/lookup").with_json(&lookup.to_string());
        let (status, code, _) = error_of(&h.send(as_shopper(request, "u-someone")));
        assert_eq!((status, code.as_str()), (403, "feature_disabled"));
        // Chat does not offer what the shopper cannot use.
        let reply = h
            .post(
                "/v1/messages",
                json!({"session_id": "s-1", "user_id": "u-someone", "text": "where is my order AUR-100001 ada@example.com"}),
            )
            .json_body();
        assert_eq!(reply["intent"], "order_tracking");
        assert!(reply["order"].is_null(), "{reply}");
        assert!(reply["next_step"].is_null(), "{reply}");
        assert!(
            reply["reply"]
                .as_str()
                .unwrap_or("")
                .contains("can't look up orders"),
            "{reply}"
        );
        let reply = h
            .post("/v1/messages", json!({"session_id": "s-2", "user_id": "u-someone", "text": "can I talk to a stylist"}))
            .json_body();
        assert_eq!(reply["intent"], "stylist_escalation");
        assert!(reply["next_step"].is_null(), "{reply}");
        let escalation = json!({"session_id": "s-2", "email": "ada@example.com", "topic": "styling", "message": "help"});
        let mut request =
            ApiRequest::new("POST", "/v1/escalations").with_json(&escalation.to_string());
        request.idempotency_key = Some("k-esc-1".into());
        let (status, code, _) = error_of(&h.send(as_shopper(request, "u-someone")));
        assert_eq!((status, code.as_str()), (403, "feature_disabled"));
        assert_eq!(
            h.db.count("SELECT COUNT(*) FROM tickets"),
            0,
            "nothing was created"
        );
    }

    #[test]
    fn an_allowlisted_shopper_gets_a_feature_at_zero_percent() {
        let h = harness_with_features(ZERO);
        let lookup = json!({"order_number": "AUR-100001", "email": "ada@example.com"});
        let request = ApiRequest::new("POST", "/v1/orders/lookup").with_json(&lookup.to_string());
        let response = h.send(as_shopper(request, "u-tester"));
        assert_eq!(response.status, 200, "{}", response.body);
        let reply = h
            .post(
                "/v1/messages",
                json!({"session_id": "s-3", "user_id": "u-tester", "text": "where is my order AUR-100001 ada@example.com"}),
            )
            .json_body();
        assert_eq!(reply["order"]["order_number"], "AUR-100001", "{reply}");
        let flags = h.get("/v1/flags?user_id=u-tester").json_body();
        assert_eq!(flags["features"]["order_lookup"], true, "{flags}");
        assert_eq!(flags["features"]["stylist_chat"], false, "{flags}");
        assert_eq!(flags["features"]["product_search"], true, "{flags}");
        let flags = h.get("/v1/flags?user_id=u-someone").json_body();
        assert_eq!(flags["features"]["order_lookup"], false, "{flags}");
    }

    #[test]
    fn at_one_hundred_percent_everyone_gets_it_even_anonymously() {
        let h = harness_with_features("[features.order_lookup]\npercentage = 100\n");
        let lookup = json!({"order_number": "AUR-100001", "email": "ada@example.com"});
        let response = h.post("/v1/orders/lookup", lookup);
        assert_eq!(response.status, 200, "{}", response.body);
        let flags = h.get("/v1/flags").json_body();
        assert_eq!(flags["features"]["order_lookup"], true, "{flags}");
    }

    #[test]
    fn product_search_off_answers_without_products() {
        let h = harness_with_features("[features.product_search]\nenabled = false\n");
        let (status, code, _) = error_of(&h.get("/v1/products?category=rings"));
        assert_eq!((status, code.as_str()), (403, "feature_disabled"));
        let reply = h
            .post(
                "/v1/messages",
                json!({"session_id": "s-4", "text": "rose gold rings under $500"}),
            )
            .json_body();
        assert_eq!(reply["intent"], "product_discovery");
        assert!(reply["products"].is_null(), "{reply}");
        assert_eq!(reply["next_step"], "offer_stylist", "{reply}");
        assert!(
            reply["filters"]["categories"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "the search is not kept: {reply}"
        );
    }

    #[test]
    fn a_malformed_shopper_header_is_a_422_at_its_name() {
        let h = harness_with_features(ZERO);
        let request = as_shopper(ApiRequest::new("GET", "/v1/products"), "not an id!");
        let (status, code, field) = error_of(&h.send(request));
        assert_eq!((status, code.as_str()), (422, "invalid_field"));
        assert_eq!(field, json!("X-Shopper-Id"));
        // Also when the message names its user in the body (schemathesis found this one).
        let mut request = ApiRequest::new("POST", "/v1/messages")
            .with_json(&json!({"session_id": "s-5", "user_id": "u-1", "text": "hi"}).to_string());
        request.shopper_id = Some(String::new());
        let (status, _, field) = error_of(&h.send(request));
        assert_eq!((status, field), (422, json!("X-Shopper-Id")));
    }
}

// ---- Holding up under bad input, abuse and faults (issue 9) ----

fn admin_get(h: &Harness, path: &str, token: &str) -> ApiResponse {
    let mut request = ApiRequest::new("GET", path);
    request.authorization = Some(format!("Bearer {token}"));
    h.send(request)
}

fn from(ip: &str, mut request: ApiRequest) -> ApiRequest {
    request.client_ip = ip.to_string();
    request
}

#[test]
fn the_kill_switch_stops_shopper_routes_with_503_but_not_admin_health_or_flags() {
    let mut h = Harness::new();
    h.config.kill_switch_cache_ms = 0;
    block_on(h.kv.put(super::KILL_SWITCH_KEY, "on", 60)).unwrap_or_else(|e| panic!("{e}"));
    let shopper = [
        h.post("/v1/messages", json!({"session_id": "s1", "text": "rings"})),
        h.get("/v1/products"),
        h.post(
            "/v1/orders/lookup",
            json!({"order_number": "AUR-100001", "email": "ada@example.com"}),
        ),
        h.post("/v1/escalations", json!({"session_id": "s1", "email": "ada@example.com", "topic": "t", "message": "m"})),
        h.post("/v1/csat", json!({"ticket_id": "TCK-1", "score": 5})),
        h.post("/v1/returns", json!({"order_number": "AUR-100001", "email": "ada@example.com", "sku": "RG-1", "kind": "return", "reason": "r"})),
    ];
    for response in &shopper {
        assert_eq!(error_of(response).0, 503, "{}", response.body);
        assert_eq!(error_of(response).1, "concierge_disabled");
        assert_eq!(response.header("retry-after"), Some("60"));
    }
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 0);
    let flags = h.get("/v1/flags").json_body();
    assert_eq!(
        (flags["enabled"].as_bool(), flags["reason"].as_str()),
        (Some(false), Some("emergency_off"))
    );
    assert_eq!(h.get("/health").status, 200);
    assert_eq!(admin_get(&h, "/v1/admin/tickets", "sup").status, 200);
    // Off again: shopper routes answer.
    h.kv.entries.borrow_mut().clear();
    assert_eq!(h.get("/v1/products").status, 200);
}

#[test]
fn a_failed_kill_switch_read_keeps_the_last_known_value() {
    let mut h = Harness::new();
    h.config.kill_switch_cache_ms = 0;
    block_on(h.kv.put(super::KILL_SWITCH_KEY, "on", 60)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.get("/v1/products").status, 503);
    h.kv.failing.set(true);
    assert_eq!(
        h.get("/v1/products").status,
        503,
        "stays on through a KV outage"
    );
    h.kv.failing.set(false);
    h.kv.entries.borrow_mut().clear();
    assert_eq!(h.get("/v1/products").status, 200);
    h.kv.failing.set(true);
    assert_eq!(
        h.get("/v1/products").status,
        200,
        "stays off through a KV outage"
    );
}

/// Regression: `log_message(..).await?` turned a D1 write failure into a 500 for the shopper.
#[test]
fn a_failing_message_log_write_still_answers_and_loses_nothing() {
    let mut h = Harness::new();
    h.config.message_log_batch = 2;
    h.db.fail_on = Some("INSERT INTO message_log");
    for i in 0..5 {
        let reply = h.post(
            "/v1/messages",
            json!({"session_id": "s1", "text": format!("hello {i}")}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(h.db.count("SELECT COUNT(*) FROM message_log"), 0);
    let report = h.state.report();
    assert_eq!(report["message_log"]["buffered"], 5);
    assert!(report["message_log"]["failed_writes"].as_u64() >= Some(2));
    h.db.fail_on = None;
    assert_eq!(
        h.post("/v1/messages", json!({"session_id": "s1", "text": "hi"}))
            .status,
        200
    );
    assert_eq!(
        h.db.count("SELECT COUNT(*) FROM message_log"),
        6,
        "every message once: batches are all-or-nothing"
    );
    assert_eq!(h.state.report()["message_log"]["buffered"], 0);
}

#[test]
fn a_message_log_batch_is_one_statement_that_keeps_every_row_as_it_was() {
    let h = Harness::new();
    // More rows than 100 parameters could bind one per column, an intent with quotes and
    // non-ASCII, and a confidence that is not a number (stored as 0, not failing the batch).
    let entries: Vec<super::store::MessageLogEntry> = (0..130)
        .map(|i| super::store::MessageLogEntry {
            intent: if i == 7 {
                r#"it's "odd" ✓"#.to_string()
            } else {
                format!("intent_{i}")
            },
            confidence: if i == 9 {
                f64::NAN
            } else {
                f64::from(i) / 200.0
            },
            created_at: format!("2026-12-03T07:{:02}:{:02}Z", i / 60, i % 60),
            question: None,
        })
        .collect();
    block_on(super::store::insert_message_log(&h.db, &entries)).expect("written");
    let rows: Vec<(String, f64, String)> =
        h.db.conn
            .prepare("SELECT intent, confidence, created_at FROM message_log ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    assert_eq!(rows.len(), entries.len());
    for (i, (row, entry)) in rows.iter().zip(&entries).enumerate() {
        let confidence = if i == 9 { 0.0 } else { entry.confidence };
        assert_eq!(
            row,
            &(entry.intent.clone(), confidence, entry.created_at.clone()),
            "row {i}"
        );
    }
}

#[test]
fn the_message_log_buffer_is_bounded_during_an_outage() {
    let h = Harness::new();
    for i in 0..(super::MAX_BUFFERED_MESSAGE_LOG + 7) {
        h.state.buffer_message_log(
            super::store::MessageLogEntry {
                intent: format!("i{i}"),
                confidence: 0.5,
                created_at: NOW.into(),
                question: None,
            },
            0,
        );
    }
    let report = h.state.report();
    assert_eq!(
        report["message_log"]["buffered"],
        super::MAX_BUFFERED_MESSAGE_LOG
    );
    assert_eq!(report["message_log"]["dropped"], 7);
    let kept = h.state.take_message_log();
    assert_eq!(
        kept.first().map(|e| e.intent.as_str()),
        Some("i7"),
        "the oldest go first"
    );
}

fn escalation() -> Value {
    json!({"session_id": "s1", "email": "ada@example.com", "topic": "Sizing", "message": "Help"})
}

fn keyed(ip: &str, key: &str, body: &Value) -> ApiRequest {
    let mut request = ApiRequest::new("POST", "/v1/escalations").with_json(&body.to_string());
    request.idempotency_key = Some(key.into());
    from(ip, request)
}

/// A request that claimed its key and died (client gone, CPU limit, crash) before completing.
fn abandon_claim(h: &Harness, ip: &str, key: &str, body: &Value) {
    let route = "POST /v1/escalations";
    let scoped = super::idempotency::scoped_key(route, &super::ratelimit::client_key(ip), key);
    let canonical = body.to_string();
    let hash = super::idempotency::request_hash(route, &canonical);
    let begun = block_on(super::idempotency::begin(
        &h.db,
        &scoped,
        route,
        &hash,
        "dead-owner",
        h.clock.0.get(),
    ));
    assert!(
        matches!(begun, Ok(super::idempotency::Begin::Proceed(_))),
        "{begun:?}"
    );
}

/// Regression: a request that died after claiming its key left every retry with 409 for 24 h.
#[test]
fn an_abandoned_claim_is_taken_over_by_a_retry_after_its_lease() {
    let h = Harness::new();
    let body = escalation();
    abandon_claim(&h, "203.0.113.9", "k-dead", &body);
    let early = h.send(keyed("203.0.113.9", "k-dead", &body));
    assert_eq!(error_of(&early).1, "idempotency_in_flight");
    h.clock
        .0
        .set(h.clock.0.get() + super::idempotency::LEASE_MS + 1_000);
    let changed = h.send(keyed("203.0.113.9", "k-dead", &json!({"session_id": "s1", "email": "ada@example.com", "topic": "Other", "message": "Help"})));
    assert_eq!(
        error_of(&changed).1,
        "idempotency_key_reused",
        "a stale claim is only taken over by the same request"
    );
    let retry = h.send(keyed("203.0.113.9", "k-dead", &body));
    assert_eq!(retry.status, 201, "{}", retry.body);
    let replay = h.send(keyed("203.0.113.9", "k-dead", &body));
    assert_eq!(
        (replay.status, replay.body.as_str()),
        (201, retry.body.as_str())
    );
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 1);
}

#[test]
fn of_two_racing_takeovers_exactly_one_wins_and_a_late_owner_writes_nothing() {
    let mut h = Harness::new();
    let body = escalation();
    abandon_claim(&h, "203.0.113.9", "k-race", &body);
    h.clock
        .0
        .set(h.clock.0.get() + super::idempotency::LEASE_MS + 1_000);
    h.db.yield_once = true;
    let requests: Vec<ApiRequest> = (0..8)
        .map(|_| keyed("203.0.113.9", "k-race", &body))
        .collect();
    let api = h.api();
    let responses = block_on_all(requests.iter().map(|r| api.serve(r, &h.sink)).collect());
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        h.db.count("SELECT COUNT(*) FROM tickets"),
        1,
        "{statuses:?}"
    );
    // The dead owner wakes up and commits: its guarded batch writes nothing.
    h.db.yield_once = false;
    let claim = super::idempotency::Claim {
        key: super::idempotency::scoped_key("POST /v1/escalations", "203.0.113.9", "k-race"),
        owner: "dead-owner".into(),
    };
    let ticket = super::models::Ticket {
        ticket_id: "TCK-LATE".into(),
        session_id: "s1".into(),
        email: "ada@example.com".into(),
        name: None,
        topic: "Sizing".into(),
        message: "Help".into(),
        status: super::kinds::TicketStatus::Open,
        note: None,
        assignee: None,
        created_at: NOW.into(),
        updated_at: NOW.into(),
    };
    let late = block_on(h.db.batch(&[
        super::store::insert_ticket(&ticket, Some(&claim)),
        super::idempotency::complete_statement(&claim, &ApiResponse::json(201, &json!({}))),
    ]));
    assert_eq!(late, Ok(vec![0, 0]));
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 1);
}

#[test]
fn idempotency_keys_are_scoped_by_client_and_route() {
    let h = Harness::new();
    let body = escalation();
    assert_eq!(h.send(keyed("203.0.113.1", "same", &body)).status, 201);
    let other_client = h.send(keyed("203.0.113.2", "same", &body));
    assert_eq!(other_client.header("idempotent-replayed"), None);
    assert_eq!(other_client.status, 201);
    // One IPv6 /64 is one client.
    assert_eq!(h.send(keyed("2001:db8::1", "v6", &body)).status, 201);
    let same_64 = h.send(keyed("2001:db8::2", "v6", &body));
    assert_eq!(same_64.header("idempotent-replayed"), Some("true"));
    let mut csat = ApiRequest::new("POST", "/v1/csat")
        .with_json(&json!({"ticket_id": "TCK-NOPE", "score": 5}).to_string());
    csat.idempotency_key = Some("same".into());
    csat.client_ip = "203.0.113.1".into();
    assert_eq!(
        error_of(&h.send(csat)).1,
        "not_found",
        "another route, another key"
    );
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 3);
}

#[test]
fn the_scheduled_purge_deletes_expired_keys_and_old_message_logs_only() {
    let h = Harness::new();
    h.db.conn
        .execute_batch(
            "INSERT INTO idempotency_keys (key, route, request_hash, status, owner, created_at, claimed_at) VALUES
               ('old', 'r', 'h', 'done', 'o', '2026-11-24T11:00:00Z', '2026-11-24T11:00:00Z'),
               ('new', 'r', 'h', 'done', 'o', '2026-11-25T11:00:00Z', '2026-11-25T11:00:00Z');
             INSERT INTO message_log (intent, confidence, created_at) VALUES
               ('greeting', 1, '2026-08-01T00:00:00Z'), ('greeting', 1, '2026-11-20T00:00:00Z');",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let purged = block_on(super::purge(&h.db, h.clock.0.get())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((purged.idempotency_keys, purged.message_log), (1, 1));
    assert_eq!(
        h.db.count("SELECT COUNT(*) FROM idempotency_keys WHERE key = 'new'"),
        1
    );
    assert_eq!(h.db.count("SELECT COUNT(*) FROM message_log"), 1);
    let again = block_on(super::purge(&h.db, h.clock.0.get())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.idempotency_keys, again.message_log), (0, 0));
}

/// Regression: lookups, tracking messages and returns each had their own per-isolate budget.
#[test]
fn one_lookup_budget_per_order_number_spans_lookups_tracking_and_returns() {
    let mut h = Harness::new();
    h.lookups.per_order = 3;
    h.config.rate_limit_scale = 100;
    let ask = |ip: &str, request: ApiRequest| h.send(from(ip, request));
    let lookup = || {
        ApiRequest::new("POST", "/v1/orders/lookup").with_json(
            &json!({"order_number": "AUR-100001", "email": "eve@example.com"}).to_string(),
        )
    };
    assert_eq!(ask("198.51.100.1", lookup()).status, 404);
    assert_eq!(ask("198.51.100.2", lookup()).status, 404);
    let tracking = ApiRequest::new("POST", "/v1/messages").with_json(
        &json!({"session_id": "s1", "text": "where is my order AUR-100001, email eve@example.com"})
            .to_string(),
    );
    assert_eq!(ask("198.51.100.3", tracking.clone()).status, 200);
    for limited in [
        ask("198.51.100.4", lookup()),
        ask("198.51.100.5", tracking),
        ask(
            "198.51.100.6",
            ApiRequest::new("POST", "/v1/returns").with_json(&json!({"order_number": "AUR-100001", "email": "eve@example.com", "sku": "RG-1", "kind": "return", "reason": "r"}).to_string()),
        ),
    ] {
        assert_eq!(error_of(&limited).1, "rate_limited", "{}", limited.body);
        assert_eq!(limited.header("retry-after"), Some("60"));
    }
    // Another order number still has its budget.
    let other = ApiRequest::new("POST", "/v1/orders/lookup")
        .with_json(&json!({"order_number": "AUR-100002", "email": "bo@example.com"}).to_string());
    assert_eq!(ask("198.51.100.7", other).status, 200);
}

#[test]
fn one_lookup_budget_per_client_counts_an_ipv6_slash_64_once() {
    let mut h = Harness::new();
    h.lookups.per_client = 2;
    h.config.rate_limit_scale = 100;
    let lookup = |ip: &str, n: u32| {
        h.send(from(
            ip,
            ApiRequest::new("POST", "/v1/orders/lookup").with_json(
                &json!({"order_number": format!("AUR-2000{n:02}"), "email": "eve@example.com"})
                    .to_string(),
            ),
        ))
    };
    assert_eq!(lookup("2001:db8:0:1::1", 1).status, 404);
    assert_eq!(lookup("2001:db8:0:1::2", 2).status, 404);
    assert_eq!(error_of(&lookup("2001:db8:0:1:ffff::3", 3)).0, 429);
    assert_eq!(lookup("2001:db8:0:2::1", 4).status, 404, "another /64");
}

#[test]
fn tickets_page_by_cursor_and_search_by_email_or_order_number() {
    let mut h = Harness::new();
    h.config.rate_limit_scale = 100;
    for i in 0..7 {
        h.clock.0.set(h.clock.0.get() + 1_000);
        let email = if i % 2 == 0 {
            "ada@example.com"
        } else {
            "bo@example.com"
        };
        let message = if i == 3 {
            "about order AUR-100002 please".to_string()
        } else {
            format!("note {i}")
        };
        let created = h.post(
            "/v1/escalations",
            json!({"session_id": "s1", "email": email, "topic": "t", "message": message}),
        );
        assert_eq!(created.status, 201);
    }
    let mut seen = Vec::new();
    let mut path = "/v1/admin/tickets?limit=3".to_string();
    loop {
        let page = admin_get(&h, &path, "sup").json_body();
        let tickets = page["tickets"].as_array().cloned().unwrap_or_default();
        assert!(tickets.len() <= 3);
        seen.extend(
            tickets
                .iter()
                .map(|t| t["ticket_id"].as_str().unwrap_or("").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/admin/tickets?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 7, "no ticket twice");
    let ada = admin_get(&h, "/v1/admin/tickets?email=ADA%40example.com", "sup").json_body();
    assert_eq!(ada["count"], 4);
    let by_order = admin_get(&h, "/v1/admin/tickets?order_number=AUR-100002", "sup").json_body();
    assert_eq!(by_order["count"], 1);
    assert_eq!(
        by_order["tickets"][0]["message"],
        "about order AUR-100002 please"
    );
    for (bad, field) in [
        ("cursor=zz", "cursor"),
        ("cursor=2026-11-25T12:00:00Z~a%20b", "cursor"),
        ("cursor=2026-11-25~TCK-1", "cursor"),
        ("status=", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("email=%3Ca%40example.com%3E", "email"),
        ("order_number=123", "order_number"),
    ] {
        let response = admin_get(&h, &format!("/v1/admin/tickets?{bad}"), "sup");
        assert_eq!(
            error_of(&response),
            (422, "invalid_field".into(), json!(field)),
            "{bad}"
        );
    }
}

#[test]
fn the_isolate_report_is_admin_only_and_counts_requests() {
    let h = Harness::new();
    assert_eq!(admin_get(&h, "/v1/admin/isolate", "sup").status, 403);
    let report = admin_get(&h, "/v1/admin/isolate", "adm").json_body();
    assert_eq!(report["requests"], 2);
    assert_eq!(
        report["message_log"]["max_buffered"],
        super::MAX_BUFFERED_MESSAGE_LOG
    );
}

/// Regression: NUL, control and bidi characters in free text reached tickets; `<` in emails too.
#[test]
fn free_text_with_controls_and_emails_with_angle_brackets_are_422_at_their_field() {
    let h = Harness::new();
    for (body, field) in [
        (json!({"session_id": "s1", "text": "hi\u{0}"}), "text"),
        (
            json!({"session_id": "s1", "text": "gnp\u{202E}.exe"}),
            "text",
        ),
    ] {
        assert_eq!(
            error_of(&h.post("/v1/messages", body)),
            (422, "invalid_field".into(), json!(field))
        );
    }
    for (body, field) in [
        (
            json!({"session_id": "s1", "email": "<a@example.com>", "topic": "t", "message": "m"}),
            "email",
        ),
        (
            json!({"session_id": "s1", "email": "a@example.com", "topic": "t\u{7}", "message": "m"}),
            "topic",
        ),
        (
            json!({"session_id": "s1", "email": "a@example.com", "topic": "t", "message": "m\u{0}"}),
            "message",
        ),
    ] {
        assert_eq!(
            error_of(&h.post("/v1/escalations", body)),
            (422, "invalid_field".into(), json!(field))
        );
    }
    assert_eq!(h.db.count("SELECT COUNT(*) FROM tickets"), 0);
}

mod never_a_panic {
    //! Raw methods, paths, query strings, headers and bodies through the platform-free router:
    //! every answer is 2xx or 4xx with the error envelope, never a 5xx and never a panic.
    use super::*;
    use proptest::prelude::*;

    const METHODS: &[&str] = &[
        "GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "QUERY", "get", "PROPFIND", "",
    ];
    const PATHS: &[&str] = &[
        "/health",
        "/openapi.json",
        "/v1/messages",
        "/v1/products",
        "/v1/orders/lookup",
        "/v1/returns",
        "/v1/escalations",
        "/v1/csat",
        "/v1/flags",
        "/v1/admin/tickets",
        "/v1/admin/tickets/",
        "/v1/admin/csat",
        "/v1/admin/analytics",
        "/v1/admin/isolate",
        "/v1/",
        "",
    ];
    const BODIES: &[&str] = &[
        r#"{"session_id":"s1","text":"rose gold rings under $500"}"#,
        r#"{"session_id":"s1","text":"where is AUR-100001 ada@example.com"}"#,
        r#"{"order_number":"AUR-100001","email":"ada@example.com"}"#,
        r#"{"order_number":"AUR-100001","email":"ada@example.com","sku":"RG-1","kind":"resize","reason":"r","ring_size":7}"#,
        r#"{"session_id":"s1","email":"ada@example.com","topic":"t","message":"m"}"#,
        r#"{"ticket_id":"TCK-1","score":5}"#,
        r#"{"status":"closed","note":"n"}"#,
        r#"{"session_id":"s1","remove":"metals","context":{"v":1,"search":{"metals":["rose_gold"]},"page":1,"shown":[],"shown_cents":[],"unmatched":0}}"#,
    ];

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[ -~]{0,40}",
            any::<String>().prop_map(|s| s.chars().take(40).collect()),
            Just("x\u{e9}json".to_string()),
            Just("application/json; charset=\u{e9}".to_string()),
        ]
    }

    /// A body: one of the valid bodies with a random byte-level or JSON-level mutation.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        (
            0..BODIES.len(),
            0u8..6,
            any::<String>(),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(i, how, junk, at, bytes)| {
                let base = BODIES[i];
                match how {
                    0 => base.as_bytes().to_vec(),
                    1 => {
                        let mut b = base.as_bytes().to_vec();
                        b.truncate(usize::from(at) % (b.len() + 1));
                        b
                    }
                    2 => bytes,
                    3 => {
                        let mut value: Value = serde_json::from_str(base).unwrap_or(Value::Null);
                        if let Value::Object(map) = &mut value {
                            let keys: Vec<String> = map.keys().cloned().collect();
                            let key = keys[usize::from(at) % keys.len()].clone();
                            map.insert(key, json!(junk));
                        }
                        value.to_string().into_bytes()
                    }
                    4 => {
                        let mut value: Value = serde_json::from_str(base).unwrap_or(Value::Null);
                        let junk_values = [
                            json!(null),
                            json!(-1),
                            json!(1e308),
                            json!([]),
                            json!({}),
                            json!(true),
                            json!("\u{0}"),
                        ];
                        if let Value::Object(map) = &mut value {
                            let keys: Vec<String> = map.keys().cloned().collect();
                            let key = keys[usize::from(at) % keys.len()].clone();
                            map.insert(
                                key,
                                junk_values[usize::from(at) % junk_values.len()].clone(),
                            );
                        }
                        value.to_string().into_bytes()
                    }
                    _ => {
                        let mut b = base.as_bytes().to_vec();
                        let pos = usize::from(at) % (b.len() + 1);
                        b.splice(pos..pos, junk.into_bytes());
                        b
                    }
                }
            })
    }

    fn request() -> impl Strategy<Value = ApiRequest> {
        (
            (
                prop::sample::select(METHODS),
                prop::sample::select(PATHS),
                text(),
                text(),
            ),
            (
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(text()),
            ),
            (text(), body(), any::<bool>()),
        )
            .prop_map(
                |(
                    (method, path, suffix, query),
                    (content_type, authorization, key, origin),
                    (ip, body, json_type),
                )| {
                    let mut request = ApiRequest::new(method, "/");
                    request.path = if suffix.len() % 3 == 0 {
                        format!("{path}{suffix}")
                    } else {
                        path.to_string()
                    };
                    request.query = query;
                    request.content_type = if json_type {
                        Some("application/json".into())
                    } else {
                        content_type
                    };
                    request.authorization = authorization.map(|a| {
                        if a.len() % 2 == 0 {
                            format!("Bearer {a}")
                        } else {
                            a
                        }
                    });
                    request.idempotency_key = key;
                    request.origin = origin;
                    request.client_ip = ip;
                    request.body = Body::Bytes(body);
                    request
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn any_request_is_answered_2xx_or_4xx_with_the_error_envelope(request in request()) {
            let mut h = Harness::new();
            h.config.rate_limit_scale = 1_000;
            let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.send(request.clone())));
            let response = match response {
                Ok(r) => r,
                Err(_) => return Err(TestCaseError::fail(format!("panicked on {request:?}"))),
            };
            prop_assert!((200..500).contains(&response.status), "{} {} for {:?}", response.status, response.body, request);
            prop_assert_eq!(response.header("x-rules-version"), Some(h.engine.rules_version()));
            if response.status >= 400 && request.method != "HEAD" {
                let body = response.json_body();
                prop_assert!(body["error"]["code"].is_string(), "{}", response.body);
                prop_assert!(body["error"]["message"].is_string(), "{}", response.body);
                prop_assert!(body["error"]["field"].is_string() || body["error"]["field"].is_null(), "{}", response.body);
            }
        }
    }
}

/// Replies of the intents the Worker has no logic for come from the rules (`reply`/`next_step`).
mod replies {
    use super::*;

    /// The shipped rules with `intents.toml` passed through `edit`.
    fn harness_with_intents(edit: impl Fn(String) -> String) -> Harness {
        harness_with_rules(|name, text| {
            if name == "intents.toml" {
                edit(text)
            } else {
                text
            }
        })
    }

    fn say(h: &Harness, text: &str) -> Value {
        let res = h.post(
            "/v1/messages",
            json!({"session_id": "s-replies", "text": text}),
        );
        assert_eq!(res.status, 200, "{}", res.json_body());
        res.json_body()
    }

    #[test]
    fn a_reply_edited_in_the_rules_is_what_the_shopper_reads() {
        let shipped = harness_with_intents(|t| t);
        let before = say(&shipped, "hello");
        assert_eq!(before["intent"], "greeting");
        assert_eq!(before["next_step"], Value::Null);

        let edited = harness_with_intents(|t| {
            let start = t.find("id = \"greeting\"").expect("greeting intent");
            let line = start + t[start..].find("reply = ").expect("greeting reply");
            let end = line + t[line..].find('\n').expect("end of line");
            format!(
                "{}reply = \"Hello from the studio! Rate us?\"\nnext_step = \"show_csat\"{}",
                &t[..line],
                &t[end..]
            )
        });
        let after = say(&edited, "hello");
        assert_eq!(after["reply"], "Hello from the studio! Rate us?");
        assert_eq!(after["next_step"], "show_csat");
    }

    #[test]
    fn every_non_core_intent_of_the_shipped_rules_answers_with_its_declared_reply() {
        let h = harness_with_intents(|t| t);
        for (text, intent, step) in [
            ("thank you so much", "thanks", Value::from("show_csat")),
            (
                "are you a bot",
                "bot_questions",
                Value::from("offer_stylist"),
            ),
            ("bye", "goodbye", Value::from("show_csat")),
        ] {
            let body = say(&h, text);
            assert_eq!(body["intent"], intent, "{text}");
            let declared = h.engine.reply(intent).expect("declared reply");
            assert_eq!(body["reply"], declared.text.as_str(), "{text}");
            assert_eq!(body["next_step"], step, "{text}");
        }
    }

    #[test]
    fn the_documented_next_steps_are_the_enum() {
        let doc: Value = serde_json::from_str(super::super::OPENAPI_JSON).expect("openapi.json");
        let mut documented: Vec<String> = doc["components"]["schemas"]["MessageResponse"]
            ["properties"]["next_step"]["enum"]
            .as_array()
            .expect("next_step enum")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let mut ours: Vec<String> = crate::engine::NextStep::ALL
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        documented.sort();
        ours.sort();
        assert_eq!(documented, ours);
    }
}

/// The staff console's routes (issue 11), over the same harness.
#[path = "tests_console.rs"]
mod console;
