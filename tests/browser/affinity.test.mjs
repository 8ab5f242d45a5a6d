// Version affinity in a real browser: every API call the widget makes carries
// `Cloudflare-Workers-Version-Key` = its session id, so during a gradual deployment Cloudflare
// keeps one conversation on one Worker version (and one rule set).
//
//   node --test tests/browser/affinity.test.mjs   (or scripts/browser-test)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openDemo } from './browser.mjs';
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
        calls.push({ path: `${req.method()} ${url.pathname}`, key: req.headers()['cloudflare-workers-version-key'] });
      }
    });
    assert.equal(await openDemo(browser.page, worker.url), 'ready');
    const widget = browser.page.locator('aurora-concierge');
    await widget.getByRole('button', { name: 'Ask our concierge' }).click();
    for (const text of ['rose gold rings under $500', 'cheaper']) {
      const answered = browser.page.waitForResponse((r) => r.url().endsWith('/v1/messages'));
      await widget.getByLabel('Message to the concierge').fill(text);
      await browser.page.keyboard.press('Enter');
      await answered;
    }
    const session = await browser.page.evaluate(() => sessionStorage.getItem('aurora_session'));
    assert.ok(session, 'the widget keeps a session id in sessionStorage');
    const paths = calls.map((c) => c.path);
    assert.ok(paths.includes('GET /v1/flags'), paths.join(', '));
    assert.equal(paths.filter((p) => p === 'POST /v1/messages').length, 2, paths.join(', '));
    for (const c of calls) assert.equal(c.key, session, `${c.path} carries the version key`);
    assert.deepEqual(browser.problems, [], 'no page errors or failed requests');
  } finally {
    await browser.close();
  }
});
