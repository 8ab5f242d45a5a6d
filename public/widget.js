/*! Aurora Concierge widget: <aurora-concierge api="https://…" user-id="…"></aurora-concierge>.
 * A dependency-free custom element with its own shadow DOM. It asks GET /v1/flags first and renders
 * nothing unless the concierge is enabled for this shopper. Every creating POST carries an
 * Idempotency-Key made once per logical submission and reused on retries. Chat messages go out one
 * at a time, each with the `context` of the previous reply (kept in sessionStorage beside the
 * session id), so quick follow-ups refine the search in order. Categories, metals, ring sizes and
 * the order-number format come from /v1/flags's `domain`, never from this file. The conversation's
 * text (the last 50 messages) is kept in sessionStorage too and goes with a stylist request; closing
 * the widget after a real conversation asks for a rating once per session. API: docs/api.md. */
(() => {
  'use strict';
  if (customElements.get('aurora-concierge')) return;

  const SCRIPT = document.currentScript;
  const SCRIPT_ORIGIN = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src, location.href).origin : location.origin;
  const COOKIE = 'aurora_uid';
  const SESSION_KEY = 'aurora_session';
  const CONTEXT_KEY = 'aurora_context';
  const TRANSCRIPT_KEY = 'aurora_transcript';
  const BOOKMARK_KEY = 'aurora_d1_bookmark';
  const CSAT_KEY = 'aurora_csat';
  // The stylist request this browser filed, until it is rated: {id, email, at} in localStorage, so a
  // later visit can ask for the rating once staff resolve it (POST /v1/escalations/status).
  const TICKET_KEY = 'aurora_ticket';
  const TICKET_DAYS = 60;
  const filed = {
    get() {
      try {
        const t = JSON.parse(localStorage.getItem(TICKET_KEY) || 'null');
        if (t && t.id && t.email && Date.now() - t.at < TICKET_DAYS * 864e5) return t;
      } catch { /* storage blocked or corrupt */ }
      filed.clear();
      return null;
    },
    set(id, email) { try { localStorage.setItem(TICKET_KEY, JSON.stringify({ id, email, at: Date.now() })); } catch { /* memory only */ } },
    clear() { try { localStorage.removeItem(TICKET_KEY); } catch { /* nothing kept */ } },
  };
  const TIMEOUT_MS = 15000;

  const KINDS = { return: 'Return for a refund', resize: 'Resize a ring', exchange: 'Exchange for another piece' };
  const STAGES = ['processing', 'shipped', 'delivered'];
  const STATUS_TEXT = { processing: 'Processing', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };
  const CSAT_TEXT = ['', 'Poor', 'Fair', 'Good', 'Very good', 'Excellent'];
  const RETURN_TEXT = { requested: 'Requested: we will review it shortly', approved: 'Approved: we have emailed how to send the piece', denied: 'Declined',
    received: 'Received at our workshop', refunded: 'Refunded', resized: 'Resized', exchanged: 'Exchanged' };
  const MSG_NETWORK = "We couldn't reach the concierge. Check your connection and try again.";

  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  const day = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
  const dayTime = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const label = (id, map = {}) => map[id] || String(id || '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const fmtDate = (iso, f = day) => {
    const d = iso ? new Date(iso) : null;
    return d && !isNaN(d) ? f.format(d) : '';
  };
  /** The API's terse messages ("`email` is required") as sentences: "Email is required." */
  const sentence = (msg, nameOf = (t) => t.replace(/_/g, ' ')) => {
    const t = String(msg || '').replace(/`([^`]*)`/g, (_, tok) => nameOf(tok)).trim();
    return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.') : '';
  };
  const price = (p) => money.format(p.price_cents != null ? p.price_cents / 100 : Number(p.price));
  const usd = (v) => money.format(v).replace(/\.00$/, '');
  /** A filter slot as a chip label: "Rose gold", "Rings or necklaces", "Under $500". */
  const words = (ids, joint) => label(ids.join(joint).replace(/_/g, ' '));
  const priceText = ({ min, max, kind }) => {
    if (kind === 'approx' || kind === 'exact') return `Around ${usd(max != null ? max : min)}`;
    if (min != null && max != null) return `Between ${usd(min)} and ${usd(max)}`;
    return max != null ? `Under ${usd(max)}` : `Over ${usd(min)}`;
  };
  /** The search in effect as [slot, label] pairs, one removable chip per slot. */
  const filterChips = (f) => {
    const out = [];
    if (!f) return out;
    for (const [slot, joint] of [['categories', ' or '], ['metals', ' or '], ['styles', ' and ']]) {
      if (Array.isArray(f[slot]) && f[slot].length) out.push([slot, words(f[slot], joint)]);
    }
    if (f.price && (f.price.min != null || f.price.max != null)) out.push(['price', priceText(f.price)]);
    return out;
  };

  let seq = 0;
  const nid = (p) => `ac-${p}-${++seq}`;

  /** Builds an element: h('p', {class: 'x', onclick: f}, 'text', child). Text is never parsed as HTML. */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid.nodeType ? kid : String(kid));
    return el;
  }

  const icon = (d, size = 20) => {
    const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('width', size);
    s.setAttribute('height', size);
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    s.innerHTML = d;
    return s;
  };
  const GEM = '<path d="M6 3h12l4 6-10 12L2 9z" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round"/><path d="M2 9h20M9 3l3 6 3-6M12 21 9 9M12 21l3-12" fill="none" stroke="currentColor" stroke-width="1.2"/>';
  const CLOSE = '<path d="M6 6l12 12M18 6 6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>';
  const SEND = '<path d="M4 12h14M13 6l6 6-6 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>';

  function readCookie(name) {
    const m = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function shopperId() {
    let id = readCookie(COOKIE);
    if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      id = `u-${uuid()}`;
      const secure = location.protocol === 'https:' ? '; Secure' : '';
      document.cookie = `${COOKIE}=${id}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
    }
    return id;
  }

  function sessionId() {
    try {
      let id = sessionStorage.getItem(SESSION_KEY);
      if (!id) sessionStorage.setItem(SESSION_KEY, (id = `s-${uuid()}`));
      return id;
    } catch {
      return `s-${uuid()}`;
    }
  }

  /** The conversation kept for this tab's session: {context, filters}, or {} when none. */
  function loadConversation(session) {
    try {
      const saved = JSON.parse(sessionStorage.getItem(CONTEXT_KEY) || 'null');
      if (saved && saved.session === session && saved.context && typeof saved.context === 'object') return saved;
    } catch { /* storage blocked or corrupt: start afresh */ }
    return {};
  }

  /** Session-scoped values in sessionStorage, tagged with the session id; `fallback` when absent. */
  function loadKept(key, session, fallback) {
    try {
      const saved = JSON.parse(sessionStorage.getItem(key) || 'null');
      if (saved && saved.session === session) return saved.value;
    } catch { /* storage blocked or corrupt */ }
    return fallback;
  }

  function keep(key, session, value) {
    try { sessionStorage.setItem(key, JSON.stringify({ session, value })); } catch { /* memory only */ }
  }

  function saveConversation(session, context, filters) {
    try {
      if (context) sessionStorage.setItem(CONTEXT_KEY, JSON.stringify({ session, context, filters }));
      else sessionStorage.removeItem(CONTEXT_KEY);
    } catch { /* storage blocked: the conversation lives in memory only */ }
  }

  const STYLE = `
:host{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;color:#231f20;
 font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button,input,select,textarea{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid #8c5e00;outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.serif,h2,h3,h4{font-family:"Iowan Old Style","Palatino Linotype",Palatino,"Book Antiqua",Georgia,serif;font-weight:600}
.launcher{display:inline-flex;align-items:center;gap:10px;padding:12px 22px 12px 16px;border-radius:999px;
 border:1px solid #c9a24d;background:#1c1a27;color:#fff;font-weight:600;letter-spacing:.02em;
 box-shadow:0 10px 30px rgba(28,26,39,.35)}
.launcher svg{color:#e2c57a}
.launcher:hover{background:#2d2a3d}
.dialog{position:fixed;right:20px;bottom:88px;width:400px;max-width:calc(100vw - 24px);height:640px;
 max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fffdf9;border:1px solid #e4dccf;
 border-radius:18px;overflow:hidden;box-shadow:0 24px 64px rgba(28,26,39,.3)}
@media (max-width:480px),(max-height:560px){.dialog{inset:0;width:auto;height:auto;max-width:none;max-height:none;border:0;border-radius:0}}
@media (max-height:560px){.sub{display:none}header{padding:8px 12px 8px 16px;align-items:center}header svg{margin-top:0}.chips,.filters{padding:6px 12px}.composer{padding:6px 12px}}
header{display:flex;align-items:flex-start;gap:12px;padding:16px 16px 14px 20px;background:#1c1a27;color:#fff;border-bottom:2px solid #c9a24d}
header svg{color:#e2c57a;flex:none;margin-top:4px}
header div{flex:1;min-width:0}
h2{margin:0;font-size:20px;letter-spacing:.02em}
.sub{margin:2px 0 0;font-size:13px;color:#eadfc6}
.close{flex:none;display:grid;place-items:center;width:40px;height:40px;border-radius:50%;border:0;background:transparent;color:#fff}
.close:hover{background:rgba(255,255,255,.12)}
header :focus-visible{outline-color:#f3d88f}
.body{position:relative;flex:1;overflow-y:auto;padding:16px 16px 8px;scroll-behavior:smooth}
.log{display:flex;flex-direction:column;gap:10px}
.msg{max-width:88%;padding:10px 14px;border-radius:16px;overflow-wrap:anywhere}
.msg p{margin:0}
.bot{align-self:flex-start;background:#f3ede3;border-bottom-left-radius:4px}
.user{align-self:flex-end;background:#1c1a27;color:#fff;border-bottom-right-radius:4px}
.error{background:#fbeaea;color:#8e1b14}
.rich{max-width:100%;width:100%;padding:0;background:none}
.typing{display:flex;align-items:center;gap:8px;margin:10px 0 0;color:#5c5457;font-size:14px}
.dots{display:inline-flex;gap:4px}
.dots i{width:7px;height:7px;border-radius:50%;background:#a0804a;animation:b 1s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}
@keyframes b{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}
.spin{display:inline-block;width:14px;height:14px;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;animation:s .8s linear infinite;vertical-align:-2px;margin-right:6px}
@keyframes s{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.dots i,.spin{animation:none}.body{scroll-behavior:auto}}
.products{list-style:none;margin:8px 0 0;padding:0;display:grid;gap:10px}
.card{display:grid;grid-template-columns:76px 1fr;gap:12px;align-items:center;padding:10px;border:1px solid #e4dccf;border-radius:14px;background:#fff}
.thumb{width:76px;height:76px;border-radius:10px;display:grid;place-items:center;background:linear-gradient(135deg,#f6f1e8,#e9e1d2)}
.thumb img{width:60px;height:60px}
.card h3{margin:0;font-size:16px;line-height:1.3}
.meta{margin:2px 0 0;font-size:14px;color:#5c5457}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;margin-top:4px}
.price{font-weight:700;font-size:15px}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;background:#e2f0e5;color:#1a5631;font-size:12px;font-weight:600;letter-spacing:.03em}
.badge.wait{background:#f1ece4;color:#5c4a2e}
.panel{background:#fff;border:1px solid #e4dccf;border-radius:14px;padding:14px 16px}
.panel h3,.panel h4{margin:0 0 6px;font-size:17px}
.panel h3:focus,.panel h4:focus{outline:none}
.panel h3:focus-visible,.panel h4:focus-visible{outline:3px solid #8c5e00}
.stages{list-style:none;display:flex;margin:10px 0 12px;padding:0;counter-reset:st}
.stages li{flex:1;position:relative;padding-top:22px;font-size:13px;color:#5c5457;text-align:center}
.stages li::before{content:"";position:absolute;top:4px;left:50%;width:12px;height:12px;margin-left:-6px;border-radius:50%;background:#fff;border:2px solid #8a8078;z-index:1}
.stages li::after{content:"";position:absolute;top:9px;left:-50%;width:100%;height:2px;background:#d8cfc1}
.stages li:first-child::after{display:none}
.stages .done{color:#231f20}
.stages .done::before{background:#8c5e00;border-color:#8c5e00}
.stages .done::after{background:#8c5e00}
.stages [aria-current]{font-weight:700}
.events{list-style:none;margin:0;padding:0 0 0 14px;border-left:2px solid #e4dccf}
.events li{position:relative;padding:0 0 10px 4px;font-size:14px}
.events li::before{content:"";position:absolute;left:-20px;top:6px;width:10px;height:10px;border-radius:50%;background:#c9a24d}
.events time{display:block;font-size:13px;color:#5c5457}
.items{margin:8px 0 0;padding-left:18px;font-size:14px}
.status{display:inline-block;padding:2px 10px;border-radius:999px;background:#1c1a27;color:#fff;font-size:13px;font-weight:600}
.elig{list-style:none;margin:8px 0;padding:0;font-size:14px}
.elig li{display:flex;gap:8px;align-items:baseline}
.yes{color:#1a5631;font-weight:700}.no{color:#8e1b14;font-weight:700}
.flow{margin-top:12px}
form.panel{display:grid;gap:12px}
.field{display:grid;gap:4px}
label,legend{font-weight:600;font-size:14px}
.opt{font-weight:400;color:#5c5457}
.hint{margin:0;font-size:13px;color:#5c5457}
input,select,textarea{width:100%;min-height:44px;padding:10px 12px;border:1px solid #857a70;border-radius:10px;background:#fff;font-size:16px}
textarea{resize:vertical;min-height:80px}
[aria-invalid="true"]{border-color:#b3261e;box-shadow:0 0 0 1px #b3261e}
.err{margin:0;font-size:14px;color:#a1221a;font-weight:600}
.err::before{content:"! ";font-weight:700}
fieldset{margin:0;padding:0;border:0;min-width:0}
legend{padding:0;margin-bottom:6px}
.choices{display:grid;gap:6px}
.choice{display:flex;align-items:center;gap:10px;padding:8px 12px;border:1px solid #d8cfc1;border-radius:10px;font-weight:400}
.choice input{width:18px;height:18px;min-height:0;margin:0;accent-color:#1c1a27}
.choice:has(input:disabled){color:#6b625b;background:#f7f4ef}
.scores{display:flex;gap:6px;flex-wrap:wrap}
.scores .choice{flex:1 1 0;min-width:0;flex-direction:column;gap:2px;padding:8px 2px;text-align:center;font-size:12px;line-height:1.25}
.scores .choice>span{display:flex;flex-direction:column;align-items:center}
.scores .choice b{font-size:18px}
.choice:has(input:checked){border-color:#1c1a27;background:#f3ede3}
.actions{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.btn{min-height:44px;padding:10px 18px;border-radius:999px;border:1px solid #1c1a27;background:#1c1a27;color:#fff;font-weight:600}
.btn:hover{background:#2d2a3d}
.btn[aria-disabled="true"]{opacity:.7;cursor:progress}
.ghost{background:transparent;color:#231f20;border-color:#857a70}
.ghost:hover{background:#f3ede3}
.form-err{margin:0;padding:8px 12px;border-radius:10px;background:#fbeaea;color:#8e1b14;font-size:14px}
.chips{display:flex;gap:8px;padding:8px 16px;overflow-x:auto;border-top:1px solid #eee6da}
.chip{flex:none;min-height:36px;padding:6px 14px;border-radius:999px;border:1px solid #b9ac97;background:#fff;color:#3d2f1e;font-size:14px}
.chip:hover{background:#f3ede3}
.filters{display:flex;align-items:baseline;gap:8px;padding:8px 16px;border-bottom:1px solid #eee6da;background:#fbf7f0}
.filters>span{flex:none;font-size:13px;font-weight:600;color:#5c5457}
.filters ul{display:flex;flex-wrap:wrap;gap:6px;margin:0;padding:2px;list-style:none}
.fchip{flex:none;display:inline-flex;align-items:center;gap:2px;padding:2px 2px 2px 12px;border-radius:999px;border:1px solid #b9ac97;background:#fff;color:#3d2f1e;font-size:14px;font-weight:600}
.fchip button{display:grid;place-items:center;width:28px;height:28px;padding:0;border:0;border-radius:50%;background:transparent;color:#5c4a2e}
.fchip button:hover{background:#f3ede3}
.fchip :focus-visible{outline-offset:0}
.more{margin-top:10px}
.composer{display:flex;gap:8px;padding:10px 12px 12px;border-top:1px solid #eee6da;background:#fff}
.composer input{flex:1;min-width:0;border-radius:999px;padding:10px 16px}
.send{flex:none;display:grid;place-items:center;width:44px;height:44px;border-radius:50%;border:0;background:#1c1a27;color:#fff}
.send:hover{background:#2d2a3d}
`;

  class AuroraConcierge extends HTMLElement {
    connectedCallback() {
      if (this._started) return;
      this._started = true;
      this.setAttribute('state', 'loading');
      this.start();
    }

    async start() {
      this.api = (this.getAttribute('api') || SCRIPT_ORIGIN).replace(/\/+$/, '');
      this.userId = this.getAttribute('user-id') || shopperId();
      // Before the first call: every request carries it as the version key (see request()).
      this.sessionId = sessionId();
      // The newest D1 bookmark an answer gave (see request()), kept across reloads like the context.
      const kept = loadKept(BOOKMARK_KEY, this.sessionId, null);
      this.bookmark = typeof kept === 'string' ? kept : null;
      const flags = await this.request('GET', `/v1/flags?user_id=${encodeURIComponent(this.userId)}`);
      if (!flags.ok || !flags.data || flags.data.enabled !== true) {
        this.setAttribute('state', 'off');
        if (flags.data && flags.data.reason) this.setAttribute('reason', flags.data.reason);
        return;
      }
      this.domain = flags.data.domain || {};
      // Per-feature rollout (rules/rollout.toml): a feature the Worker does not mention is on.
      this.features = flags.data.features || {};
      const saved = loadConversation(this.sessionId);
      this.context = saved.context || null;
      this.filters = saved.filters || null;
      this.queue = [];
      this.order = null;
      this.ticket = null;
      this.transcript = loadKept(TRANSCRIPT_KEY, this.sessionId, []);
      this.render();
      this.setAttribute('state', 'ready');
    }

    /** One HTTP call; never throws. Resolves to {ok, status, data, error, network}. */
    async request(method, path, body, key) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
      const headers = { Accept: 'application/json' };
      if (body) headers['Content-Type'] = 'application/json';
      if (key) headers['Idempotency-Key'] = key;
      // Version affinity: during a gradual deployment Cloudflare routes every request with the
      // same key to the same Worker version, so one conversation never switches rule sets.
      if (this.sessionId) headers['Cloudflare-Workers-Version-Key'] = this.sessionId;
      if (this.userId) headers['X-Shopper-Id'] = this.userId;
      // Read-your-writes across D1 replicas: the newest bookmark an answer gave goes back with
      // every call, so a return just filed shows in the status lookup that follows.
      if (this.bookmark) headers['X-D1-Bookmark'] = this.bookmark;
      try {
        const res = await fetch(this.api + path, {
          method, headers, body: body ? JSON.stringify(body) : undefined,
          credentials: 'omit', signal: ctl.signal,
        });
        const bookmark = res.headers.get('X-D1-Bookmark');
        // D1 bookmarks sort in commit order: keep the newest when answers arrive out of order.
        if (bookmark && (!this.bookmark || bookmark > this.bookmark)) {
          this.bookmark = bookmark;
          keep(BOOKMARK_KEY, this.sessionId, bookmark);
        }
        let data = null;
        try { data = await res.json(); } catch { /* empty or non-JSON body */ }
        const error = res.ok ? null : (data && data.error) || { code: 'http_' + res.status, message: 'Something went wrong on our side. Please try again.' };
        if (res.status === 429) error.message = 'You are sending messages very quickly. Please wait a moment and try again.';
        return { ok: res.ok, status: res.status, data, error };
      } catch {
        return { ok: false, status: 0, data: null, network: true, error: { code: 'network', message: MSG_NETWORK, field: null } };
      } finally {
        clearTimeout(timer);
      }
    }

    /** A creating POST: one Idempotency-Key per logical submission (same body), reused on retries. */
    async create(form, path, body) {
      const sig = JSON.stringify(body);
      if (form._sig !== sig) {
        form._sig = sig;
        form._key = uuid();
      }
      let res;
      for (let attempt = 0; attempt < 3; attempt++) {
        res = await this.request('POST', path, body, form._key);
        const transient = res.network || res.status >= 500 || (res.error && res.error.code === 'idempotency_in_flight');
        if (!transient) break;
        await sleep(500 * (attempt + 1));
      }
      if (res.ok) form._sig = null;
      return res;
    }

    render() {
      const root = this.attachShadow({ mode: 'open' });
      const style = h('style');
      style.textContent = STYLE;
      const dialogId = nid('dialog');
      const titleId = nid('title');
      this.launcher = h('button', {
        class: 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': dialogId, 'aria-haspopup': 'dialog',
        onclick: () => (this.dialog.hidden ? this.open() : this.close()),
      }, icon(GEM, 22), h('span', null, 'Ask our concierge'));
      this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', 'aria-busy': 'false' });
      this.typing = h('p', { class: 'typing', hidden: true }, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), 'The concierge is replying…');
      this.flow = h('div', { class: 'flow' });
      const filtersId = nid('filters');
      this.filterList = h('ul', { 'aria-labelledby': filtersId });
      this.filterBar = h('div', { class: 'filters', hidden: true }, h('span', { id: filtersId }, 'Filters'), this.filterList);
      this.body = h('div', { class: 'body', tabindex: '0', role: 'region', 'aria-label': 'Conversation' }, this.log, this.typing, this.flow);
      const inputId = nid('text');
      const cats = (this.domain.categories || []).map((c) => c.replace(/_/g, ' '));
      const metals = this.domain.metals || [];
      this.input = h('input', { id: inputId, type: 'text', name: 'text', maxlength: '2000', autocomplete: 'off', enterkeyhint: 'send',
        placeholder: `Ask about ${[...cats.slice(0, 1), 'orders', 'returns'].join(', ')}…` });
      this.composer = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.sendText(); } },
        h('label', { class: 'sr', for: inputId }, 'Message to the concierge'), this.input,
        h('button', { class: 'send', type: 'submit' }, icon(SEND), h('span', { class: 'sr' }, 'Send')));
      const chip = (text, fn) => h('button', { class: 'chip', type: 'button', onclick: fn }, text);
      // One search to start from, drawn from the shop's domain and steady for this session.
      const n = [...this.sessionId].reduce((sum, c) => sum + c.charCodeAt(0), 0);
      const cat = cats[Math.floor(n / (metals.length || 1)) % cats.length];
      const idea = cats.length ? `${metals.length ? `${label(metals[n % metals.length])} ${cat}` : label(cat)} under $500` : null;
      const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Suggestions' },
        idea && this.on('product_search') ? chip(idea, () => this.sendText(idea)) : null,
        this.on('order_lookup') ? chip('Track an order', () => this.openTracking()) : null,
        this.canReturn() ? chip('Returns & resizing', () => this.openReturn()) : null,
        this.on('returns_form') ? chip('Check a return', () => this.openReturnStatus()) : null,
        this.on('stylist_chat') ? chip('Talk to a stylist', () => this.openStylist()) : null);
      this.dialog = h('div', { class: 'dialog', id: dialogId, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, hidden: true,
        onkeydown: (e) => this.onKey(e) },
        h('header', null, icon(GEM, 24),
          h('div', null, h('h2', { id: titleId }, 'Aurora Concierge'), h('p', { class: 'sub' }, 'Fine jewelry advice, orders and aftercare')),
          h('button', { class: 'close', type: 'button', 'aria-label': 'Close concierge', onclick: () => this.close() }, icon(CLOSE))),
        this.filterBar, this.body, chips, this.composer);
      root.append(style, h('aside', { 'aria-label': 'Aurora Concierge' }, this.launcher, this.dialog));
      const can = [this.on('product_search') && 'find a piece', this.on('order_lookup') && 'track an order',
        this.canReturn() && 'arrange a return or resize', this.on('stylist_chat') && 'reach a stylist'].filter(Boolean);
      this.say('bot', `Hello, I am the Aurora concierge.${can.length ? ` Ask me to ${can.length > 1 ? `${can.slice(0, -1).join(', ')}, or ${can[can.length - 1]}` : can[0]}.` : ''}`);
      this.renderFilters(this.filters);
    }

    /** The search in effect as removable chips; hidden when there is none. Focus on a chip survives. */
    renderFilters(filters) {
      const active = this.shadowRoot.activeElement;
      const slot = active && this.filterBar.contains(active) ? active.dataset.slot : null;
      const chips = filterChips(filters);
      this.filterList.replaceChildren(...chips.map(([s, text]) => h('li', { class: 'fchip', 'data-slot': s }, h('span', null, text),
        h('button', { type: 'button', 'data-slot': s, 'aria-label': `Remove filter: ${text}`, onclick: (e) => this.removeFilter(e.currentTarget, s, text) }, icon(CLOSE, 16)))));
      this.filterBar.hidden = !chips.length;
      if (slot) (this.filterList.querySelector(`button[data-slot="${slot}"]`) || this.filterList.querySelector('button') || this.input).focus();
    }

    /** A chip's ×: the chip goes at once (focus moves to its neighbour) and the removal is queued. */
    removeFilter(button, slot, text) {
      const li = button.closest('li');
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      this.filterBar.hidden = !this.filterList.children.length;
      (next ? next.querySelector('button') : this.input).focus();
      this.enqueue({ remove: slot }, `Remove filter: ${text}`);
    }

    open() {
      this.dialog.hidden = false;
      this.launcher.setAttribute('aria-expanded', 'true');
      this.input.focus();
      if (!this.askedResolved) {
        this.askedResolved = true;
        this.askIfResolved();
      }
    }

    /** A stylist request filed earlier and resolved since, not yet rated: ask for its rating. */
    async askIfResolved() {
      const t = filed.get();
      if (!t || this.ticket === t.id) return;
      const res = await this.request('POST', '/v1/escalations/status', { ticket_id: t.id, email: t.email });
      if (res.ok && res.data.rated) return filed.clear();
      if (!res.ok) return res.status === 404 && filed.clear();
      if (res.data.status !== 'resolved' || this.flow.children.length) return;
      this.say('bot', h('p', { 'data-resolved-ticket': t.id }, `Your stylist request ${t.id} is resolved.`));
      this.openCsat(t.id);
    }

    close() {
      // The end of a real conversation (a message answered): ask for a rating once per session.
      const roles = this.transcript.map((m) => m.role);
      if (!this.dialog.hidden && roles.includes('shopper') && roles.includes('concierge') && !loadKept(CSAT_KEY, this.sessionId)) {
        keep(CSAT_KEY, this.sessionId, 1);
        return this.openCsat(null, true);
      }
      this.dialog.hidden = true;
      this.launcher.setAttribute('aria-expanded', 'false');
      this.launcher.focus();
    }

    onKey(e) {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        this.close();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = [...this.dialog.querySelectorAll('button,input,select,textarea,a[href],[tabindex="0"]')]
        .filter((el) => !el.disabled && el.getClientRects().length && !(el.type === 'radio' && !el.checked && this.dialog.querySelector(`input[type=radio][name="${el.name}"]:checked`)));
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      const active = this.shadowRoot.activeElement;
      const outside = !active || !this.dialog.contains(active);
      if (e.shiftKey && (active === first || outside)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || outside)) {
        e.preventDefault();
        first.focus();
      }
    }

    /** Scrolls to the newest content; a block taller than the view is shown from its top. */
    scrollDown(el) {
      requestAnimationFrame(() => {
        const b = this.body;
        b.scrollTop = el && el.offsetHeight > b.clientHeight - 16 ? el.offsetTop - 8 : b.scrollHeight;
      });
    }

    /** Appends a message bubble (text) or a rich node to the conversation log. */
    say(who, content, extra = '') {
      const node = typeof content === 'string' ? h('p', null, content) : content;
      const el = h('div', { class: `msg ${who} ${extra}` }, who === 'user' ? h('span', { class: 'sr' }, 'You: ') : null, node);
      this.log.append(el);
      this.scrollDown(el);
      return el;
    }

    setBusy(on) {
      this.log.setAttribute('aria-busy', String(on));
      this.typing.hidden = !on;
      if (on) this.scrollDown();
    }

    /** Sends the typed (or suggested) text; the shopper can keep typing while replies are on their way. */
    sendText(preset) {
      const text = (preset || this.input.value).trim();
      if (!text) return;
      if (!preset) this.input.value = '';
      this.enqueue({ text }, text);
    }

    /** Shows the shopper's message at once and queues it: messages go out one at a time, in order. */
    enqueue(item, shown) {
      this.say('user', shown);
      this.queue.push(item);
      this.setBusy(true);
      if (!this.pumping) this.pump();
    }

    /** Sends the queue, each message with the context of the reply before it, so no refinement is lost. */
    async pump() {
      this.pumping = true;
      while (this.queue.length) {
        const item = this.queue.shift();
        let res = await this.request('POST', '/v1/messages', this.messageBody(item));
        if (!res.ok && this.context && res.status === 422 && /^context\b/.test(res.error.field || '')) {
          // A context the Worker no longer accepts: start the conversation afresh rather than fail.
          this.remember(null, null);
          res = await this.request('POST', '/v1/messages', this.messageBody(item));
        }
        if (!res.ok) {
          this.say('bot', sentence(res.error.message), 'error');
          continue;
        }
        this.remember(res.data.context, res.data.filters);
        if (item.text) {
          this.lastText = item.text;
          this.note('shopper', item.text);
          this.note('concierge', res.data.reply);
        }
        this.answer(res.data);
      }
      this.pumping = false;
      this.setBusy(false);
    }

    /** One line of the transcript a stylist sees with a ticket (the last 50, each ≤ 1000 characters). */
    note(role, text) {
      if (!text) return;
      this.transcript = [...this.transcript, { role, text: [...String(text)].slice(0, 1000).join(''), at: new Date().toISOString() }].slice(-50);
      keep(TRANSCRIPT_KEY, this.sessionId, this.transcript);
    }

    messageBody(item) {
      const body = { session_id: this.sessionId, user_id: this.userId, ...item };
      if (this.context) body.context = this.context;
      return body;
    }

    /** Keeps the conversation's context (memory and sessionStorage) and shows its filters. */
    remember(context, filters) {
      this.context = context && typeof context === 'object' ? context : null;
      this.filters = filters || null;
      saveConversation(this.sessionId, this.context, this.filters);
      this.renderFilters(this.filters);
    }

    /** Whether a feature is on for this shopper (`/v1/flags` features; absent means on). */
    on(name) { return this.features[name] !== false; }

    /** A return or resize starts with an order lookup, so it needs both features. */
    canReturn() { return this.on('returns_form') && this.on('order_lookup'); }

    /** One reply: its text, then what its next_step asks for. */
    answer(m) {
      if (this.moreButton) this.moreButton.remove();
      this.say('bot', m.reply || 'Here is what I found.');
      const ents = m.entities || {};
      switch (m.next_step) {
        case 'show_products':
          this.flow.replaceChildren();
          this.showProducts(m.products || [], m.more);
          break;
        case 'ask_order_details':
          this.openTracking(ents);
          break;
        case 'show_order':
          this.flow.replaceChildren();
          if (m.order) this.showOrder(m.order, ents.email);
          break;
        case 'return_form':
          if (this.canReturn()) this.openReturn(ents);
          break;
        case 'offer_stylist':
          if (this.on('stylist_chat')) this.openStylist();
          break;
        case 'show_csat':
          if (this.ticket) this.openCsat(this.ticket);
          break;
        default:
          if (m.products && m.products.length) this.showProducts(m.products, m.more);
      }
    }

    showProducts(products, more) {
      if (!products.length) {
        this.say('bot', 'Nothing ready to ship matches that just now. Try another metal or budget, or ask a stylist.');
        return;
      }
      const list = h('ul', { class: 'products', 'aria-label': `${products.length} matching pieces` }, products.map((p) => {
        const src = new URL(p.image || `/img/${p.category}.svg`, this.api + '/').href;
        return h('li', { class: 'card', 'data-sku': p.sku },
          h('div', { class: 'thumb' }, h('img', { src, alt: '', width: '60', height: '60', loading: 'lazy' })),
          h('div', null,
            h('h3', null, p.name),
            h('p', { class: 'meta', 'data-metal': p.metal }, label(p.metal)),
            h('div', { class: 'row' },
              h('span', { class: 'price', 'data-price-cents': p.price_cents }, price(p)),
              p.ready_to_ship ? h('span', { class: 'badge' }, 'Ready to ship') : h('span', { class: 'badge wait' }, 'Made to order'))));
      }));
      this.moreButton = more ? h('button', { class: 'btn ghost more', type: 'button', onclick: (e) => {
        e.currentTarget.remove();
        this.input.focus();
        this.enqueue({ text: 'show me more' }, 'Show me more');
      } }, 'Show more') : null;
      this.say('bot', h('div', null, list, this.moreButton), 'rich');
    }

    // ---- forms -------------------------------------------------------------------------------

    /** Opens a form in the flow area, replacing any other, and moves focus to its first field. */
    showFlow(form) {
      this.flow.replaceChildren(form);
      this.scrollDown(form);
      // A shopper still typing (or with messages queued) keeps the focus; the form waits below.
      if (this.queue.length || (this.shadowRoot.activeElement === this.input && this.input.value)) return;
      const first = form.querySelector('input:not([type=hidden]):not(:disabled),select,textarea,button');
      if (first) first.focus();
    }

    closeFlow() {
      this.flow.replaceChildren();
      this.input.focus();
    }

    /** A labelled field with a hint and an error slot wired through aria-describedby. */
    field({ name, text, type = 'text', hint, optional, value, attrs = {}, options }) {
      const id = nid(name);
      const hintId = hint ? `${id}-hint` : null;
      let input;
      if (type === 'textarea') input = h('textarea', { id, name, rows: '3', ...attrs });
      else if (type === 'select') input = h('select', { id, name, ...attrs }, options.map(([v, t]) => h('option', { value: v }, t)));
      else input = h('input', { id, name, type, ...attrs });
      if (value != null) input.value = value;
      if (!optional) input.setAttribute('aria-required', 'true');
      if (hintId) input.setAttribute('aria-describedby', hintId);
      input.dataset.hint = hintId || '';
      return h('div', { class: 'field' },
        h('label', { for: id }, text, optional ? h('span', { class: 'opt' }, ' (optional)') : null),
        hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
        input,
        h('p', { class: 'err', id: `${id}-err`, 'data-err': name, hidden: true }));
    }

    radios(name, legend, choices, optional) {
      const id = nid(name);
      return h('fieldset', { 'data-group': name, id },
        h('legend', null, legend, optional ? h('span', { class: 'opt' }, ' (optional)') : null),
        h('div', { class: name === 'score' ? 'scores' : 'choices' }, choices.map(([v, t, disabled]) =>
          h('label', { class: 'choice' }, h('input', { type: 'radio', name, value: v, disabled }), t))),
        h('p', { class: 'err', id: `${id}-err`, 'data-err': name, hidden: true }));
    }

    /** A form panel with a heading, the given fields, a form-level error slot and actions. */
    makeForm(title, fields, submitText, onSubmit) {
      const headId = nid('form');
      const submit = submitText ? h('button', { class: 'btn', type: 'submit' }, submitText) : null;
      const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': headId, 'aria-busy': 'false' },
        h('h3', { id: headId, tabindex: '-1' }, title),
        fields,
        h('p', { class: 'form-err', role: 'alert', hidden: true }),
        h('div', { class: 'actions' }, submit,
          h('button', { class: 'btn ghost', type: 'button', onclick: () => this.closeFlow() }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (form._busy || !onSubmit) return;
        this.clearErrors(form);
        form._busy = true;
        form.setAttribute('aria-busy', 'true');
        submit.setAttribute('aria-disabled', 'true');
        const idle = [...submit.childNodes];
        submit.replaceChildren(h('span', { class: 'spin', 'aria-hidden': 'true' }), 'Please wait…');
        try {
          await onSubmit(form);
        } finally {
          form._busy = false;
          form.setAttribute('aria-busy', 'false');
          submit.removeAttribute('aria-disabled');
          submit.replaceChildren(...idle);
        }
      });
      form._submit = submit;
      return form;
    }

    values(form) {
      const out = {};
      for (const el of form.elements) {
        if (!el.name || el.disabled || (el.type === 'radio' && !el.checked)) continue;
        out[el.name] = el.value.trim();
      }
      return out;
    }

    clearErrors(form) {
      form.querySelectorAll('.err').forEach((p) => { p.hidden = true; p.textContent = ''; });
      form.querySelectorAll('[aria-invalid]').forEach((el) => {
        el.removeAttribute('aria-invalid');
        const hint = el.dataset.hint;
        if (hint) el.setAttribute('aria-describedby', hint);
        else el.removeAttribute('aria-describedby');
      });
      form.querySelector('.form-err').hidden = true;
    }

    /** Shows API or local errors next to the field they concern; returns false when any were shown. */
    showErrors(form, errors) {
      let focusEl = null;
      const nameOf = (tok) => {
        const el = form.elements.namedItem(tok);
        const lab = form.querySelector(`[data-group="${tok.replace(/\W/g, '')}"] legend`) || (el && el.labels && el.labels[0]);
        return lab ? lab.firstChild.textContent.toLowerCase() : tok.replace(/_/g, ' ');
      };
      for (const err of errors) {
        const { field } = err;
        const message = sentence(err.message, nameOf);
        const name = String(field || '').replace(/\[.*$/, '').split('.').pop();
        const slot = name && form.querySelector(`[data-err="${name}"]`);
        if (!slot) {
          const fe = form.querySelector('.form-err');
          fe.textContent = message;
          fe.hidden = false;
          continue;
        }
        slot.textContent = message;
        slot.hidden = false;
        const group = form.querySelector(`[data-group="${name}"]`);
        const targets = group ? [...group.querySelectorAll('input')] : [form.elements.namedItem(name)];
        for (const el of targets) {
          el.setAttribute('aria-invalid', 'true');
          el.setAttribute('aria-describedby', [el.dataset.hint, slot.id].filter(Boolean).join(' '));
        }
        focusEl = focusEl || (group ? group.querySelector('input:not(:disabled)') : targets[0]);
      }
      if (focusEl) focusEl.focus();
      return !errors.length;
    }

    /** Client-side checks for empty required fields, phrased like the API's messages. */
    required(form, msgs) {
      const v = this.values(form);
      const errors = Object.entries(msgs).filter(([k]) => !v[k]).map(([field, message]) => ({ field, message }));
      return this.showErrors(form, errors) ? v : null;
    }

    apiError(form, res) {
      this.showErrors(form, [res.error]);
    }

    /** The order-number field; its example follows the rules' format (`domain.order_number`). */
    orderField(lead, value) {
      const example = (this.domain.order_number || {}).example;
      return this.field({ name: 'order_number', text: 'Order number', hint: example ? `${lead} ${example}.` : null, value,
        attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', placeholder: example } });
    }

    /** US ring sizes from `domain.ring_sizes` (min..max by step); a free field if the Worker gives none. */
    ringSizeField() {
      const r = this.domain.ring_sizes || {};
      const [min, max, step] = [r.min, r.max, r.step].map(Number);
      if (!(step > 0 && max >= min)) return this.field({ name: 'ring_size', text: 'New ring size (US)', attrs: { inputmode: 'decimal' } });
      const sizes = [];
      for (let i = 0, n = Math.round((max - min) / step); i <= n; i++) {
        const size = String(Math.round((min + i * step) * 100) / 100);
        sizes.push([size, `US ${size}`]);
      }
      return this.field({ name: 'ring_size', text: 'New ring size', type: 'select', options: [['', 'Choose a size'], ...sizes] });
    }

    openTracking(ents = {}) {
      const form = this.makeForm('Track your order', [
        this.orderField('From your confirmation email, for example', ents.order_number || (this.order && this.order.order_number)),
        this.field({ name: 'email', text: 'Email used for the order', type: 'email', value: ents.email || (this.order && this.order.email), attrs: { autocomplete: 'email' } }),
      ], 'Track order', async (f) => {
        const v = this.required(f, { order_number: 'Enter your order number.', email: 'Enter the email address used for the order.' });
        if (!v) return;
        v.order_number = v.order_number.toUpperCase();
        const res = await this.request('POST', '/v1/orders/lookup', v);
        if (!res.ok) return this.apiError(f, res);
        this.flow.replaceChildren();
        this.showOrder(res.data, v.email, true);
      });
      this.showFlow(form);
    }

    showOrder(order, email, focus) {
      this.order = { order_number: order.order_number, email, data: order };
      const headId = nid('order');
      const st = order.status;
      const reached = STAGES.indexOf(st);
      const stages = st === 'cancelled'
        ? h('p', null, 'This order was cancelled. Any payment has been refunded to the original card.')
        : h('ol', { class: 'stages', 'aria-label': 'Order progress' }, STAGES.map((s, i) =>
          h('li', { class: i <= reached ? 'done' : null, 'aria-current': i === reached ? 'step' : null }, STATUS_TEXT[s])));
      const events = [{ at: order.placed_at, detail: 'Order placed' }];
      for (const sh of order.shipments || []) {
        for (const ev of sh.events || []) events.push({ at: ev.at, detail: ev.detail || label(ev.status, STATUS_TEXT) });
      }
      events.sort((a, b) => String(b.at).localeCompare(String(a.at)));
      const ship = (order.shipments || [])[0];
      const el = h('section', { class: 'panel', 'aria-labelledby': headId, 'data-order': order.order_number },
        h('h3', { id: headId, tabindex: '-1' }, `Order ${order.order_number}`),
        h('p', null, 'Status: ', h('span', { class: 'status', 'data-status': st }, label(st, STATUS_TEXT)),
          order.delivered_at ? ` on ${fmtDate(order.delivered_at)}` : ''),
        stages,
        ship && ship.tracking_number ? h('p', { class: 'meta' }, `${ship.carrier || 'Carrier'} tracking ${ship.tracking_number}`) : null,
        h('h4', null, 'Timeline'),
        h('ol', { class: 'events' }, events.map((ev) => h('li', null, h('time', { datetime: ev.at || '' }, fmtDate(ev.at, dayTime)), ev.detail))),
        h('h4', null, 'Items'),
        h('ul', { class: 'items' }, (order.items || []).map((it) => h('li', null, `${it.name}${it.quantity > 1 ? ` × ${it.quantity}` : ''}`))));
      const elig = order.return_eligibility || {};
      if ((elig.return || elig.resize || elig.exchange) && this.canReturn()) {
        el.append(h('div', { class: 'actions' }, h('button', { class: 'btn ghost', type: 'button', onclick: () => this.openReturn() }, 'Return, resize or exchange')));
      }
      this.say('bot', el, 'rich');
      if (focus) el.querySelector('h3').focus();
    }

    openReturn(ents = {}) {
      const same = !ents.order_number || (this.order && ents.order_number === this.order.order_number);
      if (this.order && this.order.email && same) return this.showReturnForm();
      const form = this.makeForm('Returns, resizing and exchanges', [
        h('p', { class: 'hint' }, 'First, find your order so we can show what it is eligible for.'),
        this.orderField('For example', ents.order_number),
        this.field({ name: 'email', text: 'Email used for the order', type: 'email', value: ents.email, attrs: { autocomplete: 'email' } }),
      ], 'Check eligibility', async (f) => {
        const v = this.required(f, { order_number: 'Enter your order number.', email: 'Enter the email address used for the order.' });
        if (!v) return;
        v.order_number = v.order_number.toUpperCase();
        const res = await this.request('POST', '/v1/orders/lookup', v);
        if (!res.ok) return this.apiError(f, res);
        this.order = { order_number: res.data.order_number, email: v.email, data: res.data };
        this.showReturnForm();
      });
      this.showFlow(form);
    }

    showReturnForm() {
      const { order_number, email, data } = this.order;
      const e = data.return_eligibility || {};
      const any = e.return || e.resize || e.exchange;
      const mark = (ok) => h('span', { class: ok ? 'yes' : 'no', 'aria-hidden': 'true' }, ok ? '✓' : '✕');
      const eligText = (k) => (e[k] ? 'available' : 'not available');
      const summary = h('div', { class: 'eligibility', 'data-eligible': String(!!any) },
        h('p', null, h('strong', null, `Order ${order_number}: `), sentence(e.reason) || (any ? 'This order is eligible.' : 'This order is not eligible.')),
        e.deadline && any ? h('p', { class: 'meta' }, `Requests accepted until ${fmtDate(e.deadline)}.`) : null,
        h('ul', { class: 'elig', 'aria-label': 'Eligibility' }, Object.keys(KINDS).map((k) =>
          h('li', null, mark(e[k]), `${label(k, { return: 'Return', resize: 'Resize', exchange: 'Exchange' })}: ${eligText(k)}`))));
      if (!any) {
        const form = this.on('stylist_chat')
          ? this.makeForm('Returns, resizing and exchanges', [summary,
            h('p', null, 'A stylist can still help with repairs, care or a special request.')], 'Talk to a stylist', async () => this.openStylist())
          : this.makeForm('Returns, resizing and exchanges', [summary], null, null);
        return this.showFlow(form);
      }
      const items = (data.items || []).map((it) => [it.sku, `${it.name}${it.category ? ` (${it.category.replace(/s$/, '')})` : ''}`]);
      const sizeField = this.ringSizeField();
      const sizeInput = sizeField.querySelector('select,input');
      sizeField.hidden = true;
      const kinds = this.radios('kind', 'What would you like to do?', Object.entries(KINDS).map(([k, t]) => [k, e[k] ? t : `${t} (not available)`, !e[k]]));
      kinds.addEventListener('change', () => {
        const resize = form.elements.kind.value === 'resize';
        sizeField.hidden = !resize;
        sizeInput.disabled = !resize;
      });
      sizeInput.disabled = true;
      const form = this.makeForm('Returns, resizing and exchanges', [summary,
        this.field({ name: 'sku', text: 'Item', type: 'select', options: items.length > 1 ? [['', 'Choose an item'], ...items] : items }),
        kinds, sizeField,
        this.field({ name: 'reason', text: 'Reason', type: 'textarea', hint: 'A sentence is plenty, for example “Too small”.', attrs: { maxlength: '500' } }),
      ], 'Submit request', async (f) => {
        const v = this.required(f, { sku: 'Choose the item.', kind: 'Choose return, resize or exchange.', reason: 'Tell us briefly why.', ...(f.elements.kind.value === 'resize' ? { ring_size: 'Choose the new ring size.' } : {}) });
        if (!v) return;
        const body = { order_number, email, sku: v.sku, kind: v.kind, reason: v.reason };
        if (v.kind === 'resize') body.ring_size = Number(v.ring_size);
        const res = await this.create(f, '/v1/returns', body);
        if (!res.ok) return this.apiError(f, res);
        const r = res.data;
        this.flow.replaceChildren();
        const done = this.say('bot', h('div', { 'data-return-id': r.return_id },
          h('p', null, h('strong', { tabindex: '-1' }, 'Request received. '),
            `Your ${r.kind || body.kind} request ${r.return_id} is ${r.status || 'requested'}. We will email the next steps.`)));
        done.querySelector('strong').focus();
      });
      this.showFlow(form);
    }

    openStylist() {
      const form = this.makeForm('Talk to a stylist', [
        h('p', { class: 'hint' }, 'A stylist replies by email, usually within one business day.'),
        this.field({ name: 'name', text: 'Your name', optional: true, attrs: { autocomplete: 'name', maxlength: '120' } }),
        this.field({ name: 'email', text: 'Email', type: 'email', value: this.order && this.order.email, attrs: { autocomplete: 'email' } }),
        this.field({ name: 'topic', text: 'Topic', hint: 'For example “Engagement ring advice”.', attrs: { maxlength: '120' } }),
        this.field({ name: 'message', text: 'How can we help?', type: 'textarea', value: this.lastText, attrs: { maxlength: '2000' } }),
      ], 'Request a stylist', async (f) => {
        const v = this.required(f, { email: 'Enter your email address so a stylist can reply.', topic: 'Enter a short topic.', message: 'Tell the stylist how they can help.' });
        if (!v) return;
        const body = { session_id: this.sessionId, email: v.email, topic: v.topic, message: v.message };
        if (v.name) body.name = v.name;
        if (this.transcript.length) body.transcript = this.transcript;
        const res = await this.create(f, '/v1/escalations', body);
        if (!res.ok) return this.apiError(f, res);
        this.ticket = res.data.ticket_id;
        filed.set(this.ticket, v.email);
        this.say('bot', h('p', { 'data-ticket-id': this.ticket }, `Thank you. Your stylist ticket is ${this.ticket}; a stylist will email you shortly.`));
        keep(CSAT_KEY, this.sessionId, 1);
        this.openCsat(this.ticket);
      });
      this.showFlow(form);
    }

    /** A return's progress from its id and the order's email (POST /v1/returns/status). */
    openReturnStatus() {
      const form = this.makeForm('Check a return', [
        this.field({ name: 'return_id', text: 'Request number', hint: 'From the confirmation, for example RET-…', attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false' } }),
        this.field({ name: 'email', text: 'Email used for the order', type: 'email', value: this.order && this.order.email, attrs: { autocomplete: 'email' } }),
      ], 'Check status', async (f) => {
        const v = this.required(f, { return_id: 'Enter the request number.', email: 'Enter the email address used for the order.' });
        if (!v) return;
        const res = await this.request('POST', '/v1/returns/status', { return_id: v.return_id.toUpperCase(), email: v.email });
        if (!res.ok) return this.apiError(f, res);
        const r = res.data;
        this.flow.replaceChildren();
        const el = this.say('bot', h('section', { class: 'panel', 'data-return-status': r.status },
          h('h3', { tabindex: '-1' }, `${label(r.kind)} request ${r.return_id}`),
          h('p', null, 'Status: ', h('span', { class: 'status' }, label(r.status))),
          h('p', null, `${RETURN_TEXT[r.status] || label(r.status)}.`, r.decision_reason ? ` ${sentence(r.decision_reason)}` : ''),
          r.updated_at ? h('p', { class: 'meta' }, `Updated ${fmtDate(r.updated_at, dayTime)}`) : null), 'rich');
        el.querySelector('h3').focus();
      });
      this.showFlow(form);
    }

    /** The rating form: for a ticket, or (ticketId null) for this chat session when it ends. */
    openCsat(ticketId, ending) {
      const form = this.makeForm(ending ? 'Before you go: how was this chat?' : 'How was your experience?', [
        this.radios('score', 'Rate this conversation from 1 (poor) to 5 (excellent)', [1, 2, 3, 4, 5].map((n) =>
          [String(n), h('span', null, h('b', null, n), h('span', null, CSAT_TEXT[n]))])),
        this.field({ name: 'comment', text: 'Anything to add?', type: 'textarea', optional: true, attrs: { maxlength: '1000' } }),
      ], 'Send rating', async (f) => {
        const v = this.required(f, { score: 'Choose a score from 1 to 5.' });
        if (!v) return;
        const body = ticketId ? { ticket_id: ticketId, score: Number(v.score) } : { session_id: this.sessionId, score: Number(v.score) };
        if (v.comment) body.comment = v.comment;
        const res = await this.create(f, '/v1/csat', body);
        if (!res.ok && !(res.error && res.error.code === 'already_exists')) return this.apiError(f, res);
        if (ticketId && (filed.get() || {}).id === ticketId) filed.clear();
        this.flow.replaceChildren();
        const done = this.say('bot', h('p', { 'data-csat': String(body.score), tabindex: '-1' }, res.ok ? `Thank you for rating us ${body.score} out of 5.` : 'We already have your rating for this conversation. Thank you.'));
        done.querySelector('p').focus();
      });
      if (ending) {
        const skip = form.querySelector('.actions .ghost');
        skip.replaceWith(h('button', { class: 'btn ghost', type: 'button', onclick: () => { this.flow.replaceChildren(); this.close(); } }, 'No thanks, close'));
      }
      this.showFlow(form);
      if (ending) form.querySelector('h3').focus();
    }
  }

  customElements.define('aurora-concierge', AuroraConcierge);
})();
