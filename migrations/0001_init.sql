-- Aurora Concierge D1 schema.
--
-- Conventions shared with src/api/store.rs and seed/seed.sql:
--   * timestamps are ISO 8601 UTC text, `YYYY-MM-DDTHH:MM:SSZ`
--     (SQLite: strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
--   * money is integer cents; booleans are INTEGER 0/1;
--   * emails are stored lower-case (compare with lower(?) for case-insensitive lookups);
--   * category ids: rings, necklaces, earrings, bracelets;
--     metal ids: yellow_gold, white_gold, rose_gold, platinum;
--   * order status: processing, shipped, delivered, cancelled.

-- Catalog ------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS products (
  sku            TEXT PRIMARY KEY,                       -- e.g. RG-0001
  name           TEXT NOT NULL,
  category       TEXT NOT NULL CHECK (category IN ('rings', 'necklaces', 'earrings', 'bracelets')),
  metal          TEXT NOT NULL CHECK (metal IN ('yellow_gold', 'white_gold', 'rose_gold', 'platinum')),
  price_cents    INTEGER NOT NULL CHECK (price_cents > 0),
  ready_to_ship  INTEGER NOT NULL DEFAULT 1 CHECK (ready_to_ship IN (0, 1)),
  stock          INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
  image          TEXT NOT NULL
);

-- Discovery filters on ready_to_ship, optionally category and/or metal, a price range, cheapest first.
CREATE INDEX IF NOT EXISTS products_rts_category_metal_price ON products (ready_to_ship, category, metal, price_cents);
CREATE INDEX IF NOT EXISTS products_rts_metal_price ON products (ready_to_ship, metal, price_cents);
CREATE INDEX IF NOT EXISTS products_rts_price ON products (ready_to_ship, price_cents);
CREATE INDEX IF NOT EXISTS products_category_metal_price ON products (category, metal, price_cents);

-- One row (id = 1). Bumped whenever the catalog changes; part of the KV cache key
-- `catalog:v{version}:{normalised filter}` so a bump invalidates every cached query.
CREATE TABLE IF NOT EXISTS catalog_meta (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  version  INTEGER NOT NULL
);

-- Orders -------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS orders (
  order_number  TEXT PRIMARY KEY,                        -- AUR- + 6 digits
  email         TEXT NOT NULL,                           -- lower-case
  status        TEXT NOT NULL CHECK (status IN ('processing', 'shipped', 'delivered', 'cancelled')),
  placed_at     TEXT NOT NULL,
  delivered_at  TEXT                                     -- set only when status = 'delivered'
);

CREATE TABLE IF NOT EXISTS order_items (
  order_number  TEXT NOT NULL REFERENCES orders (order_number),
  sku           TEXT NOT NULL,
  name          TEXT NOT NULL,                           -- as sold (snapshot of products.name)
  category      TEXT NOT NULL,
  quantity      INTEGER NOT NULL CHECK (quantity > 0),
  price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
  PRIMARY KEY (order_number, sku)
);

CREATE TABLE IF NOT EXISTS shipments (
  id               INTEGER PRIMARY KEY,
  order_number     TEXT NOT NULL REFERENCES orders (order_number),
  carrier          TEXT NOT NULL,
  tracking_number  TEXT NOT NULL,
  status           TEXT NOT NULL,                        -- label_created | in_transit | delivered | returned
  shipped_at       TEXT,
  delivered_at     TEXT
);
CREATE INDEX IF NOT EXISTS shipments_order ON shipments (order_number);

CREATE TABLE IF NOT EXISTS shipment_events (
  id           INTEGER PRIMARY KEY,
  shipment_id  INTEGER NOT NULL REFERENCES shipments (id),
  at           TEXT NOT NULL,
  status       TEXT NOT NULL,
  detail       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shipment_events_shipment_at ON shipment_events (shipment_id, at);

-- Written by the API -------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS return_requests (
  return_id     TEXT PRIMARY KEY,                        -- RET-…
  order_number  TEXT NOT NULL,
  sku           TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('return', 'resize', 'exchange')),
  reason        TEXT NOT NULL,
  ring_size     REAL,
  status        TEXT NOT NULL DEFAULT 'requested',
  created_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS return_requests_order ON return_requests (order_number);
CREATE INDEX IF NOT EXISTS return_requests_created ON return_requests (created_at);

CREATE TABLE IF NOT EXISTS tickets (
  ticket_id   TEXT PRIMARY KEY,                          -- TCK-…
  session_id  TEXT NOT NULL,
  email       TEXT NOT NULL,
  name        TEXT,
  topic       TEXT NOT NULL,
  message     TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
  note        TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_status_created ON tickets (status, created_at);

CREATE TABLE IF NOT EXISTS csat_responses (
  ticket_id   TEXT PRIMARY KEY REFERENCES tickets (ticket_id),  -- one response per ticket
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment     TEXT,
  created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS csat_responses_created ON csat_responses (created_at);

-- Stripe-style idempotency. The primary key is what makes twenty concurrent identical requests
-- create exactly one row: the first INSERT wins, the others see the existing key.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key              TEXT PRIMARY KEY,
  route            TEXT NOT NULL,
  request_hash     TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'in_flight',    -- in_flight | done
  response_status  INTEGER,
  response_body    TEXT,
  created_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);

-- One row per classified message, for admin analytics. No personal data: no text, session or user.
CREATE TABLE IF NOT EXISTS message_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  intent      TEXT NOT NULL,
  confidence  REAL NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS message_log_created ON message_log (created_at);
