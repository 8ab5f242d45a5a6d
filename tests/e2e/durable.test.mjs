// End-to-end tests of the `durable_object` conversation store (docs/conversation.md): with
// CONVERSATION_STORE=durable_object every message goes to the Durable Object of its session_id,
// which keeps the conversation in its SQLite storage, so clients send no `context`.
// Run: scripts/e2e --test-name-pattern=durable  (or node --test tests/e2e/durable.test.mjs)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startWorker, request, sleep } from './harness.mjs';
import { call, assertError, freshClient, marker } from './lib.mjs';

/** The five refinements of one search, each naming one slot (or the page). */
const REFINEMENTS = ['rings', 'in rose gold', 'under 500', 'with diamonds', 'show me more'];

/** How many of the four filter slots a reply's `filters` has set. */
function slotsSet(filters) {
  return ['categories', 'metals', 'styles'].filter((k) => filters[k].length > 0).length + (filters.price ? 1 : 0);
}

function assertEveryRefinement(filters, what) {
  assert.deepEqual(filters.categories, ['rings'], what);
  assert.deepEqual(filters.metals, ['rose_gold'], what);
  assert.deepEqual(filters.styles, ['diamond'], what);
  assert.equal(filters.price?.kind, 'under', what);
  assert.equal(filters.price?.max, 500, what);
}

describe('durable_object conversation store', () => {
  let worker;
  let base;

  before(async () => {
    worker = await startWorker({ vars: { CONVERSATION_STORE: 'durable_object', RATE_LIMIT_SCALE: '1000' } });
    base = worker.url;
  });

  after(async () => {
    if (worker) await worker.stop();
  });

  /** A message of `session` without any context; every reply must be a 200. */
  async function say(session, text, extra = {}) {
    const res = await call(base, 'POST', '/v1/messages', {
      body: { session_id: session, text, ...extra },
      headers: { 'cf-connecting-ip': freshClient() },
    });
    assert.equal(res.status, 200, `${text} → ${res.status}: ${res.text}`);
    return res.body;
  }

  it('keeps every refinement across messages that send no context, sent back-to-back', async () => {
    const session = marker('s-do');
    const replies = [];
    for (const text of REFINEMENTS) replies.push(await say(session, text));
    const [rings, rose, under, diamonds, more] = replies;
    assert.deepEqual(rings.filters.categories, ['rings']);
    assert.deepEqual(rose.filters.categories, ['rings'], 'the category outlived "in rose gold"');
    assert.deepEqual(rose.filters.metals, ['rose_gold']);
    assert.deepEqual(under.filters.metals, ['rose_gold'], 'the metal outlived "under 500"');
    assert.equal(under.filters.price.max, 500);
    assertEveryRefinement(diamonds.filters, JSON.stringify(diamonds));
    assert.equal(more.intent, 'more_results');
    assertEveryRefinement(more.filters, JSON.stringify(more));
    for (const p of diamonds.products) {
      assert.equal(p.category, 'rings');
      assert.equal(p.metal, 'rose_gold');
      assert.ok(p.price <= 500, JSON.stringify(p));
      assert.match(p.name, /diamond/i);
    }
    // Replies still carry the context (the contract is unchanged), but nobody sent it back.
    assert.equal(more.context.v, 1);
  });

  it('keeps two sessions apart', async () => {
    const [a, b] = [marker('s-do-a'), marker('s-do-b')];
    await say(a, 'rose gold rings');
    await say(b, 'necklaces');
    const a2 = await say(a, 'under 300');
    const b2 = await say(b, 'under 300');
    assert.deepEqual(a2.filters.categories, ['rings']);
    assert.deepEqual(a2.filters.metals, ['rose_gold']);
    assert.deepEqual(b2.filters.categories, ['necklaces']);
    assert.deepEqual(b2.filters.metals, []);
  });

  it('ignores a context the client sends, even a malformed one', async () => {
    const session = marker('s-do-ctx');
    await say(session, 'rose gold rings');
    const other = { v: 1, search: { categories: ['necklaces'], metals: ['yellow_gold'], styles: [], price: null } };
    for (const context of [other, 'nope']) {
      const reply = await say(session, 'under 300', { context });
      assert.deepEqual(reply.filters.categories, ['rings'], JSON.stringify(reply.filters));
      assert.deepEqual(reply.filters.metals, ['rose_gold']);
    }
  });

  it('answers bad input with the API 4xx and stores nothing', async () => {
    const session = marker('s-do-bad');
    await say(session, 'rose gold rings');
    const post = (body) => call(base, 'POST', '/v1/messages', { body, headers: { 'cf-connecting-ip': freshClient() } });
    assertError(await post({ session_id: session, text: 'under 300', remove: 'price' }), 422, 'invalid_field', 'remove');
    assertError(await post({ session_id: session }), 422, 'missing_field', 'text');
    assertError(await post({ session_id: session, text: 'necklaces', colour: 'red' }), 422, 'unknown_field', 'colour');
    assertError(await post({ session_id: 'no spaces allowed', text: 'rings' }), 422, 'invalid_field', 'session_id');
    assertError(await post({ text: 'rings' }), 422, 'missing_field', 'session_id');
    const raw = await call(base, 'POST', '/v1/messages', { raw: '{"session_id": "s-x", ', headers: { 'content-type': 'application/json' } });
    assertError(raw, 400, 'invalid_json');
    const next = await say(session, 'under 300');
    assert.deepEqual(next.filters.categories, ['rings'], 'the rejected messages changed nothing');
    assert.deepEqual(next.filters.metals, ['rose_gold']);
    assert.equal(next.filters.price.max, 300);
  });

  it('serves five messages sent at once one at a time, so none is lost', async () => {
    const session = marker('s-do-fast');
    // All five in flight together: they reach the object in an order the network picks, and it
    // answers them one after another, each seeing every refinement answered before it.
    const replies = await Promise.all(REFINEMENTS.map((text) => say(session, text)));
    const bySlot = replies.filter((r) => r.intent === 'product_discovery').map((r) => slotsSet(r.filters)).sort();
    assert.deepEqual(bySlot, [1, 2, 3, 4], `each refinement saw all earlier ones: ${JSON.stringify(replies.map((r) => r.filters))}`);
    const after = await say(session, 'show me more');
    assertEveryRefinement(after.filters, JSON.stringify(after.filters));
  });

  it('leaves other routes and preflights to the Worker', async () => {
    const products = await call(base, 'GET', '/v1/products?category=rings&metal=rose_gold&max=500');
    assert.equal(products.status, 200, products.text);
    assert.ok(products.body.count > 0);
    const preflight = await request(base, 'OPTIONS', '/v1/messages', { headers: { origin: base, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
  });
});

/**
 * wrangler.toml without the Durable Object binding and its migration, and without the [build]
 * step (main points at the build the other instance of this file made), paths made absolute.
 */
function configWithoutDurableObjects() {
  const out = [];
  let skip = false;
  for (const line of readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').split('\n')) {
    const header = /^\s*\[{1,2}([^\]]+)\]{1,2}\s*$/.exec(line);
    if (header) skip = ['build', 'durable_objects.bindings', 'migrations'].includes(header[1].trim());
    if (skip) continue;
    const main = /^\s*main\s*=/.test(line) ? `main = "${join(ROOT, 'build', 'worker', 'shim.mjs')}"` : line;
    out.push(main.replace(/^(\s*(?:directory|migrations_dir)\s*=\s*")(?!\/)([^"]+)"/, (_, pre, p) => `${pre}${join(ROOT, p)}"`));
  }
  const dir = join(ROOT, '.state', 'e2e');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `wrangler.no-durable-objects.${process.pid}.toml`);
  writeFileSync(path, out.join('\n'));
  return path;
}

describe('durable_object store without its binding', () => {
  let worker;
  let config;

  before(async () => {
    config = configWithoutDurableObjects();
    worker = await startWorker({ config, vars: { CONVERSATION_STORE: 'durable_object', RATE_LIMIT_SCALE: '1000' } });
  });

  after(async () => {
    if (worker) await worker.stop();
    if (config) rmSync(config, { force: true });
  });

  it('answers a message with the API 500 envelope and keeps serving', async () => {
    for (let i = 0; i < 2; i += 1) {
      const res = await request(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-nobinding', text: 'rings' } });
      assertError(res, 500, 'internal', null);
      assert.ok(res.headers.get('x-rules-version'));
      assert.doesNotMatch(res.text, /CONVERSATIONS|durable/i, 'no internals in the message');
    }
    // Bad input never reaches the store: still the API's 4xx.
    const bad = await call(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-nobinding' } });
    assertError(bad, 422, 'missing_field', 'text');
    const health = await call(worker.url, 'GET', '/health');
    assert.equal(health.status, 200, health.text);
    // The detail goes to the log only (it may reach wrangler's output after the answer).
    const until = Date.now() + 30_000;
    while (!/conversation store/.test(worker.logs()) && Date.now() < until) await sleep(50);
    assert.match(worker.logs(), /internal error on POST \/v1\/messages: conversation store/);
  });
});
