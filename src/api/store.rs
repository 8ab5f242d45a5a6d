//! D1 storage: the SQL the handlers run, behind a small async [`Database`] trait so the same
//! queries run on D1 in the Worker and on SQLite in native tests.
//!
//! # Schema the Worker queries (agreed with `migrations/0001_init.sql`)
//!
//! Timestamps are ISO-8601 UTC text `YYYY-MM-DDTHH:MM:SSZ` (they sort and compare as text).
//! Money is integer cents. Booleans are INTEGER 0/1. Emails are stored lower-case.
//!
//! ```text
//! products(sku TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL  -- rings|necklaces|earrings|bracelets
//!          , metal TEXT NOT NULL        -- yellow_gold|white_gold|rose_gold|platinum
//!          , price_cents INTEGER NOT NULL, ready_to_ship INTEGER NOT NULL, stock INTEGER NOT NULL
//!          , image TEXT NOT NULL)       -- index on (category, metal, price_cents)
//! orders(order_number TEXT PRIMARY KEY  -- AUR-123456
//!        , email TEXT NOT NULL          -- lower-case
//!        , status TEXT NOT NULL         -- processing|shipped|delivered|cancelled
//!        , placed_at TEXT NOT NULL, delivered_at TEXT)   -- delivered_at NULL unless delivered
//! order_items(order_number TEXT NOT NULL REFERENCES orders, sku TEXT NOT NULL, name TEXT NOT NULL,
//!             category TEXT NOT NULL, quantity INTEGER NOT NULL, price_cents INTEGER NOT NULL)
//! shipments(id INTEGER PRIMARY KEY, order_number TEXT NOT NULL REFERENCES orders, carrier TEXT NOT NULL,
//!           tracking_number TEXT NOT NULL, status TEXT NOT NULL  -- label_created|in_transit|delivered|returned
//!           , shipped_at TEXT, delivered_at TEXT)
//! shipment_events(shipment_id INTEGER NOT NULL REFERENCES shipments, at TEXT NOT NULL,
//!                 status TEXT NOT NULL, detail TEXT NOT NULL)
//! return_requests(return_id TEXT PRIMARY KEY, order_number TEXT NOT NULL, sku TEXT NOT NULL,
//!                 kind TEXT NOT NULL    -- return|resize|exchange
//!                 , reason TEXT NOT NULL, ring_size REAL, status TEXT NOT NULL, created_at TEXT NOT NULL)
//! tickets(ticket_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, email TEXT NOT NULL, name TEXT,
//!         topic TEXT NOT NULL, message TEXT NOT NULL, status TEXT NOT NULL  -- open|pending|closed
//!         , note TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
//! csat_responses(ticket_id TEXT PRIMARY KEY REFERENCES tickets, score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
//!                comment TEXT, created_at TEXT NOT NULL)
//! idempotency_keys(key TEXT PRIMARY KEY, route TEXT NOT NULL, request_hash TEXT NOT NULL,
//!                  status TEXT NOT NULL  -- in_flight|done
//!                  , response_status INTEGER, response_body TEXT, created_at TEXT NOT NULL)
//! message_log(id INTEGER PRIMARY KEY AUTOINCREMENT, intent TEXT NOT NULL, confidence REAL NOT NULL,
//!             created_at TEXT NOT NULL)          -- no personal data: admin analytics only
//! catalog_meta(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)  -- one row (1, 1);
//!             bump `version` whenever products change: it is part of the KV catalog cache key
//! ```
