// End-to-end tests of holding up under bad input, abuse and faults (issue 9), on a Worker with
// production-like limits (RATE_LIMIT_SCALE 1: the shared order-lookup budget is on), the kill
// switch read on every request, and `--test-scheduled` so `/__scheduled` runs the Cron Trigger.
// Each probe of the issue is here, on the wire: the crafted Content-Type, unknown methods, a
// 60 MB chunked body, NUL and bidi text, an email with `<`, the kill switch, an abandoned
// idempotency claim, the lookup budget across routes, the purge and ticket paging.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { startWorker, sleep } from './harness.mjs';
import { call, assertError, fixtures, devVarsExample, freshClient, marker } from './lib.mjs';

const TOKENS = devVarsExample();
let worker;
let base;

before(async () => {
  worker = await startWorker({
    vars: { ...TOKENS, RATE_LIMIT_SCALE: '1', KILL_SWITCH_CACHE_SECONDS: '0' },
    args: ['--test-scheduled'],
  });
  base = worker.url;
});

after(async () => {
  if (worker) await worker.stop();
});

/**
 * Sends raw bytes on one TCP connection and resolves with {status, headers, body, sent}: the
 * response as soon as it is complete, and how many body bytes had been written by then.
 * `chunks` is an iterator of Buffers written one at a time while no response has arrived.
 */
function rawRequest(head, chunks = [], { timeoutMs = 60_000 } = {}) {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = Buffer.alloc(0);
    let sent = 0;
    let done = false;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no response after ${timeoutMs} ms (${sent} bytes sent)`)); }, timeoutMs);
    const finish = () => {
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = text.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? NaN);
      const body = received.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
      if (Number.isFinite(length) && body.length < length) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: body.toString('utf8'), sent });
    };
    socket.on('data', (d) => { received = Buffer.concat([received, d]); finish(); });
    socket.on('error', (e) => {
      if (done) return;
      clearTimeout(timer);
      done = true;
      // The server closing the connection while the client still writes: a refusal without an
      // answer the client got to read.
      if (['ECONNRESET', 'EPIPE'].includes(e.code)) resolve({ status: 0, headers: {}, body: '', sent, reset: true });
      else reject(e);
    });
    socket.on('connect', async () => {
      socket.write(head);
      for (const chunk of chunks) {
        if (done || socket.destroyed) break;
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
        sent += chunk.length;
      }
    });
  });
}

describe('probes of the issue, on the wire', () => {
  it('a crafted Content-Type (x\\xc3\\xa9json) is 415, not a crash', async () => {
    const body = '{"session_id":"s1","text":"hi"}';
    const head = Buffer.concat([
      Buffer.from('POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: x'),
      Buffer.from([0xc3, 0xa9]),
      Buffer.from(`json\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    ]);
    const res = await rawRequest(head);
    assert.equal(res.status, 415, res.body);
    assert.equal(JSON.parse(res.body).error.code, 'unsupported_media_type');
    assert.ok(res.headers['x-rules-version']);
    // The isolate kept its state: the next request is answered normally.
    assert.equal((await call(base, 'GET', '/health')).status, 200);
  });

  it('methods outside the contract (QUERY, PROPFIND, PUT) are 405 with Allow', async () => {
    for (const [method, path, allow] of [['QUERY', '/health', 'GET, HEAD, OPTIONS'], ['PROPFIND', '/v1/messages', 'POST, OPTIONS'], ['PUT', '/v1/products', 'GET, HEAD, OPTIONS']]) {
      const res = await rawRequest(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      assert.equal(res.status, 405, `${method} ${path}: ${res.body}`);
      assert.equal(res.headers.allow, allow);
      assert.equal(JSON.parse(res.body).error.code, 'method_not_allowed');
    }
  });

  it('a 60 MB chunked body without Content-Length is 413 after reading at most a little past 16 KiB', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    const chunks = (function* () { for (let i = 0; i < 960; i += 1) yield framed; yield Buffer.from('0\r\n\r\n'); })();
    const started = performance.now();
    const res = await rawRequest('POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', chunks);
    const ms = Math.round(performance.now() - started);
    // wrangler dev's proxy (not the Worker, so no X-Rules-Version) answers an early response to a
    // body it is still forwarding with 503 "Your worker restarted mid-request" about half the time;
    // on Cloudflare the Worker's 413 goes out as is.
    const fromProxy = res.status === 503 && !res.headers['x-rules-version'] && /restarted mid-request/.test(res.body);
    // Under load the server may also close the connection while the client is still writing.
    if (!fromProxy && !res.reset) {
      assert.equal(res.status, 413, res.body);
      assert.equal(JSON.parse(res.body).error.code, 'payload_too_large');
    }
    // Refused early: the client had written a few megabytes into socket buffers, never all 60.
    assert.ok(res.sent < 32 * 1024 * 1024, `${res.sent} bytes were sent before the ${res.status} (${ms} ms)`);
    console.log(`# 60 MB chunked body: ${res.status} after ${ms} ms, ${(res.sent / 1024 / 1024).toFixed(1)} MB written by the client`);
  });

  it('NUL, controls and bidi overrides in free text, and `<` in an email, are 422 at their field', async () => {
    const headers = { 'cf-connecting-ip': freshClient() };
    assertError(await call(base, 'POST', '/v1/messages', { body: { session_id: 's-nul', text: 'hi\u0000there' }, headers }), 422, 'invalid_field', 'text');
    assertError(await call(base, 'POST', '/v1/messages', { body: { session_id: 's-bidi', text: 'ring \u202Egnp.exe' }, headers }), 422, 'invalid_field', 'text');
    assertError(await call(base, 'POST', '/v1/escalations', { body: { session_id: 's-e', email: '<a@example.com>', topic: 't', message: 'm' }, headers }), 422, 'invalid_field', 'email');
    assertError(await call(base, 'POST', '/v1/escalations', { body: { session_id: 's-e', email: '"a b"@example.com', topic: 't', message: 'm' }, headers }), 422, 'invalid_field', 'email');
  });
});

describe('the kill switch stops the concierge, not just the widget', () => {
  it('shopper routes answer 503 concierge_disabled with Retry-After; flags, admin and health keep working', async () => {
    await worker.kvPut('ops:kill-switch', 'on');
    try {
      const headers = { 'cf-connecting-ip': freshClient() };
      for (const [method, path, body] of [
        ['POST', '/v1/messages', { session_id: 's-kill', text: 'rings' }],
        ['GET', '/v1/products', undefined],
        ['POST', '/v1/orders/lookup', { order_number: 'AUR-000001', email: 'a@example.com' }],
        ['POST', '/v1/escalations', { session_id: 's-kill', email: 'a@example.com', topic: 't', message: 'm' }],
      ]) {
        const res = await call(base, method, path, { body, headers, allow5xx: true });
        assertError(res, 503, 'concierge_disabled');
        assert.equal(res.headers.get('retry-after'), '60');
      }
      const flags = await call(base, 'GET', '/v1/flags');
      assert.equal(flags.status, 200);
      assert.equal(flags.body.reason, 'emergency_off');
      assert.equal((await call(base, 'GET', '/health')).status, 200);
      const admin = await call(base, 'GET', '/v1/admin/tickets', { headers: { authorization: `Bearer ${TOKENS.SUPPORT_TOKEN}` } });
      assert.equal(admin.status, 200, admin.text);
    } finally {
      await worker.kvDelete('ops:kill-switch');
    }
    assert.equal((await call(base, 'GET', '/v1/products')).status, 200);
  });
});

/** The stored idempotency key for a header value, as src/api/idempotency.rs scopes it. */
function scopedKey(route, client, key) {
  return createHash('sha256').update(`${route}\n${client}\n${key}`).digest('hex');
}

describe('idempotency leases on D1', () => {
  it('an abandoned claim is 409 within its lease and taken over by the retry after it', async () => {
    const client = freshClient();
    const topic = marker('lease');
    const body = { session_id: 's-lease', email: 'lease@example.com', topic, message: 'm' };
    const hash = createHash('sha256').update(`POST /v1/escalations\n${JSON.stringify(Object.fromEntries(Object.entries(body).sort()))}`).digest('hex');
    const stamp = (ms) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const [key, age, expect] of [['fresh-claim', 5_000, 409], ['stale-claim', 120_000, 201]]) {
      const header = marker(key);
      await worker.d1(`INSERT INTO idempotency_keys (key, route, request_hash, status, owner, created_at, claimed_at) VALUES
        ('${scopedKey('POST /v1/escalations', client, header)}', 'POST /v1/escalations', '${hash}', 'in_flight', 'dead', '${stamp(age)}', '${stamp(age)}')`);
      const res = await call(base, 'POST', '/v1/escalations', { body, headers: { 'idempotency-key': header, 'cf-connecting-ip': client } });
      assert.equal(res.status, expect, res.text);
      if (expect === 409) assertError(res, 409, 'idempotency_in_flight');
    }
    const rows = await worker.d1(`SELECT COUNT(*) AS n FROM tickets WHERE topic = '${topic}'`);
    assert.equal(rows[0].n, 1);
  });

  it('the Cron Trigger purges expired keys and old message logs (/__scheduled)', async () => {
    const old = marker('old');
    await worker.d1(`INSERT INTO idempotency_keys (key, route, request_hash, status, owner, created_at, claimed_at) VALUES
      ('${old}', 'r', 'h', 'done', 'o', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z'),
      ('${old}-new', 'r', 'h', 'done', 'o', '2999-01-01T00:00:00Z', '2999-01-01T00:00:00Z')`);
    await worker.d1(`INSERT INTO message_log (intent, confidence, created_at) VALUES ('${old}', 1, '2020-01-01T00:00:00Z')`);
    const res = await fetch(`${base}/__scheduled?cron=17+*+*+*+*`);
    await res.text();
    assert.equal(res.status, 200);
    let left;
    for (let i = 0; i < 50; i += 1) {
      left = await worker.d1(`SELECT (SELECT COUNT(*) FROM idempotency_keys WHERE key LIKE '${old}%') AS keys, (SELECT COUNT(*) FROM message_log WHERE intent = '${old}') AS logs`);
      if (left[0].keys === 1 && left[0].logs === 0) break;
      await sleep(100);
    }
    assert.deepEqual(left[0], { keys: 1, logs: 0 });
  });
});

describe('one order-lookup budget across routes', () => {
  it('the 11th attempt at one order number in a minute is 429 whichever route and client make it', async () => {
    const second = new Date().getUTCSeconds();
    if (second >= 40) await sleep((61 - second) * 1000);
    const order = fixtures.orders.delivered_recent[0];
    const wrong = 'probe@example.com';
    const attempts = [
      ...Array.from({ length: 5 }, () => ['POST', '/v1/orders/lookup', { order_number: order.order_number, email: wrong }]),
      ...Array.from({ length: 3 }, (_, i) => ['POST', '/v1/messages', { session_id: `s-probe-${i}`, text: `where is my order ${order.order_number} email ${wrong}` }]),
      ...Array.from({ length: 2 }, () => ['POST', '/v1/returns', { order_number: order.order_number, email: wrong, sku: order.items[0].sku, kind: 'return', reason: 'r' }]),
    ];
    for (const [method, path, body] of attempts) {
      const res = await call(base, method, path, { body, headers: { 'cf-connecting-ip': freshClient() } });
      assert.ok([200, 404].includes(res.status), `${path}: ${res.status} ${res.text}`);
    }
    for (const [method, path, body] of [attempts[0], attempts[5], attempts[8]]) {
      const res = await call(base, method, path, { body, headers: { 'cf-connecting-ip': freshClient() } });
      assertError(res, 429, 'rate_limited');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
  });
});

describe('support ticket list', () => {
  it('pages with a cursor and finds tickets by email and by order number', async () => {
    const email = `${marker('page')}@example.com`.toLowerCase();
    const ids = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await call(base, 'POST', '/v1/escalations', { body: { session_id: 's-page', email, topic: 'page', message: i === 2 ? 'about AUR-424242' : `n${i}` }, headers: { 'cf-connecting-ip': freshClient() } });
      assert.equal(res.status, 201, res.text);
      ids.push(res.body.ticket_id);
    }
    const auth = { authorization: `Bearer ${TOKENS.SUPPORT_TOKEN}` };
    const seen = [];
    let path = `/v1/admin/tickets?limit=2&email=${encodeURIComponent(email.toUpperCase())}`;
    for (let pages = 0; pages < 10; pages += 1) {
      const res = await call(base, 'GET', path, { headers: auth });
      assert.equal(res.status, 200, res.text);
      seen.push(...res.body.tickets.map((t) => t.ticket_id));
      if (!res.body.next_cursor) break;
      path = `/v1/admin/tickets?limit=2&email=${encodeURIComponent(email)}&cursor=${res.body.next_cursor}`;
    }
    assert.deepEqual([...seen].sort(), [...ids].sort());
    const byOrder = await call(base, 'GET', '/v1/admin/tickets?order_number=AUR-424242', { headers: auth });
    assert.ok(byOrder.body.tickets.some((t) => t.ticket_id === ids[2]));
  });
});
