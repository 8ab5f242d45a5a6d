//! Staff notifications on a Cloudflare Queue (wasm only): the producer behind the API's
//! [`Notifier`] (binding `NOTIFICATIONS`) and the `queue` event that runs [`notify::deliver`] for
//! each message of a batch, acking or retrying it (the consumer's `max_retries` and
//! `dead_letter_queue` in wrangler.toml decide when a message gives up).
//!
//! Vars and secrets: `NOTIFY_WEBHOOK_URL` (secret; unset: messages are acked and logged as
//! "notifications off"), `NOTIFY_RETRY_DELAY_SECONDS` (first retry's delay, doubled per attempt;
//! default 30), `NOTIFY_DUPLICATE_SENDS` (test only: `1` enqueues every notification twice, as an
//! at-least-once queue may deliver it, so the e2e suite can prove one post per event).

use super::alerts::Fetch;
use super::bindings::{D1Store, Lazy};
use super::{secret, var};
use crate::api::notify::{self, Delivery, DeliveryConfig, Notification};
use crate::api::platform::{LocalFuture, Notifier, StorageError};
use std::time::Duration;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

/// A webhook that has not answered by then counts as failed (and is retried): a hanging
/// receiver must not hold the consumer until its wall-time limit.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);

/// The producer: `NOTIFICATIONS`, or nothing when the binding is missing (logged once per send).
pub struct QueueNotifier {
    queue: Lazy<worker::Queue>,
    env: Env,
}

impl QueueNotifier {
    pub fn new(env: &Env) -> Self {
        QueueNotifier {
            queue: Lazy::new(env, "NOTIFICATIONS", |env, name| env.queue(name).ok()),
            env: env.clone(),
        }
    }

    fn copies(&self) -> u8 {
        if var(&self.env, "NOTIFY_DUPLICATE_SENDS", "0").trim() == "1" {
            2
        } else {
            1
        }
    }
}

impl Notifier for QueueNotifier {
    fn send<'a>(
        &'a self,
        notification: &'a Notification,
    ) -> LocalFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let Some(queue) = self.queue.get() else {
                worker::console_error!(
                    "notification {} not sent: binding `NOTIFICATIONS` is missing",
                    notification.key
                );
                return Err(StorageError::Kv(
                    "binding `NOTIFICATIONS` is missing".into(),
                ));
            };
            for _ in 0..self.copies() {
                if let Err(e) = queue.send(notification).await {
                    worker::console_error!("notification {} not enqueued: {e}", notification.key);
                    return Err(StorageError::Kv(e.to_string()));
                }
            }
            Ok(())
        })
    }
}

fn delivery_config(env: &Env) -> DeliveryConfig {
    let webhook_url = secret(env, "NOTIFY_WEBHOOK_URL")
        .or_else(|| Some(var(env, "NOTIFY_WEBHOOK_URL", "")).filter(|v| !v.trim().is_empty()));
    DeliveryConfig {
        webhook_url: webhook_url.map(|u| u.trim().to_string()),
        retry_delay_seconds: var(env, "NOTIFY_RETRY_DELAY_SECONDS", "30")
            .trim()
            .parse()
            .unwrap_or(30),
    }
}

/// The consumer of `NOTIFICATIONS`: one delivery per message, in order. Each body is read on
/// its own (`raw_iter`, not `messages()`, which fails the whole batch for one body that does not
/// read), straight from the JavaScript object into a [`Notification`].
pub(super) async fn consume(batch: MessageBatch<Notification>, env: Env) {
    let config = delivery_config(&env);
    let db = D1Store::new(&env);
    let webhook = Fetch {
        timeout: Some(WEBHOOK_TIMEOUT),
    };
    for message in batch.raw_iter() {
        let now = js_sys::Date::now() as i64;
        let body = serde_wasm_bindgen::from_value::<Notification>(message.body())
            .map_err(|e| e.to_string());
        let key = body.as_ref().map_or("?", |n| n.key.as_str()).to_string();
        let outcome = notify::deliver(&db, &webhook, &config, body, now).await;
        match outcome {
            Delivery::Sent => {
                worker::console_log!("notification sent: {key}");
                message.ack();
            }
            Delivery::AlreadySent => {
                worker::console_log!("notification already sent, not posted again: {key}");
                message.ack();
            }
            Delivery::Off => {
                worker::console_log!(
                    "notifications off (NOTIFY_WEBHOOK_URL is unset): {key} dropped"
                );
                message.ack();
            }
            Delivery::Malformed(why) => {
                worker::console_error!("notification message dropped, not understood: {why}");
                message.ack();
            }
            Delivery::Retry {
                delay_seconds,
                reason,
            } => {
                worker::console_error!(
                    "notification {key} not delivered ({reason}); retry in {delay_seconds} s"
                );
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(delay_seconds)
                        .build(),
                );
            }
        }
    }
}
