// End-to-end tests of the staff console's API (issue 11, docs/api.md "Staff console") against a
// real `wrangler dev` with local D1: a ticket worked from open to resolved, a return approved,
// received and refunded while the shopper checks its status, an unanswered question stored
// without its personal data, and ranged analytics whose days add up to their totals.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, sleep } from './harness.mjs';
import { call, assertError, fixtures, devVarsExample, freshClient, marker } from './lib.mjs';

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

const headers = (token, extra = {}) => ({
  'cf-connecting-ip': freshClient(),
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...extra,
});
const post = (path, body) => call(base, 'POST', path, { body, headers: headers() });
const as = (role) => {
  const token = TOKENS[`${role.toUpperCase()}_TOKEN`];
  return {
    get: (path) => call(base, 'GET', path, { headers: headers(token) }),
    patch: (path, body) => call(base, 'PATCH', path, { body, headers: headers(token) }),
  };
};
const support = as('support');
const merchandiser = as('merchandiser');
const admin = as('admin');
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

describe('who am I', () => {
  it('each role token names its actor, role and how it signed in', async () => {
    for (const role of ['support', 'merchandiser', 'admin']) {
      const res = await as(role).get('/v1/admin/me');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { actor: `token:${role}`, role, via: 'token' });
    }
    assertError(await call(base, 'GET', '/v1/admin/me', { headers: headers() }), 401, 'unauthorized');
  });
});

describe('a stylist ticket, worked from open to resolved', () => {
  it('keeps the transcript and an append-only history with who did what', async () => {
    const topic = marker('sizing');
    const created = await post('/v1/escalations', {
      session_id: 'console-e2e', email: 'Ada@Example.com', topic, message: 'Which size should I order?',
      transcript: [
        { role: 'shopper', text: 'do you resize rings', at: new Date().toISOString() },
        { role: 'concierge', text: 'Rings can be resized within 60 days of delivery.' },
      ],
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.ticket_id;
    const path = `/v1/admin/tickets/${id}`;

    const detail = await support.get(path);
    assert.equal(detail.status, 200, detail.text);
    assert.equal(detail.body.ticket.status, 'open');
    assert.equal(detail.body.ticket.assignee, null);
    assert.equal(detail.body.transcript.length, 2);
    assert.equal(detail.body.transcript[1].role, 'concierge');
    assert.deepEqual(detail.body.events.map((e) => e.kind), ['created']);

    let res = await support.patch(path, { assignee: 'Maya', note: 'asked for her usual size' });
    assert.equal(res.status, 200, res.text);
    res = await admin.patch(path, { status: 'pending' });
    assert.equal(res.status, 200, res.text);
    res = await support.patch(path, { status: 'resolved', note: 'ring sizer sent' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.ticket.status, 'resolved');
    assert.equal(res.body.ticket.assignee, 'Maya');
    assert.equal(res.body.ticket.note, 'ring sizer sent');
    const events = res.body.events;
    assert.ok(events.length >= 3, JSON.stringify(events));
    assert.deepEqual(events.map((e) => e.kind), ['created', 'assigned', 'note', 'status', 'status', 'note']);
    assert.deepEqual(events.map((e) => e.actor), ['shopper', 'token:support', 'token:support', 'token:admin', 'token:support', 'token:support']);
    // Both notes are kept: history is append-only.
    assert.deepEqual(events.filter((e) => e.kind === 'note').map((e) => e.note), ['asked for her usual size', 'ring sizer sent']);
    for (const e of events) assert.match(e.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const listed = await support.get('/v1/admin/tickets?status=resolved&assignee=Maya');
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.body.tickets.some((t) => t.ticket_id === id));
    assertError(await support.patch(path, { status: 'done' }), 422, 'invalid_field', 'status');
    assertError(await merchandiser.get(path), 403, 'forbidden');
  });
});

describe('a return, approved, received and refunded', () => {
  it('moves through its states, refuses steps out of order, and the shopper sees each', async () => {
    const order = fixtures.orders.delivered_recent[0];
    const sku = order.items.find((i) => i.category === 'necklaces').sku;
    const created = await post('/v1/returns', { order_number: order.order_number, email: order.email, sku, kind: 'return', reason: 'Too long' });
    assert.equal(created.status, 201, created.text);
    const id = created.body.return_id;
    const path = `/v1/admin/returns/${id}`;
    const status = (email) => post('/v1/returns/status', { return_id: id, email });

    let seen = await status(order.email.toUpperCase());
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.body.status, 'requested');

    const listed = await support.get(`/v1/admin/returns?status=requested&order_number=${order.order_number}`);
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.body.returns.some((r) => r.return_id === id && r.email === order.email.toLowerCase()));

    assertError(await support.patch(path, { action: 'receive' }), 409, 'invalid_transition');
    assertError(await support.patch(path, { action: 'deny' }), 422, 'missing_field', 'reason');

    let res = await support.patch(path, { action: 'approve', reason: 'within the 30-day window', note: 'label emailed' });
    assert.equal(res.status, 200, res.text);
    seen = await status(order.email);
    assert.equal(seen.body.status, 'approved');
    assert.equal(seen.body.decision_reason, 'within the 30-day window');
    res = await admin.patch(path, { action: 'receive' });
    assert.equal(res.body.return.status, 'received');
    res = await support.patch(path, { action: 'complete' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.return.status, 'refunded');
    assert.deepEqual(res.body.events.map((e) => [e.status, e.actor]), [
      ['requested', 'shopper'], ['approved', 'token:support'], ['received', 'token:admin'], ['refunded', 'token:support'],
    ]);

    seen = await status(order.email);
    assert.equal(seen.status, 200, seen.text);
    assert.deepEqual(Object.keys(seen.body).sort(), ['decision_reason', 'kind', 'return_id', 'status', 'updated_at']);
    assert.equal(seen.body.status, 'refunded');
    // A wrong email and an unknown id answer the same 404.
    const wrong = await status('someone.else@example.com');
    const unknown = await post('/v1/returns/status', { return_id: 'RET-DOESNOTEXIST', email: order.email });
    assertError(wrong, 404, 'not_found');
    assert.equal(wrong.text, unknown.text);
  });
});

describe('unanswered questions', () => {
  it('a message the rules did not understand is listed without its email or order number', async () => {
    const order = fixtures.orders.delivered_recent[1] ?? fixtures.orders.delivered_recent[0];
    const digits = order.order_number.replace(/\D/g, '');
    const text = `Is the quokka friendly? I'm Ada, mail ${order.email} re ${order.order_number}`;
    const said = await post('/v1/messages', { session_id: 'console-unanswered', text });
    assert.equal(said.status, 200, said.text);
    assert.ok(said.body.intent === 'unknown' || said.body.confidence < 0.6, said.text);

    let found;
    for (let i = 0; i < 20 && !found; i += 1) {
      const res = await merchandiser.get('/v1/admin/unanswered?q=quokka');
      assert.equal(res.status, 200, res.text);
      assert.ok(!res.text.includes(order.email), `email leaked: ${res.text}`);
      assert.ok(!res.text.includes(digits), `order number leaked: ${res.text}`);
      found = res.body.questions.find((q) => q.text.includes('quokka'));
      if (!found) await sleep(250);
    }
    assert.ok(found, 'the question was not listed');
    assert.match(found.text, /\{email\}/);
    assert.match(found.text, /\{order_number\}/);
    assert.match(found.text, /\{name\}/);
    assert.ok(found.count >= 1);

    const exported = await merchandiser.get('/v1/admin/unanswered/export');
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type'), /^text\/tab-separated-values/);
    assert.ok(exported.text.includes('text\tlabel\tsource'));
    assert.ok(exported.text.includes('quokka'));
    assert.ok(exported.text.includes('shopper@example.com'), 'placeholders become stand-ins');
    assert.ok(!exported.text.includes(order.email));
    assertError(await support.get('/v1/admin/unanswered'), 403, 'forbidden');
  });
});

describe('analytics and CSAT over a date range', () => {
  it('every day of the range is present and the days add up to the totals', async () => {
    for (const text of ['rose gold rings under $500', 'zxqv blorp wibble', 'where is my order']) {
      assert.equal((await post('/v1/messages', { session_id: 'console-analytics', text })).status, 200);
    }
    assert.equal((await post('/v1/csat', { session_id: marker('conv'), score: 4, comment: 'quick answers' })).status, 201);

    const from = daysAgo(6);
    const to = today();
    const res = await merchandiser.get(`/v1/admin/analytics?from=${from}&to=${to}`);
    assert.equal(res.status, 200, res.text);
    const a = res.body;
    assert.equal(a.from, from);
    assert.equal(a.to, to);
    assert.equal(a.days.length, 7);
    assert.deepEqual(a.days.map((d) => d.day), Array.from({ length: 7 }, (_, i) => daysAgo(6 - i)));
    const sum = (k) => a.days.reduce((n, d) => n + d[k], 0);
    assert.ok(a.messages >= 3, res.text);
    for (const k of ['messages', 'unmatched', 'escalations', 'returns']) assert.equal(sum(k), a[k], k);
    const intents = {};
    for (const d of a.days) for (const [k, n] of Object.entries(d.intents)) intents[k] = (intents[k] ?? 0) + n;
    assert.deepEqual(intents, a.intents);
    assert.equal(a.unmatched_rate, Math.round((a.unmatched / a.messages) * 10_000) / 10_000);
    assert.equal(a.escalation_rate, Math.round((a.escalations / a.messages) * 10_000) / 10_000);
    assert.equal(Object.values(a.returns_by_reason).reduce((n, v) => n + v, 0), a.returns);
    assert.ok(a.csat_average >= 1 && a.csat_average <= 5);

    const csat = await merchandiser.get(`/v1/admin/csat?from=${from}&to=${to}`);
    assert.equal(csat.status, 200, csat.text);
    assert.equal(csat.body.by_day.length, 7);
    assert.equal(csat.body.by_day.reduce((n, d) => n + d.count, 0), csat.body.count);
    const last = csat.body.by_day[6];
    assert.equal(Object.values(last.distribution).reduce((n, v) => n + v, 0), last.count);
    assert.ok(csat.body.comments.some((c) => c.comment === 'quick answers' && c.session_id));

    assertError(await merchandiser.get('/v1/admin/analytics?from=yesterday'), 422, 'invalid_field', 'from');
  });
});
