-- Categories and metals come from the rules (`rules/entities.toml`, compiled into the Worker), and
-- the API validates every value against them before it reaches D1. The schema no longer lists
-- them, so adding a category to the rules needs no migration. (SQLite cannot drop a CHECK
-- constraint in place: the table is rebuilt with the same rows and indexes.)

CREATE TABLE products_new (
  sku            TEXT PRIMARY KEY,                       -- e.g. RG-0001
  name           TEXT NOT NULL,
  category       TEXT NOT NULL,                          -- a category id of the rules
  metal          TEXT NOT NULL,                          -- a metal id of the rules
  price_cents    INTEGER NOT NULL CHECK (price_cents > 0),
  ready_to_ship  INTEGER NOT NULL DEFAULT 1 CHECK (ready_to_ship IN (0, 1)),
  stock          INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
  image          TEXT NOT NULL
);
INSERT INTO products_new (sku, name, category, metal, price_cents, ready_to_ship, stock, image)
  SELECT sku, name, category, metal, price_cents, ready_to_ship, stock, image FROM products;
DROP TABLE products;
ALTER TABLE products_new RENAME TO products;

CREATE INDEX IF NOT EXISTS products_rts_category_metal_price ON products (ready_to_ship, category, metal, price_cents);
CREATE INDEX IF NOT EXISTS products_rts_metal_price ON products (ready_to_ship, metal, price_cents);
CREATE INDEX IF NOT EXISTS products_rts_price ON products (ready_to_ship, price_cents);
CREATE INDEX IF NOT EXISTS products_category_metal_price ON products (category, metal, price_cents);
