-- Staff notifications (docs/operations.md, "Notifications"): one row per event posted (or being
-- posted) to NOTIFY_WEBHOOK_URL by the queue consumer, keyed by the event (`ticket_created:TCK-…`,
-- `return_requested:RET-…`, `ticket_resolved:TCK-…:<time>`), never by the queue message, so a
-- duplicated or redelivered message is acked without a second post.
--
-- state: `sending` (claimed by a consumer; taken over after a 120 s lease), `sent` (the webhook
-- answered 2xx), `failed` (the last attempt failed; the queue retries, then dead-letters).
CREATE TABLE IF NOT EXISTS notification_deliveries (
  event_key   TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 1,
  last_error  TEXT,
  claimed_at  TEXT NOT NULL,
  sent_at     TEXT,
  updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notification_deliveries_updated ON notification_deliveries (updated_at);
