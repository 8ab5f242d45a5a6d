// End-to-end tests of the HTTP API (docs/api.md) against one real `wrangler dev` (workerd with
// local D1 and KV), migrated and seeded fresh. Run: node --test tests/e2e/
//
// Per-client rate limits are scaled up here (RATE_LIMIT_SCALE) so that the tests measure
// behaviour, not the limiter; tests/e2e/ops.test.mjs covers the limiter at scale 1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startWorker, request } from './harness.mjs';
import { call, assertError, fixtures, devVarsExample, allowedOrigins, freshClient, marker } from './lib.mjs';

const TOKENS = devVarsExample();
let worker;
let base;

before(async () => {
  worker = await startWorker({ vars: { ...TOKENS, RATE_LIMIT_SCALE: '1000' } });
  base = worker.url;
});

after(async () => {
  if (worker) await worker.stop();
});

const json = (extra = {}) => ({ 'cf-connecting-ip': freshClient(), ...extra });
const post = (path, body, headers = {}) => call(base, 'POST', path, { body, headers: json(headers) });
const get = (path, headers = {}) => call(base, 'GET', path, { headers: json(headers) });

/** The product filter as SQL, the ground truth for catalog answers. */
async function readyProducts({ category, metal, minCents, maxCents, order = 'price_cents' }) {
  const where = ['ready_to_ship = 1'];
  if (category) where.push(`category = '${category}'`);
  if (metal) where.push(`metal = '${metal}'`);
  if (minCents !== undefined) where.push(`price_cents >= ${minCents}`);
  if (maxCents !== undefined) where.push(`price_cents <= ${maxCents}`);
  return worker.d1(`SELECT sku, price_cents FROM products WHERE ${where.join(' AND ')} ORDER BY ${order}, sku`);
}

function assertProductShape(p) {
  for (const key of ['sku', 'name', 'category', 'metal', 'price', 'price_cents', 'ready_to_ship', 'stock', 'image']) {
    assert.ok(key in p, `product without ${key}: ${JSON.stringify(p)}`);
  }
  assert.equal(p.price, p.price_cents / 100);
  assert.match(p.image, /^\/img\/[a-z]+\.svg$/);
}

function assertCheapestFirst(products) {
  for (let i = 1; i < products.length; i += 1) {
    assert.ok(products[i - 1].price_cents <= products[i].price_cents, 'products are not cheapest first');
  }
}

describe('health and headers', () => {
  it('GET /health reports ok with the rules version and every binding', async () => {
    const res = await get('/health');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'ok');
    assert.equal(typeof res.body.rules_version, 'string');
    assert.ok(res.body.rules_version.length > 0);
    assert.equal(res.headers.get('x-rules-version'), res.body.rules_version);
    assert.match(String(res.body.rules_hash), /^[0-9a-f]{8,}$/);
    assert.equal(res.body.bindings.d1, 'ok');
    assert.equal(res.body.bindings.kv, 'ok');
    assert.ok(['ok', 'missing'].includes(res.body.bindings.analytics));
  });

  it('GET /openapi.json is an OpenAPI 3.1 document naming every shopper route, a static asset any origin may read', async () => {
    const res = await request(base, 'GET', '/openapi.json', { headers: { origin: 'https://docs.example' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /application\/json/);
    const doc = res.body;
    assert.match(String(doc.openapi), /^3\.1/);
    for (const path of ['/v1/messages', '/v1/products', '/v1/orders/lookup', '/v1/returns', '/v1/escalations', '/v1/csat', '/v1/flags', '/health']) {
      assert.ok(doc.paths[path], `openapi.json lacks ${path}`);
    }
    // Served by Workers static assets with public/_headers, without waking the wasm (so no
    // X-Rules-Version), and revalidated by ETag.
    assert.equal(res.headers.get('x-rules-version'), null);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const etag = res.headers.get('etag');
    assert.ok(etag, 'the document keeps its ETag');
    assert.equal((await request(base, 'GET', '/openapi.json', { headers: { 'if-none-match': etag } })).status, 304);
  });
});

describe('catalog', () => {
  it('GET /v1/products filters by category, metal and max price, ready to ship, cheapest first', async () => {
    const res = await get('/v1/products?category=rings&metal=rose_gold&max=500');
    assert.equal(res.status, 200, res.text);
    const truth = await readyProducts({ category: 'rings', metal: 'rose_gold', maxCents: 50000 });
    assert.ok(truth.length >= 3, 'seed should hold several ready rose gold rings under $500');
    assert.deepEqual(res.body.products.map((p) => p.sku), truth.map((p) => p.sku).slice(0, res.body.products.length));
    assert.equal(res.body.count, res.body.products.length);
    for (const p of res.body.products) {
      assertProductShape(p);
      assert.equal(p.category, 'rings');
      assert.equal(p.metal, 'rose_gold');
      assert.ok(p.price_cents <= 50000);
      assert.equal(p.ready_to_ship, true);
    }
    assertCheapestFirst(res.body.products);
  });

  it('GET /v1/products honours min, max and limit', async () => {
    const res = await get('/v1/products?category=necklaces&min=1000&max=2500&limit=3');
    assert.equal(res.status, 200, res.text);
    const truth = await readyProducts({ category: 'necklaces', minCents: 100000, maxCents: 250000 });
    assert.ok(truth.length > 3);
    assert.deepEqual(res.body.products.map((p) => p.sku), truth.slice(0, 3).map((p) => p.sku));
  });

  it('the same query twice (second from the KV cache) gives the same answer', async () => {
    const a = await get('/v1/products?metal=platinum&max=900');
    const b = await get('/v1/products?metal=platinum&max=900');
    assert.equal(a.status, 200);
    assert.deepEqual(b.body, a.body);
  });

  it('an unknown category is a 422 naming the field', async () => {
    assertError(await get('/v1/products?category=hats'), 422, 'invalid_field', 'category');
  });

  it('a non-numeric price is a 422 naming the field', async () => {
    assertError(await get('/v1/products?max=cheap'), 422, 'invalid_field', 'max');
  });
});

describe('POST /v1/messages', () => {
  it('discovery: "rose gold rings under $500" returns only ready-to-ship rose gold rings ≤ $500', async () => {
    const res = await post('/v1/messages', { session_id: 's-disc-1', text: 'rose gold rings under $500' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'product_discovery');
    assert.equal(res.body.entities.category, 'rings');
    assert.equal(res.body.entities.metal, 'rose_gold');
    assert.equal(res.body.entities.price.max, 500);
    assert.equal(res.body.next_step, 'show_products');
    assert.equal(res.body.rules_version, res.headers.get('x-rules-version'));
    assert.ok(res.body.confidence > 0 && res.body.confidence <= 1);
    // Under a ceiling the dearest come first: what the budget buys (docs/api.md, "Results").
    const truth = await readyProducts({ category: 'rings', metal: 'rose_gold', maxCents: 50000, order: '-price_cents' });
    assert.ok(res.body.products.length > 0);
    assert.deepEqual(res.body.products.map((p) => p.sku), truth.map((p) => p.sku).slice(0, res.body.products.length));
    for (const p of res.body.products) {
      assert.equal(p.category, 'rings');
      assert.equal(p.metal, 'rose_gold');
      assert.equal(p.ready_to_ship, true);
      assert.ok(p.price_cents <= 50000);
    }
    const notReady = await worker.d1("SELECT sku FROM products WHERE category='rings' AND metal='rose_gold' AND price_cents <= 50000 AND ready_to_ship = 0");
    assert.ok(notReady.length > 0, 'the seed should hold a made-to-order rose gold ring under $500');
    for (const { sku } of notReady) assert.ok(!res.body.products.some((p) => p.sku === sku), `${sku} is not ready to ship`);
  });

  it('discovery with an approximate price widens the range by the tolerance', async () => {
    const res = await post('/v1/messages', { session_id: 's-disc-2', text: 'white gold necklace around $1000' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'product_discovery');
    assert.equal(res.body.entities.price.kind, 'approx');
    for (const p of res.body.products) {
      assert.equal(p.metal, 'white_gold');
      assert.equal(p.category, 'necklaces');
      assert.ok(p.price_cents >= 85000 && p.price_cents <= 115000, `${p.sku} at ${p.price} is outside $1000 ±15%`);
    }
  });

  it('discovery with nothing in stock offers a stylist instead', async () => {
    const truth = await readyProducts({ category: 'earrings', metal: 'platinum', maxCents: 5000 });
    assert.equal(truth.length, 0);
    const res = await post('/v1/messages', { session_id: 's-disc-3', text: 'platinum earrings under $50' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'product_discovery');
    assert.deepEqual(res.body.products, []);
    assert.equal(res.body.next_step, 'offer_stylist');
  });

  it('tracking without details asks for the order number and email', async () => {
    const res = await post('/v1/messages', { session_id: 's-track-1', text: 'where is my order?' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'order_tracking');
    assert.equal(res.body.next_step, 'ask_order_details');
    assert.ok(!res.body.products || res.body.products.length === 0);
  });

  it('tracking with an order number and email shows the order', async () => {
    const order = fixtures.orders.shipped[0];
    const res = await post('/v1/messages', { session_id: 's-track-2', text: `Where is my order ${order.order_number}? My email is ${order.email}` });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'order_tracking');
    assert.equal(res.body.entities.order_number, order.order_number);
    assert.equal(res.body.entities.email, order.email);
    assert.equal(res.body.next_step, 'show_order');
    assert.equal(res.body.order.order_number, order.order_number);
    assert.equal(res.body.order.status, 'shipped');
  });

  it('returns and resizing explain the policy and open the return form', async () => {
    const res = await post('/v1/messages', { session_id: 's-ret-1', text: 'can I return my ring or get it resized?' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'returns_resizing');
    assert.equal(res.body.next_step, 'return_form');
    assert.match(res.body.reply, /30/);
  });

  it('asking for a person offers a stylist', async () => {
    const res = await post('/v1/messages', { session_id: 's-esc-1', text: 'I would like to talk to a stylist please' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.intent, 'stylist_escalation');
    assert.equal(res.body.next_step, 'offer_stylist');
  });

  it('after the configured unmatched turns the reply offers a stylist (counted in the context)', async () => {
    const session = `s-unk-${Date.now()}`;
    // Words the rules do not know are taken for a product search, but count as not understood.
    const first = await post('/v1/messages', { session_id: session, text: 'qwzx plorb vrumf' });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.context.unmatched, 1);
    assert.notEqual(first.body.next_step, 'offer_stylist');
    const second = await post('/v1/messages', {
      session_id: session,
      text: 'and so on and so forth, as they say',
      context: first.body.context,
    });
    assert.equal(second.body.intent, 'unknown');
    assert.equal(second.body.context.unmatched, 2);
    assert.equal(second.body.next_step, 'offer_stylist');
    // A message without the context starts from zero, in the same session or another.
    const again = await post('/v1/messages', { session_id: session, text: 'blarg snorf' });
    assert.notEqual(again.body.next_step, 'offer_stylist');
    const other = await post('/v1/messages', { session_id: `${session}-b`, text: 'qwzx plorb vrumf' });
    assert.notEqual(other.body.next_step, 'offer_stylist');
  });
});

describe('POST /v1/orders/lookup', () => {
  it('the right email (any case) gives the order with items and shipments', async () => {
    const order = fixtures.orders.shipped[0];
    const res = await post('/v1/orders/lookup', { order_number: order.order_number, email: order.email.toUpperCase() });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.order_number, order.order_number);
    assert.equal(res.body.status, 'shipped');
    assert.equal(res.body.delivered_at, null);
    assert.deepEqual(res.body.items.map((i) => i.sku).sort(), order.items.map((i) => i.sku).sort());
    assert.ok(res.body.shipments.length >= 1);
    const shipment = res.body.shipments[0];
    assert.ok(shipment.carrier && shipment.tracking_number);
    assert.ok(shipment.events.length >= 2);
    assert.ok(res.body.return_eligibility && typeof res.body.return_eligibility.return === 'boolean');
  });

  it('a delivered order within the window is eligible for return', async () => {
    const order = fixtures.orders.delivered_recent[0];
    const res = await post('/v1/orders/lookup', { order_number: order.order_number, email: order.email });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'delivered');
    assert.match(res.body.delivered_at, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(res.body.return_eligibility.return, true);
    assert.equal(res.body.return_eligibility.resize, true);
    const delivered = res.body.shipments.find((s) => s.status === 'delivered');
    assert.ok(delivered, 'a delivered order has a delivered shipment');
  });

  it('a wrong email and an unknown order give identical 404s', async () => {
    const order = fixtures.orders.delivered_recent[2];
    const wrong = await post('/v1/orders/lookup', { order_number: order.order_number, email: 'someone.else@example.com' });
    const unknown = await post('/v1/orders/lookup', { order_number: 'AUR-000001', email: order.email });
    assertError(wrong, 404, 'not_found');
    assert.equal(wrong.text, unknown.text);
    assert.equal(unknown.status, 404);
  });

  it('a malformed order number is a 422 naming the field', async () => {
    assertError(await post('/v1/orders/lookup', { order_number: 'ORDER-1', email: 'a@example.com' }), 422, 'invalid_field', 'order_number');
  });
});

describe('POST /v1/returns', () => {
  const recent = () => fixtures.orders.delivered_recent[0]; // a ring and a necklace, delivered 1..25 days ago
  const skuOf = (order, category) => order.items.find((i) => i.category === category).sku;

  it('a delivered order within the window: return → 201 and a row in D1', async () => {
    const order = recent();
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: skuOf(order, 'necklaces'), kind: 'return', reason: 'Changed my mind' });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.return_id, /^RET-/);
    assert.equal(res.body.status, 'requested');
    assert.equal(res.body.kind, 'return');
    const rows = await worker.d1(`SELECT order_number, kind, status FROM return_requests WHERE return_id = '${res.body.return_id}'`);
    assert.deepEqual(rows, [{ order_number: order.order_number, kind: 'return', status: 'requested' }]);
  });

  it('resizing a ring with a ring size → 201', async () => {
    const order = recent();
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: skuOf(order, 'rings'), kind: 'resize', reason: 'Too tight', ring_size: 7.5 });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.kind, 'resize');
  });

  it('resizing a non-ring → 422 not_eligible', async () => {
    const order = recent();
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: skuOf(order, 'necklaces'), kind: 'resize', reason: 'Too long', ring_size: 7 });
    assertError(res, 422, 'not_eligible');
  });

  it('a resize without a ring size → 422 naming ring_size', async () => {
    const order = recent();
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: skuOf(order, 'rings'), kind: 'resize', reason: 'Too tight' });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.field, 'ring_size');
  });

  it('a ring size off the half-size grid → 422 invalid_field ring_size', async () => {
    const order = recent();
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: skuOf(order, 'rings'), kind: 'resize', reason: 'Too tight', ring_size: 7.3 });
    assertError(res, 422, 'invalid_field', 'ring_size');
  });

  it('a return delivered more than 30 days ago → 422 not_eligible', async () => {
    const order = fixtures.orders.delivered_old[1]; // 70..120 days ago
    assert.ok(order.delivered_days_ago > 30);
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: order.items[0].sku, kind: 'return', reason: 'Too late?' });
    assertError(res, 422, 'not_eligible');
  });

  it('after 30 days a return is refused but a ring resize (60-day window) is accepted', async () => {
    const order = fixtures.orders.delivered_old[0]; // 35..55 days ago, holds a ring
    assert.ok(order.delivered_days_ago > 30 && order.delivered_days_ago < 60);
    const ring = skuOf(order, 'rings');
    assertError(await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: ring, kind: 'return', reason: 'Late' }), 422, 'not_eligible');
    const resize = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: ring, kind: 'resize', reason: 'Too loose', ring_size: 6 });
    assert.equal(resize.status, 201, resize.text);
  });

  it('an order not yet delivered → 422 not_eligible', async () => {
    const order = fixtures.orders.processing[0];
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: order.items[0].sku, kind: 'return', reason: 'Not needed' });
    assertError(res, 422, 'not_eligible');
  });

  it('a sku that is not in the order → 422 not_eligible naming sku', async () => {
    const order = recent();
    const res = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku: 'BR-9999', kind: 'return', reason: 'Wrong item' });
    assertError(res, 422, 'not_eligible', 'sku');
  });

  it('a wrong email → the same 404 as an unknown order', async () => {
    const order = recent();
    const wrong = await post('/v1/returns', { order_number: order.order_number, email: 'x@example.org', sku: skuOf(order, 'rings'), kind: 'return', reason: 'x' });
    const unknown = await post('/v1/returns', { order_number: 'AUR-000002', email: order.email, sku: skuOf(order, 'rings'), kind: 'return', reason: 'x' });
    assertError(wrong, 404, 'not_found');
    assert.equal(wrong.text, unknown.text);
  });
});

describe('escalations and CSAT', () => {
  it('POST /v1/escalations → 201 ticket; CSAT once → 201; twice → 409; unknown ticket → 404', async () => {
    const topic = marker('topic');
    const esc = await post('/v1/escalations', { session_id: 's-esc-2', email: 'shopper@example.com', name: 'Sam', topic, message: 'Help choosing an engagement ring' });
    assert.equal(esc.status, 201, esc.text);
    assert.match(esc.body.ticket_id, /^TCK-/);
    assert.equal(esc.body.status, 'open');
    assert.equal(esc.body.csat_url, '/v1/csat');
    const rows = await worker.d1(`SELECT status FROM tickets WHERE ticket_id = '${esc.body.ticket_id}'`);
    assert.deepEqual(rows, [{ status: 'open' }]);

    const first = await post('/v1/csat', { ticket_id: esc.body.ticket_id, score: 5, comment: 'Lovely' });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual({ ticket_id: first.body.ticket_id, score: first.body.score }, { ticket_id: esc.body.ticket_id, score: 5 });
    assertError(await post('/v1/csat', { ticket_id: esc.body.ticket_id, score: 3 }), 409, 'already_exists');
    assertError(await post('/v1/csat', { ticket_id: 'TCK-doesnotexist', score: 3 }), 404, 'not_found');
  });

  it('CSAT scores outside 1..5 or not integers → 422 naming score', async () => {
    for (const score of [0, 6, 4.5, '5']) {
      assertError(await post('/v1/csat', { ticket_id: 'TCK-any', score }), 422, 'invalid_field', 'score');
    }
  });
});

describe('idempotency', () => {
  const escalation = (topic) => ({ session_id: 's-idem', email: 'idem@example.org', topic, message: 'Please call me back' });

  it('the same key and body replays the stored response; a different body → 422', async () => {
    const key = marker('key');
    const topic = marker('idem');
    const client = { 'idempotency-key': key, 'cf-connecting-ip': freshClient() };
    const first = await post('/v1/escalations', escalation(topic), client);
    assert.equal(first.status, 201, first.text);
    const again = await post('/v1/escalations', escalation(topic), client);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const rows = await worker.d1(`SELECT COUNT(*) AS n FROM tickets WHERE topic = '${topic}'`);
    assert.equal(rows[0].n, 1);
    assertError(await post('/v1/escalations', escalation(`${topic}-changed`), client), 422, 'idempotency_key_reused');
    // Keys are scoped by client: another client's identical key is its own request.
    const other = await post('/v1/escalations', escalation(topic), { 'idempotency-key': key, 'cf-connecting-ip': freshClient() });
    assert.equal(other.status, 201, other.text);
    assert.equal(other.headers.get('idempotent-replayed'), null);
  });

  it('without a key, two identical requests create two rows', async () => {
    const topic = marker('nokey');
    assert.equal((await post('/v1/escalations', escalation(topic))).status, 201);
    assert.equal((await post('/v1/escalations', escalation(topic))).status, 201);
    const rows = await worker.d1(`SELECT COUNT(*) AS n FROM tickets WHERE topic = '${topic}'`);
    assert.equal(rows[0].n, 2);
  });

  it('twenty concurrent identical returns with one key create exactly one row', async () => {
    const order = fixtures.orders.delivered_recent[3];
    const reason = marker('concurrent');
    const key = marker('key');
    const body = { order_number: order.order_number, email: order.email, sku: order.items[0].sku, kind: 'return', reason };
    const client = freshClient();
    const responses = await Promise.all(Array.from({ length: 20 }, () =>
      call(base, 'POST', '/v1/returns', { body, headers: { 'idempotency-key': key, 'cf-connecting-ip': client } })));
    const statuses = responses.map((r) => r.status);
    for (const r of responses) {
      assert.ok(r.status === 201 || r.status === 409, `unexpected ${r.status}: ${r.text}`);
      if (r.status === 409) assert.equal(r.body.error.code, 'idempotency_in_flight');
    }
    const created = responses.filter((r) => r.status === 201);
    assert.ok(created.length >= 1, `no 201 among ${statuses}`);
    assert.equal(new Set(created.map((r) => r.body.return_id)).size, 1, 'every 201 carries the same return id');
    const rows = await worker.d1(`SELECT COUNT(*) AS n FROM return_requests WHERE reason = '${reason}'`);
    assert.equal(rows[0].n, 1);
    // Stored scoped (SHA-256 of route, client and key), never the raw key or the client address.
    const scoped = createHash('sha256').update(`POST /v1/returns\n${client}\n${key}`).digest('hex');
    const keys = await worker.d1(`SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = '${scoped}' AND status = 'done'`);
    assert.equal(keys[0].n, 1);
    // A retry after the burst replays the same return.
    const replay = await call(base, 'POST', '/v1/returns', { body, headers: { 'idempotency-key': key, 'cf-connecting-ip': client } });
    assert.equal(replay.status, 201);
    assert.equal(replay.body.return_id, created[0].body.return_id);
  });
});

describe('bad input never yields a 500', () => {
  const valid = { session_id: 's-bad', text: 'hello' };

  it('a body over 16 KiB → 413', async () => {
    const res = await call(base, 'POST', '/v1/messages', { raw: JSON.stringify({ ...valid, text: 'x'.repeat(17 * 1024) }), headers: json({ 'content-type': 'application/json' }) });
    assertError(res, 413, 'payload_too_large');
  });

  it('a non-JSON content type → 415', async () => {
    const res = await call(base, 'POST', '/v1/messages', { raw: 'text=hello', headers: json({ 'content-type': 'text/plain' }) });
    assertError(res, 415, 'unsupported_media_type');
  });

  it('malformed JSON → 400', async () => {
    for (const raw of ['{"session_id": "s-1", "text": ', '', 'null', '[1,2]']) {
      const res = await call(base, 'POST', '/v1/messages', { raw, headers: json({ 'content-type': 'application/json' }) });
      assert.ok([400, 422].includes(res.status), `${JSON.stringify(raw)} → ${res.status}`);
      assert.ok(res.body.error, res.text);
    }
    assertError(await call(base, 'POST', '/v1/messages', { raw: '{"session_id": "s-1", "text": ', headers: json({ 'content-type': 'application/json' }) }), 400, 'invalid_json');
  });

  it('wrong types, missing and unknown fields, out-of-range values → 422 naming the field', async () => {
    assertError(await post('/v1/messages', { ...valid, text: 5 }), 422, 'invalid_field', 'text');
    assertError(await post('/v1/messages', { session_id: 's-bad' }), 422, 'missing_field', 'text');
    assertError(await post('/v1/messages', { ...valid, colour: 'red' }), 422, 'unknown_field', 'colour');
    assertError(await post('/v1/messages', { ...valid, text: '' }), 422, 'invalid_field', 'text');
    assertError(await post('/v1/messages', { ...valid, text: 'y'.repeat(2001) }), 422, 'invalid_field', 'text');
    assertError(await post('/v1/messages', { ...valid, session_id: 'bad id!' }), 422, 'invalid_field', 'session_id');
    assertError(await post('/v1/escalations', { session_id: 's-bad', email: 'not-an-email', topic: 't', message: 'm' }), 422, 'invalid_field', 'email');
    assertError(await post('/v1/returns', { order_number: 'AUR-123456', email: 'a@example.com', sku: 'RG-0001', kind: 'melt', reason: 'x' }), 422, 'invalid_field', 'kind');
  });

  it('an unknown route → 404 and a wrong method → 405 with Allow', async () => {
    assertError(await get('/v1/nothing-here'), 404, 'not_found');
    const wrong = await get('/v1/messages');
    assertError(wrong, 405, 'method_not_allowed');
    assert.match(wrong.headers.get('allow') ?? '', /POST/);
    assertError(await call(base, 'DELETE', '/v1/products', { headers: json() }), 405, 'method_not_allowed');
  });

  it('junk of every JSON type in every field of every POST route → 4xx with the error shape', async () => {
    const routes = {
      '/v1/messages': { session_id: 's-junk', user_id: 'u-junk', text: 'hello' },
      '/v1/orders/lookup': { order_number: 'AUR-123456', email: 'a@example.com' },
      '/v1/returns': { order_number: 'AUR-123456', email: 'a@example.com', sku: 'RG-0001', kind: 'resize', reason: 'x', ring_size: 7 },
      '/v1/escalations': { session_id: 's-junk', email: 'a@example.com', name: 'A', topic: 't', message: 'm' },
      '/v1/csat': { ticket_id: 'TCK-junk', score: 3, comment: 'c' },
    };
    const junk = [null, true, -1, 1e308, 'x'.repeat(3000), '\u0000\ud800', [], [1], {}, { nested: { deep: [1, { a: null }] } }];
    const results = [];
    for (const [path, valid] of Object.entries(routes)) {
      for (const field of Object.keys(valid)) {
        for (const value of junk) {
          results.push(post(path, { ...valid, [field]: value }).then((res) => ({ path, field, value, res })));
        }
      }
    }
    for (const { path, field, value, res } of await Promise.all(results)) {
      const what = `${path} ${field}=${JSON.stringify(value).slice(0, 40)} → ${res.status} ${res.text.slice(0, 200)}`;
      assert.ok(res.status >= 200 && res.status < 500, what);
      if (res.status >= 400) {
        assert.ok(res.body.error && typeof res.body.error.code === 'string', what);
        if (res.status === 422 && ['invalid_field', 'missing_field'].includes(res.body.error.code)) {
          assert.equal(res.body.error.field, field, what);
        }
      }
    }
  });

  it('an invalid Idempotency-Key → 422 naming the header', async () => {
    const res = await post('/v1/escalations', { session_id: 's-bad', email: 'a@example.com', topic: 't', message: 'm' }, { 'idempotency-key': 'x'.repeat(300) });
    assert.equal(res.status, 422, res.text);
    assert.match(String(res.body.error.field), /idempotency/i);
  });
});

describe('admin routes: the role × route matrix', () => {
  let ticketId;
  before(async () => {
    const esc = await post('/v1/escalations', { session_id: 's-admin', email: 'admin-test@example.com', topic: 'Matrix', message: 'for the admin matrix' });
    assert.equal(esc.status, 201, esc.text);
    ticketId = esc.body.ticket_id;
  });

  const routes = [
    { name: 'GET tickets', method: 'GET', path: () => '/v1/admin/tickets?status=open', allowed: ['support', 'admin'] },
    { name: 'PATCH ticket', method: 'PATCH', path: () => `/v1/admin/tickets/${ticketId}`, body: { status: 'pending', note: 'called back' }, allowed: ['support', 'admin'] },
    { name: 'GET csat', method: 'GET', path: () => '/v1/admin/csat?period=day', allowed: ['support', 'merchandiser', 'admin'] },
    { name: 'GET analytics', method: 'GET', path: () => '/v1/admin/analytics', allowed: ['merchandiser', 'admin'] },
  ];
  const roles = { support: 'SUPPORT_TOKEN', merchandiser: 'MERCHANDISER_TOKEN', admin: 'ADMIN_TOKEN' };

  it('.dev.vars.example defines the three tokens', () => {
    for (const v of Object.values(roles)) assert.ok(TOKENS[v], `.dev.vars.example lacks ${v}`);
  });

  for (const route of routes) {
    it(`${route.name}: no token / malformed / unknown token → 401`, async () => {
      for (const auth of [undefined, 'Basic abc', 'Bearer', `Bearer ${TOKENS.ADMIN_TOKEN}x`, TOKENS.ADMIN_TOKEN]) {
        const headers = auth === undefined ? {} : { authorization: auth };
        assertError(await call(base, route.method, route.path(), { body: route.body, headers: json(headers) }), 401, 'unauthorized');
      }
    });
    for (const [role, tokenVar] of Object.entries(roles)) {
      const ok = route.allowed.includes(role);
      it(`${route.name} as ${role} → ${ok ? 200 : 403}`, async () => {
        const res = await call(base, route.method, route.path(), { body: route.body, headers: json({ authorization: `Bearer ${TOKENS[tokenVar]}` }) });
        if (ok) assert.equal(res.status, 200, res.text);
        else assertError(res, 403, 'forbidden');
      });
    }
  }

  it('the PATCHed ticket is listed under its new status with the note', async () => {
    const res = await get('/v1/admin/tickets?status=pending', { authorization: `Bearer ${TOKENS.SUPPORT_TOKEN}` });
    assert.equal(res.status, 200, res.text);
    const ticket = res.body.tickets.find((t) => t.ticket_id === ticketId);
    assert.ok(ticket, 'patched ticket not listed as pending');
    assert.equal(ticket.note, 'called back');
    const open = await get('/v1/admin/tickets?status=open', { authorization: `Bearer ${TOKENS.SUPPORT_TOKEN}` });
    assert.ok(!open.body.tickets.some((t) => t.ticket_id === ticketId));
  });

  it('PATCH with a bad status → 422; unknown ticket → 404', async () => {
    const auth = { authorization: `Bearer ${TOKENS.ADMIN_TOKEN}` };
    assertError(await call(base, 'PATCH', `/v1/admin/tickets/${ticketId}`, { body: { status: 'lost' }, headers: json(auth) }), 422, 'invalid_field', 'status');
    assertError(await call(base, 'PATCH', '/v1/admin/tickets/TCK-nope', { body: { status: 'closed' }, headers: json(auth) }), 404, 'not_found');
  });

  it('CSAT and analytics summaries reflect what the tests wrote', async () => {
    const auth = { authorization: `Bearer ${TOKENS.ADMIN_TOKEN}` };
    const csat = await get('/v1/admin/csat?period=week', auth);
    assert.equal(csat.status, 200, csat.text);
    assert.ok(csat.body.count >= 1);
    assert.ok(csat.body.average >= 1 && csat.body.average <= 5);
    const total = Object.values(csat.body.distribution).reduce((a, b) => a + b, 0);
    assert.equal(total, csat.body.count);
    const analytics = await get('/v1/admin/analytics', auth);
    assert.equal(analytics.status, 200, analytics.text);
    assert.ok(analytics.body.messages >= 1);
    assert.ok(analytics.body.escalations >= 1);
    assert.ok(analytics.body.returns >= 1);
    assert.ok(analytics.body.unmatched_rate >= 0 && analytics.body.unmatched_rate <= 1);
    const logged = await worker.d1('SELECT COUNT(*) AS n FROM message_log');
    assert.equal(analytics.body.messages, logged[0].n);
  });
});

describe('D1 sessions: the bookmark round trip (read replication)', () => {
  const order = () => fixtures.orders.delivered_recent[0];
  const necklace = (o) => o.items.find((i) => i.category === 'necklaces').sku;
  const BOOKMARK = /^[0-9A-Za-z._:-]{1,256}$/;

  it('a filed return answers with a bookmark; its status read with that bookmark sees the return', async () => {
    const o = order();
    const created = await post('/v1/returns', { order_number: o.order_number, email: o.email, sku: necklace(o), kind: 'return', reason: 'Bookmark round trip' });
    assert.equal(created.status, 201, created.text);
    const bookmark = created.headers.get('x-d1-bookmark');
    assert.match(bookmark ?? '', BOOKMARK, 'a create answers with the session bookmark');
    const status = await post('/v1/returns/status', { return_id: created.body.return_id, email: o.email }, { 'x-d1-bookmark': bookmark });
    assert.equal(status.status, 200, status.text);
    assert.equal(status.body.return_id, created.body.return_id);
    // The session started at the bookmark: its own bookmark is never older.
    assert.ok((status.headers.get('x-d1-bookmark') ?? '') >= bookmark, `${status.headers.get('x-d1-bookmark')} < ${bookmark}`);
  });

  it('catalog reads answer with a bookmark too; routes that never query D1 do not', async () => {
    const products = await get('/v1/products?category=rings');
    assert.equal(products.status, 200, products.text);
    assert.match(products.headers.get('x-d1-bookmark') ?? '', BOOKMARK);
    const flags = await get('/v1/flags?user_id=u-bookmark');
    assert.equal(flags.status, 200, flags.text);
    assert.equal(flags.headers.get('x-d1-bookmark'), null);
  });

  it('a malformed X-D1-Bookmark → 422 at the header, and the create writes nothing', async () => {
    const o = order();
    const reason = marker('bad-bookmark');
    const res = await post('/v1/returns', { order_number: o.order_number, email: o.email, sku: necklace(o), kind: 'return', reason }, { 'x-d1-bookmark': 'not a bookmark' });
    assertError(res, 422, 'invalid_field', 'X-D1-Bookmark');
    assert.deepEqual(await worker.d1(`SELECT return_id FROM return_requests WHERE reason = '${reason}'`), []);
    const read = await get('/v1/products', { 'x-d1-bookmark': 'x'.repeat(257) });
    assertError(read, 422, 'invalid_field', 'X-D1-Bookmark');
  });

  it('a cross-origin widget may send the bookmark and read it back', async () => {
    const origin = allowedOrigins()[0];
    const pre = await call(base, 'OPTIONS', '/v1/returns/status', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-d1-bookmark' } });
    assert.equal(pre.status, 204);
    assert.match((pre.headers.get('access-control-allow-headers') ?? '').toLowerCase(), /x-d1-bookmark/);
    const res = await get('/v1/products', { origin });
    assert.match((res.headers.get('access-control-expose-headers') ?? '').toLowerCase(), /x-d1-bookmark/);
  });
});

describe('CORS and flags', () => {
  it('a preflight from an allowed origin → 204 with the allowed methods and headers', async () => {
    const origin = allowedOrigins()[0];
    assert.ok(origin, 'rules/rollout.toml lists allowed_origins');
    const res = await call(base, 'OPTIONS', '/v1/messages', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, idempotency-key' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match((res.headers.get('access-control-allow-headers') ?? '').toLowerCase(), /idempotency-key/);
    const actual = await call(base, 'POST', '/v1/messages', { body: { session_id: 's-cors', text: 'hello' }, headers: json({ origin }) });
    assert.equal(actual.headers.get('access-control-allow-origin'), origin);
  });

  it('a foreign origin gets no CORS grant', async () => {
    const res = await call(base, 'OPTIONS', '/v1/messages', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.notEqual(res.headers.get('access-control-allow-origin'), 'https://evil.example');
    assert.notEqual(res.headers.get('access-control-allow-origin'), '*');
  });

  it('GET /v1/flags gives a stable bucket per user and a documented reason', async () => {
    const reasons = ['kill_switch', 'feature_disabled', 'denylisted', 'allowlisted', 'in_rollout', 'out_of_rollout', 'anonymous', 'emergency_off'];
    const a = await get('/v1/flags?user_id=u-e2e-1');
    assert.equal(a.status, 200, a.text);
    assert.equal(typeof a.body.enabled, 'boolean');
    assert.ok(Number.isInteger(a.body.bucket) && a.body.bucket >= 0 && a.body.bucket < 10000);
    assert.ok(reasons.includes(a.body.reason), a.body.reason);
    assert.equal(a.body.rules_version, a.headers.get('x-rules-version'));
    const b = await get('/v1/flags?user_id=u-e2e-1');
    assert.deepEqual(b.body, a.body);
    const anon = await get('/v1/flags');
    assert.equal(anon.status, 200);
    assertError(await get('/v1/flags?user_id=bad%20id!'), 422, 'invalid_field', 'user_id');
  });
});
