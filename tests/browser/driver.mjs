// A thin driver adapter so one test body runs in Chromium (playwright-core over CDP) and in Firefox
// (Debian firefox-esr through puppeteer-core over WebDriver BiDi; playwright-core cannot drive a
// stock Firefox). Both sides take CSS selectors; `host >>> inner` reaches into a shadow root (the
// widget's), which puppeteer spells that way and playwright's CSS engine does by itself.
//
//   const d = await launch('firefox', { viewport: { width: 768, height: 1024 } });
//   await d.goto(url); await d.fill('#q', 'text'); await d.press('Enter');
//   await d.waitFor(() => document.title === 'x'); assert.deepEqual(await d.axe(), []);
//
// BROWSERS=chromium,firefox (the default) picks the browsers the cross-browser suites run in.

import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SHOTS } from './browser.mjs';

const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';
const TIMEOUT = 30_000;

/** The browsers to run in: $BROWSERS (comma-separated), else every one installed. */
export const BROWSERS = (process.env.BROWSERS || 'chromium,firefox').split(',').map((b) => b.trim()).filter(Boolean)
  .filter((b) => {
    const ok = b === 'chromium' ? existsSync(CHROMIUM) : b === 'firefox' ? existsSync(FIREFOX) : false;
    if (!ok) process.stderr.write(`# driver: ${b} is not installed (scripts/setup); its tests are skipped\n`);
    return ok;
  });

const pw = (sel) => sel.replace(/\s*>>>\s*/g, ' ');
/** "Shift+Tab" → ['Shift', 'Tab'] for puppeteer, which presses one key at a time. */
const chord = (key) => key.split('+').filter(Boolean);

/** Benign console errors: an HTTP error status the test provoked on purpose. */
const benign = (text) => /Failed to load resource|status of 4\d\d|the server responded with a status of 4/.test(text);

/**
 * Opens a fresh browser with its own profile. Options: viewport ({width, height}), cookies
 * ([{name, value, url}]) set before any page loads, extraArgs. Resolves to a Driver.
 */
export async function launch(name, { viewport = { width: 1280, height: 800 }, cookies = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), `aurora-${name}-`));
  const problems = [];
  let page, close, kind;
  if (name === 'chromium') {
    kind = 'playwright';
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport,
      acceptDownloads: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    context.setDefaultTimeout(TIMEOUT);
    context.setDefaultNavigationTimeout(60_000);
    if (cookies.length) await context.addCookies(cookies);
    page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error' && !benign(m.text())) problems.push(`console: ${m.text()}`); });
    close = () => context.close();
  } else if (name === 'firefox') {
    kind = 'puppeteer';
    const browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      protocolTimeout: 120_000,
      // Keys typed over BiDi do not count as keyboard modality for Firefox's :focus-visible
      // heuristic in headless mode; the user-facing "always show focus rings" setting makes
      // :focus-visible match on focus, so the outline checks see what a keyboard user sees.
      extraPrefsFirefox: { 'browser.display.show_focus_rings': true, 'browser.download.dir': join(profile, 'downloads'), 'browser.download.folderList': 2, 'browser.download.useDownloadDir': true },
    });
    page = (await browser.pages())[0] || (await browser.newPage());
    page.setDefaultTimeout(TIMEOUT);
    page.setDefaultNavigationTimeout(60_000);
    await page.setViewport(viewport);
    for (const c of cookies) {
      const u = new URL(c.url);
      await page.setCookie({ name: c.name, value: c.value, domain: u.hostname, path: '/' });
    }
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error' && !benign(m.text())) problems.push(`console: ${m.text()}`); });
    close = () => browser.close();
  } else {
    throw new Error(`unknown browser ${name}`);
  }

  const d = {
    name,
    page,
    problems,
    /** Loads `url`, waiting for DOMContentLoaded (one retry when a loaded machine stalls it). */
    async goto(url) {
      for (let attempt = 1; ; attempt++) {
        try {
          await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
          return;
        } catch (err) {
          if (attempt >= 2 || !/timeout/i.test(String(err))) throw err;
          process.stderr.write(`# driver(${name}): navigation to ${url} timed out; retrying once\n`);
        }
      }
    },
    /** Waits until `sel` is visible. */
    async visible(sel, timeout = TIMEOUT) {
      if (kind === 'playwright') await page.locator(pw(sel)).first().waitFor({ state: 'visible', timeout });
      else await page.waitForSelector(sel, { visible: true, timeout });
    },
    /** Waits until `sel` is gone or hidden. */
    async hidden(sel, timeout = TIMEOUT) {
      if (kind === 'playwright') await page.locator(pw(sel)).first().waitFor({ state: 'hidden', timeout });
      else await page.waitForSelector(sel, { hidden: true, timeout });
    },
    async click(sel) {
      if (kind === 'playwright') await page.locator(pw(sel)).first().click();
      else await page.locator(sel).click();
    },
    /** Clicks the first match of `sel` whose text is `text` (Firefox: contains it). */
    async clickText(sel, text) {
      if (kind === 'playwright') await page.locator(pw(sel)).filter({ hasText: new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).first().click();
      else await page.locator(`${sel}::-p-text(${JSON.stringify(text)})`).click();
    },
    /** Replaces the value of an input, textarea or select. */
    async fill(sel, value) {
      if (kind === 'playwright') {
        const loc = page.locator(pw(sel)).first();
        if ((await loc.evaluate((el) => el.tagName)) === 'SELECT') await loc.selectOption(value);
        else await loc.fill(value);
      } else {
        await page.locator(sel).fill(value);
      }
    },
    /** Presses a key or a chord ("Shift+Tab") on whatever has focus. */
    async press(key) {
      if (kind === 'playwright') return page.keyboard.press(key);
      const keys = chord(key);
      for (const k of keys.slice(0, -1)) await page.keyboard.down(k);
      await page.keyboard.press(keys[keys.length - 1]);
      for (const k of keys.slice(0, -1).reverse()) await page.keyboard.up(k);
    },
    /**
     * Presses Enter on the focused element, as a keyboard user activates a link or a button.
     * Headless Firefox driven over BiDi has no OS focus (document.hasFocus() is false) and then
     * does not turn a synthesized Enter or Space on a <button> into a click (links and implicit
     * form submission do work), so in Firefox a focused button is clicked by the page itself;
     * focus still has to have been moved there with the keyboard.
     */
    async activate() {
      if (kind === 'puppeteer') {
        const clicked = await page.evaluate(() => {
          let el = document.activeElement;
          while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
          if (!el || el.tagName !== 'BUTTON') return false;
          el.click();
          return true;
        });
        if (clicked) return;
      }
      await d.press('Enter');
    },
    async type(text) {
      await page.keyboard.type(text);
    },
    /** page.evaluate(fn, arg) in either browser. */
    evaluate(fn, arg) {
      return page.evaluate(fn, arg);
    },
    /** Polls `fn(arg)` in the page until it is truthy; resolves to its value. */
    async waitFor(fn, arg, timeout = TIMEOUT) {
      const handle = kind === 'playwright'
        ? await page.waitForFunction(fn, arg, { timeout, polling: 100 })
        : await page.waitForFunction(fn, { timeout, polling: 100 }, arg);
      const value = await handle.jsonValue().catch(() => true);
      await handle.dispose().catch(() => {});
      return value;
    },
    /** textContent of the first match (shadow roots reached with >>>), or null. */
    text(sel) {
      return page.evaluate(deepQuery, [sel, 'text']);
    },
    count(sel) {
      return page.evaluate(deepQuery, [sel, 'count']);
    },
    attr(sel, attr) {
      return page.evaluate(deepQuery, [sel, 'attr', attr]);
    },
    /** The focused element (inside shadow roots too): {tag, name, text, label, id, href, outline}. */
    focused() {
      return page.evaluate(() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el || el === document.body) return null;
        const s = getComputedStyle(el);
        return { tag: el.tagName, name: el.getAttribute('name'), text: el.textContent.trim(), label: el.getAttribute('aria-label'),
          id: el.id, href: el.getAttribute('href'), type: el.getAttribute('type'), value: 'value' in el ? el.value : null,
          outline: `${s.outlineStyle} ${s.outlineWidth}`, focusVisible: el.matches(':focus-visible') };
      });
    },
    /** Presses Tab (or Shift+Tab) until `match(focused)` holds; fails after `max` presses. */
    async tabTo(match, { max = 40, back = false } = {}) {
      for (let i = 0; i < max; i++) {
        await d.press(back ? 'Shift+Tab' : 'Tab');
        const f = await d.focused();
        if (f && match(f)) return f;
      }
      throw new Error(`tabTo: nothing matching was reached in ${max} presses (focus: ${JSON.stringify(await d.focused())})`);
    },
    /** axe-core (WCAG 2.0/2.1 A and AA, best practices) on the whole page, shadow roots included. */
    async axe() {
      if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
        await page.evaluate(readFileSync(AXE, 'utf8'));
      }
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
          resultTypes: ['violations'],
        });
        return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
      });
      return violations;
    },
    /** Writes artifacts/screenshots/<name>.png. */
    async screenshot(shot, { fullPage = false } = {}) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage });
    },
    async setViewport(vp) {
      if (kind === 'playwright') await page.setViewportSize(vp);
      else await page.setViewport(vp);
    },
    async close() {
      await close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return d;
}

/** In the page: the first match of a selector that may cross shadow roots with ">>>". */
function deepQuery([sel, what, attr]) {
  const parts = sel.split(/\s*>>>\s*/);
  let roots = [document];
  for (let i = 0; i < parts.length; i++) {
    const found = roots.flatMap((r) => [...r.querySelectorAll(parts[i])]);
    if (i === parts.length - 1) {
      if (what === 'count') return found.length;
      const el = found[0];
      if (!el) return null;
      return what === 'attr' ? el.getAttribute(attr) : el.textContent;
    }
    roots = found.map((el) => el.shadowRoot).filter(Boolean);
  }
  return null;
}
