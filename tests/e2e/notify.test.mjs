// End to end: staff notifications through a real (local) Cloudflare Queue. `wrangler dev` runs
// the NOTIFICATIONS producer and this Worker's queue consumer; a loopback HTTP server stands in
// for the Slack webhook (NOTIFY_WEBHOOK_URL). NOTIFY_DUPLICATE_SENDS=1 makes the producer enqueue
// every notification twice, as an at-least-once queue may deliver it, so every test here also
// proves that one event is posted once. Checks: a ticket and a return each arrive once with the
// expected JSON and no personal data; a receiver failing the first posts gets the message after
// retries; an idempotent replay of the create sends nothing more.
// Run alone: scripts/e2e --test-name-pattern=notif

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startWorker, sleep } from './harness.mjs';
import { call, devVarsExample, fixtures, freshClient } from './lib.mjs';

let worker;
let server;
/** Every post the receiver got: {body, accepted}. */
const posts = [];
/** The receiver answers this many posts with 500 before accepting again. */
let failNext = 0;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.url !== '/hook' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      let parsed = body;
      try { parsed = JSON.parse(body); } catch { /* kept as text */ }
      const accepted = failNext === 0;
      if (!accepted) failNext -= 1;
      posts.push({ body: parsed, raw: body, accepted, at: Date.now() });
      res.writeHead(accepted ? 200 : 500).end(accepted ? 'ok' : 'receiver down');
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  worker = await startWorker({
    vars: {
      ...devVarsExample(),
      RATE_LIMIT_SCALE: '100',
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${server.address().port}/hook`,
      NOTIFY_RETRY_DELAY_SECONDS: '1',
      NOTIFY_DUPLICATE_SENDS: '1',
    },
  });
});

after(async () => {
  if (worker) await worker.stop();
  if (server) server.close();
});

const post = (path, body, headers = {}) =>
  call(worker.url, 'POST', path, { body, headers: { 'cf-connecting-ip': freshClient(), ...headers } });

/** Posts mentioning `id`. */
const postsFor = (id) => posts.filter((p) => p.raw.includes(id));

/** Waits (generously: a loaded 2-core machine) until `done()` holds; fails with `what`. */
async function waitFor(what, done, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) assert.fail(`${what}: not within ${timeoutMs} ms; posts: ${JSON.stringify(posts.map((p) => p.raw))}`);
    await sleep(200);
  }
}

/** The D1 delivery row of `key`. */
async function delivery(key) {
  const rows = await worker.d1(`SELECT state, attempts FROM notification_deliveries WHERE event_key = '${key}'`);
  return rows[0];
}

/** Waits until the Worker's log shows the duplicate copy of `key` acked without a post. */
async function duplicateAcked(key) {
  await waitFor(`the duplicate copy of ${key} acked`, () => worker.logs().includes(`notification already sent, not posted again: ${key}`));
}

const shopper = {
  email: 'ada.lovelace@example.com',
  name: 'Ada Lovelace',
  topic: 'Engagement ring for my partner Grace',
  message: 'Please call me on 555-0100 about ring sizes',
};

function assertNoPersonalData(raw, extra = []) {
  for (const secret of [shopper.email, 'Ada', 'Lovelace', 'Grace', '555-0100', 'Engagement', ...extra]) {
    assert.ok(!raw.includes(secret), `\`${secret}\` in ${raw}`);
  }
}

describe('notifications', () => {
  it('a new ticket arrives once, as Slack-compatible JSON with ids and a console link only', async () => {
    const created = await post('/v1/escalations', { session_id: 'notify-e2e-1', ...shopper });
    assert.equal(created.status, 201, created.text);
    const id = created.body.ticket_id;
    await waitFor(`ticket ${id} posted`, () => postsFor(id).some((p) => p.accepted));
    await duplicateAcked(`ticket_created:${id}`);
    const got = postsFor(id);
    assert.equal(got.length, 1, JSON.stringify(got));
    const { body, raw } = got[0];
    assert.equal(typeof body.text, 'string');
    assert.match(body.text, new RegExp(`New stylist ticket ${id}`));
    assert.ok(Array.isArray(body.blocks) && body.blocks.length > 0, raw);
    assert.ok(raw.includes(`${worker.url}/admin#ticket/${id}`), raw);
    assertNoPersonalData(raw);
    assert.deepEqual(await delivery(`ticket_created:${id}`), { state: 'sent', attempts: 1 });
  });

  it('a new return request arrives once, without the order, email or reason', async () => {
    const order = fixtures.orders.delivered_recent[0];
    const sku = order.items.find((i) => i.category === 'necklaces').sku;
    const reason = 'My sister Grace already has one';
    const created = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku, kind: 'return', reason });
    assert.equal(created.status, 201, created.text);
    const id = created.body.return_id;
    await waitFor(`return ${id} posted`, () => postsFor(id).some((p) => p.accepted));
    await duplicateAcked(`return_requested:${id}`);
    const got = postsFor(id);
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.match(got[0].body.text, new RegExp(`New return request ${id}`));
    assert.ok(got[0].raw.includes(`/admin#return/${id}`), got[0].raw);
    assert.ok(got[0].raw.includes(sku), got[0].raw);
    assertNoPersonalData(got[0].raw, [order.email, order.order_number, reason]);
  });

  it('a receiver failing the first two posts gets the ticket after retries, once', async () => {
    failNext = 2;
    const created = await post('/v1/escalations', { session_id: 'notify-e2e-2', ...shopper });
    assert.equal(created.status, 201, created.text);
    const id = created.body.ticket_id;
    await waitFor(`ticket ${id} delivered after retries`, () => postsFor(id).some((p) => p.accepted));
    const got = postsFor(id);
    assert.deepEqual(got.map((p) => p.accepted), [false, false, true], JSON.stringify(got));
    const row = await delivery(`ticket_created:${id}`);
    assert.equal(row.state, 'sent');
    assert.ok(row.attempts >= 3, JSON.stringify(row));
    assert.match(worker.logs(), new RegExp(`notification ticket_created:${id} not delivered \\(webhook answered 500\\); retry in \\d+ s`));
    // The other copy, and any retry still queued, never posts again.
    await duplicateAcked(`ticket_created:${id}`);
    await sleep(3_000);
    assert.equal(postsFor(id).filter((p) => p.accepted).length, 1);
  });

  it('an idempotent replay of the create sends nothing more', async () => {
    const key = `notify-e2e-${Date.now()}`;
    const client = freshClient();
    const body = { session_id: 'notify-e2e-3', ...shopper };
    const headers = { 'idempotency-key': key, 'cf-connecting-ip': client };
    const first = await call(worker.url, 'POST', '/v1/escalations', { body, headers });
    assert.equal(first.status, 201, first.text);
    const id = first.body.ticket_id;
    await waitFor(`ticket ${id} posted`, () => postsFor(id).some((p) => p.accepted));
    const replay = await call(worker.url, 'POST', '/v1/escalations', { body, headers });
    assert.equal(replay.status, 201, replay.text);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.ticket_id, id);
    await duplicateAcked(`ticket_created:${id}`);
    // Longer than the consumer's batch timeout (2 s): a second enqueue would have arrived.
    await sleep(6_000);
    assert.equal(postsFor(id).length, 1, JSON.stringify(postsFor(id)));
    const rows = await worker.d1(`SELECT COUNT(*) AS n FROM notification_deliveries WHERE event_key LIKE '%${id}%'`);
    assert.equal(rows[0].n, 1);
  });
});
