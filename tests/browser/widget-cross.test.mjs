// The widget in Chromium and Firefox (tests/browser/driver.mjs), against the real Worker under
// wrangler dev with seeded local D1: a representative subset of widget.test.mjs (which drives
// Chromium only, with playwright's request interception): discovery, filter chips, tracking by
// keyboard, a return request, a 360 px screen, a reload, the kill switch; plus the console-era features: the
// rating asked when a real conversation ends (once per session), the transcript sent with a
// stylist request, and keyboard use. axe-core on every state in both browsers.
//
//   scripts/browser-test tests/browser/widget-cross.test.mjs      (BROWSERS=firefox for one browser)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BROWSERS } from './driver.mjs';
import { startConciergeWorker, enabledShopper, sql } from './fixture.mjs';

const W = 'aurora-concierge >>> ';
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

for (const browser of BROWSERS) {
  describe(`widget in ${browser}`, () => {
    async function withWidget(options, body) {
      const d = await launch(browser, { ...options, cookies: [{ name: 'aurora_uid', value: shopper, url: base }] });
      try {
        await d.goto(`${base}/demo`);
        await d.waitFor(() => ['ready', 'off'].includes(document.querySelector('aurora-concierge')?.getAttribute('state')), null, 60_000);
        assert.equal(await d.attr('aurora-concierge', 'state'), 'ready', 'the widget shows for an enabled shopper');
        await body(d);
        assert.deepEqual(d.problems, [], 'no page errors');
      } finally {
        await d.close();
      }
    }

    async function check(d, name) {
      await d.screenshot(`widget-${name}-${browser}`);
      assert.deepEqual(await d.axe(), [], `axe violations in ${name} (${browser})`);
    }

    async function openWidget(d) {
      await d.click(`${W}button.launcher`);
      await d.visible(`${W}[role=dialog]`);
    }

    /** Sends a message and waits for its reply (the log is no longer busy). */
    async function send(d, text) {
      const before = await d.count(`${W}.msg.bot`);
      await d.fill(`${W}input[name=text]`, text);
      await d.press('Enter');
      await d.waitFor((n) => {
        const root = document.querySelector('aurora-concierge').shadowRoot;
        return root.querySelectorAll('.msg.bot').length > n && root.querySelector('[role=log]').getAttribute('aria-busy') === 'false';
      }, before, 60_000);
    }

    test('discovery: a search shows catalog products; axe on the open widget', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        assert.equal((await d.focused()).name, 'text', 'focus moves to the message field');
        await check(d, 'open');
        await send(d, 'rose gold rings under $500');
        await d.visible(`${W}.products li`);
        const skus = await d.evaluate(() => [...document.querySelector('aurora-concierge').shadowRoot.querySelectorAll('.products li')].map((li) => li.dataset.sku));
        const rows = await worker.d1(`SELECT sku, category, metal, price_cents FROM products WHERE sku IN (${skus.map(sql).join(',')})`);
        assert.equal(rows.length, skus.length, 'every card is a catalog product');
        assert.ok(rows.every((r) => r.category === 'rings' && r.metal === 'rose_gold' && r.price_cents <= 50000), JSON.stringify(rows));
        await check(d, 'products');
      });
    });

    test('tracking: the form finds a seeded order; Escape closes and focus returns to the launcher', async () => {
      const [order] = await worker.d1(`SELECT order_number, email, status FROM orders WHERE status = 'shipped' ORDER BY order_number LIMIT 1`);
      await withWidget({}, async (d) => {
        await openWidget(d);
        await d.clickText(`${W}.chips button`, 'Track an order');
        assert.equal((await d.focused()).name, 'order_number', 'focus moves into the form');
        await d.type(order.order_number);
        await d.press('Tab');
        await d.type(order.email);
        await d.press('Enter');
        await d.visible(`${W}[data-order="${order.order_number}"]`);
        assert.equal(await d.attr(`${W}[data-order] .status`, 'data-status'), order.status);
        await check(d, 'tracked');
        await d.press('Escape');
        await d.hidden(`${W}[role=dialog]`);
        assert.equal((await d.focused()).text, 'Ask our concierge', 'focus returns to the launcher (no rating without a conversation)');
      });
    });

    test('CSAT: closing after a real conversation asks once per session, for the session', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        await send(d, 'white gold necklaces');
        await d.click(`${W}button.close`);
        await d.visible(`${W}form.panel[aria-labelledby]`);
        assert.equal(await d.text(`${W}form.panel h3`), 'Before you go: how was this chat?');
        assert.equal(await d.count(`${W}[role=dialog]:not([hidden])`), 1, 'the dialog stays open for the question');
        await check(d, 'csat-on-close');
        await d.click(`${W}input[name=score][value="5"]`);
        await d.fill(`${W}textarea[name=comment]`, `Found it quickly (${browser}).`);
        await d.clickText(`${W}form.panel button`, 'Send rating');
        await d.visible(`${W}[data-csat]`);
        const session = await d.evaluate(() => sessionStorage.getItem('aurora_session'));
        const rows = await worker.d1(`SELECT ticket_id, score, comment FROM csat_responses WHERE session_id = ${sql(session)}`);
        assert.deepEqual(rows, [{ ticket_id: null, score: 5, comment: `Found it quickly (${browser}).` }]);
        await check(d, 'csat-thanks');
        await d.click(`${W}button.close`);
        await d.hidden(`${W}[role=dialog]`);
        // Once per session: another conversation and close do not ask again.
        await openWidget(d);
        await send(d, 'and in platinum?');
        await d.click(`${W}button.close`);
        await d.hidden(`${W}[role=dialog]`);
      });
    });

    test('CSAT: "No thanks, close" closes at once and is not asked again', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        await send(d, 'yellow gold earrings');
        await d.press('Escape');
        await d.visible(`${W}form.panel`);
        await d.clickText(`${W}form.panel button`, 'No thanks, close');
        await d.hidden(`${W}[role=dialog]`);
        await openWidget(d);
        await d.press('Escape');
        await d.hidden(`${W}[role=dialog]`);
      });
    });

    /** The filter chips' labels, in order ([] when the bar is hidden). */
    const chips = (d) => d.evaluate(() => {
      const bar = document.querySelector('aurora-concierge').shadowRoot.querySelector('.filters');
      return bar && !bar.hidden ? [...bar.querySelectorAll('.fchip > span')].map((el) => el.textContent) : [];
    });

    test('filters: chips show the search and a chip\'s × removes its slot, focus on a neighbour', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        await send(d, 'rose gold rings under $500');
        await d.waitFor(() => document.querySelector('aurora-concierge').shadowRoot.querySelectorAll('.fchip').length === 3);
        assert.deepEqual(await chips(d), ['Rings', 'Rose gold', 'Under $500']);
        await check(d, 'filter-chips');
        const before = await d.count(`${W}.msg.bot`);
        await d.click(`${W}button[aria-label="Remove filter: Rose gold"]`);
        await d.waitFor((n) => {
          const root = document.querySelector('aurora-concierge').shadowRoot;
          return root.querySelectorAll('.msg.bot').length > n && root.querySelector('[role=log]').getAttribute('aria-busy') === 'false';
        }, before, 60_000);
        assert.deepEqual(await chips(d), ['Rings', 'Under $500']);
        assert.match(String((await d.focused()).label), /^Remove filter: /, 'focus moves to a neighbouring chip');
      });
    });

    test('return: eligibility before submit, then one request stored', async () => {
      const [order] = await worker.d1(`SELECT o.order_number, o.email, i.sku FROM orders o JOIN order_items i ON i.order_number = o.order_number
        WHERE o.status = 'delivered' AND o.delivered_at IS NOT NULL ORDER BY o.delivered_at DESC, o.order_number LIMIT 1`);
      await withWidget({}, async (d) => {
        await openWidget(d);
        await d.clickText(`${W}.chips button`, 'Returns & resizing');
        await d.fill(`${W}input[name=order_number]`, order.order_number);
        await d.fill(`${W}input[name=email]`, order.email);
        await d.press('Enter');
        await d.visible(`${W}.eligibility`);
        assert.equal(await d.attr(`${W}.eligibility`, 'data-eligible'), 'true');
        if (await d.count(`${W}select[name=sku] option`) > 1) await d.fill(`${W}select[name=sku]`, order.sku);
        await d.click(`${W}input[name=kind][value=return]`);
        await d.fill(`${W}textarea[name=reason]`, `Not my style (${browser}).`);
        await check(d, 'return-form');
        await d.clickText(`${W}form.panel button`, 'Submit request');
        await d.visible(`${W}[data-return-id]`);
        const id = await d.attr(`${W}[data-return-id]`, 'data-return-id');
        const rows = await worker.d1(`SELECT kind, sku, reason FROM return_requests WHERE return_id = ${sql(id)}`);
        assert.deepEqual(rows, [{ kind: 'return', sku: order.sku, reason: `Not my style (${browser}).` }]);
      });
    });

    test('small screen: at 360 px the dialog fills the screen without sideways scrolling', async () => {
      await withWidget({ viewport: { width: 360, height: 740 } }, async (d) => {
        await openWidget(d);
        const box = await d.evaluate(() => {
          const r = document.querySelector('aurora-concierge').shadowRoot.querySelector('[role=dialog]').getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height, sw: document.documentElement.scrollWidth, iw: innerWidth, ih: innerHeight };
        });
        assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.w <= box.iw + 0.5 && box.y + box.h <= box.ih + 0.5, `the dialog fits: ${JSON.stringify(box)}`);
        assert.ok(box.sw <= box.iw, 'no sideways scrolling');
        await d.clickText(`${W}.chips button`, 'Talk to a stylist');
        await d.visible(`${W}input[name=topic]`);
        await check(d, 'stylist-360');
      });
    });

    test('stylist: the request carries the conversation so far', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        await send(d, 'I need an engagement ring with a sapphire');
        const reply = await d.evaluate(() => [...document.querySelector('aurora-concierge').shadowRoot.querySelectorAll('.msg.bot:not(.rich) > p')].at(-1).textContent);
        await d.clickText(`${W}.chips button`, 'Talk to a stylist');
        await d.fill(`${W}input[name=email]`, `cross.${browser}@example.com`);
        await d.fill(`${W}input[name=topic]`, 'Sapphire engagement ring');
        await d.clickText(`${W}form.panel button`, 'Request a stylist');
        await d.visible(`${W}[data-ticket-id]`);
        const ticket = await d.attr(`${W}[data-ticket-id]`, 'data-ticket-id');
        const [row] = await worker.d1(`SELECT messages FROM ticket_transcripts WHERE ticket_id = ${sql(ticket)}`);
        assert.ok(row, 'a transcript is stored with the ticket');
        const messages = JSON.parse(row.messages);
        assert.deepEqual(messages.map((m) => [m.role, m.text]), [['shopper', 'I need an engagement ring with a sapphire'], ['concierge', reply]]);
        await d.visible(`${W}input[name=score]`);
        await check(d, 'stylist-csat');
        // The ticket's rating was the question of this session: closing does not ask again.
        await d.click(`${W}button.close`);
        await d.hidden(`${W}[role=dialog]`);
      });
    });
    test('stylist: a request resolved since the last visit asks for its rating when the widget opens', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        await d.clickText(`${W}.chips button`, 'Talk to a stylist');
        await d.fill(`${W}input[name=email]`, `resolved.${browser}@example.com`);
        await d.fill(`${W}input[name=topic]`, 'Ring sizing');
        await d.fill(`${W}textarea[name=message]`, 'Which size should I order?');
        await d.clickText(`${W}form.panel button`, 'Request a stylist');
        await d.visible(`${W}[data-ticket-id]`);
        const ticket = await d.attr(`${W}[data-ticket-id]`, 'data-ticket-id');
        // Not rated now. Staff resolve it later; the shopper comes back.
        await worker.d1(`UPDATE tickets SET status = 'resolved' WHERE ticket_id = ${sql(ticket)}`);
        await d.goto(`${base}/demo`);
        await d.waitFor(() => document.querySelector('aurora-concierge')?.getAttribute('state') === 'ready', null, 60_000);
        await openWidget(d);
        await d.visible(`${W}[data-resolved-ticket="${ticket}"]`);
        await check(d, 'resolved-ticket-csat');
        await d.click(`${W}input[name=score][value="4"]`);
        await d.clickText(`${W}form.panel button`, 'Send rating');
        await d.visible(`${W}[data-csat]`);
        const rows = await worker.d1(`SELECT score FROM csat_responses WHERE ticket_id = ${sql(ticket)}`);
        assert.deepEqual(rows, [{ score: 4 }]);
        assert.equal(await d.evaluate(() => localStorage.getItem('aurora_ticket')), null, 'forgotten once rated');
      });
    });

    test('reload: the conversation (chips and context) survives a reload of the page', async () => {
      await withWidget({}, async (d) => {
        await openWidget(d);
        await send(d, 'rose gold rings');
        await d.waitFor(() => document.querySelector('aurora-concierge').shadowRoot.querySelectorAll('.fchip').length === 2);
        const kept = await d.evaluate(() => JSON.parse(sessionStorage.getItem('aurora_context')));
        assert.ok(kept && kept.context, 'the context is kept in sessionStorage');
        await d.goto(`${base}/demo`);
        await d.waitFor(() => document.querySelector('aurora-concierge')?.getAttribute('state') === 'ready', null, 60_000);
        await openWidget(d);
        assert.deepEqual(await chips(d), ['Rings', 'Rose gold'], 'the chips are back after the reload');
        await send(d, 'under $500');
        assert.deepEqual(await chips(d), ['Rings', 'Rose gold', 'Under $500'], 'the follow-up refines the kept search');
      });
    });

    test('kill switch: with ops:kill-switch on the widget renders nothing', async () => {
      await worker.kvPut('ops:kill-switch', 'on');
      try {
        const d = await launch(browser, { cookies: [{ name: 'aurora_uid', value: shopper, url: base }] });
        try {
          await d.goto(`${base}/demo`);
          await d.waitFor(() => ['ready', 'off'].includes(document.querySelector('aurora-concierge')?.getAttribute('state')), null, 60_000);
          assert.equal(await d.attr('aurora-concierge', 'state'), 'off');
          assert.equal(await d.attr('aurora-concierge', 'reason'), 'emergency_off');
          assert.equal(await d.evaluate(() => document.querySelector('aurora-concierge').shadowRoot), null, 'no shadow DOM');
          await d.screenshot(`widget-kill-switch-${browser}`);
          assert.deepEqual(await d.axe(), []);
        } finally {
          await d.close();
        }
      } finally {
        await worker.kvDelete('ops:kill-switch');
      }
    });
  });
}
