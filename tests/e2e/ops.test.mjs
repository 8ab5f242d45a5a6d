// End-to-end tests of the operational controls, on a second Worker with production-like settings:
// per-client rate limits at their configured values (RATE_LIMIT_SCALE 1, LIMITER on), the KV kill
// switch (read on every request: KILL_SWITCH_CACHE_SECONDS 0), the KV catalog cache keyed by
// catalog_meta.version (CATALOG_VERSION_CACHE_SECONDS 0), and data points logged as JSON lines
// without personal data. Run: node --test tests/e2e/

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, sleep } from './harness.mjs';
import { call, assertError, fixtures, devVarsExample } from './lib.mjs';

let worker;

before(async () => {
  worker = await startWorker({
    vars: { ...devVarsExample(), LOG_DATA_POINTS: '1', RATE_LIMIT_SCALE: '1', KILL_SWITCH_CACHE_SECONDS: '0', CATALOG_VERSION_CACHE_SECONDS: '0' },
  });
});

after(async () => {
  if (worker) await worker.stop();
});

const flags = (q) => call(worker.url, 'GET', `/v1/flags${q}`);

describe('kill switch', () => {
  it('ops:kill-switch = on in KV turns the widget off for everyone; removing it turns it back', async () => {
    const before = await flags('?user_id=u-ops-1');
    assert.equal(before.status, 200, before.text);
    assert.notEqual(before.body.reason, 'emergency_off');
    await worker.kvPut('ops:kill-switch', 'on');
    for (const q of ['?user_id=u-ops-1', '?user_id=u-ops-2', '']) {
      const res = await flags(q);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.enabled, false);
      assert.equal(res.body.reason, 'emergency_off');
    }
    await worker.kvDelete('ops:kill-switch');
    const after = await flags('?user_id=u-ops-1');
    assert.deepEqual(after.body, before.body);
  });
});

describe('catalog cache in KV', () => {
  it('serves cached results until catalog_meta.version is bumped', async () => {
    const path = '/v1/products?category=bracelets&metal=platinum&max=300';
    const first = await call(worker.url, 'GET', path);
    assert.equal(first.status, 200, first.text);
    assert.ok(first.body.products.length > 0);
    const sku = first.body.products[0].sku;
    const oldCents = first.body.products[0].price_cents;
    // Change the catalog behind the cache's back: the cached answer is still served...
    await worker.d1(`UPDATE products SET price_cents = ${oldCents - 100} WHERE sku = '${sku}'`);
    const cached = await call(worker.url, 'GET', path);
    assert.equal(cached.body.products[0].price_cents, oldCents, 'the second identical query should come from KV');
    // ...until the catalog version moves, which changes every cache key.
    await worker.d1('UPDATE catalog_meta SET version = version + 1 WHERE id = 1');
    const fresh = await call(worker.url, 'GET', path);
    assert.equal(fresh.body.products.find((p) => p.sku === sku).price_cents, oldCents - 100);
  });
});

describe('rate limits', () => {
  it('lookups over the per-minute budget → 429 with Retry-After; other clients are unaffected', async () => {
    // The limiter uses fixed windows aligned to the minute: do not straddle a boundary.
    const second = new Date().getUTCSeconds();
    if (second >= 45) await sleep((61 - second) * 1000);
    const client = '203.0.113.7';
    // A new order number each time, so the per-order-number budget (10/min, tests/e2e/robust.test.mjs)
    // is not what stops the client.
    const body = (i) => ({ order_number: `AUR-0${String(10000 + i).padStart(5, '0')}`, email: 'nobody@example.com' });
    let limited = null;
    let allowed = 0;
    for (let i = 0; i < 200 && !limited; i += 1) {
      const res = await call(worker.url, 'POST', '/v1/orders/lookup', { body: body(i), headers: { 'cf-connecting-ip': client } });
      if (res.status === 429) limited = res;
      else { assert.equal(res.status, 404, res.text); allowed += 1; }
    }
    assert.ok(limited, 'never rate limited');
    assertError(limited, 429, 'rate_limited');
    assert.equal(allowed, 20, 'lookups_per_minute in rules/thresholds.toml is 20');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
    const other = await call(worker.url, 'POST', '/v1/orders/lookup', { body: body(500), headers: { 'cf-connecting-ip': '203.0.113.8' } });
    assert.equal(other.status, 404, other.text);
    // Lookups and messages have separate budgets.
    const msg = await call(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-ops-rl', text: 'hello' }, headers: { 'cf-connecting-ip': client } });
    assert.equal(msg.status, 200, msg.text);
  });
});

describe('data points and logs', () => {
  it('each request logs one data point as a JSON line, with no personal data', async () => {
    const order = fixtures.orders.delivered_recent[5];
    await sleep(1000); // console lines reach wrangler's stdout asynchronously: let earlier ones land
    const start = worker.logs().length;
    const headers = { 'cf-connecting-ip': '203.0.113.20' };
    const res = await call(worker.url, 'POST', '/v1/orders/lookup', { body: { order_number: order.order_number, email: order.email }, headers });
    assert.equal(res.status, 200, res.text);
    const msg = await call(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-ops-log', text: `where is ${order.order_number}, email ${order.email}` }, headers });
    assert.equal(msg.status, 200, msg.text);
    await sleep(500);
    const logs = worker.logs();
    const points = logs.slice(start).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'))
      .map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
    assert.equal(points.length, 2, `expected two data point lines, got:\n${logs.slice(start, start + 2000)}`);
    assert.deepEqual(points.map((p) => p.indexes[0]), ['POST /v1/orders/lookup', 'POST /v1/messages']);
    for (const p of points) {
      assert.equal(p.type, 'aurora.datapoint');
      assert.equal(p.blobs[0], p.indexes[0], 'blob1 is the route template');
      assert.equal(p.blobs[2], '2xx');
      assert.equal(p.blobs[4], res.headers.get('x-rules-version'));
      assert.equal(p.doubles[1], 200);
      assert.ok(p.doubles[0] >= 0);
    }
    assert.equal(points[1].blobs[3], 'order_tracking', 'the message data point carries its intent');
    for (const needle of [order.email, order.order_number, order.email.split('@')[0]]) {
      assert.ok(!logs.includes(needle), `logs contain personal data: ${needle}`);
    }
  });
});
