//! Staff notifications: a new stylist ticket, a new return request and a ticket moved to
//! `resolved` each become one [`Notification`] on the `NOTIFICATIONS` Cloudflare Queue (through
//! the [`Notifier`] trait), sent only after the row is committed. The queue consumer
//! ([`deliver`]) posts it to the Slack-compatible webhook in `NOTIFY_WEBHOOK_URL`, at most once
//! per event: the `notification_deliveries` table (migrations/0005) claims each event key before
//! the post and marks it `sent` after a 2xx, so a redelivered or duplicated message is acked
//! without a second post. A failed post is retried with exponential backoff; after the
//! consumer's `max_retries` the queue moves the message to the dead-letter queue.
//!
//! Messages carry ids, the kind of event and a console link, never the shopper's email, name or
//! anything they typed (the ticket topic and message, the return reason): a chat channel is a
//! much wider audience than the console.

use super::alert_job::HttpClient;
use super::http::ApiRequest;
use super::platform::{Database, KeyValue, LocalFuture, Notifier, SqlValue, StorageError};
use super::shopper::CreateInput;
use super::time::format_iso;
use super::Api;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::cell::RefCell;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// `POST /v1/escalations` created a stylist ticket.
    TicketCreated,
    /// `POST /v1/returns` created a return, resize or exchange request.
    ReturnRequested,
    /// A ticket's status changed to `resolved`.
    TicketResolved,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "ticket_created",
            NotificationKind::ReturnRequested => "return_requested",
            NotificationKind::TicketResolved => "ticket_resolved",
        }
    }
}

/// One queue message. `key` names the event (not the message): every copy of one event has the
/// same key, and the consumer posts each key at most once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub key: String,
    pub kind: NotificationKind,
    /// The ticket id (`TCK-…`) or return id (`RET-…`).
    pub id: String,
    /// `return`, `resize` or `exchange` for a return request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_kind: Option<String>,
    /// The product of a return request (a catalog id, not personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The staff console's page for this ticket or return: absolute when the request's origin
    /// was known, else `/admin#…`.
    pub console_url: String,
    /// When the event happened (ISO 8601, UTC).
    pub at: String,
}

fn console_url(origin: Option<&str>, fragment: &str) -> String {
    format!(
        "{}/admin#{fragment}",
        origin.unwrap_or("").trim_end_matches('/')
    )
}

impl Notification {
    /// A new stylist ticket.
    pub fn ticket_created(ticket_id: &str, origin: Option<&str>, at: &str) -> Self {
        Notification {
            key: format!("ticket_created:{ticket_id}"),
            kind: NotificationKind::TicketCreated,
            id: ticket_id.to_string(),
            return_kind: None,
            sku: None,
            console_url: console_url(origin, &format!("ticket/{ticket_id}")),
            at: at.to_string(),
        }
    }

    /// A new return, resize or exchange request.
    pub fn return_requested(
        return_id: &str,
        return_kind: &str,
        sku: &str,
        origin: Option<&str>,
        at: &str,
    ) -> Self {
        Notification {
            key: format!("return_requested:{return_id}"),
            kind: NotificationKind::ReturnRequested,
            id: return_id.to_string(),
            return_kind: Some(return_kind.to_string()),
            sku: Some(sku.to_string()),
            console_url: console_url(origin, &format!("return/{return_id}")),
            at: at.to_string(),
        }
    }

    /// A ticket moved to `resolved` at `at`. The key includes the time: a ticket reopened and
    /// resolved again is a second event.
    pub fn ticket_resolved(ticket_id: &str, origin: Option<&str>, at: &str) -> Self {
        Notification {
            key: format!("ticket_resolved:{ticket_id}:{at}"),
            kind: NotificationKind::TicketResolved,
            id: ticket_id.to_string(),
            return_kind: None,
            sku: None,
            console_url: console_url(origin, &format!("ticket/{ticket_id}")),
            at: at.to_string(),
        }
    }

    /// The notification of a create that was just committed: tickets and return requests (CSAT
    /// responses notify nobody). `response` is the create's 201 body.
    pub fn of_create(
        input: &CreateInput,
        response: &Value,
        origin: Option<&str>,
        at: &str,
    ) -> Option<Self> {
        match input {
            CreateInput::Escalation { .. } => {
                let id = response["ticket_id"].as_str()?;
                Some(Notification::ticket_created(id, origin, at))
            }
            CreateInput::Return { kind, sku, .. } => {
                let id = response["return_id"].as_str()?;
                Some(Notification::return_requested(
                    id,
                    kind.name(),
                    sku,
                    origin,
                    at,
                ))
            }
            CreateInput::Csat { .. } => None,
        }
    }

    /// The webhook body: Slack's incoming-webhook shape (`text` for notifications and clients
    /// without blocks, `blocks` for the message), which Mattermost, Rocket.Chat, Discord's
    /// `/slack` endpoint and most chat tools accept too.
    pub fn webhook_body(&self) -> Value {
        let (title, emoji) = match self.kind {
            NotificationKind::TicketCreated => ("New stylist ticket", ":speech_balloon:"),
            NotificationKind::ReturnRequested => {
                match self.return_kind.as_deref().unwrap_or("return") {
                    "resize" => ("New resize request", ":ring:"),
                    "exchange" => ("New exchange request", ":arrows_counterclockwise:"),
                    _ => ("New return request", ":package:"),
                }
            }
            NotificationKind::TicketResolved => ("Ticket resolved", ":white_check_mark:"),
        };
        let text = format!("{title} {}: {}", self.id, self.console_url);
        let mut fields = vec![json!({"type": "mrkdwn", "text": format!("*Id*\n`{}`", self.id)})];
        if let Some(sku) = &self.sku {
            fields.push(json!({"type": "mrkdwn", "text": format!("*Product*\n`{sku}`")}));
        }
        fields.push(json!({"type": "mrkdwn", "text": format!("*At*\n{}", self.at)}));
        let link = if self.console_url.starts_with("http") {
            format!("<{}|Open in the console>", self.console_url)
        } else {
            format!("Console: `{}`", self.console_url)
        };
        json!({
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": format!("{emoji} *{title}*")}},
                {"type": "section", "fields": fields},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": link}]},
            ],
        })
    }
}

/// A consumer run's settings (vars and secrets of the Worker).
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// `NOTIFY_WEBHOOK_URL`; `None` turns notifications off (messages are acked and logged).
    pub webhook_url: Option<String>,
    /// `NOTIFY_RETRY_DELAY_SECONDS`: the first retry's delay; each further one doubles it, up
    /// to [`MAX_RETRY_DELAY_SECONDS`].
    pub retry_delay_seconds: u32,
}

/// The longest delay between two attempts.
pub const MAX_RETRY_DELAY_SECONDS: u32 = 15 * 60;

/// A claim on an event older than this is taken over (its consumer died mid-post).
pub const CLAIM_LEASE_MS: i64 = 120_000;

/// What the consumer does with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Posted now (2xx): ack.
    Sent,
    /// This event was posted before (a duplicate or redelivered message): ack without posting.
    AlreadySent,
    /// `NOTIFY_WEBHOOK_URL` is unset: ack; the log says notifications are off.
    Off,
    /// Not a notification this Worker understands: ack (retrying cannot fix it) and log.
    Malformed(String),
    /// The post failed, or another consumer holds the event, or D1 failed: retry after the delay.
    Retry { delay_seconds: u32, reason: String },
}

/// The delay before retry number `attempts` (1 = after the first failure).
pub fn backoff_seconds(base: u32, attempts: u32) -> u32 {
    let doublings = attempts.saturating_sub(1).min(16);
    base.max(1)
        .saturating_mul(1u32 << doublings)
        .min(MAX_RETRY_DELAY_SECONDS)
}

fn error_text(detail: impl std::fmt::Display) -> String {
    let mut s = detail.to_string();
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Delivers one queue message, as its body read (or the reason it did not read as a
/// [`Notification`]): claims its event key in D1, posts it, and records the outcome. At most one
/// post per event key reaches the webhook with a 2xx answer; a claim whose consumer died
/// mid-post is taken over after [`CLAIM_LEASE_MS`].
pub async fn deliver<D: Database, H: HttpClient>(
    db: &D,
    http: &H,
    config: &DeliveryConfig,
    message: Result<Notification, String>,
    now_ms: i64,
) -> Delivery {
    let notification = match message {
        Ok(n) => n,
        Err(e) => return Delivery::Malformed(error_text(e)),
    };
    if notification.key.is_empty() || notification.key.len() > 200 {
        return Delivery::Malformed("event key is empty or too long".into());
    }
    let Some(url) = config.webhook_url.as_deref() else {
        return Delivery::Off;
    };
    let retry = |attempts: u32, reason: String| Delivery::Retry {
        delay_seconds: backoff_seconds(config.retry_delay_seconds, attempts),
        reason,
    };
    let now = format_iso(now_ms);
    let stale = format_iso(now_ms - CLAIM_LEASE_MS);
    let key = notification.key.as_str();
    let claimed = db
        .execute(
            "INSERT INTO notification_deliveries (event_key, kind, state, attempts, claimed_at, updated_at) \
             VALUES (?1, ?2, 'sending', 1, ?3, ?3) \
             ON CONFLICT (event_key) DO UPDATE SET state = 'sending', attempts = attempts + 1, \
             claimed_at = excluded.claimed_at, updated_at = excluded.updated_at \
             WHERE state = 'failed' OR (state = 'sending' AND claimed_at < ?4)",
            &[
                key.into(),
                notification.kind.as_str().into(),
                now.as_str().into(),
                stale.into(),
            ],
        )
        .await;
    let row = db
        .query(
            "SELECT state, attempts FROM notification_deliveries WHERE event_key = ?1",
            &[key.into()],
        )
        .await;
    let (state, attempts) = match (&claimed, &row) {
        (Ok(_), Ok(rows)) => {
            let row = rows.first();
            (
                row.and_then(|r| r.get("state"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                row.and_then(|r| r.get("attempts"))
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    .clamp(1, 1000) as u32,
            )
        }
        (Err(e), _) | (_, Err(e)) => return retry(1, error_text(format!("claim: {e}"))),
    };
    match (claimed, state.as_str()) {
        (_, "sent") => return Delivery::AlreadySent,
        (Ok(0), _) => {
            return retry(
                attempts,
                "another delivery of this event is in flight".into(),
            )
        }
        _ => {}
    }
    let outcome = http
        .post(
            url,
            &[("content-type", "application/json".to_string())],
            notification.webhook_body().to_string(),
        )
        .await;
    match outcome {
        Ok((status, _)) if (200..300).contains(&status) => {
            // Acked even if this write fails: the post went out, and the claim's lease keeps a
            // duplicate copy of the message from posting again for a while.
            let _ = db
                .execute(
                    "UPDATE notification_deliveries SET state = 'sent', sent_at = ?2, updated_at = ?2, last_error = NULL \
                     WHERE event_key = ?1",
                    &[key.into(), now.as_str().into()],
                )
                .await;
            Delivery::Sent
        }
        other => {
            let reason = match other {
                Ok((status, _)) => format!("webhook answered {status}"),
                Err(e) => error_text(format!("webhook unreachable: {e}")),
            };
            let _ = db
                .execute(
                    "UPDATE notification_deliveries SET state = 'failed', last_error = ?2, updated_at = ?3 \
                     WHERE event_key = ?1",
                    &[key.into(), SqlValue::Text(reason.clone()), now.into()],
                )
                .await;
            retry(attempts, reason)
        }
    }
}

/// Delivery rows are kept this long: far longer than a message can live in the queue and its
/// dead-letter queue (4 days by default), so a redelivered or redriven copy still finds its row.
pub const DELIVERY_RETENTION_MS: i64 = 30 * super::time::DAY_MS;

/// Deletes delivery rows last touched before `now_ms - DELIVERY_RETENTION_MS`, at most 5,000 per
/// run (the hourly purge); returns how many.
pub async fn purge_deliveries<D: Database>(db: &D, now_ms: i64) -> Result<u64, StorageError> {
    db.execute(
        "DELETE FROM notification_deliveries WHERE event_key IN \
         (SELECT event_key FROM notification_deliveries WHERE updated_at < ?1 LIMIT 5000)",
        &[format_iso(now_ms - DELIVERY_RETENTION_MS).into()],
    )
    .await
}

impl<D: Database, K: KeyValue> Api<'_, D, K> {
    /// Enqueues `notification`; a failing queue is logged and never fails the request (the row
    /// is already committed).
    pub async fn notify(&self, notification: &Notification) {
        // The Worker's notifier logs its own failures; the shopper's answer does not wait on it.
        let _ = self.notifier.send(notification).await;
    }

    /// Enqueues the "ticket resolved" notification. Call it after the change to `resolved` is
    /// committed, once per change (not when the ticket already was `resolved`); `at` is the
    /// change's time (ISO 8601), part of the event key.
    pub async fn notify_ticket_resolved(&self, request: &ApiRequest, ticket_id: &str, at: &str) {
        let notification =
            Notification::ticket_resolved(ticket_id, request.own_origin.as_deref(), at);
        self.notify(&notification).await;
    }
}

/// A [`Notifier`] that keeps what it is sent (unit tests; `fail` makes every send fail).
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    pub sent: RefCell<Vec<Notification>>,
    pub fail: std::cell::Cell<bool>,
}

impl Notifier for MemoryNotifier {
    fn send<'a>(
        &'a self,
        notification: &'a Notification,
    ) -> LocalFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            if self.fail.get() {
                return Err(StorageError::Kv("queue unavailable".into()));
            }
            self.sent.borrow_mut().push(notification.clone());
            Ok(())
        })
    }
}
