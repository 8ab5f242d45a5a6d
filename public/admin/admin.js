/*! Aurora Concierge staff console (/admin). Framework-free, like the widget. It asks
 * GET /v1/admin/me first: behind Cloudflare Access the JWT header comes with every request, so no
 * sign-in is needed; a 401 shows the sign-in form, which takes a bearer role token (local work and
 * scripts) kept in sessionStorage for this tab only. Views follow the role (support → tickets and
 * returns; merchandiser → unanswered questions, analytics and CSAT; admin → all) and the URL hash:
 * #tickets, #ticket/<id>, #returns, #return/<id>, #unanswered, #analytics, #csat. API: docs/api.md. */
(() => {
  'use strict';

  const TOKEN_KEY = 'aurora_staff_token';
  const PAGE = 25;
  const VIEWS = {
    tickets: { title: 'Tickets', roles: ['support', 'admin'] },
    returns: { title: 'Returns', roles: ['support', 'admin'] },
    unanswered: { title: 'Unanswered questions', roles: ['merchandiser', 'admin'] },
    analytics: { title: 'Analytics', roles: ['merchandiser', 'admin'] },
    csat: { title: 'Satisfaction', roles: ['merchandiser', 'admin'] },
  };
  const DETAIL = { ticket: 'tickets', return: 'returns' };
  const TICKET_STATUSES = ['open', 'pending', 'resolved', 'closed'];
  const RETURN_STATUSES = ['requested', 'approved', 'denied', 'received', 'refunded', 'resized', 'exchanged'];
  const COMPLETE = { return: 'refunded', resize: 'resized', exchange: 'exchanged' };
  const ROLE_TEXT = { support: 'Support', merchandiser: 'Merchandiser', admin: 'Admin' };
  const CSAT_TEXT = ['', 'Poor', 'Fair', 'Good', 'Very good', 'Excellent'];

  const $ = (sel, root = document) => root.querySelector(sel);
  const main = $('#main');
  const nav = $('#nav');
  const who = $('#who');
  const statusEl = $('#status');

  let me = null;
  let gen = 0; // bumps on every navigation: answers for an old view are dropped
  let seq = 0;
  const nid = (p) => `c-${p}-${++seq}`;
  const state = { tickets: {}, returns: {}, unanswered: {}, analytics: {}, csat: {} };

  // ---- small helpers ---------------------------------------------------------------------------

  /** h('p', {class: 'x', onclick: f}, 'text', child): text is never parsed as HTML. */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat(Infinity)) if (kid != null && kid !== false) el.append(kid.nodeType ? kid : String(kid));
    return el;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
    for (const kid of kids.flat(Infinity)) if (kid != null && kid !== false) el.append(kid.nodeType ? kid : String(kid));
    return el;
  }
  const label = (id) => String(id == null ? '' : id).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const dateTime = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' });
  const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
  const shortDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const thisYear = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  /** A <time> for an ISO instant, in the viewer's zone; the year only when it is not this year. */
  const when = (iso) => {
    const d = iso ? new Date(iso) : null;
    if (!d || isNaN(d)) return '—';
    const f = d.getFullYear() === new Date().getFullYear() ? thisYear : dateTime;
    return h('time', { datetime: iso, title: dateTime.format(d) }, f.format(d));
  };
  const dayText = (day, f = dayFmt) => {
    const d = new Date(`${day}T00:00:00Z`);
    return isNaN(d) ? String(day) : f.format(d);
  };
  const pct = (x) => (x == null || isNaN(x) ? '—' : `${(Number(x) * 100).toFixed(1)}%`);
  const avg = (x) => (x == null || isNaN(x) ? '—' : Number(x).toFixed(2));
  const isoDay = (d) => d.toISOString().slice(0, 10);
  const addDays = (day, n) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000));
  const qs = (params) => {
    const out = Object.entries(params).filter(([, v]) => v != null && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return out ? `?${out}` : '';
  };
  const can = (view) => !!me && VIEWS[view].roles.includes(me.role);
  const allowed = () => Object.keys(VIEWS).filter(can);

  /** Says `text` in the polite live region (cleared first so a repeat is announced again). */
  function announce(text) {
    statusEl.textContent = '';
    setTimeout(() => { statusEl.textContent = text; }, 30);
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
  }
  function setToken(t) {
    try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch { /* storage blocked */ }
  }

  /** One API call; never throws. Resolves to {ok, status, data, error, blob?}. A 401 shows the sign-in. */
  async function api(...args) {
    // <html data-pending="n">: API calls in flight (tests wait for 0 instead of sleeping).
    const root = document.documentElement;
    root.dataset.pending = Number(root.dataset.pending || 0) + 1;
    try {
      return await call(...args);
    } finally {
      root.dataset.pending = Number(root.dataset.pending) - 1;
    }
  }

  async function call(method, path, body, { raw = false, signin = false } = {}) {
    const headers = { Accept: raw ? 'text/tab-separated-values, */*' : 'application/json' };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (body) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin', cache: 'no-store' });
    } catch {
      return { ok: false, status: 0, data: null, error: { code: 'network', message: 'The console could not reach the server. Check the connection and try again.' } };
    }
    if (raw && res.ok) return { ok: true, status: res.status, blob: await res.blob(), headers: res.headers };
    let data = null;
    try { data = await res.json(); } catch { /* empty or not JSON */ }
    const error = res.ok ? null : (data && data.error) || { code: `http_${res.status}`, message: `The server answered ${res.status}.` };
    if (res.status === 401 && !signin) {
      setToken(null);
      me = null;
      showSignIn('Your session has ended. Sign in again.');
    }
    if (res.status === 403 && error) error.message = `Your role cannot do this (${error.message})`;
    return { ok: res.ok, status: res.status, data, error };
  }

  /** "`email` is not valid" → "Email is not valid." */
  const sentence = (msg) => {
    const t = String(msg || '').replace(/`([^`]*)`/g, (_, tok) => tok.replace(/_/g, ' ')).trim();
    return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?)]$/.test(t) ? '' : '.') : '';
  };

  // ---- forms -----------------------------------------------------------------------------------

  /** A labelled control with an optional hint and an error slot, wired by aria-describedby. */
  function field({ name, text, type = 'text', value, hint, options, optional, attrs = {}, cls = '' }) {
    const id = nid(name);
    const hintId = hint ? `${id}-hint` : null;
    let input;
    if (type === 'select') input = h('select', { id, name, ...attrs }, options.map(([v, t]) => h('option', { value: v }, t)));
    else if (type === 'textarea') input = h('textarea', { id, name, rows: '3', ...attrs });
    else input = h('input', { id, name, type, ...attrs });
    if (value != null) input.value = value;
    if (hintId) input.setAttribute('aria-describedby', hintId);
    input.dataset.hint = hintId || '';
    return h('div', { class: `field ${cls}` },
      h('label', { for: id }, text, optional ? h('span', { class: 'opt' }, ' (optional)') : null),
      hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
      input,
      h('p', { class: 'err', id: `${id}-err`, 'data-err': name, hidden: true }));
  }

  function clearErrors(form) {
    form.querySelectorAll('.err').forEach((p) => { p.hidden = true; p.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach((el) => {
      el.removeAttribute('aria-invalid');
      if (el.dataset.hint) el.setAttribute('aria-describedby', el.dataset.hint); else el.removeAttribute('aria-describedby');
    });
    const fe = form.querySelector('.form-err');
    if (fe) { fe.hidden = true; fe.textContent = ''; }
  }

  /** Shows an error next to its field (or at the form's top) and focuses the field. */
  function showError(form, error) {
    const name = String(error.field || '').split('.').pop();
    const slot = name && form.querySelector(`[data-err="${name}"]`);
    const message = sentence(error.message);
    if (!slot) {
      const fe = form.querySelector('.form-err');
      fe.textContent = message;
      fe.hidden = false;
      return;
    }
    slot.textContent = message;
    slot.hidden = false;
    const el = form.elements.namedItem(name);
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', [el.dataset.hint, slot.id].filter(Boolean).join(' '));
    el.focus();
  }

  /** A form whose submit runs `onSubmit(form)` once at a time, with a busy button. */
  function form(props, kids, onSubmit) {
    const f = h('form', { novalidate: true, ...props }, h('p', { class: 'form-err', role: 'alert', hidden: true }), kids);
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (f._busy) return;
      const button = e.submitter || f.querySelector('button[type=submit]');
      clearErrors(f);
      f._busy = true;
      f.setAttribute('aria-busy', 'true');
      if (button) button.setAttribute('aria-disabled', 'true');
      try {
        await onSubmit(f, button);
      } finally {
        f._busy = false;
        f.setAttribute('aria-busy', 'false');
        if (button) button.removeAttribute('aria-disabled');
      }
    });
    return f;
  }
  const submit = (text, extra = {}) => h('button', { class: 'btn', type: 'submit', ...extra }, text);
  const values = (f) => Object.fromEntries([...f.elements].filter((el) => el.name).map((el) => [el.name, el.value.trim()]));

  /** A table in a focusable scroll region (tablets scroll it sideways). cols: [[text, cls]]. */
  function table(caption, cols, rows) {
    const capId = nid('cap');
    return h('div', { class: 'tablewrap', role: 'region', 'aria-labelledby': capId, tabindex: '0' },
      h('table', null,
        h('caption', { id: capId }, caption),
        h('thead', null, h('tr', null, cols.map(([t, cls]) => h('th', { scope: 'col', class: cls || null }, t)))),
        h('tbody', null, rows)));
  }

  // ---- shell: sign-in, header, navigation, routing -----------------------------------------------

  function setMain(...kids) {
    main.replaceChildren(...kids);
    main.setAttribute('aria-busy', 'false');
  }

  function focusHeading() {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus({ preventScroll: false });
  }

  function showSignIn(message) {
    gen++;
    nav.hidden = true;
    nav.replaceChildren();
    who.replaceChildren();
    document.title = 'Sign in · Staff console · Aurora Concierge';
    const f = form({ class: 'panel stack', 'aria-labelledby': 'signin-h' }, [
      field({ name: 'token', text: 'Staff token', type: 'password', hint: 'The support, merchandiser or admin token from the shop\'s settings.', attrs: { autocomplete: 'off', spellcheck: 'false', required: true } }),
      h('div', { class: 'actions' }, submit('Sign in')),
    ], async (f) => {
      const t = f.elements.token.value.trim();
      if (!t) return showError(f, { field: 'token', message: 'Enter your staff token.' });
      setToken(t);
      const res = await api('GET', '/v1/admin/me', null, { signin: true });
      if (!res.ok) {
        setToken(null);
        return showError(f, res.status === 401 ? { field: 'token', message: 'That token was not accepted.' } : res.error);
      }
      me = res.data;
      announce(`Signed in as ${ROLE_TEXT[me.role] || me.role}.`);
      startConsole(true);
    });
    setMain(
      h('h1', { tabindex: '-1', id: 'signin-h' }, 'Sign in'),
      h('p', { class: 'lead' }, 'In the shop the console opens through Cloudflare Access with your staff account. For local work and scripts, sign in with a staff token; it is kept for this browser tab only.'),
      message ? h('p', { class: 'notice', role: 'alert' }, message) : null,
      f);
    f.elements.token.focus();
  }

  function signOut() {
    setToken(null);
    me = null;
    if (location.hash) history.replaceState(null, '', location.pathname);
    showSignIn();
    announce('Signed out.');
  }

  function renderShell() {
    const items = allowed().map((v) => h('li', null, h('a', { href: `#${v}`, 'data-view': v }, VIEWS[v].title)));
    nav.replaceChildren(h('ul', null, items));
    nav.hidden = false;
    who.replaceChildren(
      h('span', null, 'Signed in as ', h('strong', { 'data-actor': me.actor }, me.actor), ` · ${ROLE_TEXT[me.role] || me.role}`),
      me.via === 'access'
        ? h('a', { class: 'btn ghost', href: '/cdn-cgi/access/logout' }, 'Sign out')
        : h('button', { class: 'btn ghost', type: 'button', onclick: signOut }, 'Sign out'));
  }

  function startConsole(focus) {
    renderShell();
    route(focus);
  }

  /** The current hash as [view, id]: "#ticket/TCK-1" → ['ticket', 'TCK-1']. */
  function parseHash() {
    const raw = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
    const [view, ...rest] = raw.split('/');
    return [view, rest.join('/')];
  }

  function route(focus = true) {
    if (!me) return;
    const [view, id] = parseHash();
    const first = allowed()[0];
    const section = DETAIL[view] || view;
    nav.querySelectorAll('a').forEach((a) => {
      if (a.dataset.view === section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
    const my = ++gen;
    main.removeAttribute('data-ready');
    if (!view || (!VIEWS[view] && !DETAIL[view])) {
      if (first) { history.replaceState(null, '', `#${first}`); route(focus); return; }
      return setMain(h('h1', { tabindex: '-1' }, 'Nothing to show'), h('p', null, 'Your role has no console views.'));
    }
    if (!can(section)) {
      document.title = `Not available · Staff console`;
      setMain(h('h1', { tabindex: '-1' }, 'Not available for your role'),
        h('p', null, `${VIEWS[section].title} is for ${VIEWS[section].roles.map((r) => ROLE_TEXT[r]).join(' and ')} staff. `,
          first ? h('a', { href: `#${first}` }, `Go to ${VIEWS[first].title}`) : null));
      main.dataset.ready = location.hash;
      if (focus) focusHeading();
      return;
    }
    main.setAttribute('aria-busy', 'true');
    const views = { tickets: ticketsView, ticket: ticketView, returns: returnsView, return: returnView, unanswered: unansweredView, analytics: analyticsView, csat: csatView };
    document.title = `${view === 'ticket' ? `Ticket ${id}` : view === 'return' ? `Return ${id}` : VIEWS[view].title} · Staff console`;
    Promise.resolve(views[view](my, id)).then(() => {
      if (my !== gen) return;
      main.setAttribute('aria-busy', 'false');
      main.dataset.ready = location.hash;
      if (focus) focusHeading();
    });
  }

  const stale = (my) => my !== gen;

  function loadingView(title) {
    setMain(h('h1', { tabindex: '-1' }, title), h('p', { class: 'loading' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), 'Loading…'));
    main.setAttribute('aria-busy', 'true');
  }

  function failView(title, res, back) {
    setMain(back || null, h('h1', { tabindex: '-1' }, title), h('p', { class: 'notice bad', role: 'alert' }, sentence(res.error.message)));
  }

  // ---- queues (tickets, returns, unanswered): filters, table, "Load more" ---------------------------

  /**
   * A paged list: `fetchPage(cursor)` resolves to {items, next}; `row(item)` makes a <tr>.
   * Returns {node, reload()}. "Load more" appends and moves focus to the first new row's link.
   */
  function pagedTable({ caption, cols, row, fetchPage, noun, empty, my }) {
    const tbody = h('tbody');
    const summary = h('p', { class: 'summary' });
    const capId = nid('cap');
    const wrap = h('div', { class: 'tablewrap', role: 'region', 'aria-labelledby': capId, tabindex: '0' },
      h('table', null, h('caption', { id: capId }, caption),
        h('thead', null, h('tr', null, cols.map(([t, cls]) => h('th', { scope: 'col', class: cls || null }, t)))), tbody));
    const emptyEl = h('p', { class: 'empty', hidden: true }, empty);
    const errEl = h('p', { class: 'notice bad', role: 'alert', hidden: true });
    const more = h('button', { class: 'btn ghost more', type: 'button', hidden: true }, `Load more ${noun}`);
    let next = null;
    let shown = 0;
    async function load(append) {
      errEl.hidden = true;
      more.setAttribute('aria-disabled', 'true');
      const res = await fetchPage(append ? next : null);
      more.removeAttribute('aria-disabled');
      if (stale(my)) return false;
      if (!res.ok) {
        errEl.textContent = sentence(res.error.message);
        errEl.hidden = false;
        return res;
      }
      const rows = res.items.map(row);
      if (!append) { tbody.replaceChildren(); shown = 0; }
      tbody.append(...rows);
      shown += rows.length;
      next = res.next || null;
      more.hidden = !next;
      emptyEl.hidden = shown > 0;
      wrap.hidden = shown === 0;
      summary.textContent = `${shown} ${shown === 1 ? noun.replace(/s$/, '') : noun} shown${next ? '; more available' : ''}.`;
      if (append && rows[0]) {
        const link = rows[0].querySelector('a,button');
        if (link) link.focus();
      }
      announce(append ? `${rows.length} more ${noun} loaded. ${summary.textContent}` : summary.textContent);
      return res;
    }
    more.addEventListener('click', () => { if (more.getAttribute('aria-disabled') !== 'true') load(true); });
    return { node: h('div', null, summary, errEl, wrap, emptyEl, more), reload: () => load(false) };
  }

  /** The search box's text as the API's filter: an order number, else an email. */
  function searchParams(text) {
    const t = String(text || '').trim();
    if (!t) return {};
    return /@/.test(t) ? { email: t } : { order_number: t.toUpperCase() };
  }

  function statusBadge(st) {
    return h('span', { class: 'badge', 'data-status': st }, label(st));
  }

  async function ticketsView(my) {
    const st = state.tickets;
    const list = pagedTable({
      my,
      caption: 'Ticket queue, newest first',
      noun: 'tickets',
      empty: 'No tickets match these filters.',
      cols: [['Ticket'], ['Received'], ['Shopper'], ['Topic'], ['Status'], ['Assignee']],
      row: (t) => h('tr', { 'data-ticket-id': t.ticket_id },
        h('th', { scope: 'row' }, h('a', { href: `#ticket/${encodeURIComponent(t.ticket_id)}` }, t.ticket_id)),
        h('td', { class: 'nowrap' }, when(t.created_at)),
        h('td', null, t.name ? h('span', null, t.name, h('br'), t.email) : t.email),
        h('td', null, t.topic),
        h('td', null, statusBadge(t.status)),
        h('td', null, t.assignee || h('span', { class: 'opt' }, 'Unassigned'))),
      fetchPage: async (cursor) => {
        const res = await api('GET', `/v1/admin/tickets${qs({ status: st.status, assignee: st.assignee, ...searchParams(st.q), limit: PAGE, cursor })}`);
        return res.ok ? { ok: true, items: res.data.tickets || [], next: res.data.next_cursor } : res;
      },
    });
    const f = form({ class: 'filters', role: 'search', 'aria-label': 'Filter tickets' }, [
      field({ name: 'status', text: 'Status', type: 'select', value: st.status || '', options: [['', 'All statuses'], ...TICKET_STATUSES.map((x) => [x, label(x)])] }),
      field({ name: 'assignee', text: 'Assignee', value: st.assignee || '', hint: null, attrs: { list: 'assignees', autocomplete: 'off', placeholder: 'Anyone' } }),
      h('datalist', { id: 'assignees' }, h('option', { value: me.actor })),
      field({ name: 'q', text: 'Email or order number', type: 'search', value: st.q || '', cls: 'grow', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
      h('div', { class: 'actions' }, submit('Apply filters'),
        h('button', { class: 'btn ghost', type: 'button', onclick: () => { state.tickets = {}; route(false); main.querySelector('select').focus(); } }, 'Clear')),
    ], async (f) => {
      Object.assign(st, values(f));
      const res = await list.reload();
      if (res && !res.ok) { if (res.error.field) showError(f, { ...res.error, field: /email|order_number/.test(res.error.field) ? 'q' : res.error.field }); }
    });
    setMain(h('h1', { tabindex: '-1' }, 'Tickets'),
      h('p', { class: 'lead' }, 'Stylist requests from the concierge. Open one to read the conversation, assign it and write notes.'),
      f, list.node);
    await list.reload();
  }

  async function returnsView(my) {
    const st = state.returns;
    const list = pagedTable({
      my,
      caption: 'Return and resize requests, newest first',
      noun: 'returns',
      empty: 'No return requests match these filters.',
      cols: [['Return'], ['Requested'], ['Order'], ['Shopper'], ['Kind'], ['Reason'], ['Status']],
      row: (r) => h('tr', { 'data-return-id': r.return_id },
        h('th', { scope: 'row' }, h('a', { href: `#return/${encodeURIComponent(r.return_id)}` }, r.return_id)),
        h('td', { class: 'nowrap' }, when(r.created_at)),
        h('td', { class: 'nowrap' }, r.order_number),
        h('td', null, r.email),
        h('td', null, label(r.kind), r.kind === 'resize' && r.ring_size != null ? ` to US ${r.ring_size}` : ''),
        h('td', null, r.reason),
        h('td', null, statusBadge(r.status))),
      fetchPage: async (cursor) => {
        const res = await api('GET', `/v1/admin/returns${qs({ status: st.status, ...searchParams(st.q), limit: PAGE, cursor })}`);
        return res.ok ? { ok: true, items: res.data.returns || [], next: res.data.next_cursor } : res;
      },
    });
    const f = form({ class: 'filters', role: 'search', 'aria-label': 'Filter returns' }, [
      field({ name: 'status', text: 'Status', type: 'select', value: st.status || '', options: [['', 'All statuses'], ...RETURN_STATUSES.map((x) => [x, label(x)])] }),
      field({ name: 'q', text: 'Email or order number', type: 'search', value: st.q || '', cls: 'grow', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
      h('div', { class: 'actions' }, submit('Apply filters'),
        h('button', { class: 'btn ghost', type: 'button', onclick: () => { state.returns = {}; route(false); main.querySelector('select').focus(); } }, 'Clear')),
    ], async (f) => {
      Object.assign(st, values(f));
      const res = await list.reload();
      if (res && !res.ok && res.error.field) showError(f, { ...res.error, field: /email|order_number/.test(res.error.field) ? 'q' : res.error.field });
    });
    setMain(h('h1', { tabindex: '-1' }, 'Returns'),
      h('p', { class: 'lead' }, 'Returns, resizes and exchanges requested from the widget. Approve or deny each, then follow it until it is complete.'),
      f, list.node);
    await list.reload();
  }

  // ---- ticket detail -------------------------------------------------------------------------------

  function eventText(ev) {
    switch (ev.kind) {
      case 'created': return 'Ticket created';
      case 'status': return `Status changed to ${label(ev.status)}`;
      case 'assigned': return ev.assignee ? `Assigned to ${ev.assignee}` : 'Unassigned';
      case 'note': return 'Note';
      default: return ev.status ? `Status: ${label(ev.status)}` : label(ev.kind || 'change');
    }
  }

  function timeline(events, text) {
    if (!events || !events.length) return h('p', { class: 'opt' }, 'No history yet.');
    return h('ol', { class: 'history' }, events.map((ev) => h('li', { 'data-kind': ev.kind || ev.status || '' },
      h('span', { class: 'when' }, when(ev.at), ' · ', ev.actor || 'system'),
      h('strong', null, text(ev)),
      ev.note ? h('p', { class: 'note' }, ev.note) : null)));
  }

  async function ticketView(my, id) {
    const back = h('a', { class: 'back', href: '#tickets' }, '← All tickets');
    loadingView(`Ticket ${id}`);
    const res = await api('GET', `/v1/admin/tickets/${encodeURIComponent(id)}`);
    if (stale(my)) return;
    if (!res.ok) return failView(`Ticket ${id}`, res, back);

    const facts = h('dl', { class: 'facts' });
    const badge = h('span');
    const convo = h('div');
    const csat = h('div');
    const hist = h('div');
    const fill = (d) => {
      const t = d.ticket;
      badge.replaceChildren(statusBadge(t.status));
      facts.replaceChildren(
        h('dt', null, 'Shopper'), h('dd', null, t.name ? `${t.name} · ` : '', h('a', { href: `mailto:${t.email}` }, t.email)),
        h('dt', null, 'Topic'), h('dd', null, t.topic),
        h('dt', null, 'Status'), h('dd', { 'data-field': 'status' }, label(t.status)),
        h('dt', null, 'Assignee'), h('dd', { 'data-field': 'assignee' }, t.assignee || 'Unassigned'),
        h('dt', null, 'Received'), h('dd', null, when(t.created_at)),
        h('dt', null, 'Updated'), h('dd', null, when(t.updated_at)),
        h('dt', null, 'Session'), h('dd', null, h('code', null, t.session_id || '—')));
      const tr = d.transcript || [];
      convo.replaceChildren(tr.length
        ? h('ol', { class: 'transcript', 'aria-label': 'Conversation before the request' }, tr.map((m) => h('li', { class: m.role === 'shopper' ? 'shopper' : 'concierge' },
          h('span', { class: 'by' }, m.role === 'shopper' ? 'Shopper' : 'Concierge', m.at ? [' · ', when(m.at)] : ''),
          h('p', null, m.text))))
        : h('p', { class: 'opt' }, 'No conversation was attached to this request.'));
      csat.replaceChildren(d.csat
        ? h('p', null, h('span', { class: 'score' }, `${d.csat.score} of 5`), ` (${CSAT_TEXT[d.csat.score] || ''}) · `, when(d.csat.at),
          d.csat.comment ? h('span', null, h('br'), `“${d.csat.comment}”`) : null)
        : h('p', { class: 'opt' }, 'Not rated yet.'));
      hist.replaceChildren(timeline(d.events, eventText));
      statusSel.value = t.status;
      assignee.value = t.assignee || '';
    };

    const statusForm = form({ class: 'stack', 'aria-label': 'Change status' }, [
      field({ name: 'status', text: 'Status', type: 'select', options: TICKET_STATUSES.map((x) => [x, label(x)]) }),
      h('div', { class: 'actions' }, submit('Update status')),
    ], async (f) => {
      await patch(f, { status: f.elements.status.value }, (d) => `Status changed to ${label(d.ticket.status)}.`);
    });
    const statusSel = statusForm.elements.status;
    const assignForm = form({ class: 'stack', 'aria-label': 'Assign' }, [
      field({ name: 'assignee', text: 'Assignee', hint: 'A staff member\'s email.', attrs: { list: 'assignees-d', autocomplete: 'off', spellcheck: 'false' } }),
      h('datalist', { id: 'assignees-d' }, h('option', { value: me.actor })),
      h('div', { class: 'actions' }, submit('Assign'),
        h('button', { class: 'btn ghost', type: 'submit', name: 'to', value: 'me' }, 'Assign to me'),
        h('button', { class: 'btn ghost', type: 'submit', name: 'to', value: 'none' }, 'Unassign')),
    ], async (f, button) => {
      const to = button && button.value;
      const value = to === 'me' ? me.actor : to === 'none' ? '' : f.elements.assignee.value.trim();
      if (!to && !value) return showError(f, { field: 'assignee', message: 'Enter who should work this ticket, or choose Unassign.' });
      await patch(f, { assignee: value }, (d) => (d.ticket.assignee ? `Assigned to ${d.ticket.assignee}.` : 'Unassigned.'));
    });
    const assignee = assignForm.elements.assignee;
    const noteForm = form({ class: 'stack', 'aria-label': 'Add a note' }, [
      field({ name: 'note', text: 'Note', type: 'textarea', hint: 'Notes are added to the history; they never replace an earlier one.', attrs: { maxlength: '2000' } }),
      h('div', { class: 'actions' }, submit('Add note')),
    ], async (f) => {
      const note = f.elements.note.value.trim();
      if (!note) return showError(f, { field: 'note', message: 'Write the note first.' });
      if (await patch(f, { note }, () => 'Note added.')) f.elements.note.value = '';
    });

    async function patch(f, body, said) {
      const r = await api('PATCH', `/v1/admin/tickets/${encodeURIComponent(id)}`, body);
      if (stale(my)) return false;
      if (!r.ok) { showError(f, r.error); return false; }
      fill(r.data);
      announce(said(r.data));
      return true;
    }

    const sec = (title, ...kids) => {
      const hid = nid('sec');
      return h('section', { class: 'panel', 'aria-labelledby': hid }, h('h2', { id: hid }, title), kids);
    };
    setMain(back,
      h('h1', { tabindex: '-1' }, `Ticket ${id} `, badge),
      h('p', { class: 'lead' }, res.data.ticket.topic),
      h('div', { class: 'grid2' },
        h('div', null,
          sec('Request', facts, h('h3', null, 'Message'), h('p', { class: 'message' }, res.data.ticket.message)),
          sec('Conversation', convo),
          sec('Satisfaction', csat)),
        h('div', null,
          sec('Work this ticket', statusForm, h('hr', { class: 'sr' }), assignForm, noteForm),
          sec('History', hist))));
    fill(res.data);
  }

  // ---- return detail -------------------------------------------------------------------------------

  async function returnView(my, id) {
    const back = h('a', { class: 'back', href: '#returns' }, '← All returns');
    loadingView(`Return ${id}`);
    const res = await api('GET', `/v1/admin/returns/${encodeURIComponent(id)}`);
    if (stale(my)) return;
    if (!res.ok) return failView(`Return ${id}`, res, back);

    const facts = h('dl', { class: 'facts' });
    const badge = h('span');
    const hist = h('div');
    const actions = h('div');
    const actHead = h('h2', { id: nid('act'), tabindex: '-1' }, 'Decision');

    const fill = (d) => {
      const r = d.return;
      badge.replaceChildren(statusBadge(r.status));
      facts.replaceChildren(
        h('dt', null, 'Order'), h('dd', null, r.order_number),
        h('dt', null, 'Shopper'), h('dd', null, h('a', { href: `mailto:${r.email}` }, r.email)),
        h('dt', null, 'Item'), h('dd', null, h('code', null, r.sku)),
        h('dt', null, 'Kind'), h('dd', null, label(r.kind), r.kind === 'resize' && r.ring_size != null ? ` to US ${r.ring_size}` : ''),
        h('dt', null, 'Reason'), h('dd', null, r.reason),
        h('dt', null, 'Status'), h('dd', { 'data-field': 'status' }, label(r.status)),
        ...(r.decision_reason ? [h('dt', null, 'Decision'), h('dd', null, r.decision_reason)] : []),
        h('dt', null, 'Requested'), h('dd', null, when(r.created_at)),
        h('dt', null, 'Updated'), h('dd', null, when(r.updated_at)));
      hist.replaceChildren(timeline(d.events, (ev) => label(ev.status || ev.kind)));
      actions.replaceChildren(actionsFor(r));
    };

    const noteField = () => field({ name: 'note', text: 'Note for the history', type: 'textarea', optional: true, attrs: { maxlength: '1000', rows: '2' } });
    function actionsFor(r) {
      const act = (action, text, extra = []) => form({ class: 'stack', 'aria-label': text }, [...extra, h('div', { class: 'actions' }, submit(text, action === 'deny' ? { class: 'btn danger' } : {}))],
        async (f) => {
          const v = values(f);
          if (action === 'deny' && !v.reason) return showError(f, { field: 'reason', message: 'Tell the shopper why the request is denied.' });
          const body = { action };
          if (v.reason) body.reason = v.reason;
          if (v.note) body.note = v.note;
          const out = await api('PATCH', `/v1/admin/returns/${encodeURIComponent(id)}`, body);
          if (stale(my)) return;
          if (!out.ok) return showError(f, out.error);
          fill(out.data);
          actHead.focus();
          announce(`Return ${id} is now ${label(out.data.return.status).toLowerCase()}.`);
        });
      switch (r.status) {
        case 'requested':
          return h('div', { class: 'stack' },
            act('approve', 'Approve', [noteField()]),
            h('hr', { class: 'sr' }),
            act('deny', 'Deny', [field({ name: 'reason', text: 'Reason for denying', type: 'textarea', hint: 'Shown to the shopper when they check the request.', attrs: { maxlength: '500', rows: '2' } })]));
        case 'approved':
          return act('receive', 'Mark received', [h('p', { class: 'hint' }, 'When the piece has arrived at the workshop.'), noteField()]);
        case 'received':
          return act('complete', `Mark ${COMPLETE[r.kind] || 'complete'}`, [noteField()]);
        default:
          return h('p', { class: 'opt' }, `This request is ${label(r.status).toLowerCase()}; nothing more to do.`);
      }
    }

    const sec = (head, ...kids) => h('section', { class: 'panel', 'aria-labelledby': head.id }, head, kids);
    setMain(back,
      h('h1', { tabindex: '-1' }, `Return ${id} `, badge),
      h('div', { class: 'grid2' },
        h('div', null, sec(h('h2', { id: nid('req') }, 'Request'), facts), sec(h('h2', { id: nid('his') }, 'History'), hist)),
        h('div', null, sec(actHead, actions))));
    fill(res.data);
  }

  // ---- unanswered questions --------------------------------------------------------------------------

  async function unansweredView(my) {
    const st = state.unanswered;
    const list = pagedTable({
      my,
      caption: 'Questions the rules did not answer, most frequent first',
      noun: 'questions',
      empty: 'No unanswered questions match.',
      cols: [['Question'], ['Times asked', 'num'], ['First seen'], ['Last seen'], ['Last intent'], ['Confidence', 'num']],
      row: (q) => h('tr', null,
        h('td', { class: 'q' }, q.text),
        h('td', { class: 'num' }, String(q.count)),
        h('td', { class: 'nowrap' }, when(q.first_seen)),
        h('td', { class: 'nowrap' }, when(q.last_seen)),
        h('td', null, label(q.intent || 'unknown')),
        h('td', { class: 'num' }, q.confidence == null ? '—' : Number(q.confidence).toFixed(2))),
      fetchPage: async (cursor) => {
        const res = await api('GET', `/v1/admin/unanswered${qs({ q: st.q, limit: PAGE, cursor })}`);
        return res.ok ? { ok: true, items: res.data.questions || [], next: res.data.next_cursor } : res;
      },
    });
    const exportBtn = h('button', { class: 'btn ghost', type: 'button' }, 'Export corpus (TSV)');
    exportBtn.addEventListener('click', async () => {
      if (exportBtn.getAttribute('aria-disabled') === 'true') return;
      exportBtn.setAttribute('aria-disabled', 'true');
      const res = await api('GET', '/v1/admin/unanswered/export', null, { raw: true });
      exportBtn.removeAttribute('aria-disabled');
      if (!res.ok) { announce(`Export failed: ${sentence(res.error.message)}`); return; }
      const cd = res.headers.get('content-disposition') || '';
      const name = (/filename="?([^";]+)"?/.exec(cd) || [])[1] || `unanswered-${isoDay(new Date())}.tsv`;
      const url = URL.createObjectURL(res.blob);
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const lines = (await res.blob.text()).split('\n').filter((l) => l.trim() && !l.startsWith('#')).length;
      exportBtn.dataset.exported = name;
      announce(`Downloaded ${name} (${lines} lines).`);
    });
    const f = form({ class: 'filters', role: 'search', 'aria-label': 'Search questions' }, [
      field({ name: 'q', text: 'Search questions', type: 'search', value: st.q || '', cls: 'grow', attrs: { autocomplete: 'off' } }),
      h('div', { class: 'actions' }, submit('Search'), exportBtn),
    ], async (f) => {
      Object.assign(st, values(f));
      const res = await list.reload();
      if (res && !res.ok && res.error.field) showError(f, res.error);
    });
    setMain(h('h1', { tabindex: '-1' }, 'Unanswered questions'),
      h('p', { class: 'lead' }, 'What shoppers asked that the rules did not understand, with personal details replaced by placeholders such as {email} and {order_number}. Export them as a corpus, label them, and check new rules with concierge diff --corpus before deploying.'),
      f, list.node);
    await list.reload();
  }

  // ---- analytics ---------------------------------------------------------------------------------

  function rangeForm(st, aria, onApply) {
    const today = isoDay(new Date());
    st.from = st.from || addDays(today, -29);
    st.to = st.to || today;
    return form({ class: 'filters', 'aria-label': aria }, [
      field({ name: 'from', text: 'From', type: 'date', value: st.from, attrs: { required: true, max: today } }),
      field({ name: 'to', text: 'To', type: 'date', value: st.to, attrs: { required: true, max: today } }),
      h('div', { class: 'actions' }, submit('Show'),
        ...[7, 30, 90].map((n) => h('button', { class: 'btn ghost', type: 'button', onclick: (e) => {
          const f = e.currentTarget.form;
          f.elements.from.value = addDays(today, 1 - n);
          f.elements.to.value = today;
          f.requestSubmit();
        } }, `Last ${n} days`))),
    ], async (f) => {
      const v = values(f);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v.from)) return showError(f, { field: 'from', message: 'Choose the first day.' });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v.to)) return showError(f, { field: 'to', message: 'Choose the last day.' });
      if (v.to < v.from) return showError(f, { field: 'to', message: 'The last day must not be before the first.' });
      st.from = v.from;
      st.to = v.to;
      const res = await onApply();
      if (res && !res.ok) showError(f, res.error);
    });
  }

  /**
   * An SVG bar chart (with an optional line on a 0..1 scale) that scales to its box. data:
   * [{label, value}]; line: [value|null] (rates); returns a <figure> with a caption and a
   * text description; the figures themselves are in the table under the charts.
   */
  function barChart({ title, desc, data, fmt = String, line, lineFmt = pct, lineMax = null, color = '#a0804a', legend, yMax }) {
    const W = 640, H = 240, L = 48, R = line ? 52 : 16, T = 14, B = 34;
    const pw = W - L - R, ph = H - T - B;
    const max = Math.max(yMax || 0, ...data.map((d) => d.value || 0)) || 1;
    const lmax = lineMax || Math.max(0.0001, ...(line || []).filter((v) => v != null)) || 1;
    const n = Math.max(data.length, 1);
    const bw = pw / n;
    const tid = nid('t'), did = nid('d');
    const grid = [0, 0.5, 1].map((f) => {
      const y = T + ph - f * ph;
      return s('g', null, s('line', { x1: L, x2: W - R, y1: y, y2: y, stroke: '#e4dccf' }),
        s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5c5457' }, fmt(Math.round(max * f * 100) / 100)),
        line ? s('text', { x: W - R + 6, y: y + 4, 'font-size': 11, fill: '#8e1b14' }, lineFmt(lmax * f)) : null);
    });
    const bars = data.map((d, i) => {
      const bh = ((d.value || 0) / max) * ph;
      return s('rect', { x: L + i * bw + bw * 0.15, y: T + ph - bh, width: Math.max(bw * 0.7, 1), height: Math.max(bh, d.value ? 1 : 0), fill: color, rx: bw > 8 ? 2 : 0 });
    });
    const ticks = [0, Math.floor((n - 1) / 2), n - 1].filter((v, i, a) => a.indexOf(v) === i && data[v]).map((i) =>
      s('text', { x: L + i * bw + bw / 2, y: H - 12, 'text-anchor': i === 0 && n > 2 ? 'start' : i === n - 1 && n > 2 ? 'end' : 'middle', 'font-size': 11, fill: '#5c5457' }, data[i].label));
    let path = null;
    if (line) {
      const pts = line.map((v, i) => (v == null ? null : [L + i * bw + bw / 2, T + ph - (v / lmax) * ph]));
      let dstr = '';
      let pen = false;
      for (const p of pts) {
        if (!p) { pen = false; continue; }
        dstr += `${pen ? 'L' : 'M'}${p[0].toFixed(1)} ${p[1].toFixed(1)} `;
        pen = true;
      }
      path = s('g', null, s('path', { d: dstr.trim() || 'M0 0', fill: 'none', stroke: '#8e1b14', 'stroke-width': 2 }),
        pts.filter(Boolean).map((p) => s('circle', { cx: p[0], cy: p[1], r: n > 60 ? 1.5 : 3, fill: '#8e1b14' })));
    }
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${tid} ${did}`, preserveAspectRatio: 'xMidYMid meet' },
      s('title', { id: tid }, title), s('desc', { id: did }, desc), grid, bars, path, ticks,
      s('line', { x1: L, x2: W - R, y1: T + ph, y2: T + ph, stroke: '#857a70' }));
    return h('figure', null, h('figcaption', null, title), svg,
      legend ? h('ul', { class: 'legend', 'aria-hidden': 'true' }, legend.map(([cls, t]) => h('li', null, h('i', { class: cls }), t))) : null);
  }

  /** Horizontal bars for a {name: n} map (returns by reason, intent mix). */
  function hbarChart(title, map) {
    const entries = Object.entries(map || {}).sort((a, b) => b[1] - a[1]).slice(0, 12);
    const W = 640, row = 26, L = 200, R = 50;
    const H = Math.max(entries.length, 1) * row + 10;
    const max = Math.max(1, ...entries.map(([, v]) => v));
    const tid = nid('t'), did = nid('d');
    const total = entries.reduce((a, [, v]) => a + v, 0);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${tid} ${did}` },
      s('title', { id: tid }, title),
      s('desc', { id: did }, entries.length ? `${total} in all; largest: ${label(entries[0][0])} with ${entries[0][1]}.` : 'Nothing in this range.'),
      entries.length ? entries.map(([k, v], i) => {
        const y = 5 + i * row;
        const w = ((W - L - R) * v) / max;
        const name = label(k);
        return s('g', null,
          s('text', { x: L - 8, y: y + 16, 'text-anchor': 'end', 'font-size': 12, fill: '#231f20' }, name.length > 28 ? `${name.slice(0, 27)}…` : name),
          s('rect', { x: L, y: y + 4, width: Math.max(w, 1), height: row - 10, fill: '#1c1a27', rx: 3 }),
          s('text', { x: L + w + 6, y: y + 16, 'font-size': 12, fill: '#5c5457' }, String(v)));
      }) : s('text', { x: 10, y: 22, 'font-size': 13, fill: '#5c5457' }, 'Nothing in this range.'));
    return h('figure', null, h('figcaption', null, title), svg);
  }

  async function analyticsView(my) {
    const st = state.analytics;
    const out = h('div', { 'aria-live': 'off' });
    const load = async () => {
      out.replaceChildren(h('p', { class: 'loading' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), 'Loading…'));
      const res = await api('GET', `/v1/admin/analytics${qs({ from: st.from, to: st.to })}`);
      if (stale(my)) return res;
      if (!res.ok) { out.replaceChildren(h('p', { class: 'notice bad', role: 'alert' }, sentence(res.error.message))); return res; }
      out.replaceChildren(...analyticsBody(res.data));
      announce(`Analytics from ${dayText(st.from)} to ${dayText(st.to)}: ${res.data.messages} messages.`);
      return res;
    };
    setMain(h('h1', { tabindex: '-1' }, 'Analytics'),
      h('p', { class: 'lead' }, 'What shoppers asked, how often the rules understood them, escalations to stylists, satisfaction and returns, per day (UTC).'),
      rangeForm(st, 'Date range', load), out);
    await load();
  }

  function analyticsBody(a) {
    const days = a.days || [];
    const range = days.length ? `${dayText(days[0].day)} to ${dayText(days[days.length - 1].day)}` : 'the range';
    const lab = (d) => dayText(d.day, shortDay);
    const total = (k) => days.reduce((x, d) => x + (Number(d[k]) || 0), 0);
    const peak = (k) => days.reduce((best, d) => ((d[k] || 0) > (best ? best[k] || 0 : -1) ? d : best), null);
    const pm = peak('messages');
    const cards = h('ul', { class: 'cards', 'aria-label': 'Totals for the range' },
      [['Messages', a.messages], ['Unmatched rate', pct(a.unmatched_rate)], ['Escalations', `${a.escalations ?? total('escalations')}`],
        ['Escalation rate', pct(a.escalation_rate)], ['CSAT average', avg(a.csat_average)], ['Returns', a.returns]]
        .map(([k, v]) => h('li', null, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v == null ? '—' : String(v)))));
    const csatDays = days.filter((d) => d.csat_average != null);
    const charts = h('div', { class: 'charts' },
      barChart({ title: 'Messages per day, with the unmatched rate', data: days.map((d) => ({ label: lab(d), value: d.messages })),
        line: days.map((d) => (d.messages ? d.unmatched_rate : null)), legend: [['k-bar', 'Messages'], ['k-line', 'Unmatched rate']],
        desc: `${range}: ${total('messages')} messages${pm && pm.messages ? `, most on ${dayText(pm.day)} (${pm.messages})` : ''}; unmatched rate over the range ${pct(a.unmatched_rate)}.` }),
      barChart({ title: 'Escalation rate per day', data: days.map((d) => ({ label: lab(d), value: d.escalation_rate || 0 })), fmt: pct, color: '#1c1a27', yMax: 0.05,
        desc: `${range}: ${total('escalations')} escalations to a stylist; rate over the range ${pct(a.escalation_rate)}.` }),
      barChart({ title: 'CSAT average per day', data: days.map((d) => ({ label: lab(d), value: d.csat_average || 0 })), fmt: (v) => v.toFixed(1), yMax: 5, color: '#c9a24d',
        desc: csatDays.length ? `${csatDays.length} days with ratings; average over the range ${avg(a.csat_average)} of 5.` : 'No ratings in this range.' }),
      hbarChart('Returns by reason', a.returns_by_reason),
      hbarChart('Intent mix', a.intents));
    const rows = days.map((d) => h('tr', null,
      h('th', { scope: 'row', class: 'nowrap' }, h('time', { datetime: d.day }, dayText(d.day))),
      h('td', { class: 'num' }, String(d.messages)), h('td', { class: 'num' }, String(d.unmatched)), h('td', { class: 'num' }, pct(d.unmatched_rate)),
      h('td', { class: 'num' }, String(d.escalations)), h('td', { class: 'num' }, pct(d.escalation_rate)),
      h('td', { class: 'num' }, avg(d.csat_average)), h('td', { class: 'num' }, String(d.returns))));
    const reasons = Object.entries(a.returns_by_reason || {}).sort((x, y) => y[1] - x[1]);
    const intents = Object.entries(a.intents || {}).sort((x, y) => y[1] - x[1]);
    return [cards, charts,
      h('h2', null, 'Figures per day'),
      table(`Per day, ${range}`, [['Day'], ['Messages', 'num'], ['Unmatched', 'num'], ['Unmatched rate', 'num'], ['Escalations', 'num'], ['Escalation rate', 'num'], ['CSAT average', 'num'], ['Returns', 'num']], rows),
      h('div', { class: 'grid2' },
        h('div', null, h('h2', null, 'Returns by reason'),
          table('Return requests by reason', [['Reason'], ['Requests', 'num']], reasons.length ? reasons.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, String(v)))) : h('tr', null, h('td', { colspan: '2' }, 'None in this range.')))),
        h('div', null, h('h2', null, 'Intent mix'),
          table('Messages by intent', [['Intent'], ['Messages', 'num']], intents.length ? intents.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, label(k)), h('td', { class: 'num' }, String(v)))) : h('tr', null, h('td', { colspan: '2' }, 'None in this range.')))))];
  }

  // ---- CSAT ---------------------------------------------------------------------------------------

  /** Stacked bars of the 1..5 distribution per day. */
  function distributionChart(byDay) {
    const W = 640, H = 220, L = 36, R = 12, T = 12, B = 34;
    const pw = W - L - R, ph = H - T - B;
    const n = Math.max(byDay.length, 1);
    const bw = pw / n;
    const max = Math.max(1, ...byDay.map((d) => d.count || 0));
    const colors = ['', '#8e1b14', '#c4622d', '#c9a24d', '#6f9a72', '#1a5631'];
    const tid = nid('t'), did = nid('d');
    const total = byDay.reduce((a, d) => a + (d.count || 0), 0);
    const bars = byDay.map((d, i) => {
      let y = T + ph;
      return [1, 2, 3, 4, 5].map((k) => {
        const v = (d.distribution || {})[k] || 0;
        const hgt = (v / max) * ph;
        y -= hgt;
        return v ? s('rect', { x: L + i * bw + bw * 0.15, y, width: Math.max(bw * 0.7, 1), height: hgt, fill: colors[k] }) : null;
      });
    });
    const ticks = [0, Math.floor((n - 1) / 2), n - 1].filter((v, i, a) => a.indexOf(v) === i && byDay[v]).map((i) =>
      s('text', { x: L + i * bw + bw / 2, y: H - 12, 'text-anchor': 'middle', 'font-size': 11, fill: '#5c5457' }, dayText(byDay[i].day, shortDay)));
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${tid} ${did}` },
      s('title', { id: tid }, 'Ratings per day by score'), s('desc', { id: did }, `${total} ratings on ${byDay.filter((d) => d.count).length} days.`),
      [0, 0.5, 1].map((f) => s('g', null, s('line', { x1: L, x2: W - R, y1: T + ph - f * ph, y2: T + ph - f * ph, stroke: '#e4dccf' }),
        s('text', { x: L - 6, y: T + ph - f * ph + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5c5457' }, String(Math.round(max * f))))),
      bars, ticks);
    return h('figure', null, h('figcaption', null, 'Ratings per day by score'), svg,
      h('ul', { class: 'legend', 'aria-hidden': 'true' }, [1, 2, 3, 4, 5].map((k) => h('li', null, h('i', { class: `s${k}` }), `${k} ${CSAT_TEXT[k]}`))));
  }

  async function csatView(my) {
    const st = state.csat;
    const out = h('div');
    const comments = h('ol', { class: 'comments', 'aria-label': 'Comments, newest first' });
    const more = h('button', { class: 'btn ghost more', type: 'button', hidden: true }, 'Load more comments');
    let next = null;
    const commentItem = (c) => h('li', null,
      h('p', { class: 'meta' }, h('span', { class: 'score' }, `${c.score} of 5`), ` ${CSAT_TEXT[c.score] || ''} · `, when(c.at), ' · ',
        c.ticket_id ? (can('tickets') ? h('a', { href: `#ticket/${encodeURIComponent(c.ticket_id)}` }, `Ticket ${c.ticket_id}`) : `Ticket ${c.ticket_id}`) : 'End of a chat'),
      c.comment ? h('blockquote', null, c.comment) : h('p', { class: 'opt' }, 'No comment.'));
    const load = async (cursor) => {
      if (!cursor) out.replaceChildren(h('p', { class: 'loading' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), 'Loading…'));
      const res = await api('GET', `/v1/admin/csat${qs({ from: st.from, to: st.to, period: 'day', limit: PAGE, cursor })}`);
      if (stale(my)) return res;
      if (!res.ok) { out.replaceChildren(h('p', { class: 'notice bad', role: 'alert' }, sentence(res.error.message))); return res; }
      const d = res.data;
      next = d.next_cursor || null;
      more.hidden = !next;
      const items = (d.comments || []).map(commentItem);
      if (cursor) {
        comments.append(...items);
        const a = items[0] && items[0].querySelector('a');
        (a || more).focus();
        announce(`${items.length} more comments loaded.`);
        return res;
      }
      comments.replaceChildren(...items);
      const byDay = (d.by_day || []).filter((x) => x.count);
      out.replaceChildren(
        h('ul', { class: 'cards', 'aria-label': 'Totals for the range' },
          [['Responses', d.count], ['Average', avg(d.average)]].map(([k, v]) => h('li', null, h('span', { class: 'k' }, k), h('span', { class: 'v' }, String(v ?? '—'))))),
        h('div', { class: 'charts' }, distributionChart(d.by_day || [])),
        table('Ratings per day', [['Day'], ['Responses', 'num'], ['Average', 'num'], ...[1, 2, 3, 4, 5].map((k) => [`${k} (${CSAT_TEXT[k]})`, 'num'])],
          byDay.length ? byDay.map((x) => h('tr', null, h('th', { scope: 'row', class: 'nowrap' }, h('time', { datetime: x.day }, dayText(x.day))),
            h('td', { class: 'num' }, String(x.count)), h('td', { class: 'num' }, avg(x.average)),
            [1, 2, 3, 4, 5].map((k) => h('td', { class: 'num' }, String((x.distribution || {})[k] || 0)))))
            : h('tr', null, h('td', { colspan: '8' }, 'No ratings in this range.'))),
        h('h2', null, 'Comments'),
        items.length ? comments : h('p', { class: 'opt' }, 'No comments in this range.'),
        more);
      announce(`${d.count} ratings from ${dayText(st.from)} to ${dayText(st.to)}.`);
      return res;
    };
    more.addEventListener('click', () => next && load(next));
    setMain(h('h1', { tabindex: '-1' }, 'Satisfaction'),
      h('p', { class: 'lead' }, 'Ratings shoppers give when a chat ends or after a stylist ticket, with their comments.'),
      rangeForm(st, 'Date range', () => load(null)), out);
    await load(null);
  }

  // ---- start ----------------------------------------------------------------------------------------

  document.addEventListener('click', (e) => {
    const skip = e.target.closest('[data-skip]');
    if (!skip) return;
    e.preventDefault();
    const h1 = main.querySelector('h1');
    (h1 || main).focus();
  });
  window.addEventListener('hashchange', () => route(true));

  async function boot() {
    const res = await api('GET', '/v1/admin/me', null, { signin: true });
    if (res.ok && res.data && res.data.role) {
      me = res.data;
      startConsole(false);
      return;
    }
    if (res.status === 401) {
      setToken(null);
      showSignIn();
      return;
    }
    setMain(h('h1', { tabindex: '-1' }, 'The console could not start'), h('p', { class: 'notice bad', role: 'alert' }, sentence(res.error.message)),
      h('button', { class: 'btn', type: 'button', onclick: boot }, 'Try again'));
  }
  boot();
})();
