//! `Idempotency-Key` with Stripe's semantics and leases, enforced by D1's primary key on
//! `idempotency_keys.key`. The stored key is scoped: SHA-256 of the route, the client (IPv4
//! address or IPv6 /64) and the header, so two clients or two routes never share a key.
//!
//! The first request claims the key with an `in_flight` row and a random owner token before
//! doing any work; a duplicate finds the row and gets the stored response (same body), 422
//! (different body) or 409 (still in flight). A claim is a lease of [`LEASE_MS`]: a request that
//! died after claiming (client gone, CPU limit, a crash) leaves a stale claim that the next retry
//! with the same body takes over, atomically (one conditional upsert, so of two racing retries
//! exactly one wins). The created row and the `done` response are written in one D1 batch, each
//! guarded by the owner token, so a request whose lease was taken over writes nothing. Rows
//! older than [`RETENTION_MS`] count as absent and are deleted by the scheduled purge.

use super::error::ApiError;
use super::http::ApiResponse;
use super::platform::{Database, SqlValue, Statement};
use super::store::{opt_int_col, opt_text_col, text_col};
use super::time::{format_iso, DAY_MS};
use sha2::{Digest, Sha256};

/// How long a key is remembered.
pub const RETENTION_MS: i64 = DAY_MS;
/// How long a claim holds before a retry may take it over.
pub const LEASE_MS: i64 = 60_000;

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

fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored key: SHA-256 (hex) of the route template, the client and the header value. No
/// client address is stored.
pub fn scoped_key(route: &str, client: &str, key: &str) -> String {
    sha256_hex(&[route, client, key])
}

/// SHA-256 (hex) of the route template and the canonical JSON body (keys sorted, no whitespace),
/// so reformatting the same body is still "the same request".
pub fn request_hash(route: &str, canonical_body: &str) -> String {
    sha256_hex(&[route, canonical_body])
}

/// A claim on a key: the scoped key and this request's owner token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub owner: String,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// This request owns the key: do the work, then commit with [`guarded_insert`] and
    /// [`complete_statement`] in one batch (or [`complete`] / [`abandon`]).
    Proceed(Claim),
    /// A finished request with the same key and body: send its response again.
    Replay(ApiResponse),
}

/// Claims `key` for this request (taking over an expired row or a stale claim of the same
/// request), or explains why it cannot.
pub async fn begin<D: Database>(
    db: &D,
    key: &str,
    route: &str,
    hash: &str,
    owner: &str,
    now_ms: i64,
) -> Result<Begin, ApiError> {
    let now = format_iso(now_ms);
    let expired_before = format_iso(now_ms - RETENTION_MS);
    let lease_expired_before = format_iso(now_ms - LEASE_MS);
    let claimed = db
        .query(
            "INSERT INTO idempotency_keys (key, route, request_hash, status, owner, response_status, response_body, created_at, claimed_at) \
             VALUES (?1, ?2, ?3, 'in_flight', ?4, NULL, NULL, ?5, ?5) \
             ON CONFLICT (key) DO UPDATE SET route = excluded.route, request_hash = excluded.request_hash, \
               status = 'in_flight', owner = excluded.owner, response_status = NULL, response_body = NULL, \
               created_at = excluded.created_at, claimed_at = excluded.claimed_at \
             WHERE idempotency_keys.created_at < ?6 \
                OR (idempotency_keys.status = 'in_flight' AND idempotency_keys.claimed_at < ?7 \
                    AND idempotency_keys.request_hash = excluded.request_hash) \
             RETURNING key",
            &[
                key.into(),
                route.into(),
                hash.into(),
                owner.into(),
                now.into(),
                expired_before.into(),
                lease_expired_before.into(),
            ],
        )
        .await?;
    if !claimed.is_empty() {
        return Ok(Begin::Proceed(Claim {
            key: key.to_string(),
            owner: owner.to_string(),
        }));
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

/// `INSERT INTO {table} ({columns}) SELECT {values} WHERE {guard} {tail}`: the created row of a
/// creating request, written only while `claim` (if any) still owns its key. `tail` may add an
/// `ON CONFLICT … DO NOTHING`.
pub fn guarded_insert(
    table: &str,
    columns: &[&str],
    mut values: Vec<SqlValue>,
    tail: &str,
    claim: Option<&Claim>,
) -> Statement {
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    let guard = match claim {
        Some(claim) => {
            let (k, o) = (values.len() + 1, values.len() + 2);
            values.push(claim.key.as_str().into());
            values.push(claim.owner.as_str().into());
            format!(
                "EXISTS (SELECT 1 FROM idempotency_keys WHERE key = ?{k} AND owner = ?{o} AND status = 'in_flight')"
            )
        }
        None => "1".to_string(),
    };
    Statement::new(
        format!(
            "INSERT INTO {table} ({}) SELECT {} WHERE {guard} {tail}",
            columns.join(", "),
            placeholders.join(", ")
        ),
        values,
    )
}

/// Marks the claim `done` with `response`, only while it still owns the key and only when the
/// statement before it in the batch (the guarded insert) wrote its row.
pub fn complete_statement(claim: &Claim, response: &ApiResponse) -> Statement {
    Statement::new(
        "UPDATE idempotency_keys SET status = 'done', response_status = ?3, response_body = ?4 \
         WHERE key = ?1 AND owner = ?2 AND status = 'in_flight' AND changes() = 1",
        vec![
            claim.key.as_str().into(),
            claim.owner.as_str().into(),
            SqlValue::Integer(i64::from(response.status)),
            response.body.clone().into(),
        ],
    )
}

/// Stores an outcome that created nothing (a 4xx such as `not_found`) for the owner of `claim`.
pub async fn complete<D: Database>(
    db: &D,
    claim: &Claim,
    response: &ApiResponse,
) -> Result<(), ApiError> {
    db.execute(
        "UPDATE idempotency_keys SET status = 'done', response_status = ?3, response_body = ?4 \
         WHERE key = ?1 AND owner = ?2 AND status = 'in_flight'",
        &[
            claim.key.as_str().into(),
            claim.owner.as_str().into(),
            SqlValue::Integer(i64::from(response.status)),
            response.body.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Whether `claim` still owns its key (it may have been taken over after its lease).
pub async fn still_owned<D: Database>(db: &D, claim: &Claim) -> Result<bool, ApiError> {
    let rows = db
        .query(
            "SELECT 1 AS owned FROM idempotency_keys WHERE key = ?1 AND owner = ?2 AND status = 'in_flight'",
            &[claim.key.as_str().into(), claim.owner.as_str().into()],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Releases the claim after a server error so the client's retry can run at once.
pub async fn abandon<D: Database>(db: &D, claim: &Claim) -> Result<(), ApiError> {
    db.execute(
        "DELETE FROM idempotency_keys WHERE key = ?1 AND owner = ?2 AND status = 'in_flight'",
        &[claim.key.as_str().into(), claim.owner.as_str().into()],
    )
    .await?;
    Ok(())
}
