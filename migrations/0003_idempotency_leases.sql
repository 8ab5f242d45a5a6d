-- Idempotency keys scoped by route and client, with leases (docs/api.md, "Idempotency-Key").
--
-- `key` is now SHA-256 of the route template, the client (IPv4 address or IPv6 /64) and the
-- header value, so keys of two clients or two routes never collide; `owner` is the random token
-- of the request holding the claim and `claimed_at` the start of its lease (a stale `in_flight`
-- claim is taken over by the next retry after 60 s). Rows of the old table cannot be mapped to
-- scoped keys (the client was not stored), so they are dropped: a retry in the minutes around
-- this migration runs once more instead of replaying. The scheduled purge deletes rows after 24 h.

DROP TABLE IF EXISTS idempotency_keys;
CREATE TABLE idempotency_keys (
  key              TEXT PRIMARY KEY,
  route            TEXT NOT NULL,
  request_hash     TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'in_flight' CHECK (status IN ('in_flight', 'done')),
  owner            TEXT NOT NULL,
  response_status  INTEGER,
  response_body    TEXT,
  created_at       TEXT NOT NULL,
  claimed_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);

-- Support's ticket list: newest first, filtered by email, paged by (created_at, ticket_id).
CREATE INDEX IF NOT EXISTS tickets_created ON tickets (created_at, ticket_id);
CREATE INDEX IF NOT EXISTS tickets_email_created ON tickets (email, created_at);
