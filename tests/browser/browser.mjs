// Browser helpers for the widget tests: Debian chromium through playwright-core (launch flags from
// the team's TOOLCHAIN.md), axe-core injected into the page, screenshots into artifacts/screenshots/.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHOTS = join(ROOT, 'artifacts', 'screenshots');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/**
 * A fresh persistent browser context (its own temp profile). Options are playwright context
 * options (viewport, deviceScaleFactor, ...) plus `extraArgs` for chromium. Resolves to
 * {context, page, problems, close()}.
 */
export async function openBrowser({ extraArgs = [], ...options } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'aurora-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs],
    ...options,
  });
  // Generous: the machines are shared, and a page load behind a busy wrangler dev can take 15 s+.
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(60_000);
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // HTTP errors the tests provoke on purpose (404, 422, a dropped connection) are logged by
  // chromium as "Failed to load resource"; anything else on the console is a problem.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Loads the demo page and waits until the widget has decided whether to show (state ready/off). */
export async function openDemo(page, base) {
  // The widget is what is tested, so the page counts as loaded at DOMContentLoaded (the deferred
  // widget.js has run by then); the product images need not have arrived. On a loaded 2-core
  // machine wrangler dev has been seen to stall one navigation for over a minute: the stalled
  // requests are logged and the navigation is tried once more.
  const pending = new Set();
  const track = (req) => pending.add(req.url());
  const done = (req) => pending.delete(req.url());
  page.on('request', track);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await page.goto(`${base}/demo`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
        break;
      } catch (err) {
        if (attempt >= 2 || !/Timeout/.test(String(err))) throw err;
        console.log(`# openDemo: navigation timed out with ${[...pending].join(', ') || 'nothing'} pending; retrying once`);
        pending.clear();
      }
    }
  } finally {
    page.off('request', track);
    page.off('requestfinished', done);
    page.off('requestfailed', done);
  }
  await page.waitForFunction(() => {
    const el = document.querySelector('aurora-concierge');
    return el && ['ready', 'off'].includes(el.getAttribute('state'));
  });
  return page.evaluate(() => document.querySelector('aurora-concierge').getAttribute('state'));
}

/**
 * Runs axe-core on the whole page (widget shadow DOM included) against WCAG 2.0/2.1 A and AA and
 * best practices; returns the violations as short strings.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

/** Writes a full-page screenshot to artifacts/screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}
