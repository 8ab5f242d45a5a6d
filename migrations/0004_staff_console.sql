-- The staff console (issue 11): ticket assignees, append-only ticket and return histories, the
-- shopper's conversation attached to a ticket, return decisions, CSAT per conversation as well
-- as per ticket, and the questions the rules did not understand (redacted).
--
-- Tickets gain the `resolved` status. SQLite cannot change a CHECK constraint in place, so the
-- table is rebuilt with the same rows and indexes (as in 0002). `csat_responses` references
-- tickets, so it is set aside first and rebuilt after (it also changes shape: a response belongs
-- to a ticket or to a session). D1 enforces foreign keys; they are checked at commit.
PRAGMA defer_foreign_keys = true;

CREATE TABLE csat_responses_0004 AS SELECT ticket_id, score, comment, created_at FROM csat_responses;
DROP TABLE csat_responses;

CREATE TABLE tickets_new (
  ticket_id   TEXT PRIMARY KEY,                          -- TCK-…
  session_id  TEXT NOT NULL,
  email       TEXT NOT NULL,
  name        TEXT,
  topic       TEXT NOT NULL,
  message     TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
  note        TEXT,                                      -- the latest note (every note is in ticket_events)
  assignee    TEXT,                                      -- a staff member's name or email; NULL = unassigned
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
INSERT INTO tickets_new (ticket_id, session_id, email, name, topic, message, status, note, assignee, created_at, updated_at)
  SELECT ticket_id, session_id, email, name, topic, message, status, note, NULL, created_at, updated_at FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_new RENAME TO tickets;
CREATE INDEX IF NOT EXISTS tickets_status_created ON tickets (status, created_at);
CREATE INDEX IF NOT EXISTS tickets_created ON tickets (created_at, ticket_id);
CREATE INDEX IF NOT EXISTS tickets_email_created ON tickets (email, created_at);
CREATE INDEX IF NOT EXISTS tickets_assignee_created ON tickets (assignee, created_at);

-- One response per ticket and one per conversation (session): exactly one of the two is set.
CREATE TABLE csat_responses (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id   TEXT UNIQUE REFERENCES tickets (ticket_id),
  session_id  TEXT UNIQUE,
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment     TEXT,
  created_at  TEXT NOT NULL,
  CHECK ((ticket_id IS NULL) <> (session_id IS NULL))
);
INSERT INTO csat_responses (ticket_id, session_id, score, comment, created_at)
  SELECT ticket_id, NULL, score, comment, created_at FROM csat_responses_0004 ORDER BY created_at;
DROP TABLE csat_responses_0004;
CREATE INDEX IF NOT EXISTS csat_responses_created ON csat_responses (created_at, id);

-- A ticket's history, append-only: who did what when. Tickets created before this migration
-- get their `created` event here.
CREATE TABLE IF NOT EXISTS ticket_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id  TEXT NOT NULL REFERENCES tickets (ticket_id),
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,                              -- `shopper`, `token:support`, an Access email
  kind       TEXT NOT NULL CHECK (kind IN ('created', 'status', 'assigned', 'note')),
  status     TEXT,                                       -- kind = status (and created)
  assignee   TEXT,                                       -- kind = assigned (NULL: unassigned)
  note       TEXT                                        -- kind = note
);
CREATE INDEX IF NOT EXISTS ticket_events_ticket ON ticket_events (ticket_id, id);
INSERT INTO ticket_events (ticket_id, at, actor, kind, status)
  SELECT ticket_id, created_at, 'shopper', 'created', 'open' FROM tickets ORDER BY created_at;
INSERT INTO ticket_events (ticket_id, at, actor, kind, note)
  SELECT ticket_id, updated_at, 'unknown', 'note', note FROM tickets WHERE note IS NOT NULL;

-- The shopper's conversation up to the escalation, as the widget sent it: a JSON array of
-- {role, text, at}. One row per ticket (absent when the widget sent none).
CREATE TABLE IF NOT EXISTS ticket_transcripts (
  ticket_id  TEXT PRIMARY KEY REFERENCES tickets (ticket_id),
  messages   TEXT NOT NULL
);

-- Return decisions: the shopper's email (for the status check and the console's search), why it
-- was decided so, and when it last changed. Older rows take the order's email.
ALTER TABLE return_requests ADD COLUMN email TEXT;
ALTER TABLE return_requests ADD COLUMN decision_reason TEXT;
ALTER TABLE return_requests ADD COLUMN updated_at TEXT;
UPDATE return_requests SET
  email = (SELECT lower(o.email) FROM orders o WHERE o.order_number = return_requests.order_number),
  updated_at = created_at;
CREATE INDEX IF NOT EXISTS return_requests_status_created ON return_requests (status, created_at, return_id);
CREATE INDEX IF NOT EXISTS return_requests_email_created ON return_requests (email, created_at);

-- A return's history, append-only.
CREATE TABLE IF NOT EXISTS return_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  return_id  TEXT NOT NULL REFERENCES return_requests (return_id),
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,
  status     TEXT NOT NULL,
  note       TEXT
);
CREATE INDEX IF NOT EXISTS return_events_return ON return_events (return_id, id);
INSERT INTO return_events (return_id, at, actor, status)
  SELECT return_id, created_at, 'shopper', 'requested' FROM return_requests ORDER BY created_at;

-- What shoppers asked that the rules did not understand, with personal data replaced by
-- placeholders (`{email}`, `{order_number}`, `{phone}`, `{name}`) by the engine before it is
-- stored, grouped by the normalised redacted text (`key`). Purged `unanswered_retention_days`
-- (rules/thresholds.toml) after `last_seen`.
CREATE TABLE IF NOT EXISTS unanswered_questions (
  key         TEXT PRIMARY KEY,
  text        TEXT NOT NULL,                             -- the latest redacted wording
  count       INTEGER NOT NULL DEFAULT 1,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL,
  intent      TEXT NOT NULL,                             -- of the latest occurrence
  confidence  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS unanswered_questions_last_seen ON unanswered_questions (last_seen);
CREATE INDEX IF NOT EXISTS unanswered_questions_rank ON unanswered_questions (count, last_seen, key);
