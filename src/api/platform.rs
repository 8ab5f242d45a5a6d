//! The small traits the handlers are written against: D1 ([`Database`]), KV ([`KeyValue`]),
//! the Analytics Engine sink ([`MetricsSink`]), the clock and id generation. The Worker implements
//! them over its bindings; native tests implement them over SQLite and memory.

use crate::metrics::DataPoint;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

/// One bound SQL parameter, in the value space D1 and SQLite share.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_string())
    }
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Integer(v)
    }
}

impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// A result row: column name → JSON value (what D1 returns).
pub type Row = Map<String, Value>;

/// A failure of a binding; the handlers turn it into a 500 `internal` without leaking details.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(String),
    #[error("kv error: {0}")]
    Kv(String),
    #[error("unexpected row shape: {0}")]
    RowShape(String),
}

/// One SQL statement with its parameters, for [`Database::batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, params: Vec<SqlValue>) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}

/// D1 (or SQLite in tests). Futures are not `Send`: the Worker runs on one thread.
#[allow(async_fn_in_trait)]
pub trait Database {
    /// Runs a query and returns every row.
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StorageError>;
    /// Runs a statement and returns the number of rows it changed.
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, StorageError>;
    /// Runs statements in order as one transaction (D1's `batch()`): all of them or none. Returns
    /// the rows each changed. Within a batch SQLite's `changes()` is the previous statement's.
    async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, StorageError>;
}

/// A boxed future that need not be `Send` (the Worker runs on one thread).
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The order-lookup budget shared by every route that can confirm an order (lookup, tracking in
/// messages, returns), held outside the isolate (the Workers rate-limiting bindings in the
/// Worker) so that neither a new isolate nor a reset restores it.
pub trait LookupBudget {
    /// Spends one attempt by `client` (see [`super::ratelimit::client_key`]) at `order_number`;
    /// `Ok(false)` once the client's or the order number's budget is spent.
    fn spend<'a>(
        &'a self,
        client: &'a str,
        order_number: &'a str,
    ) -> LocalFuture<'a, Result<bool, StorageError>>;
}

/// No shared budget (the per-isolate limits still apply); for tools and tests that do not care.
pub struct Unlimited;

impl LookupBudget for Unlimited {
    fn spend<'a>(&'a self, _: &'a str, _: &'a str) -> LocalFuture<'a, Result<bool, StorageError>> {
        Box::pin(async { Ok(true) })
    }
}

/// Workers KV (or memory in tests).
#[allow(async_fn_in_trait)]
pub trait KeyValue {
    /// The value under `key`, if any and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError>;
    /// Stores `value` under `key` for `ttl_seconds` (KV's minimum is 60).
    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), StorageError>;
}

/// Where the per-request data point goes: Analytics Engine in the Worker, a vector in tests.
pub trait MetricsSink {
    fn write(&self, point: &DataPoint);
    /// A 5xx's detail, for the operator's log only (the client sees a generic message).
    fn internal_error(&self, _route: &str, _detail: &str) {}
}

/// Wall-clock time in milliseconds since the Unix epoch; an input, so tests can move it.
pub trait Clock {
    fn now_ms(&self) -> i64;
}

/// Random identifier material for return and ticket ids.
pub trait IdSource {
    /// A fresh random token of upper-case letters and digits (at least 10 characters).
    fn token(&self) -> String;
}

/// Where new-ticket, new-return and resolved-ticket notifications go: the `NOTIFICATIONS`
/// Cloudflare Queue in the Worker ([`super::notify`] has the messages and the consumer), a vector
/// in tests. Sent only after the row is committed, once per created row.
pub trait Notifier {
    /// Enqueues one notification (its JSON); a failure is logged by the caller, never an answer.
    fn send<'a>(
        &'a self,
        notification: &'a super::notify::Notification,
    ) -> LocalFuture<'a, Result<(), StorageError>>;
}

/// No notifications (tools, benches, and a Worker without the `NOTIFICATIONS` binding).
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn send<'a>(
        &'a self,
        _: &'a super::notify::Notification,
    ) -> LocalFuture<'a, Result<(), StorageError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Cloudflare Access's public keys and the RS256 check, for [`super::auth`]: in the Worker a
/// `fetch` of the team's JWKS and WebCrypto's `RSASSA-PKCS1-v1_5`/`SHA-256` verify; in native
/// tests a pure-Rust RSA implementation. Caching is the caller's ([`super::auth::KeyCache`]).
pub trait AccessKeys {
    /// The body of the team's JWKS document (`{"keys": [...]}`), fetched now.
    fn fetch_jwks(&self) -> LocalFuture<'_, Result<String, String>>;
    /// Whether `signature` is a valid RS256 signature of `message` under the RSA public key
    /// `jwk` (one JWK of the JWKS, as JSON); `Err` when the key cannot be used.
    fn verify_rs256<'a>(
        &'a self,
        jwk: &'a super::auth::Jwk,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> LocalFuture<'a, Result<bool, String>>;
}

/// No Access keys: every Access token is refused (used where Access is not configured).
pub struct NoAccessKeys;

impl AccessKeys for NoAccessKeys {
    fn fetch_jwks(&self) -> LocalFuture<'_, Result<String, String>> {
        Box::pin(async { Err("cloudflare access is not configured".to_string()) })
    }
    fn verify_rs256<'a>(
        &'a self,
        _: &'a super::auth::Jwk,
        _: &'a [u8],
        _: &'a [u8],
    ) -> LocalFuture<'a, Result<bool, String>> {
        Box::pin(async { Ok(false) })
    }
}
