// End-to-end tests of the Worker glue (src/worker) that the API tests do not reach: static assets
// through the ASSETS binding with X-Rules-Version, HEAD, body limits on the wire, the D1 unique
// key under truly overlapping duplicates, and admin tokens read from secrets.
// Run: node --test tests/e2e/worker-glue.test.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, request } from './harness.mjs';
import { call, assertError, devVarsExample, freshClient, marker } from './lib.mjs';

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

describe('static assets without the Worker', () => {
  it('serve the widget and the demo page with ETag revalidation, without waking the Worker', async () => {
    const widget = await request(base, 'GET', '/widget.js');
    assert.equal(widget.status, 200);
    assert.match(widget.headers.get('content-type'), /javascript/);
    // run_worker_first lists only API paths: the wasm never ran, so no X-Rules-Version.
    assert.equal(widget.headers.get('x-rules-version'), null);
    const etag = widget.headers.get('etag');
    assert.ok(etag, 'assets keep their ETag');
    const again = await request(base, 'GET', '/widget.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const demo = await request(base, 'GET', '/demo');
    assert.equal(demo.status, 200);
    assert.match(demo.headers.get('content-type'), /text\/html/);
  });

  it('an unknown non-API path is the API 404, not an HTML page', async () => {
    assertError(await call(base, 'GET', '/no-such-file.txt'), 404, 'not_found');
  });
});

describe('HTTP edges on the wire', () => {
  it('HEAD /health answers like GET without a body', async () => {
    const res = await call(base, 'HEAD', '/health');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });

  it('a body over 16 KiB is 413 before it is parsed', async () => {
    const raw = JSON.stringify({ session_id: 's-big', text: 'x'.repeat(17 * 1024) });
    const res = await call(base, 'POST', '/v1/messages', { raw, headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshClient() } });
    assertError(res, 413, 'payload_too_large');
  });

  it('twenty overlapping identical escalations with one key create exactly one ticket', async () => {
    const key = marker('glue-key');
    const topic = marker('glue-topic');
    const body = { session_id: 's-glue', email: 'glue@example.com', topic, message: 'please call me' };
    const client = freshClient();
    const responses = await Promise.all(Array.from({ length: 20 }, () =>
      call(base, 'POST', '/v1/escalations', { body, headers: { 'idempotency-key': key, 'cf-connecting-ip': client } })));
    const created = responses.filter((r) => r.status === 201);
    assert.ok(created.length >= 1, 'at least the first request succeeds');
    for (const r of responses) {
      if (r.status === 409) assertError(r, 409, 'idempotency_in_flight');
      else assert.equal(r.status, 201, r.text);
    }
    assert.equal(new Set(created.map((r) => r.body.ticket_id)).size, 1, 'every 201 carries the same ticket');
    const rows = await worker.d1(`SELECT COUNT(*) AS n FROM tickets WHERE topic = '${topic}'`);
    assert.equal(rows[0].n, 1);
  });
});

describe('admin secrets', () => {
  it('tokens come from the secrets; a token of another length is 401, not a crash', async () => {
    const ok = await call(base, 'GET', '/v1/admin/analytics', { headers: { authorization: `Bearer ${TOKENS.ADMIN_TOKEN}` } });
    assert.equal(ok.status, 200, ok.text);
    for (const token of [`${TOKENS.ADMIN_TOKEN}x`, TOKENS.ADMIN_TOKEN.slice(1), 'x'.repeat(600)]) {
      assertError(await call(base, 'GET', '/v1/admin/analytics', { headers: { authorization: `Bearer ${token}` } }), 401, 'unauthorized');
    }
  });
});
