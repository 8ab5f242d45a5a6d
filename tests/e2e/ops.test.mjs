// End-to-end tests of the operational controls, on a second Worker with production-like settings:
// per-client rate limits at their configured values, the KV kill switch, and data points logged
// as JSON lines without personal data. Run: node --test tests/e2e/

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, migrateAndSeed, kvPut, sleep } from './harness.mjs';
import { call, assertError, fixtures, devVarsExample } from './lib.mjs';

let worker;
let dir;

before(async () => {
  // The kill switch is set before the Worker starts: a running isolate caches it for up to 60 s.
  dir = mkdtempSync(join(tmpdir(), 'aurora-e2e-ops-'));
  await migrateAndSeed(dir);
  await kvPut(dir, 'ops:kill-switch', 'on');
  worker = await startWorker({ persistDir: dir, fresh: false, vars: { ...devVarsExample(), LOG_DATA_POINTS: '1', RATE_LIMIT_SCALE: '1' } });
});

after(async () => {
  if (worker) await worker.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kill switch', () => {
  it('ops:kill-switch = on in KV turns the widget off for everyone', async () => {
    for (const q of ['?user_id=u-ops-1', '?user_id=u-ops-2', '']) {
      const res = await call(worker.url, 'GET', `/v1/flags${q}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.enabled, false);
      assert.equal(res.body.reason, 'emergency_off');
    }
  });
});

describe('rate limits', () => {
  it('lookups over the per-minute budget → 429 with Retry-After; other clients are unaffected', async () => {
    // The local limiter uses fixed windows aligned to the minute: do not straddle a boundary.
    const second = new Date().getUTCSeconds();
    if (second >= 45) await sleep((61 - second) * 1000);
    const client = '203.0.113.7';
    const body = { order_number: 'AUR-000003', email: 'nobody@example.com' };
    let limited = null;
    let allowed = 0;
    for (let i = 0; i < 200 && !limited; i += 1) {
      const res = await call(worker.url, 'POST', '/v1/orders/lookup', { body, headers: { 'cf-connecting-ip': client } });
      if (res.status === 429) limited = res;
      else { assert.equal(res.status, 404, res.text); allowed += 1; }
    }
    assert.ok(limited, 'never rate limited');
    assertError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.ok(allowed >= 5, `limited after only ${allowed} requests`);
    const other = await call(worker.url, 'POST', '/v1/orders/lookup', { body, headers: { 'cf-connecting-ip': '203.0.113.8' } });
    assert.equal(other.status, 404, other.text);
  });
});

describe('data points and logs', () => {
  it('each request logs one data point as a JSON line, with no personal data', async () => {
    const order = fixtures.orders.delivered_recent[5];
    const before = worker.logs().length;
    const res = await call(worker.url, 'POST', '/v1/orders/lookup', { body: { order_number: order.order_number, email: order.email }, headers: { 'cf-connecting-ip': '203.0.113.20' } });
    assert.equal(res.status, 200, res.text);
    const msg = await call(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-ops-log', text: `where is ${order.order_number}, email ${order.email}` }, headers: { 'cf-connecting-ip': '203.0.113.20' } });
    assert.equal(msg.status, 200, msg.text);
    await sleep(500);
    const logs = worker.logs();
    const fresh = logs.slice(before);
    const points = fresh.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
    assert.ok(points.length >= 2, `expected data point lines, got:\n${fresh.slice(0, 2000)}`);
    for (const needle of [order.email, order.order_number, order.email.split('@')[0]]) {
      assert.ok(!logs.includes(needle), `logs contain personal data: ${needle}`);
    }
  });
});
