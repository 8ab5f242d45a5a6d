//! `Idempotency-Key` with Stripe's semantics, enforced by D1's primary key on
//! `idempotency_keys.key`: the first request inserts an `in_flight` row before doing any work; a
//! duplicate finds the row and gets the stored response (same body), 422 (different body) or
//! 409 (still in flight). Rows older than 24 h count as absent and are taken over atomically.

use super::error::ApiError;
use super::http::ApiResponse;
use super::platform::{Database, SqlValue};
use super::store::{opt_int_col, opt_text_col, text_col};
use super::time::{format_iso, DAY_MS};
use sha2::{Digest, Sha256};

/// How long a key is remembered.
pub const RETENTION_MS: i64 = DAY_MS;

/// Validates the header: 1..=255 printable ASCII characters.
pub fn parse_key(header: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(key) = header else {
        return Ok(None);
    };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "the Idempotency-Key header must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(Some(key.to_string()))
}

/// SHA-256 (hex) of the route template and the canonical JSON body (keys sorted, no whitespace),
/// so reformatting the same body is still "the same request".
pub fn request_hash(route: &str, canonical_body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_body.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// This request owns the key: do the work, then [`complete`] (or [`abandon`]).
    Proceed,
    /// A finished request with the same key and body: send its response again.
    Replay(ApiResponse),
}

/// Claims `key` for this request, or explains why it cannot.
pub async fn begin<D: Database>(
    db: &D,
    key: &str,
    route: &str,
    hash: &str,
    now_ms: i64,
) -> Result<Begin, ApiError> {
    let now = format_iso(now_ms);
    let expired_before = format_iso(now_ms - RETENTION_MS);
    let claimed = db
        .query(
            "INSERT INTO idempotency_keys (key, route, request_hash, status, response_status, response_body, created_at) \
             VALUES (?1, ?2, ?3, 'in_flight', NULL, NULL, ?4) \
             ON CONFLICT (key) DO UPDATE SET route = excluded.route, request_hash = excluded.request_hash, \
               status = 'in_flight', response_status = NULL, response_body = NULL, created_at = excluded.created_at \
             WHERE idempotency_keys.created_at < ?5 \
             RETURNING key",
            &[key.into(), route.into(), hash.into(), now.into(), expired_before.into()],
        )
        .await?;
    if !claimed.is_empty() {
        return Ok(Begin::Proceed);
    }
    let rows = db
        .query(
            "SELECT request_hash, status, response_status, response_body FROM idempotency_keys WHERE key = ?1",
            &[key.into()],
        )
        .await?;
    let Some(row) = rows.first() else {
        // Deleted between the two statements (an abandoned attempt): treat as in flight; a retry succeeds.
        return Err(ApiError::IdempotencyInFlight);
    };
    if text_col(row, "request_hash")? != hash {
        return Err(ApiError::IdempotencyKeyReused);
    }
    if text_col(row, "status")? != "done" {
        return Err(ApiError::IdempotencyInFlight);
    }
    let status = opt_int_col(row, "response_status")?.unwrap_or(200);
    let body = opt_text_col(row, "response_body")?.unwrap_or_default();
    let mut response = ApiResponse {
        status: u16::try_from(status).unwrap_or(200),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    };
    response.set_header("idempotent-replayed", "true");
    Ok(Begin::Replay(response))
}

/// Stores the response of the request that owns `key`.
pub async fn complete<D: Database>(
    db: &D,
    key: &str,
    response: &ApiResponse,
) -> Result<(), ApiError> {
    db.execute(
        "UPDATE idempotency_keys SET status = 'done', response_status = ?2, response_body = ?3 WHERE key = ?1",
        &[
            key.into(),
            SqlValue::Integer(i64::from(response.status)),
            response.body.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Releases `key` after a server error so the client's retry can run.
pub async fn abandon<D: Database>(db: &D, key: &str) -> Result<(), ApiError> {
    db.execute(
        "DELETE FROM idempotency_keys WHERE key = ?1 AND status = 'in_flight'",
        &[key.into()],
    )
    .await?;
    Ok(())
}
