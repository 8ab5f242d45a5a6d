// The concierge widget in a real browser (Debian chromium via playwright-core) against the real
// Worker under wrangler dev with seeded local D1: one test per shopper flow, axe-core on every
// state of the open widget, screenshots of every state in artifacts/screenshots/.
//
//   node --test tests/browser/        (or scripts/browser-test)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openDemo, axeViolations, screenshot } from './browser.mjs';
import { startConciergeWorker, enabledShopper, useShopper, cents, sql, request } from './fixture.mjs';

let worker;
let base;
let shopper;

before(async () => {
  worker = await startConciergeWorker();
  base = worker.url;
  shopper = await enabledShopper(base);
});

after(async () => {
  if (worker) await worker.stop();
});

/**
 * A fresh browser on the demo page with the widget shown; `run(ctx)` gets {page, widget, context}.
 * `options.setup(page)` runs before the page loads (e.g. to route /v1/flags).
 */
async function withWidget({ setup, ...options }, run) {
  const browser = await openBrowser(options);
  try {
    await useShopper(browser.context, base, shopper);
    if (setup) await setup(browser.page);
    const state = await openDemo(browser.page, base);
    assert.equal(state, 'ready', 'the widget shows for an enabled shopper');
    const widget = browser.page.locator('aurora-concierge');
    await run({ page: browser.page, widget, context: browser.context });
    assert.deepEqual(browser.problems, [], 'no page errors or failed requests');
  } finally {
    await browser.close();
  }
}

/** Asserts axe finds nothing and saves a screenshot of the state (once smooth scrolling has stopped). */
async function checkState(page, name) {
  await page.evaluate(() => new Promise((done) => {
    const body = document.querySelector('aurora-concierge')?.shadowRoot?.querySelector('.body');
    let last = -1;
    let still = 0;
    const tick = () => {
      still = body && body.scrollTop !== last ? 0 : still + 1;
      last = body ? body.scrollTop : 0;
      if (still >= 3) done(); else requestAnimationFrame(tick);
    };
    tick();
  }));
  await screenshot(page, name);
  assert.deepEqual(await axeViolations(page), [], `axe violations in state "${name}"`);
}

async function openWidget(widget) {
  await widget.getByRole('button', { name: 'Ask our concierge' }).click();
  await widget.getByRole('dialog', { name: 'Aurora Concierge' }).waitFor();
}

async function send(page, widget, text) {
  await widget.getByLabel('Message to the concierge').fill(text);
  await page.keyboard.press('Enter');
}

function eligibleOrderSql() {
  return `SELECT o.order_number, o.email, i.sku, i.name FROM orders o JOIN order_items i ON i.order_number = o.order_number
          WHERE o.status = 'delivered' AND o.delivered_at IS NOT NULL
          ORDER BY o.delivered_at DESC, o.order_number LIMIT 1`;
}

/** Evaluates `fn(host, arg)` in the page, where `host` is the <aurora-concierge> element. */
function inWidget(page, fn, arg) {
  return page.locator('aurora-concierge').evaluate(fn, arg);
}

/** The filter chips' labels, in order ([] when the filter bar is hidden). */
function chipLabels(page) {
  return inWidget(page, ({ shadowRoot: root }) => {
    const bar = root.querySelector('.filters');
    return bar && !bar.hidden ? [...bar.querySelectorAll('.fchip > span')].map((el) => el.textContent) : [];
  });
}

/** Polls until the filter chips read `expected`; fails with what they read instead. */
async function waitForChips(page, expected) {
  const until = Date.now() + 30_000;
  let got;
  while (Date.now() < until) {
    got = await chipLabels(page);
    if (JSON.stringify(got) === JSON.stringify(expected)) return;
    await page.waitForTimeout(50);
  }
  assert.deepEqual(got, expected, 'filter chips');
}

/** Waits until every queued message has its reply (the log is no longer busy). */
async function waitIdle(page) {
  await page.waitForFunction(() => {
    const root = document.querySelector('aurora-concierge').shadowRoot;
    return root.querySelector('[role=log]').getAttribute('aria-busy') === 'false' && root.querySelector('.typing').hidden;
  }, null, { timeout: 60_000 });
}

/** The product cards of the newest list: [{sku, metal (text), cents}]. */
function latestCards(page) {
  return inWidget(page, ({ shadowRoot: root }) => {
    const lists = root.querySelectorAll('.products');
    const list = lists[lists.length - 1];
    return list ? [...list.querySelectorAll('li')].map((li) => ({ sku: li.dataset.sku, metal: li.querySelector('.meta').dataset.metal, cents: Number(li.querySelector('.price').dataset.priceCents) })) : [];
  });
}

/**
 * Records every POST /v1/messages body the page sends and every reply it gets, in order;
 * `replied(n)` polls until n replies have been read.
 */
function recordMessages(page) {
  const sent = [];
  const replies = [];
  page.on('request', (req) => { if (req.url().endsWith('/v1/messages')) sent.push(JSON.parse(req.postData())); });
  page.on('response', async (res) => { if (res.url().endsWith('/v1/messages')) replies.push(await res.json().catch(() => null)); });
  const replied = async (n) => {
    for (const until = Date.now() + 30_000; replies.length < n && Date.now() < until;) await page.waitForTimeout(25);
    assert.ok(replies.length >= n, `${n} replies expected, ${replies.length} read`);
  };
  return { sent, replies, replied };
}

describe('concierge widget', () => {
  test('discovery: "rose gold rings under $500" shows only ready-to-ship rose gold rings at most $500', async () => {
    await withWidget({}, async ({ page, widget }) => {
      await openWidget(widget);
      await checkState(page, '01-open');

      // Slow the answer down so the progress indicator can be seen.
      let answer = null;
      await page.route('**/v1/messages', async (route) => {
        const res = await route.fetch();
        answer = await res.json().catch(() => null);
        await new Promise((r) => setTimeout(r, 1200));
        await route.fulfill({ response: res });
      });
      await send(page, widget, 'rose gold rings under $500');
      await widget.getByText('The concierge is replying…').waitFor();
      assert.equal(await widget.getByRole('log').getAttribute('aria-busy'), 'true');
      await checkState(page, '02-replying');

      const cards = widget.locator('.products li');
      await widget.locator('.msg.bot').nth(1).waitFor();
      assert.equal(answer && answer.intent, 'product_discovery', `the engine classifies the request: ${JSON.stringify(answer)}`);
      await cards.first().waitFor();
      assert.equal(await widget.getByRole('log').getAttribute('aria-busy'), 'false');
      await widget.getByText('The concierge is replying…').waitFor({ state: 'hidden' });
      const shown = await cards.evaluateAll((lis) => lis.map((li) => ({
        sku: li.dataset.sku,
        name: li.querySelector('h3').textContent,
        metal: li.querySelector('.meta').textContent,
        price: li.querySelector('.price').textContent,
        badge: li.querySelector('.badge').textContent,
        img: li.querySelector('img').getAttribute('src'),
      })));
      assert.ok(shown.length >= 1, 'at least one product is shown');
      const rows = await worker.d1(`SELECT sku, name, category, metal, price_cents, ready_to_ship FROM products
                                    WHERE sku IN (${shown.map((p) => sql(p.sku)).join(',')})`);
      const bySku = new Map(rows.map((r) => [r.sku, r]));
      let previous = Infinity;
      for (const card of shown) {
        const row = bySku.get(card.sku);
        assert.ok(row, `${card.sku} is a catalog product`);
        assert.equal(row.category, 'rings', `${card.sku} is a ring`);
        assert.equal(row.metal, 'rose_gold', `${card.sku} is rose gold`);
        assert.equal(row.ready_to_ship, 1, `${card.sku} is ready to ship`);
        assert.equal(card.metal, 'Rose gold');
        assert.equal(card.name, row.name);
        assert.equal(cents(card.price), row.price_cents, `${card.sku} shows its catalog price`);
        assert.ok(row.price_cents <= 50000, `${card.sku} costs at most $500 (${card.price})`);
        assert.ok(row.price_cents <= previous, 'under a ceiling, dearest first (docs/api.md, "Results")');
        previous = row.price_cents;
        assert.equal(card.badge, 'Ready to ship');
        const img = await request(base, 'GET', new URL(card.img).pathname);
        assert.equal(img.status, 200, `${card.img} loads`);
      }
      await checkState(page, '03-products');
    });
  });

  test('chat: the next_step of each reply opens the matching form or shows the order', async () => {
    const [order] = await worker.d1(`SELECT order_number, email, status FROM orders WHERE status = 'shipped' ORDER BY order_number DESC LIMIT 1`);
    await withWidget({}, async ({ page, widget }) => {
      await openWidget(widget);
      const steps = [];
      const replies = [];
      page.on('response', async (res) => {
        if (!res.url().endsWith('/v1/messages')) return;
        const body = await res.json().catch(() => ({}));
        replies.push(body.reply);
        steps.push(body.next_step);
      });
      const cases = [
        ['when will my ring arrive?', 'ask_order_details', 'Track your order', 'order_number'],
        ['I want to return my bracelet', 'return_form', 'Returns, resizing and exchanges', 'order_number'],
        ['can I talk to a stylist?', 'offer_stylist', 'Talk to a stylist', 'name'],
      ];
      for (const [text, step, heading, focused] of cases) {
        const before = steps.length;
        await send(page, widget, text);
        await widget.locator('.flow form h3', { hasText: heading }).waitFor();
        for (let i = 0; i < 50 && steps.length <= before; i++) await page.waitForTimeout(100);
        assert.equal(steps[before], step, `"${text}" gives next_step ${step}`);
        const live = await widget.locator('[aria-live="polite"]').textContent();
        assert.ok(replies[before] && live.includes(replies[before]), 'the reply is in the aria-live region');
        const active = await page.evaluate(() => document.querySelector('aurora-concierge').shadowRoot.activeElement.getAttribute('name'));
        assert.equal(active, focused, `focus moves into the ${heading} form`);
      }
      await send(page, widget, `where is my order ${order.order_number}? my email is ${order.email}`);
      const panel = widget.locator(`[data-order="${order.order_number}"]`);
      await panel.waitFor();
      for (let i = 0; i < 50 && steps.length < cases.length + 1; i++) await page.waitForTimeout(100);
      assert.equal(steps[cases.length], 'show_order');
      assert.equal(await panel.locator('.status').getAttribute('data-status'), order.status);
      await checkState(page, '03b-chat-order');
    });
  });

  test('tracking: a seeded order shows its status and shipment timeline', async () => {
    const [order] = await worker.d1(`SELECT order_number, email, status FROM orders WHERE status = 'shipped' ORDER BY order_number LIMIT 1`);
    assert.ok(order, 'the seed has a shipped order');
    const events = await worker.d1(`SELECT e.detail FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
                                    WHERE s.order_number = ${sql(order.order_number)}`);
    await withWidget({}, async ({ page, widget }) => {
      await openWidget(widget);
      await widget.getByRole('button', { name: 'Track an order' }).click();
      const number = widget.getByLabel('Order number');
      assert.equal(await number.evaluate((el) => el.getRootNode().activeElement === el), true, 'focus moves to the form');
      await checkState(page, '04-tracking-form');

      // An unknown order is answered next to the form, as a sentence.
      await number.fill('AUR-000000');
      await widget.getByLabel('Email used for the order').fill(order.email);
      await widget.getByRole('button', { name: 'Track order' }).click();
      const formError = widget.locator('form .form-err');
      await formError.waitFor();
      assert.match(await formError.textContent(), /\w+ .*\w/);
      await checkState(page, '05-tracking-not-found');

      await number.fill(order.order_number);
      await widget.getByLabel('Email used for the order').fill(order.email.toUpperCase());
      await widget.getByRole('button', { name: 'Track order' }).click();
      const panel = widget.locator(`[data-order="${order.order_number}"]`);
      await panel.waitFor();
      assert.equal(await panel.locator('.status').getAttribute('data-status'), order.status);
      assert.equal(await panel.locator('.status').textContent(), order.status[0].toUpperCase() + order.status.slice(1));
      assert.equal(await panel.locator('[aria-current="step"]').textContent(), 'Shipped');
      const timeline = await panel.locator('.events').textContent();
      assert.ok(events.length > 0, 'the seeded shipment has events');
      for (const ev of events) assert.ok(timeline.includes(ev.detail), `timeline shows "${ev.detail}"`);
      await checkState(page, '06-tracking-result');
    });
  });

  test('return: eligibility is shown before submit, and a double click plus a lost response create one return', async () => {
    const [order] = await worker.d1(eligibleOrderSql());
    assert.ok(order, 'the seed has a recently delivered order');
    const before = await worker.d1(`SELECT COUNT(*) AS n FROM return_requests WHERE order_number = ${sql(order.order_number)}`);
    await withWidget({}, async ({ page, widget }) => {
      await openWidget(widget);
      await widget.getByRole('button', { name: 'Returns & resizing' }).click();
      await widget.getByLabel('Order number').fill(order.order_number);
      await widget.getByLabel('Email used for the order').fill(order.email);
      await widget.getByRole('button', { name: 'Check eligibility' }).click();

      const eligibility = widget.locator('.eligibility');
      await eligibility.waitFor();
      assert.equal(await eligibility.getAttribute('data-eligible'), 'true');
      assert.match(await eligibility.textContent(), /Return: available/);
      await checkState(page, '07-return-eligibility');

      // Submitting with nothing chosen shows each problem next to its field.
      const submit = widget.locator('form.panel button[type=submit]');
      assert.equal(await submit.textContent(), 'Submit request');
      await widget.getByLabel('Return for a refund').check();
      await submit.click();
      const reason = widget.getByLabel('Reason');
      assert.equal(await reason.getAttribute('aria-invalid'), 'true');
      const described = (await reason.getAttribute('aria-describedby')).split(' ');
      const errorText = await widget.locator(`[id="${described[described.length - 1]}"]`).textContent();
      assert.equal(errorText, 'Tell us briefly why.');
      await checkState(page, '08-return-field-error');

      const items = widget.getByLabel('Item');
      if (await items.locator('option').count() > 1) await items.selectOption(order.sku);
      await reason.fill('It does not suit me after all.');

      // The first response is lost after the Worker has stored the return: the widget retries with
      // the same Idempotency-Key and gets the stored answer back.
      const keys = [];
      let busyWhileInFlight = null;
      await page.route('**/v1/returns', async (route) => {
        keys.push(route.request().headers()['idempotency-key']);
        const res = await route.fetch();
        if (keys.length === 1) {
          busyWhileInFlight = await submit.getAttribute('aria-disabled');
          await route.abort('connectionreset');
        } else {
          await route.fulfill({ response: res });
        }
      });
      await submit.dblclick();
      const done = widget.locator('[data-return-id]');
      await done.waitFor();
      const returnId = await done.getAttribute('data-return-id');
      assert.match(returnId, /^RET-/);
      assert.equal(busyWhileInFlight, 'true', 'the submit button is disabled while in flight');
      assert.ok(keys.length >= 2, 'the lost response was retried');
      assert.ok(keys[0] && keys.every((k) => k === keys[0]), `one Idempotency-Key for the submission: ${keys}`);
      const rows = await worker.d1(`SELECT return_id, kind, sku FROM return_requests WHERE order_number = ${sql(order.order_number)}`);
      assert.equal(rows.length, before[0].n + 1, 'exactly one return was created');
      assert.ok(rows.some((r) => r.return_id === returnId && r.kind === 'return'));
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await checkState(page, '09-return-done');
    });
  });

  test('return: an order delivered long ago is shown as not eligible before anything is submitted', async () => {
    const [order] = await worker.d1(`SELECT order_number, email FROM orders WHERE status = 'delivered'
                                     ORDER BY delivered_at ASC, order_number LIMIT 1`);
    await withWidget({ viewport: { width: 360, height: 740 } }, async ({ page, widget }) => {
      await openWidget(widget);
      await widget.getByRole('button', { name: 'Returns & resizing' }).click();
      await widget.getByLabel('Order number').fill(order.order_number);
      await widget.getByLabel('Email used for the order').fill(order.email);
      await widget.getByRole('button', { name: 'Check eligibility' }).click();
      const eligibility = widget.locator('.eligibility');
      await eligibility.waitFor();
      assert.equal(await eligibility.getAttribute('data-eligible'), 'false');
      assert.match(await eligibility.textContent(), /Return: not available/);
      assert.equal(await widget.getByRole('button', { name: 'Submit request' }).count(), 0);
      await checkState(page, '10-return-not-eligible-360');
    });
  });

  test('stylist: a request creates a ticket, then the CSAT prompt records a score', async () => {
    await withWidget({}, async ({ page, widget }) => {
      await openWidget(widget);
      await widget.getByRole('button', { name: 'Talk to a stylist' }).click();
      await checkState(page, '11-stylist-form');

      // A bad email comes back from the API as a sentence next to the email field.
      const email = widget.getByLabel('Email', { exact: true });
      await widget.getByLabel('Your name').fill('Browser Test');
      await email.fill('not-an-email');
      await widget.getByLabel('Topic').fill('Engagement ring advice');
      await widget.getByLabel('How can we help?').fill('I would like help choosing a solitaire.');
      await widget.getByRole('button', { name: 'Request a stylist' }).click();
      await page.waitForFunction(() => {
        const root = document.querySelector('aurora-concierge').shadowRoot;
        return root.querySelector('input[name=email][aria-invalid=true]');
      });
      const errId = (await email.getAttribute('aria-describedby')).split(' ').pop();
      const errText = await widget.locator(`[id="${errId}"]`).textContent();
      assert.ok(errText.length > 5 && !/[{}]/.test(errText), `a plain sentence: ${errText}`);
      await checkState(page, '12-stylist-api-error');

      await page.route('**/v1/escalations', async (route) => {
        const res = await route.fetch();
        await new Promise((r) => setTimeout(r, 1000));
        await route.fulfill({ response: res });
      });
      await email.fill('browser.test@example.com');
      await widget.getByRole('button', { name: 'Request a stylist' }).click();
      await widget.getByText('Please wait…').waitFor();
      assert.equal(await widget.locator('form.panel').getAttribute('aria-busy'), 'true');
      assert.equal(await widget.locator('form.panel button[type=submit]').getAttribute('aria-disabled'), 'true');
      const ticketEl = widget.locator('[data-ticket-id]');
      await ticketEl.waitFor();
      const ticketId = await ticketEl.getAttribute('data-ticket-id');
      const tickets = await worker.d1(`SELECT ticket_id, email, topic, status FROM tickets WHERE ticket_id = ${sql(ticketId)}`);
      assert.equal(tickets.length, 1, 'the ticket is stored');
      assert.equal(tickets[0].topic, 'Engagement ring advice');
      assert.equal(tickets[0].status, 'open');

      await widget.getByText('How was your experience?').waitFor();
      await checkState(page, '13-csat');
      await widget.getByRole('radio', { name: /4/ }).check();
      await widget.getByLabel('Anything to add?').fill('Quick and kind.');
      await widget.getByRole('button', { name: 'Send rating' }).click();
      await widget.locator('[data-csat]').waitFor();
      const csat = await worker.d1(`SELECT score, comment FROM csat_responses WHERE ticket_id = ${sql(ticketId)}`);
      assert.deepEqual(csat, [{ score: 4, comment: 'Quick and kind.' }]);
      await checkState(page, '14-csat-done');
    });
  });

  test('keyboard only: open, track a seeded order, focus stays trapped, Escape closes and restores focus', async () => {
    const [order] = await worker.d1(`SELECT order_number, email, status FROM orders WHERE status = 'delivered' ORDER BY order_number LIMIT 1`);
    await withWidget({}, async ({ page, widget }) => {
      const inner = () => page.evaluate(() => {
        const host = document.querySelector('aurora-concierge');
        const el = document.activeElement === host ? host.shadowRoot.activeElement : null;
        return el ? { tag: el.tagName, name: el.getAttribute('name'), text: el.textContent.trim(), inDialog: !!el.closest('[role=dialog]') } : null;
      });
      let found = false;
      for (let i = 0; i < 40 && !found; i++) {
        await page.keyboard.press('Tab');
        const el = await inner();
        found = !!el && el.text === 'Ask our concierge';
      }
      assert.ok(found, 'the launcher is reachable with Tab');
      const launcher = widget.getByRole('button', { name: 'Ask our concierge' });
      assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
      await page.keyboard.press('Enter');
      assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
      assert.equal((await inner()).name, 'text', 'focus moves into the dialog, on the message field');

      for (let i = 0; i < 8 && (await inner()).text !== 'Track an order'; i++) await page.keyboard.press('Shift+Tab');
      assert.equal((await inner()).text, 'Track an order');
      await page.keyboard.press('Enter');
      assert.equal((await inner()).name, 'order_number');
      await page.keyboard.type(order.order_number);
      await page.keyboard.press('Tab');
      await page.keyboard.type(order.email);
      await page.keyboard.press('Tab');
      assert.equal((await inner()).text, 'Track order');
      await page.keyboard.press('Enter');
      const panel = widget.locator(`[data-order="${order.order_number}"]`);
      await panel.waitFor();
      assert.equal(await panel.locator('.status').getAttribute('data-status'), order.status);
      assert.match((await inner()).text, new RegExp(`Order ${order.order_number}`), 'focus moves to the result');
      await checkState(page, '15-keyboard-tracked');

      for (let i = 0; i < 30; i++) {
        await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
        const el = await inner();
        assert.ok(el && el.inDialog, `focus stays in the dialog (step ${i}: ${JSON.stringify(el)})`);
      }
      const outline = await page.evaluate(() => {
        const el = document.querySelector('aurora-concierge').shadowRoot.activeElement;
        const s = getComputedStyle(el);
        return `${s.outlineStyle} ${s.outlineWidth}`;
      });
      assert.match(outline, /solid [1-9]/, 'the focused control has a visible outline');

      await page.keyboard.press('Escape');
      assert.equal(await widget.getByRole('dialog').count(), 0, 'the dialog is closed');
      assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
      assert.equal((await inner()).text, 'Ask our concierge', 'focus returns to the launcher');
    });
  });

  test('kill switch: with ops:kill-switch on the widget renders nothing and calls nothing but the flag check', async () => {
    await worker.kvPut('ops:kill-switch', 'on');
    try {
      const flags = await request(base, 'GET', `/v1/flags?user_id=${shopper}`);
      assert.equal(flags.body.enabled, false);
      assert.equal(flags.body.reason, 'emergency_off');
      const browser = await openBrowser();
      try {
        const { page, context } = browser;
        await useShopper(context, base, shopper);
        const apiCalls = [];
        page.on('request', (req) => { const u = new URL(req.url()); if (u.pathname.startsWith('/v1/')) apiCalls.push(u.pathname); });
        assert.equal(await openDemo(page, base), 'off');
        const host = page.locator('aurora-concierge');
        assert.equal(await host.getAttribute('reason'), 'emergency_off');
        assert.equal(await host.evaluate((el) => el.shadowRoot), null, 'no shadow DOM is rendered');
        assert.equal(await page.getByRole('button', { name: 'Ask our concierge' }).count(), 0);
        const box = await host.boundingBox();
        assert.ok(!box || (box.width === 0 && box.height === 0), `the empty element takes no space: ${JSON.stringify(box)}`);
        await page.waitForTimeout(300);
        assert.deepEqual(apiCalls, ['/v1/flags']);
        await screenshot(page, '00-kill-switch-on');
        assert.deepEqual(browser.problems, []);
      } finally {
        await browser.close();
      }
    } finally {
      await worker.kvDelete('ops:kill-switch');
    }
    // Switched back off, the same shopper sees the widget again.
    await withWidget({}, async ({ widget }) => {
      assert.equal(await widget.getByRole('button', { name: 'Ask our concierge' }).count(), 1);
    });
  });

  test('embed: one script tag on a merchant origin talks to the Worker it was loaded from (CORS)', async () => {
    // A merchant origin from allowed_origins in rules/rollout.toml, served by the test. Chromium's
    // local network access checks would stop a public page from reaching the Worker on 127.0.0.1
    // (in production the Worker is public too), so they are switched off for this browser.
    const shop = 'https://shop.aurora-jewelry.example';
    const browser = await openBrowser({
      extraArgs: ['--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'],
    });
    try {
      const { page, context } = browser;
      await context.route(`${shop}/**`, (route) => route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><head><title>Merchant page</title></head><body><main><h1>Merchant page</h1></main>
               <script src="${base}/widget.js" defer></script><aurora-concierge></aurora-concierge></body></html>`,
      }));
      const origins = [];
      page.on('request', (req) => { if (req.url().startsWith(`${base}/v1/`)) origins.push(req.headers().origin); });
      await page.goto(`${shop}/product/aster`);
      await page.waitForFunction(() => ['ready', 'off'].includes(document.querySelector('aurora-concierge')?.getAttribute('state')));
      assert.equal(await page.locator('aurora-concierge').getAttribute('state'), 'ready', 'the flag check passed CORS');
      assert.ok(origins.length > 0 && origins.every((o) => o === shop), `requests carry the merchant origin: ${origins}`);
      const cookie = (await context.cookies(shop)).find((c) => c.name === 'aurora_uid');
      assert.match(cookie && cookie.value, /^u-[0-9a-f-]{36}$/, 'a first-party shopper cookie is set on the merchant domain');
      const widget = page.locator('aurora-concierge');
      await openWidget(widget);
      await send(page, widget, 'can I talk to a stylist?');
      await widget.locator('.msg.bot').nth(1).waitFor();
      assert.doesNotMatch(await widget.locator('.msg.bot').nth(1).textContent(), /couldn't reach/, 'POST /v1/messages passed CORS');
    } finally {
      await browser.close();
    }
  });

  test('small screens: 360 px wide and 200% zoom keep the whole dialog usable', async () => {
    const layouts = [
      ['360x740', { viewport: { width: 360, height: 740 } }],
      ['zoom-200', { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 }],
    ];
    for (const [name, options] of layouts) {
      await withWidget(options, async ({ page, widget }) => {
        await openWidget(widget);
        const box = await widget.getByRole('dialog').boundingBox();
        const vp = page.viewportSize();
        assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5,
          `${name}: the dialog fits the viewport (${JSON.stringify(box)})`);
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${name}: no sideways scrolling`);
        await widget.getByRole('button', { name: 'Talk to a stylist' }).click();
        for (const label of ['Your name', 'Topic', 'How can we help?']) {
          const field = widget.getByLabel(label);
          await field.scrollIntoViewIfNeeded();
          const fb = await field.boundingBox();
          assert.ok(fb.x >= 0 && fb.x + fb.width <= vp.width + 0.5, `${name}: "${label}" fits across`);
        }
        const send = widget.getByRole('button', { name: 'Send', exact: true });
        assert.ok(await send.isVisible(), `${name}: the send button stays on screen`);
        await checkState(page, `16-stylist-${name}`);
      });
    }
  });

  test('filters: chips show the search, a chip\'s × removes its slot, follow-ups update chips, "Show more" pages', async () => {
    await withWidget({}, async ({ page, widget }) => {
      const { sent, replies, replied } = recordMessages(page);
      await openWidget(widget);
      assert.equal(await widget.locator('.filters').isVisible(), false, 'no chips before any search');
      await send(page, widget, 'rose gold rings under $500');
      await waitForChips(page, ['Rings', 'Rose gold', 'Under $500']);
      await waitIdle(page);
      const first = await latestCards(page);
      assert.ok(first.length > 0 && first.every((c) => c.metal === 'rose_gold'));
      for (const name of ['Rings', 'Rose gold', 'Under $500']) {
        assert.equal(await widget.getByRole('button', { name: `Remove filter: ${name}` }).count(), 1, `× of "${name}" is a named button`);
      }
      assert.equal(await widget.getByRole('list', { name: 'Filters' }).getByRole('listitem').count(), 3);
      await checkState(page, '17-filter-chips');

      // The metal chip's ×: sends {remove: "metals"} with the last context; the chip goes, products change.
      await widget.getByRole('button', { name: 'Remove filter: Rose gold' }).click();
      await waitForChips(page, ['Rings', 'Under $500']);
      await waitIdle(page);
      await replied(2);
      const removal = sent[sent.length - 1];
      assert.equal(removal.remove, 'metals');
      assert.equal(removal.text, undefined);
      assert.deepEqual(removal.context, replies[0].context, 'the removal carries the previous reply\'s context');
      const active = await inWidget(page, ({ shadowRoot: root }) => root.activeElement && root.activeElement.getAttribute('aria-label'));
      assert.match(String(active), /^Remove filter: /, 'focus moves to a neighbouring chip');
      const second = await latestCards(page);
      assert.notDeepEqual(second.map((c) => c.sku), first.map((c) => c.sku), 'the products change');
      assert.ok(second.some((c) => c.metal !== 'rose_gold'), 'other metals are shown');
      assert.ok(second.every((c) => c.cents <= 50000));
      await checkState(page, '18-filter-removed');

      // A follow-up adds a chip back, another updates one.
      await send(page, widget, 'in white gold');
      await waitForChips(page, ['Rings', 'White gold', 'Under $500']);
      await waitIdle(page);
      assert.ok((await latestCards(page)).every((c) => c.metal === 'white_gold'));
      await send(page, widget, 'under $300 instead');
      await waitForChips(page, ['Rings', 'White gold', 'Under $300']);
      await waitIdle(page);
      const cheap = await latestCards(page);
      assert.ok(cheap.length > 0 && cheap.every((c) => c.metal === 'white_gold' && c.cents <= 30000));

      // "Show more" when the reply says another page exists.
      await widget.getByRole('button', { name: 'Remove filter: White gold' }).click();
      await waitForChips(page, ['Rings', 'Under $300']);
      await waitIdle(page);
      await replied(5);
      assert.equal(replies[replies.length - 1].more, true, 'rings under $300 take more than one page');
      const pageOne = await latestCards(page);
      await widget.getByRole('button', { name: 'Show more' }).click();
      await waitIdle(page);
      await replied(6);
      assert.match(sent[sent.length - 1].text, /more/);
      assert.equal(replies[replies.length - 1].page, 2);
      const pageTwo = await latestCards(page);
      assert.ok(pageTwo.length > 0 && pageTwo.every((c) => !pageOne.some((o) => o.sku === c.sku)), 'page 2 shows new pieces');
      assert.ok(await widget.locator('.more').count() <= 1, 'one "Show more" at most, under the newest list');
      await checkState(page, '19-filter-show-more');

      // The last chip's × empties the bar, and focus goes back to the message field.
      for (const name of ['Rings', 'Under $300']) {
        await widget.getByRole('button', { name: `Remove filter: ${name}` }).click();
        await waitIdle(page);
      }
      await waitForChips(page, []);
      assert.equal(await widget.locator('.filters').isVisible(), false, 'the bar is hidden with no filters');
      assert.equal(await inWidget(page, ({ shadowRoot: root }) => root.activeElement && root.activeElement.name), 'text');
    });
  });

  test('fast typing: five messages sent while the first is in flight go out one at a time, each with the last context', async () => {
    await withWidget({}, async ({ page, widget }) => {
      const script = ['necklaces', 'in white gold', 'with diamonds', 'under $3000', 'what about earrings'];
      const exchanges = [];
      let inFlight = 0;
      let most = 0;
      let release;
      const typed = new Promise((r) => { release = r; });
      await page.route('**/v1/messages', async (route) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        const body = JSON.parse(route.request().postData());
        if (exchanges.length === 0) await typed; // hold the first reply until every message is typed
        const res = await route.fetch();
        const reply = await res.json();
        exchanges.push({ body, reply });
        inFlight -= 1;
        await route.fulfill({ response: res });
      });
      await openWidget(widget);
      for (const text of script) await send(page, widget, text);
      const shown = await inWidget(page, ({ shadowRoot: root }) => [...root.querySelectorAll('.msg.user p')].map((p) => p.textContent));
      assert.deepEqual(shown, script, 'every queued message is shown at once');
      assert.equal(exchanges.length, 0, 'no reply has arrived yet');
      await checkState(page, '20-fast-typing-queued');
      release();

      await waitForChips(page, ['Earrings', 'White gold', 'Diamond', 'Under $3,000']);
      await waitIdle(page);
      assert.equal(most, 1, 'one message in flight at a time');
      assert.deepEqual(exchanges.map((e) => e.body.text), script, 'sent in the order typed');
      assert.equal(exchanges[0].body.context, undefined, 'a new conversation starts without context');
      for (let i = 1; i < exchanges.length; i++) {
        assert.deepEqual(exchanges[i].body.context, exchanges[i - 1].reply.context, `message ${i + 1} carries reply ${i}'s context`);
      }
      assert.deepEqual(exchanges[4].reply.filters, { categories: ['earrings'], metals: ['white_gold'], styles: ['diamond'], price: { min: null, max: 3000, kind: 'under' } });
      const cards = await latestCards(page);
      assert.deepEqual(cards.map((c) => c.sku), exchanges[4].reply.products.map((p) => p.sku));
      assert.ok(cards.length > 0 && cards.every((c) => c.metal === 'white_gold' && c.cents <= 300000));
      assert.equal(await widget.locator('.msg.bot:not(.rich)').count(), 1 + script.length, 'one reply per message, after the greeting');
      await checkState(page, '21-fast-typing-done');
    });
  });

  test('reload: the conversation (context and chips) survives a reload of the page', async () => {
    await withWidget({}, async ({ page, widget }) => {
      const { sent, replies, replied } = recordMessages(page);
      await openWidget(widget);
      await send(page, widget, 'rose gold rings');
      await waitForChips(page, ['Rings', 'Rose gold']);
      await waitIdle(page);
      await replied(1);
      const context = replies[0].context;
      const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('aurora_session'), saved: JSON.parse(sessionStorage.getItem('aurora_context')) }));
      assert.equal(stored.saved.session, stored.session);
      assert.deepEqual(stored.saved.context, context, 'the latest context is kept next to the session id');

      assert.equal(await openDemo(page, base), 'ready');
      await openWidget(widget);
      await waitForChips(page, ['Rings', 'Rose gold']);
      await send(page, widget, 'under $500');
      await waitForChips(page, ['Rings', 'Rose gold', 'Under $500']);
      await waitIdle(page);
      const after = sent[sent.length - 1];
      assert.equal(after.session_id, stored.session);
      assert.deepEqual(after.context, context, 'the first message after the reload carries the kept context');
      assert.ok((await latestCards(page)).every((c) => c.metal === 'rose_gold' && c.cents <= 50000));
    });
  });

  test('domain: suggestions, the order-number example and the ring-size picker follow GET /v1/flags', async () => {
    const [order] = await worker.d1(`SELECT o.order_number, o.email, i.sku FROM orders o JOIN order_items i ON i.order_number = o.order_number
                                     WHERE o.status = 'delivered' AND i.category = 'rings' ORDER BY o.delivered_at DESC, o.order_number LIMIT 1`);
    assert.ok(order, 'the seed has a delivered order with a ring');
    const real = (await request(base, 'GET', `/v1/flags?user_id=${shopper}`)).body.domain;
    const sizes = (d) => {
      const out = [];
      for (let i = 0; i <= Math.round((d.max - d.min) / d.step); i++) out.push(`US ${Math.round((d.min + i * d.step) * 100) / 100}`);
      return out;
    };
    const resizeForm = async (widget) => {
      await widget.getByRole('button', { name: 'Returns & resizing' }).click();
      await widget.getByLabel('Order number').fill(order.order_number);
      await widget.getByLabel('Email used for the order').fill(order.email);
      await widget.getByRole('button', { name: 'Check eligibility' }).click();
      await widget.locator('.eligibility').waitFor();
      assert.match(await widget.locator('.eligibility').textContent(), /Resize: available/);
      await widget.getByLabel('Resize a ring').check();
      const picker = widget.getByLabel('New ring size');
      await picker.waitFor();
      return picker;
    };

    // The rules' own domain: the picker offers min..max by step, and a chosen size is stored.
    await withWidget({}, async ({ page, widget }) => {
      await openWidget(widget);
      const idea = await widget.getByRole('group', { name: 'Suggestions' }).getByRole('button').first().textContent();
      assert.match(idea, /^(.+) (.+) under \$500$/);
      assert.ok(real.metals.some((m) => idea.toLowerCase().startsWith(m.replace(/_/g, ' '))), `"${idea}" names a metal of the domain`);
      assert.ok(real.categories.some((c) => idea.endsWith(` ${c.replace(/_/g, ' ')} under $500`)), `"${idea}" names a category of the domain`);
      await widget.getByRole('button', { name: 'Track an order' }).click();
      assert.equal(await widget.getByLabel('Order number').getAttribute('placeholder'), real.order_number.example);
      assert.match(await widget.locator('.flow .hint').first().textContent(), new RegExp(`${real.order_number.example}\\.$`));
      await widget.getByRole('button', { name: 'Cancel' }).click();

      const picker = await resizeForm(widget);
      const options = (await picker.locator('option').allTextContents()).slice(1);
      assert.deepEqual(options, sizes(real.ring_sizes));
      const items = widget.getByLabel('Item');
      if (await items.locator('option').count() > 1) await items.selectOption(order.sku);
      const size = options[Math.floor(options.length / 2)].slice(3);
      await picker.selectOption(size);
      await widget.getByLabel('Reason').fill('A little too snug.');
      await checkState(page, '22-resize-ring-sizes');
      await widget.getByRole('button', { name: 'Submit request' }).click();
      const done = widget.locator('[data-return-id]');
      await done.waitFor();
      const rows = await worker.d1(`SELECT kind, ring_size FROM return_requests WHERE return_id = ${sql(await done.getAttribute('data-return-id'))}`);
      assert.deepEqual(rows, [{ kind: 'resize', ring_size: Number(size) }]);
    });

    // Another domain (as other rules would declare it) changes the widget with no code change.
    const other = { ...real, categories: ['bangles'], metals: ['palladium'], ring_sizes: { min: 4, max: 6, step: 0.25 },
      order_number: { prefix: 'ORD-', digits: 4, example: 'ORD-1234' } };
    const setup = (page) => page.route((url) => url.pathname === '/v1/flags', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), domain: other } });
    });
    await withWidget({ setup }, async ({ widget }) => {
      await openWidget(widget);
      assert.equal(await widget.getByRole('group', { name: 'Suggestions' }).getByRole('button').first().textContent(), 'Palladium bangles under $500');
      assert.match(await widget.getByLabel('Message to the concierge').getAttribute('placeholder'), /bangles/);
      await widget.getByRole('button', { name: 'Track an order' }).click();
      assert.equal(await widget.getByLabel('Order number').getAttribute('placeholder'), 'ORD-1234');
      await widget.getByRole('button', { name: 'Cancel' }).click();
      const picker = await resizeForm(widget);
      assert.deepEqual((await picker.locator('option').allTextContents()).slice(1), ['US 4', 'US 4.25', 'US 4.5', 'US 4.75', 'US 5', 'US 5.25', 'US 5.5', 'US 5.75', 'US 6']);
    });
  });
});
