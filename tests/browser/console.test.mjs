// The staff console (/admin) in Chromium and Firefox (tests/browser/driver.mjs) against the real
// Worker under wrangler dev with seeded local D1 and the role tokens of .dev.vars.example: every
// view with axe-core and a screenshot (laptop and tablet), and the flows of issue 11: work a ticket
// from open to resolved with a note, approve a return and see its status from the widget, find a
// question in the unanswered list and export it, keyboard-only triage of the ticket queue.
//
//   scripts/browser-test tests/browser/console.test.mjs      (BROWSERS=firefox to run one browser)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { launch, BROWSERS } from './driver.mjs';
import { startConciergeWorker, enabledShopper, sql, request } from './fixture.mjs';
import { devVarsExample } from '../e2e/lib.mjs';

const TOKENS = devVarsExample();
const TOKEN = { support: TOKENS.SUPPORT_TOKEN, merchandiser: TOKENS.MERCHANDISER_TOKEN, admin: TOKENS.ADMIN_TOKEN };
const TABLET = { width: 768, height: 1024 };
const PAGE = 25; // the console's page size (public/admin/admin.js)

let worker;
let base;
let shopper;
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
/** Letters only, so the engine's normalisation keeps it whole in the unanswered text. */
const word = (n) => [...`${n}${run}`].map((c) => String.fromCharCode(97 + (parseInt(c, 36) % 26))).join('');

before(async () => {
  for (const [role, t] of Object.entries(TOKEN)) assert.ok(t, `.dev.vars.example has no ${role} token`);
  worker = await startConciergeWorker({ vars: TOKENS });
  base = worker.url;
  shopper = await enabledShopper(base);
});

after(async () => {
  if (worker) await worker.stop();
});

const auth = (role) => ({ authorization: `Bearer ${TOKEN[role]}` });

async function api(method, path, body, role) {
  const res = await request(base, method, path, { body, headers: role ? auth(role) : {} });
  assert.ok(res.status < 500, `${method} ${path} → ${res.status}: ${res.text}`);
  return res;
}

/** A new stylist ticket for `email`, with a two-line transcript; resolves to its id. */
async function newTicket(email, topic = 'Engagement ring advice') {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const res = await api('POST', '/v1/escalations', {
    session_id: `s-console-${run}-${Math.random().toString(36).slice(2, 10)}`, email, name: 'Console Test', topic,
    message: 'Could a stylist help me choose a solitaire?',
    transcript: [{ role: 'shopper', text: 'I am looking for a solitaire engagement ring', at }, { role: 'concierge', text: 'A stylist would love to help.', at }],
  });
  assert.equal(res.status, 201, res.text);
  return res.body.ticket_id;
}

/** A delivered order whose first item can be returned; resolves to {order_number, email, sku}. */
async function eligibleOrder() {
  const [order] = await worker.d1(`SELECT o.order_number, o.email, i.sku FROM orders o JOIN order_items i ON i.order_number = o.order_number
    WHERE o.status = 'delivered' AND o.delivered_at IS NOT NULL ORDER BY o.delivered_at DESC, o.order_number LIMIT 1`);
  assert.ok(order, 'the seed has a recently delivered order');
  return order;
}

async function newReturn(order, reason = 'It does not suit me after all.') {
  const res = await api('POST', '/v1/returns', { order_number: order.order_number, email: order.email, sku: order.sku, kind: 'return', reason });
  assert.equal(res.status, 201, res.text);
  return res.body.return_id;
}

/** Waits until the console has drawn the view for the current hash and no API call is in flight. */
async function settled(d) {
  await d.waitFor(() => {
    const main = document.querySelector('main');
    return document.documentElement.dataset.pending === '0' && main.dataset.ready === location.hash && !main.querySelector('.loading');
  }, null, 60_000);
}

/** Waits until no API call is in flight (after a filter, a PATCH, a "Load more"). */
async function idle(d) {
  await d.waitFor(() => document.documentElement.dataset.pending === '0' && !document.querySelector('form[aria-busy="true"]'), null, 60_000);
}

async function signIn(d, role, hash = '') {
  await d.goto(`${base}/admin/${hash}`);
  await d.visible('input[name=token]');
  await d.fill('input[name=token]', TOKEN[role]);
  await d.press('Enter');
  await d.visible('#nav a');
  await settled(d);
}

async function go(d, hash) {
  await d.evaluate((h) => { location.hash = h; }, hash);
  await settled(d);
}

async function check(d, name, { fullPage = true } = {}) {
  await d.screenshot(`console-${name}-${d.name}`, { fullPage });
  assert.deepEqual(await d.axe(), [], `axe violations in ${name} (${d.name})`);
}

const rows = (d) => d.evaluate(() => [...document.querySelectorAll('main tbody tr')].map((tr) => tr.dataset.ticketId || tr.dataset.returnId || tr.textContent));

/** Polls the text of `sel` until `pred(text)` holds; returns it. */
async function textUntil(d, sel, pred, what) {
  const until = Date.now() + 30_000;
  let got;
  while (Date.now() < until) {
    got = await d.text(sel);
    if (got != null && pred(got)) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: ${JSON.stringify(got)}`);
}

/** The page does not scroll sideways (tables scroll inside their own region). */
async function noSidewaysScroll(d, where) {
  const { sw, iw } = await d.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
  assert.ok(sw <= iw, `${where}: the page is ${sw}px wide in a ${iw}px window`);
}

test('/admin and /admin/ both serve the console from static assets', async () => {
  for (const path of ['/admin', '/admin/']) {
    const res = await fetch(base + path);
    const html = await res.text();
    assert.equal(res.status, 200, `${path} → ${res.status}`);
    assert.match(html, /<script src="\/admin\/admin\.js" defer><\/script>/, `${path} is the console page`);
    assert.equal(res.headers.get('x-rules-version'), null, `${path} is a static asset (the Worker did not run)`);
    assert.match(res.headers.get('content-security-policy') || '', /script-src 'self'.*frame-ancestors 'none'/, `${path} has the console's CSP (public/_headers)`);
  }
  for (const [path, type] of [['/admin/admin.js', /javascript/], ['/admin/admin.css', /css/]]) {
    const res = await fetch(base + path);
    await res.arrayBuffer();
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), type, path);
  }
  const me = await api('GET', '/v1/admin/me', undefined, 'support');
  assert.deepEqual(me.body, { actor: 'token:support', role: 'support', via: 'token' });
});

for (const browser of BROWSERS) {
  describe(`staff console in ${browser}`, () => {
    /** A fresh browser for one test; `options` go to launch(). */
    async function withBrowser(options, body) {
      const d = await launch(browser, options);
      try {
        await body(d);
        assert.deepEqual(d.problems, [], 'no page errors');
      } finally {
        await d.close();
      }
    }

    test('sign-in: shown only on 401; a wrong token is refused; each role sees its views', async () => {
      await withBrowser({}, async (d) => {
        await d.goto(`${base}/admin`);
        await d.visible('input[name=token]');
        assert.equal((await d.focused()).name, 'token', 'focus starts in the token field');
        assert.equal(await d.count('#nav a'), 0, 'no views before signing in');
        await check(d, 'signin');

        await d.fill('input[name=token]', 'not-a-staff-token');
        await d.press('Enter');
        await d.visible('[data-err=token]:not([hidden])');
        assert.equal(await d.text('[data-err=token]'), 'That token was not accepted.');
        assert.equal(await d.attr('input[name=token]', 'aria-invalid'), 'true');
        await check(d, 'signin-refused');

        await d.fill('input[name=token]', TOKEN.support);
        await d.press('Enter');
        await d.visible('#nav a');
        await settled(d);
        assert.deepEqual(await d.evaluate(() => [...document.querySelectorAll('#nav a')].map((a) => a.textContent)), ['Tickets', 'Returns']);
        assert.equal(await d.evaluate(() => location.hash), '#tickets', 'support starts on the ticket queue');
        assert.equal(await d.text('[data-actor]'), 'token:support');
        assert.equal(await d.evaluate(() => sessionStorage.getItem('aurora_staff_token')), TOKEN.support, 'the token is kept for this tab');

        await go(d, '#analytics');
        assert.equal(await d.text('main h1'), 'Not available for your role');

        // A reload keeps the session (sessionStorage); signing out forgets it.
        await d.goto(`${base}/admin/#returns`);
        await d.visible('#nav a');
        await settled(d);
        assert.equal(await d.text('main h1'), 'Returns');
        await d.clickText('#who button', 'Sign out');
        await d.visible('input[name=token]');
        assert.equal(await d.evaluate(() => sessionStorage.getItem('aurora_staff_token')), null);

        await d.fill('input[name=token]', TOKEN.merchandiser);
        await d.press('Enter');
        await d.visible('#nav a');
        await settled(d);
        assert.deepEqual(await d.evaluate(() => [...document.querySelectorAll('#nav a')].map((a) => a.textContent)), ['Unanswered questions', 'Analytics', 'Satisfaction']);
        await go(d, '#tickets');
        assert.equal(await d.text('main h1'), 'Not available for your role');
        await go(d, '#ticket/TCK-000000');
        assert.equal(await d.text('main h1'), 'Not available for your role');
      });
    });

    test('tickets: work a ticket from open to resolved with a note; paging with "Load more"', async () => {
      const email = `console.work.${browser}.${run}@example.com`;
      const id = await newTicket(email);
      // Enough tickets for two pages of the queue.
      const have = (await worker.d1('SELECT COUNT(*) AS n FROM tickets'))[0].n;
      for (let i = have; i < PAGE + 5; i++) await newTicket(`console.page.${i}.${run}@example.com`, `Paging ${i}`);
      await withBrowser({}, async (d) => {
        await signIn(d, 'admin');
        assert.equal(await d.evaluate(() => location.hash), '#tickets', 'admin starts on the ticket queue');
        const first = await rows(d);
        assert.equal(first.length, PAGE, 'one page of tickets');
        assert.equal(await d.count('main button.more:not([hidden])'), 1, '"Load more" is offered');
        await check(d, 'tickets');
        await d.click('main button.more');
        await d.waitFor((n) => document.querySelectorAll('main tbody tr').length > n, PAGE);
        await idle(d);
        const all = await rows(d);
        assert.equal(new Set(all).size, all.length, 'no ticket is listed twice');
        assert.deepEqual(all.slice(0, PAGE), first, 'the next page is appended');
        assert.equal((await d.focused()).text, all[PAGE], 'focus moves to the first new ticket');

        // Search by email, open the ticket.
        await d.fill('main form.filters input[name=q]', email);
        await d.click('main form.filters button[type=submit]');
        await d.waitFor((want) => [...document.querySelectorAll('main tbody tr')].map((tr) => tr.dataset.ticketId).join() === want, id);
        await d.click(`main tr[data-ticket-id="${id}"] a`);
        await settled(d);
        assert.equal(await d.evaluate(() => location.hash), `#ticket/${id}`);
        assert.match(await d.text('main h1'), new RegExp(`Ticket ${id}`));
        assert.equal(await d.text('main dd[data-field=status]'), 'Open');
        assert.deepEqual(await d.evaluate(() => [...document.querySelectorAll('.transcript li p')].map((p) => p.textContent)),
          ['I am looking for a solitaire engagement ring', 'A stylist would love to help.'], 'the conversation is attached');
        await check(d, 'ticket');

        await d.click('main button[value=me]');
        await textUntil(d, 'main dd[data-field=assignee]', (t) => t === 'token:admin', 'assigned to me');
        const note = `Called the shopper; sending three solitaires (${run}).`;
        await d.fill('main textarea[name=note]', note);
        await d.clickText('main button', 'Add note');
        await d.visible('main .history li[data-kind=note]');
        assert.equal(await d.evaluate(() => document.querySelector('main textarea[name=note]').value), '', 'the note field is emptied');
        await d.fill('main select[name=status]', 'resolved');
        await d.clickText('main button', 'Update status');
        await textUntil(d, 'main dd[data-field=status]', (t) => t === 'Resolved', 'status shown');
        await textUntil(d, '#status', (t) => t === 'Status changed to Resolved.', 'the change is announced');
        await d.fill('main textarea[name=note]', 'A second note does not replace the first.');
        await d.clickText('main button', 'Add note');
        await d.waitFor(() => document.querySelectorAll('main .history li[data-kind=note]').length === 2);
        assert.deepEqual(await d.evaluate(() => [...document.querySelectorAll('main .history li')].map((li) => li.dataset.kind)),
          ['created', 'assigned', 'note', 'status', 'note'], 'the history is append-only, oldest first');
        assert.match(await d.text('main .history'), /token:admin/, 'the history says who');
        await check(d, 'ticket-resolved');

        const detail = await api('GET', `/v1/admin/tickets/${id}`, undefined, 'admin');
        assert.equal(detail.body.ticket.status, 'resolved');
        assert.equal(detail.body.ticket.assignee, 'token:admin');
        const notes = detail.body.events.filter((e) => e.kind === 'note');
        assert.deepEqual(notes.map((e) => e.note), [note, 'A second note does not replace the first.']);
        assert.ok(detail.body.events.filter((e) => e.kind !== 'created').every((e) => e.actor === 'token:admin'), JSON.stringify(detail.body.events));

        // Back to the queue: the filter is kept; then the tablet layout.
        await d.click('main a.back');
        await settled(d);
        assert.equal(await d.evaluate(() => document.querySelector('main input[name=q]').value), email);
        // The status and assignee filters find it; another status does not.
        for (const [status, assignee, want] of [['resolved', 'token:admin', id], ['open', '', '']]) {
          await d.fill('main form.filters select[name=status]', status);
          await d.fill('main form.filters input[name=assignee]', assignee);
          await d.click('main form.filters button[type=submit]');
          await d.waitFor((w) => document.documentElement.dataset.pending === '0'
            && [...document.querySelectorAll('main tbody tr')].map((tr) => tr.dataset.ticketId).join() === w
            && (w || document.querySelector('main p.empty:not([hidden])')), want);
        }
        await d.setViewport(TABLET);
        await go(d, `#ticket/${id}`);
        await noSidewaysScroll(d, 'ticket at 768 px');
        await check(d, 'ticket-tablet');
        await go(d, '#tickets');
        await noSidewaysScroll(d, 'tickets at 768 px');
        await check(d, 'tickets-tablet');
      });
    });

    test('tickets: keyboard-only triage of the queue', async () => {
      const email = `console.keys.${browser}.${run}@example.com`;
      const ids = [await newTicket(email, 'Keyboard one'), await newTicket(email, 'Keyboard two')];
      await withBrowser({}, async (d) => {
        await d.goto(`${base}/admin`);
        await d.visible('input[name=token]');
        await d.type(TOKEN.support);
        await d.press('Enter');
        await d.visible('#nav a');
        await settled(d);
        assert.equal((await d.focused()).tag, 'H1', 'focus goes to the view heading');

        await d.tabTo((f) => f.name === 'q');
        await d.type(email);
        await d.press('Enter');
        await d.waitFor((n) => document.querySelectorAll('main tbody tr').length === n, 2);
        await idle(d);
        const link = await d.tabTo((f) => f.tag === 'A' && ids.includes(f.text));
        if (browser === 'chromium' || link.focusVisible) assert.match(link.outline, /solid [1-9]/, 'the focused link has a visible outline');
        await d.press('Enter');
        await settled(d);
        assert.equal((await d.focused()).tag, 'H1', 'focus moves to the ticket heading');
        await check(d, 'ticket-keyboard', { fullPage: false });

        await d.tabTo((f) => f.tag === 'BUTTON' && f.text === 'Assign to me');
        await d.activate();
        await textUntil(d, 'main dd[data-field=assignee]', (t) => t === 'token:support', 'assigned by keyboard');
        await d.tabTo((f) => f.tag === 'SELECT' && f.name === 'status', { back: true });
        await d.press('ArrowDown'); // open → pending
        await d.waitFor(() => document.activeElement.value === 'pending');
        await d.tabTo((f) => f.text === 'Update status');
        await d.activate();
        await textUntil(d, 'main dd[data-field=status]', (t) => t === 'Pending', 'status changed by keyboard');
        await d.tabTo((f) => f.name === 'note');
        await d.type('Triaged from the keyboard.');
        await d.tabTo((f) => f.text === 'Add note');
        await d.activate();
        await d.visible('main .history li[data-kind=note]');

        await d.tabTo((f) => f.tag === 'A' && f.text === '← All tickets', { back: true, max: 60 });
        await d.press('Enter');
        await settled(d);
        assert.equal((await d.focused()).tag, 'H1');
        const statuses = await d.evaluate(() => [...document.querySelectorAll('main tbody tr')].map((tr) => [tr.dataset.ticketId, tr.querySelector('.badge').dataset.status]));
        assert.equal(statuses.length, 2, 'the search is kept on the way back');
        assert.equal(new Map(statuses).get(ids.find((i) => i === link.text)), 'pending');
      });
    });

    test('returns: approve a return and see its status from the widget; deny needs a reason; follow to refunded', async () => {
      const order = await eligibleOrder();
      const approveId = await newReturn(order);
      const denyId = await newReturn(order, 'Changed my mind.');
      await withBrowser({ cookies: [{ name: 'aurora_uid', value: shopper, url: base }] }, async (d) => {
        await signIn(d, 'support', '#returns');
        await d.fill('main input[name=q]', order.order_number);
        await d.click('main form.filters button[type=submit]');
        await d.waitFor((want) => [...document.querySelectorAll('main tbody tr')].some((tr) => tr.dataset.returnId === want), approveId);
        await idle(d);
        await check(d, 'returns');

        await d.click(`main tr[data-return-id="${approveId}"] a`);
        await settled(d);
        assert.equal(await d.text('main dd[data-field=status]'), 'Requested');
        await check(d, 'return');
        await d.clickText('main button', 'Approve');
        await textUntil(d, 'main dd[data-field=status]', (t) => t === 'Approved', 'approved');
        assert.equal((await d.focused()).text, 'Decision', 'focus moves to the decision heading');
        await check(d, 'return-approved');

        // The shopper checks it from the widget with the id and their email.
        await d.goto(`${base}/demo`);
        await d.waitFor(() => document.querySelector('aurora-concierge')?.getAttribute('state') === 'ready');
        await d.click('aurora-concierge >>> button.launcher');
        await d.clickText('aurora-concierge >>> .chips button', 'Check a return');
        await d.fill('aurora-concierge >>> input[name=return_id]', approveId.toLowerCase());
        await d.fill('aurora-concierge >>> input[name=email]', order.email.toUpperCase());
        await d.click('aurora-concierge >>> form.panel button[type=submit]');
        await d.visible('aurora-concierge >>> [data-return-status]');
        assert.equal(await d.attr('aurora-concierge >>> [data-return-status]', 'data-return-status'), 'approved');
        assert.match(await d.text('aurora-concierge >>> [data-return-status]'), new RegExp(`${approveId}[\\s\\S]*Approved`));
        await d.screenshot(`widget-return-status-${browser}`);
        assert.deepEqual(await d.axe(), [], 'axe: widget return status');
        // Someone else's email gets the same answer as an unknown id.
        await d.clickText('aurora-concierge >>> .chips button', 'Check a return');
        await d.fill('aurora-concierge >>> input[name=return_id]', approveId);
        await d.fill('aurora-concierge >>> input[name=email]', 'someone.else@example.com');
        await d.click('aurora-concierge >>> form.panel button[type=submit]');
        await d.visible('aurora-concierge >>> form.panel .form-err:not([hidden])');

        // Deny needs a reason; then the approved one goes on to received and refunded.
        await d.goto(`${base}/admin/#return/${denyId}`);
        await d.visible('#nav a');
        await settled(d);
        await d.clickText('main button', 'Deny');
        await d.visible('main [data-err=reason]:not([hidden])');
        assert.equal(await d.attr('main textarea[name=reason]', 'aria-invalid'), 'true');
        assert.equal((await d.focused()).name, 'reason', 'focus goes to the missing reason');
        await d.fill('main textarea[name=reason]', 'Engraved pieces cannot be returned.');
        await d.clickText('main button', 'Deny');
        await textUntil(d, 'main dd[data-field=status]', (t) => t === 'Denied', 'denied');
        await go(d, `#return/${approveId}`);
        await d.clickText('main button', 'Mark received');
        await textUntil(d, 'main dd[data-field=status]', (t) => t === 'Received', 'received');
        await d.clickText('main button', 'Mark refunded');
        await textUntil(d, 'main dd[data-field=status]', (t) => t === 'Refunded', 'refunded');
        assert.deepEqual(await d.evaluate(() => [...document.querySelectorAll('main .history li')].length), 4, 'requested, approved, received, refunded');
        const detail = await api('GET', `/v1/admin/returns/${denyId}`, undefined, 'support');
        assert.equal(detail.body.return.status, 'denied');
        assert.equal(detail.body.return.decision_reason, 'Engraved pieces cannot be returned.');
        await d.setViewport(TABLET);
        await go(d, '#returns');
        await noSidewaysScroll(d, 'returns at 768 px');
        await check(d, 'returns-tablet');
      });
    });

    test('unanswered: find a question (redacted) and export it', async () => {
      const marker = word(browser === 'chromium' ? 1 : 2);
      const session = `s-unanswered-${marker}`;
      const text = `do you restore antique ${marker} brooches, write to jane.doe.${marker}@example.com`;
      const msg = await api('POST', '/v1/messages', { session_id: session, user_id: shopper, text });
      assert.equal(msg.status, 200, msg.text);
      let found = null;
      for (const until = Date.now() + 30_000; !found && Date.now() < until;) {
        const res = await api('GET', `/v1/admin/unanswered?q=${marker}`, undefined, 'merchandiser');
        assert.equal(res.status, 200, res.text);
        found = res.body.questions.find((q) => q.text.includes(marker));
        if (!found) await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(found, `"${text}" (intent ${msg.body.intent}, ${msg.body.confidence}) is stored as unanswered`);
      assert.doesNotMatch(found.text, /jane|@example/, `redacted: ${found.text}`);

      // The corpus has the question (placeholders become made-up stand-ins), never the real email.
      const corpusLine = (tsv) => {
        assert.doesNotMatch(tsv, new RegExp(`jane\\.doe\\.${marker}`), 'no personal data in the corpus');
        return tsv.split('\n').find((l) => l.includes(`antique ${marker} brooches`) && l.split('\t').length === 3);
      };
      await withBrowser({}, async (d) => {
        await signIn(d, 'merchandiser');
        assert.equal(await d.evaluate(() => location.hash), '#unanswered', 'merchandisers start on unanswered questions');
        await check(d, 'unanswered');
        await d.fill('main input[name=q]', marker);
        await d.press('Enter');
        await d.waitFor((m) => {
          const trs = [...document.querySelectorAll('main tbody tr')];
          return trs.length === 1 && trs[0].textContent.includes(m);
        }, marker);
        await idle(d);
        const row = await d.text('main tbody tr td.q');
        assert.equal(row, found.text);
        assert.match(row, /\{email\}/, 'the email shows as a placeholder');

        let download = null;
        if (browser === 'chromium') download = d.page.waitForEvent('download');
        await d.clickText('main button', 'Export corpus (TSV)');
        await textUntil(d, '#status', (t) => /^Downloaded .+\.tsv/.test(t), 'the export is announced');
        if (download) {
          const file = await (await download).path();
          assert.ok(corpusLine(readFileSync(file, 'utf8')), 'the downloaded corpus holds the question');
        }
        const tsv = await request(base, 'GET', '/v1/admin/unanswered/export', { headers: auth('merchandiser') });
        assert.equal(tsv.status, 200);
        assert.match(tsv.headers.get('content-type'), /text\/tab-separated-values/);
        assert.ok(corpusLine(tsv.text), 'the export route holds the question');
        await d.setViewport(TABLET);
        await d.evaluate(() => window.scrollTo(0, 0));
        await noSidewaysScroll(d, 'unanswered at 768 px');
        await check(d, 'unanswered-tablet');
      });
    });

    test('analytics and CSAT: charts and accessible tables from the admin JSON', async () => {
      const marker = word(browser === 'chromium' ? 3 : 4);
      const session = `s-csat-${marker}`;
      assert.equal((await api('POST', '/v1/messages', { session_id: session, user_id: shopper, text: 'rose gold rings under $500' })).status, 200);
      const rated = await api('POST', '/v1/csat', { session_id: session, score: 4, comment: `Lovely help ${marker}` });
      assert.equal(rated.status, 201, rated.text);
      const json = (await api('GET', '/v1/admin/analytics', undefined, 'merchandiser')).body;
      assert.equal(json.days.length, 30, 'the default range is the last 30 days');

      await withBrowser({}, async (d) => {
        await signIn(d, 'merchandiser', '#analytics');
        const days = await d.evaluate(() => [...document.querySelectorAll('main .tablewrap')][0].querySelectorAll('tbody tr').length);
        assert.equal(days, json.days.length, 'one table row per day of the range');
        const messages = await d.evaluate(() => [...document.querySelectorAll('main .cards li')].find((li) => li.querySelector('.k').textContent === 'Messages').querySelector('.v').textContent);
        assert.ok(Number(messages) >= json.messages, `the Messages card (${messages}) is the JSON's (${json.messages}) or later`);
        assert.ok(await d.count('main figure svg[role=img]') >= 5, 'charts per day, returns by reason, intent mix');
        const today = await d.evaluate(() => [...document.querySelectorAll('main .tablewrap')][0].querySelector('tbody tr:last-child time').getAttribute('datetime'));
        assert.equal(today, json.days[json.days.length - 1].day);
        await check(d, 'analytics');

        await d.clickText('main button', 'Last 7 days');
        await d.waitFor(() => [...document.querySelectorAll('main .tablewrap')][0]?.querySelectorAll('tbody tr').length === 7);
        await idle(d);

        await go(d, '#csat');
        await textUntil(d, 'main .comments', (t) => t.includes(`Lovely help ${marker}`), 'the comment is listed');
        assert.match(await d.text('main .comments li'), /4 of 5/);
        await check(d, 'csat');

        await d.setViewport(TABLET);
        await go(d, '#analytics');
        await noSidewaysScroll(d, 'analytics at 768 px');
        await check(d, 'analytics-tablet');
      });
    });
  });
}
