// The kill switch in a real browser: with the KV key `ops:kill-switch` = `on` (docs/api.md), the
// Worker answers GET /v1/flags with enabled=false and the widget renders nothing at all. It runs on
// its own Worker because the flag is cached per isolate for up to 60 s.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateAndSeed, kvPut } from '../e2e/harness.mjs';
import { openBrowser, openDemo, screenshot } from './browser.mjs';
import { startConciergeWorker, request } from './fixture.mjs';

let worker;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aurora-browser-kill-'));
  await migrateAndSeed(dir);
  await kvPut(dir, 'ops:kill-switch', 'on');
  worker = await startConciergeWorker({ persistDir: dir, fresh: false });
});

after(async () => {
  if (worker) await worker.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('kill switch: the widget renders nothing and sends nothing but the flag check', async () => {
  const flags = await request(worker.url, 'GET', '/v1/flags?user_id=u-kill-switch-check');
  assert.equal(flags.status, 200);
  assert.equal(flags.body.enabled, false);
  assert.equal(flags.body.reason, 'emergency_off');

  const browser = await openBrowser();
  try {
    const { page } = browser;
    const apiCalls = [];
    page.on('request', (req) => { if (new URL(req.url()).pathname.startsWith('/v1/')) apiCalls.push(new URL(req.url()).pathname); });
    const state = await openDemo(page, worker.url);
    assert.equal(state, 'off');
    const host = page.locator('aurora-concierge');
    assert.equal(await host.getAttribute('reason'), 'emergency_off');
    assert.equal(await host.evaluate((el) => el.shadowRoot), null, 'no shadow DOM is rendered');
    assert.equal(await page.getByRole('button', { name: 'Ask our concierge' }).count(), 0);
    assert.deepEqual(await host.boundingBox(), null, 'the empty element takes no space');
    await page.waitForTimeout(300);
    assert.deepEqual(apiCalls, ['/v1/flags']);
    await screenshot(page, '00-kill-switch');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});
