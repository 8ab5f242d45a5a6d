// Rollout in a real browser. Version affinity: every API call the widget makes carries
// `Cloudflare-Workers-Version-Key` = its session id, so during a gradual deployment Cloudflare
// keeps one conversation on one Worker version (and one rule set), and `X-Shopper-Id` for the
// per-feature decisions, and `X-D1-Bookmark` so its reads see what it wrote. Feature flags: the
// widget shows only what `/v1/flags` turns on.
//
//   node --test tests/browser/rollout.test.mjs   (or scripts/browser-test)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openDemo, axeViolations, screenshot } from './browser.mjs';
import { startConciergeWorker, enabledShopper, useShopper } from './fixture.mjs';

let worker;
let shopper;

before(async () => {
  worker = await startConciergeWorker();
  shopper = await enabledShopper(worker.url);
});

after(async () => {
  if (worker) await worker.stop();
});

test('every API call of a conversation carries the session id as the version key', async () => {
  const browser = await openBrowser();
  try {
    await useShopper(browser.context, worker.url, shopper);
    const calls = [];
    browser.page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname.startsWith('/v1/')) {
        const headers = req.headers();
        calls.push({ path: `${req.method()} ${url.pathname}`, key: headers['cloudflare-workers-version-key'], shopper: headers['x-shopper-id'], bookmark: headers['x-d1-bookmark'] });
      }
    });

    assert.equal(await openDemo(browser.page, worker.url), 'ready');
    const widget = browser.page.locator('aurora-concierge');
    await widget.getByRole('button', { name: 'Ask our concierge' }).click();
    const answers = [];
    for (const text of ['rose gold rings under $500', 'cheaper']) {
      const answered = browser.page.waitForResponse((r) => r.url().endsWith('/v1/messages'));
      await widget.getByLabel('Message to the concierge').fill(text);
      await browser.page.keyboard.press('Enter');
      answers.push(await answered);
    }
    const session = await browser.page.evaluate(() => sessionStorage.getItem('aurora_session'));
    assert.ok(session, 'the widget keeps a session id in sessionStorage');
    const paths = calls.map((c) => c.path);
    assert.ok(paths.includes('GET /v1/flags'), paths.join(', '));
    assert.equal(paths.filter((p) => p === 'POST /v1/messages').length, 2, paths.join(', '));
    for (const c of calls) assert.equal(c.key, session, `${c.path} carries the version key`);
    for (const c of calls) assert.equal(c.shopper, shopper, `${c.path} carries the shopper id`);
    // D1 read replication: the widget sends back the bookmark of the last answer that had one.
    const first = (await answers[0].allHeaders())['x-d1-bookmark'];
    assert.ok(first, 'the first message read the catalog from D1 and answered with its bookmark');
    const messages = calls.filter((c) => c.path === 'POST /v1/messages');
    assert.equal(messages[0].bookmark, undefined, 'no answer had a bookmark before the first message');
    assert.equal(messages[1].bookmark, first, 'the second message carries the first answer\'s bookmark');
    const second = (await answers[1].allHeaders())['x-d1-bookmark'] ?? first;
    const newest = second > first ? second : first;
    const kept = await browser.page.evaluate(() => JSON.parse(sessionStorage.getItem('aurora_d1_bookmark') || 'null'));
    assert.deepEqual(kept, { session, value: newest }, 'the newest bookmark is kept for a reload');
    assert.deepEqual(browser.problems, [], 'no page errors or failed requests');
  } finally {
    await browser.close();
  }
});

test('the widget offers only the features /v1/flags turns on', async () => {
  const browser = await openBrowser();
  try {
    await useShopper(browser.context, worker.url, shopper);
    // The Worker's answer, with order lookups and stylists switched off for this shopper.
    await browser.page.route('**/v1/flags*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      assert.equal(typeof body.features, 'object', 'the Worker reports per-feature decisions');
      body.features = { ...body.features, order_lookup: false, stylist_chat: false };
      await route.fulfill({ response: res, json: body });
    });
    assert.equal(await openDemo(browser.page, worker.url), 'ready');
    const widget = browser.page.locator('aurora-concierge');
    await widget.getByRole('button', { name: 'Ask our concierge' }).click();
    const suggestions = widget.getByRole('group', { name: 'Suggestions' });
    await suggestions.waitFor();
    const labels = await suggestions.getByRole('button').allTextContents();
    assert.ok(labels.some((l) => / under \$500$/.test(l)), `search suggestion kept: ${labels}`);
    for (const gone of ['Track an order', 'Returns & resizing', 'Talk to a stylist']) {
      assert.ok(!labels.includes(gone), `${gone} hidden: ${labels}`);
    }
    const greeting = await widget.locator('.body').first().textContent();
    assert.match(greeting, /Ask me to find a piece\./);
    assert.doesNotMatch(greeting, /stylist|track/);
    await screenshot(browser.page, 'rollout-features-off');
    assert.deepEqual(await axeViolations(browser.page), [], 'axe with features off');
    assert.deepEqual(browser.problems, [], 'no page errors or failed requests');
  } finally {
    await browser.close();
  }
});
