// Multi-turn conversations over POST /v1/messages against the real Worker (wrangler dev, local D1
// seeded from seed/seed.sql): the `context` round trip of docs/api.md. Every reply's search
// (`filters`) and products are checked against the catalog in D1, so a follow-up that drops a
// slot, a page that repeats a SKU or a price window that does not move fails here.
//
//   node --test tests/e2e/conversation.test.mjs      (or scripts/e2e)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker, ROOT } from './harness.mjs';
import { call, assertError, freshClient } from './lib.mjs';

/** Products per page: `default_result_limit` of the thresholds the Worker embeds. */
const PAGE = Number(/^default_result_limit\s*=\s*(\d+)/m.exec(readFileSync(join(ROOT, 'rules', 'thresholds.toml'), 'utf8'))[1]);
const NONE = Object.freeze({ categories: [], metals: [], styles: [], price: null });

let worker;
let base;
/** The products table as seeded in D1, read once. */
let products;
/** Every session id this file uses, to look for in KV at the end. */
const sessions = new Set();

before(async () => {
  worker = await startWorker({ vars: { RATE_LIMIT_SCALE: '1000' } });
  base = worker.url;
  products = await worker.d1('SELECT sku, name, category, metal, price_cents, ready_to_ship, stock FROM products');
  assert.equal(products.length, 240, 'the seeded catalog');
});

after(async () => {
  if (worker) await worker.stop();
});

/** One shopper's conversation: sends each message with the context of the previous reply. */
class Shopper {
  constructor(label) {
    this.session = `s-conv-${label}-${process.pid}`;
    this.client = freshClient();
    this.context = undefined;
    sessions.add(this.session);
  }

  say(text) {
    return this.send({ text });
  }

  remove(slot) {
    return this.send({ remove: slot });
  }

  async send(message) {
    const body = { session_id: this.session, ...message };
    if (this.context !== undefined) body.context = this.context;
    const res = await call(base, 'POST', '/v1/messages', { body, headers: { 'cf-connecting-ip': this.client } });
    assert.equal(res.status, 200, `${JSON.stringify(message)} → ${res.status}: ${res.text}`);
    const reply = res.body;
    assert.equal(typeof reply.context, 'object', `a reply without context: ${res.text}`);
    assert.ok(reply.context && !Array.isArray(reply.context));
    assert.deepEqual(Object.keys(reply.filters).sort(), ['categories', 'metals', 'price', 'styles']);
    assert.ok(Number.isInteger(reply.page) && reply.page >= 0, `page ${reply.page}`);
    if (reply.products && reply.products.length) assert.equal(typeof reply.more, 'boolean', 'products come with `more`');
    this.context = reply.context;
    return reply;
  }
}

/**
 * The ready-to-ship catalog for a search, from the products table in D1: categories and metals
 * match any, every style starts a word of the name, prices in cents; `order` 'asc' (cheapest
 * first) or 'desc' (dearest first, what a ceiling shows); ties by SKU.
 */
function catalog({ categories = [], metals = [], styles = [], minCents = -Infinity, maxCents = Infinity, order = 'asc' } = {}) {
  const words = (name) => ` ${name.toLowerCase().replace(/-/g, ' ')}`;
  return products
    .filter((p) => p.ready_to_ship === 1 && p.stock > 0
      && (!categories.length || categories.includes(p.category))
      && (!metals.length || metals.includes(p.metal))
      && styles.every((style) => words(p.name).includes(` ${style.replace(/_/g, ' ')}`))
      && p.price_cents >= minCents && p.price_cents <= maxCents)
    .sort((x, y) => (order === 'desc' ? y.price_cents - x.price_cents : x.price_cents - y.price_cents) || (x.sku < y.sku ? -1 : 1));
}

const skus = (reply) => (reply.products || []).map((p) => p.sku);
const page1 = (rows) => rows.slice(0, PAGE).map((r) => r.sku);
const under = (max) => ({ min: null, max, kind: 'under' });

describe('conversation: follow-ups refine one search', () => {
  it('category, then metal, then price: each message replaces only its own slot', async () => {
    const s = new Shopper('refine');

    let r = await s.say('rings');
    assert.equal(r.intent, 'product_discovery');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'] });
    assert.equal(r.page, 1);
    let truth = catalog({ categories: ['rings'] });
    assert.deepEqual(skus(r), page1(truth));
    assert.equal(r.more, truth.length > PAGE);

    r = await s.say('in rose gold');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'] });
    truth = catalog({ categories: ['rings'], metals: ['rose_gold'] });
    assert.deepEqual(skus(r), page1(truth));

    r = await s.say('under $500');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'], price: under(500) });
    truth = catalog({ categories: ['rings'], metals: ['rose_gold'], maxCents: 50000, order: 'desc' });
    assert.ok(truth.length > 0, 'the seed has rose gold rings under $500');
    assert.deepEqual(skus(r), page1(truth), 'under a ceiling: dearest first');
    assert.equal(r.more, truth.length > PAGE);

    r = await s.say('what about necklaces');
    assert.deepEqual(r.filters, { ...NONE, categories: ['necklaces'], metals: ['rose_gold'], price: under(500) });
    truth = catalog({ categories: ['necklaces'], metals: ['rose_gold'], maxCents: 50000, order: 'desc' });
    assert.deepEqual(skus(r), page1(truth));

    r = await s.say('under 300 instead');
    assert.deepEqual(r.filters, { ...NONE, categories: ['necklaces'], metals: ['rose_gold'], price: under(300) });
    truth = catalog({ categories: ['necklaces'], metals: ['rose_gold'], maxCents: 30000, order: 'desc' });
    assert.deepEqual(skus(r), page1(truth));
    for (const p of r.products) assert.ok(p.price_cents <= 30000, `${p.sku} at ${p.price} is over $300`);
  });

  it('a new category drops a style that implies another one (hoops) and keeps one that does not (diamond)', async () => {
    const s = new Shopper('styles');
    let r = await s.say('gold hoops');
    assert.deepEqual(r.filters, { ...NONE, categories: ['earrings'], metals: ['yellow_gold'], styles: ['hoop'] });
    const hoops = catalog({ categories: ['earrings'], metals: ['yellow_gold'], styles: ['hoop'] });
    assert.ok(hoops.length > 0);
    assert.deepEqual(skus(r), page1(hoops));

    r = await s.say('what about necklaces');
    assert.deepEqual(r.filters, { ...NONE, categories: ['necklaces'], metals: ['yellow_gold'] });

    r = await s.say('with diamonds');
    assert.deepEqual(r.filters, { ...NONE, categories: ['necklaces'], metals: ['yellow_gold'], styles: ['diamond'] });
    r = await s.say('what about earrings');
    assert.deepEqual(r.filters, { ...NONE, categories: ['earrings'], metals: ['yellow_gold'], styles: ['diamond'] });
    assert.deepEqual(skus(r), page1(catalog({ categories: ['earrings'], metals: ['yellow_gold'], styles: ['diamond'] })));
  });

  it('"show me more" pages through new SKUs until `more` is false; past the end the page stays', async () => {
    const s = new Shopper('pages');
    const truth = catalog({ categories: ['rings'], metals: ['rose_gold'] });
    assert.ok(truth.length > 2 * PAGE, `the seed has more than two pages of rose gold rings (${truth.length})`);
    const pages = Math.ceil(truth.length / PAGE);

    let r = await s.say('rose gold rings');
    const seen = [];
    for (let page = 1; ; page += 1) {
      assert.equal(r.page, page);
      assert.equal(r.next_step, 'show_products');
      assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'] });
      for (const sku of skus(r)) assert.ok(!seen.includes(sku), `${sku} was already shown on an earlier page`);
      assert.deepEqual(skus(r), truth.slice((page - 1) * PAGE, page * PAGE).map((p) => p.sku), `page ${page}`);
      seen.push(...skus(r));
      assert.equal(r.more, page < pages, `more on page ${page} of ${pages}`);
      if (!r.more) break;
      r = await s.say('show me more');
    }
    assert.deepEqual(seen, truth.map((p) => p.sku), 'the pages together are the whole search, in order');

    const last = s.context;
    r = await s.say('show me more');
    assert.ok(!r.products || r.products.length === 0, 'nothing past the last page');
    assert.match(r.reply, /everything/i);
    assert.equal(r.next_step, null);
    assert.equal(r.more, undefined);
    assert.equal(r.page, pages, 'the page stays');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'] });
    assert.deepEqual({ ...r.context, unmatched: 0 }, { ...last, unmatched: 0 }, 'the conversation is as it was');
  });

  it('"cheaper" moves the ceiling below the cheapest piece shown, until nothing is cheaper', async () => {
    const s = new Shopper('cheaper');
    let r = await s.say('rose gold necklaces under $2000');
    assert.deepEqual(r.filters, { ...NONE, categories: ['necklaces'], metals: ['rose_gold'], price: under(2000) });
    assert.deepEqual(skus(r), page1(catalog({ categories: ['necklaces'], metals: ['rose_gold'], maxCents: 200000, order: 'desc' })));
    let steps = 0;
    for (;;) {
      const cheapest = Math.min(...r.products.map((p) => p.price_cents));
      const before = r.filters;
      r = await s.say('cheaper');
      if (!r.products) {
        assert.match(r.reply, /most affordable/i);
        assert.equal(r.next_step, null);
        assert.equal(r.more, undefined);
        assert.deepEqual(r.filters, before, 'a fruitless "cheaper" leaves the search as it was');
        break;
      }
      steps += 1;
      assert.equal(r.filters.price.kind, 'under');
      assert.equal(r.filters.price.min, null);
      assert.ok(r.filters.price.max * 100 < cheapest, `ceiling $${r.filters.price.max} is below the cheapest shown (${cheapest} cents)`);
      assert.deepEqual({ ...r.filters, price: null }, { ...NONE, categories: ['necklaces'], metals: ['rose_gold'] }, 'category and metal are kept');
      for (const p of r.products) assert.ok(p.price_cents < cheapest, `${p.sku} (${p.price_cents}) is not cheaper than ${cheapest}`);
      assert.deepEqual(skus(r), page1(catalog({ categories: ['necklaces'], metals: ['rose_gold'], maxCents: r.filters.price.max * 100, order: 'desc' })));
      assert.ok(steps < 20, 'cheaper keeps finding cheaper pieces for ever');
    }
    assert.ok(steps >= 1, 'at least one cheaper page');
  });

  it('"more expensive" moves the floor above the dearest piece shown, until nothing is dearer', async () => {
    const s = new Shopper('pricier');
    let r = await s.say('platinum earrings');
    assert.deepEqual(skus(r), page1(catalog({ categories: ['earrings'], metals: ['platinum'] })));
    let steps = 0;
    for (;;) {
      const dearest = Math.max(...r.products.map((p) => p.price_cents));
      const before = r.filters;
      r = await s.say('more expensive');
      if (!r.products) {
        assert.match(r.reply, /finest/i);
        assert.equal(r.next_step, null);
        assert.deepEqual(r.filters, before);
        break;
      }
      steps += 1;
      assert.deepEqual(r.filters.price && [r.filters.price.kind, r.filters.price.max], ['over', null]);
      assert.ok(r.filters.price.min * 100 > dearest, `floor $${r.filters.price.min} is above the dearest shown (${dearest} cents)`);
      for (const p of r.products) assert.ok(p.price_cents > dearest, `${p.sku} (${p.price_cents}) is not dearer than ${dearest}`);
      assert.deepEqual(skus(r), page1(catalog({ categories: ['earrings'], metals: ['platinum'], minCents: r.filters.price.min * 100 })));
      assert.ok(steps < 20);
    }
    assert.ok(steps >= 1);
  });

  it('"start over" clears the search; the next message starts from nothing', async () => {
    const s = new Shopper('restart');
    await s.say('rose gold rings under $500');
    let r = await s.say('start over');
    assert.equal(r.intent, 'start_over');
    assert.deepEqual(r.filters, NONE);
    assert.equal(r.page, 0);
    assert.ok(!r.products);
    r = await s.say('in white gold');
    assert.deepEqual(r.filters, { ...NONE, metals: ['white_gold'] }, 'no category or price survives "start over"');
    assert.deepEqual(skus(r), page1(catalog({ metals: ['white_gold'] })));
  });

  it('remove: a chip\'s × clears one slot and shows page 1 of what remains', async () => {
    const s = new Shopper('remove');
    let r = await s.say('rose gold rings under $500');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'], price: under(500) });

    r = await s.remove('metals');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], price: under(500) });
    assert.equal(r.page, 1);
    const truth = catalog({ categories: ['rings'], maxCents: 50000, order: 'desc' });
    assert.deepEqual(skus(r), page1(truth));
    assert.ok(r.products.some((p) => p.metal !== 'rose_gold'), 'other metals are back');

    r = await s.remove('price');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'] });
    assert.deepEqual(skus(r), page1(catalog({ categories: ['rings'] })));

    r = await s.remove('categories');
    assert.deepEqual(r.filters, NONE);
    assert.deepEqual(skus(r), page1(catalog()));

    // Both or an unknown slot are the client's mistake.
    const bad = { session_id: s.session, context: s.context };
    assertError(await call(base, 'POST', '/v1/messages', { body: { ...bad, text: 'rings', remove: 'metals' } }), 422, 'invalid_field', 'remove');
    assertError(await call(base, 'POST', '/v1/messages', { body: { ...bad, remove: 'colour' } }), 422, 'invalid_field', 'remove');
  });

  it('things the shop does not sell are answered in the reply, with what it offers instead', async () => {
    const flags = await call(base, 'GET', '/v1/flags');
    const silver = flags.body.domain.unsupported.find((u) => u.id === 'silver');
    const anklets = flags.body.domain.unsupported.find((u) => u.id === 'anklets');
    assert.ok(silver && anklets, 'the rules declare silver and anklets as not sold');
    const s = new Shopper('not-sold');
    let r = await s.say('silver rings');
    assert.ok(r.reply.startsWith(silver.note), `the reply starts with the note: ${r.reply}`);
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: silver.instead });
    assert.deepEqual(skus(r), page1(catalog({ categories: ['rings'], metals: silver.instead })));
    const before = r.filters;
    r = await s.say('do you have anklets');
    assert.ok(r.reply.startsWith(anklets.note), r.reply);
    assert.ok(!r.products, 'no search for a category the shop does not sell');
    assert.deepEqual(r.filters, before, 'the search in effect is kept');
  });

  it('what the shopper does not want is never searched for: a metal not wanted leaves the others', async () => {
    const flags = await call(base, 'GET', '/v1/flags');
    const metals = flags.body.domain.metals;
    assert.ok(metals.includes('rose_gold') && metals.length > 1, `the domain's metals: ${metals}`);
    const others = metals.filter((m) => m !== 'rose_gold');
    const s = new Shopper('exclude');
    let r = await s.say('rose gold rings');
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'] });

    r = await s.say('actually, anything but rose gold');
    assert.equal(r.intent, 'product_discovery', JSON.stringify(r));
    assert.deepEqual(r.entities.excluded, [{ kind: 'metal', id: 'rose_gold' }]);
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: others });
    const truth = catalog({ categories: ['rings'], metals: others });
    assert.ok(truth.length > 0);
    assert.deepEqual(skus(r), page1(truth));
    for (const p of r.products) assert.notEqual(p.metal, 'rose_gold', p.sku);

    // "no diamonds": not a "no", and the diamond style leaves the search.
    r = await s.say('with diamonds');
    assert.deepEqual(r.filters.styles, ['diamond']);
    r = await s.say('no diamonds please');
    assert.equal(r.intent, 'product_discovery', JSON.stringify(r));
    assert.deepEqual(r.entities.excluded, [{ kind: 'style', id: 'diamond' }]);
    assert.deepEqual(r.filters, { ...NONE, categories: ['rings'], metals: others });
  });
});

describe('conversation: the context travels with the messages', () => {
  it('two sessions interleaved (concurrently) do not mix', async () => {
    const a = new Shopper('a');
    const b = new Shopper('b');
    const turns = [['rings', 'necklaces'], ['in rose gold', 'in platinum'], ['under $500', 'over $1000']];
    let ra;
    let rb;
    for (const [ta, tb] of turns) [ra, rb] = await Promise.all([a.say(ta), b.say(tb)]);
    assert.deepEqual(ra.filters, { ...NONE, categories: ['rings'], metals: ['rose_gold'], price: under(500) });
    assert.deepEqual(rb.filters, { ...NONE, categories: ['necklaces'], metals: ['platinum'], price: { min: 1000, max: null, kind: 'over' } });
    assert.deepEqual(skus(ra), page1(catalog({ categories: ['rings'], metals: ['rose_gold'], maxCents: 50000, order: 'desc' })));
    assert.deepEqual(skus(rb), page1(catalog({ categories: ['necklaces'], metals: ['platinum'], minCents: 100000 })));
  });

  it('five messages sent back to back, each with the previous reply\'s context, keep every refinement', async () => {
    // Three shoppers at once, each typing five quick follow-ups with no pause between them.
    const script = ['necklaces', 'in white gold', 'with diamonds', 'under $3000', 'what about earrings'];
    const expected = [
      { ...NONE, categories: ['necklaces'] },
      { ...NONE, categories: ['necklaces'], metals: ['white_gold'] },
      { ...NONE, categories: ['necklaces'], metals: ['white_gold'], styles: ['diamond'] },
      { ...NONE, categories: ['necklaces'], metals: ['white_gold'], styles: ['diamond'], price: under(3000) },
      { ...NONE, categories: ['earrings'], metals: ['white_gold'], styles: ['diamond'], price: under(3000) },
    ];
    const run = async (label) => {
      const s = new Shopper(label);
      const filters = [];
      let last;
      for (const text of script) {
        last = await s.say(text);
        filters.push(last.filters);
      }
      return { filters, last };
    };
    const results = await Promise.all(['fast-1', 'fast-2', 'fast-3'].map(run));
    const truth = catalog({ categories: ['earrings'], metals: ['white_gold'], styles: ['diamond'], maxCents: 300000, order: 'desc' });
    assert.ok(truth.length > 0, 'the seed has white gold diamond earrings under $3000');
    for (const { filters, last } of results) {
      assert.deepEqual(filters, expected);
      assert.deepEqual(skus(last), page1(truth));
      for (const p of last.products) {
        assert.equal(p.category, 'earrings');
        assert.equal(p.metal, 'white_gold');
        assert.match(p.name, /\bdiamond/i);
        assert.ok(p.price_cents <= 300000);
      }
    }
  });

  it('a malformed context is a 422 at its exact field path', async () => {
    const send = (context) => call(base, 'POST', '/v1/messages', { body: { session_id: 's-conv-bad', text: 'rings', context } });
    const cases = [
      [[], 'invalid_field', 'context'],
      [{}, 'missing_field', 'context.v'],
      [{ v: 1, search: { metals: [7] } }, 'invalid_field', 'context.search.metals[0]'],
      [{ v: 1, search: { price: { max: 3, kind: 'cheapish' } } }, 'invalid_field', 'context.search.price.kind'],
      [{ v: 1, search: { price: { min: 5, max: 3, kind: 'between' } } }, 'invalid_field', 'context.search.price.min'],
      [{ v: 1, search: { colour: ['red'] } }, 'unknown_field', 'context.search.colour'],
      [{ v: 1, shown_cents: [5] }, 'invalid_field', 'context.shown_cents'],
      [{ v: 1, shown: ['RG 0001'] }, 'invalid_field', 'context.shown[0]'],
      [{ v: 1, page: -1 }, 'invalid_field', 'context.page'],
      [{ v: 1, extra: true }, 'unknown_field', 'context.extra'],
    ];
    for (const [context, code, field] of cases) assertError(await send(context), 422, code, field);

    // A context issued under other rules: unknown values are dropped, another version starts afresh.
    let r = await send({ v: 1, search: { metals: ['silverish', 'platinum'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.filters, { ...NONE, categories: ['rings'], metals: ['platinum'] });
    r = await send({ v: 2, search: { metals: [7] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.filters, { ...NONE, categories: ['rings'] });
  });

  it('no KV key is written per session: only shared catalog cache entries', async () => {
    const keys = await worker.kvList();
    assert.ok(keys.length > 0, 'the conversations above warmed the catalog cache');
    for (const key of keys) {
      assert.match(key, /^(catalog:v\d+:|ops:)/, `unexpected KV key ${key}`);
      for (const session of sessions) assert.ok(!key.includes(session), `KV key ${key} names session ${session}`);
    }
    // Once a conversation has run, the same conversation in a new session adds no key: every search
    // it runs is cached already (done back to back, well inside the cache's TTL).
    const script = ['rings', 'in rose gold', 'under $500', 'what about necklaces', 'under 300 instead'];
    const first = new Shopper('replay-1');
    for (const text of script) await first.say(text);
    const known = new Set(await worker.kvList());
    const second = new Shopper('replay-2');
    for (const text of script) await second.say(text);
    const after = await worker.kvList();
    assert.deepEqual(after.filter((k) => !known.has(k)), [], 'a new session wrote KV keys');
  });
});
