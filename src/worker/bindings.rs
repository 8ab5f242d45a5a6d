//! Adapters from the API's traits to the Worker bindings: D1 (`DB`), KV (`CONCIERGE_KV`),
//! Analytics Engine (`ANALYTICS`, plus a JSON log line when `LOG_DATA_POINTS=1`), the JS clock and
//! `crypto.getRandomValues` ids.

use crate::api::platform::{
    Clock, Database, IdSource, KeyValue, LocalFuture, LookupBudget, MetricsSink, Row, SqlValue,
    Statement, StorageError,
};
use crate::api::replicas::SessionStart;
use crate::api::Config;
use crate::metrics::DataPoint;
use std::cell::OnceCell;
use wasm_bindgen::JsValue;
use worker::{console_error, console_log, D1Database, D1DatabaseSession, Env};

/// A binding looked up the first time a request uses it: most requests use few of the Worker's
/// bindings, and each lookup is several calls into JavaScript (the property, then its
/// constructor's name). `None` when the binding is missing or of another type.
pub struct Lazy<T> {
    env: Env,
    name: &'static str,
    lookup: fn(&Env, &str) -> Option<T>,
    binding: OnceCell<Option<T>>,
}

impl<T> Lazy<T> {
    pub fn new(env: &Env, name: &'static str, lookup: fn(&Env, &str) -> Option<T>) -> Self {
        Lazy {
            env: env.clone(),
            name,
            lookup,
            binding: OnceCell::new(),
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.binding
            .get_or_init(|| (self.lookup)(&self.env, self.name))
            .as_ref()
    }
}

/// D1 (`DB`); when the binding is missing every query fails, and `/health` says so.
///
/// [`D1Store::session`] runs the request's queries in one D1 session (the Sessions API, for read
/// replication) started where `api::replicas` says; [`D1Store::new`] uses the binding itself, whose
/// queries all go to the primary (Durable Objects, the queue consumer, the cron job, the log).
pub struct D1Store {
    db: Lazy<D1Database>,
    /// `withSession`'s argument, if the queries run in a session.
    start: Option<String>,
    /// The session, opened with the first query (`None` inside when opening it failed: the
    /// queries then use the binding itself).
    session: OnceCell<Option<D1DatabaseSession>>,
}

impl D1Store {
    pub fn new(env: &Env) -> Self {
        D1Store {
            db: Lazy::new(env, "DB", |env, name| env.d1(name).ok()),
            start: None,
            session: OnceCell::new(),
        }
    }

    /// Queries in one session started at `start`.
    pub fn session(env: &Env, start: SessionStart<'_>) -> Self {
        D1Store {
            start: Some(start.as_str().to_string()),
            ..D1Store::new(env)
        }
    }

    /// The session's bookmark after its queries: `None` without a session, before the first
    /// query, or when the runtime gives none.
    pub fn bookmark(&self) -> Option<String> {
        let session = self.session.get()?.as_ref()?;
        session.get_bookmark().ok().flatten()
    }

    fn session_handle(&self) -> Option<&D1DatabaseSession> {
        let start = self.start.as_deref()?;
        self.session
            .get_or_init(|| self.db.get()?.with_session(Some(start)).ok())
            .as_ref()
    }
}

fn bind_values(params: &[SqlValue]) -> Vec<JsValue> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Null => JsValue::NULL,
            SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
            SqlValue::Real(f) => JsValue::from_f64(*f),
            SqlValue::Text(s) => JsValue::from_str(s),
        })
        .collect()
}

fn db_error(e: worker::Error) -> StorageError {
    StorageError::Database(e.to_string())
}

impl D1Store {
    fn statement(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<worker::D1PreparedStatement, StorageError> {
        let statement = match self.session_handle() {
            Some(session) => session.prepare(sql),
            None => self.binding()?.prepare(sql),
        };
        statement.bind(&bind_values(params)).map_err(db_error)
    }

    fn binding(&self) -> Result<&D1Database, StorageError> {
        self.db
            .get()
            .ok_or_else(|| StorageError::Database("binding `DB` is missing".into()))
    }
}

impl Database for D1Store {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StorageError> {
        let result = self.statement(sql, params)?.all().await.map_err(db_error)?;
        result.results::<Row>().map_err(db_error)
    }

    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, StorageError> {
        let result = self.statement(sql, params)?.run().await.map_err(db_error)?;
        let changes = result
            .meta()
            .map_err(db_error)?
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(changes as u64)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, StorageError> {
        let prepared = statements
            .iter()
            .map(|s| self.statement(&s.sql, &s.params))
            .collect::<Result<Vec<_>, _>>()?;
        let results = match self.session_handle() {
            Some(session) => session.batch(prepared).await,
            None => self.binding()?.batch(prepared).await,
        }
        .map_err(db_error)?;
        results
            .iter()
            .map(|r| {
                Ok(r.meta()
                    .map_err(db_error)?
                    .and_then(|m| m.changes)
                    .unwrap_or(0) as u64)
            })
            .collect()
    }
}

/// The shared order-lookup budget over two Workers rate-limiting bindings (wrangler.toml
/// `[[ratelimits]]`): `LOOKUP_CLIENT_LIMITER` keyed by client, `LOOKUP_ORDER_LIMITER` keyed by
/// the order number probed. Their counters live outside the isolate. Like `LIMITER`, they cannot
/// be scaled, so `RATE_LIMIT_SCALE` > 1 (tests, benchmarks) skips them.
pub struct LookupLimiters {
    by_client: Lazy<worker::RateLimiter>,
    by_order: Lazy<worker::RateLimiter>,
}

impl LookupLimiters {
    pub fn new(env: &Env, config: &Config) -> Self {
        let lookup: fn(&Env, &str) -> Option<worker::RateLimiter> = if config.rate_limit_scale > 1 {
            |_, _| None
        } else {
            |env, name| env.rate_limiter(name).ok()
        };
        LookupLimiters {
            by_client: Lazy::new(env, "LOOKUP_CLIENT_LIMITER", lookup),
            by_order: Lazy::new(env, "LOOKUP_ORDER_LIMITER", lookup),
        }
    }
}

async fn allowed(limiter: Option<&worker::RateLimiter>, key: String) -> Result<bool, StorageError> {
    match limiter {
        None => Ok(true),
        Some(limiter) => limiter
            .limit(key)
            .await
            .map(|outcome| outcome.success)
            .map_err(|e| StorageError::Kv(format!("rate limiter: {e}"))),
    }
}

impl LookupBudget for LookupLimiters {
    fn spend<'a>(
        &'a self,
        client: &'a str,
        order_number: &'a str,
    ) -> LocalFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            if !allowed(self.by_client.get(), format!("client:{client}")).await? {
                return Ok(false);
            }
            allowed(self.by_order.get(), format!("order:{order_number}")).await
        })
    }
}

/// Workers KV (`CONCIERGE_KV`); every call fails when the binding is missing.
pub struct KvStore(Lazy<worker::kv::KvStore>);

impl KvStore {
    pub fn new(env: &Env) -> Self {
        KvStore(Lazy::new(env, "CONCIERGE_KV", |env, name| {
            env.kv(name).ok()
        }))
    }

    fn store(&self) -> Result<&worker::kv::KvStore, StorageError> {
        self.0
            .get()
            .ok_or_else(|| StorageError::Kv("binding `CONCIERGE_KV` is missing".into()))
    }
}

impl KeyValue for KvStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.store()?
            .get(key)
            .text()
            .await
            .map_err(|e| StorageError::Kv(e.to_string()))
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), StorageError> {
        // As bytes (read back as UTF-8 text): `put` with a `&str` goes through serde_wasm_bindgen
        // and links f64 formatting for values that are numbers.
        self.store()?
            .put_bytes(key, value.as_bytes())
            .map_err(|e| StorageError::Kv(e.to_string()))?
            .expiration_ttl(ttl_seconds)
            .execute()
            .await
            .map_err(|e| StorageError::Kv(e.to_string()))
    }
}

/// Writes each data point to the `ANALYTICS` dataset and, when `LOG_DATA_POINTS=1`, logs it as
/// one JSON line (locally the binding stores nothing, so the log is how dev sees the metrics).
pub struct AnalyticsSink {
    env: Env,
    log: bool,
}

thread_local! {
    /// `LOG_DATA_POINTS`, read once per isolate (vars do not change within one).
    static LOG_DATA_POINTS: OnceCell<bool> = const { OnceCell::new() };
}

impl AnalyticsSink {
    pub fn new(env: &Env) -> Self {
        let log = LOG_DATA_POINTS.with(|cell| {
            *cell.get_or_init(|| {
                env.var("LOG_DATA_POINTS")
                    .is_ok_and(|v| v.to_string().trim() == "1")
            })
        });
        AnalyticsSink {
            env: env.clone(),
            log,
        }
    }
}

impl MetricsSink for AnalyticsSink {
    fn write(&self, point: &DataPoint) {
        // One call into the runtime (super::fast); without the binding it writes nothing.
        if let Err(e) = super::fast::data_point(&self.env, "ANALYTICS", point) {
            console_error!("analytics engine write failed: {e}");
        }
        if self.log {
            console_log!("{}", point.to_log_line());
        }
    }

    fn internal_error(&self, route: &str, detail: &str) {
        console_error!("internal error on {route}: {detail}");
    }
}

/// `Date.now()`.
pub struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }
}

/// Ids from `crypto.getRandomValues` (through getrandom).
pub struct RandomIds;

const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl IdSource for RandomIds {
    fn token(&self) -> String {
        let mut bytes = [0u8; 12];
        if getrandom::fill(&mut bytes).is_err() {
            // Fall back to the clock and Math.random: uniqueness matters here, not secrecy.
            let seed = (js_sys::Date::now() as u64) ^ ((js_sys::Math::random() * 1e15) as u64);
            bytes[..8].copy_from_slice(&seed.to_le_bytes());
        }
        bytes
            .iter()
            .map(|b| ID_ALPHABET[usize::from(b & 31)] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn ids_are_random_tokens_from_the_unambiguous_alphabet() {
        let (a, b) = (RandomIds.token(), RandomIds.token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|c| ID_ALPHABET.contains(&c)), "{a}");
    }

    #[wasm_bindgen_test]
    fn sql_values_bind_as_the_js_types_d1_expects() {
        let bound = bind_values(&[
            SqlValue::Null,
            SqlValue::Integer(42),
            SqlValue::Real(1.5),
            "x".into(),
        ]);
        assert!(bound[0].is_null());
        assert_eq!(bound[1].as_f64(), Some(42.0));
        assert_eq!(bound[2].as_f64(), Some(1.5));
        assert_eq!(bound[3].as_string().as_deref(), Some("x"));
    }

    #[wasm_bindgen_test]
    fn the_clock_reads_epoch_milliseconds() {
        // After 2025-01-01 and before 2100.
        assert!((1_735_689_600_000..4_102_444_800_000).contains(&JsClock.now_ms()));
    }

    #[wasm_bindgen_test]
    fn embedded_rules_compile_and_classify_in_wasm() {
        let engine = crate::embedded::engine();
        assert_ne!(engine.rules_version(), "invalid");
        assert_eq!(
            engine.classify("where is my order?").intent,
            "order_tracking"
        );
    }
}
