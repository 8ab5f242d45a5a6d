// A stand-in API for iterating on the widget's and the staff console's look without the Worker:
// serves public/ and answers the shopper and admin routes of docs/api.md with a few canned records
// (any bearer token signs in as admin; `Bearer support` / `Bearer merchandiser` pick those roles). Not used by the browser tests,
// which run against the real Worker under wrangler dev (tests/e2e/harness.mjs).
//
//   node tests/browser/mock-api.mjs [port]     then open http://127.0.0.1:PORT/demo or /admin/
//   MOCK_DELAY_MS=1500 adds latency to every API answer; MOCK_KILL=1 turns the flag off.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');
const TYPES = { '.css': 'text/css', '.js': 'text/javascript', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' };
const DELAY = Number(process.env.MOCK_DELAY_MS || 0);

const products = [
  ['RG-0001', 'Aster solitaire ring', 'rings', 'rose_gold', 42000],
  ['RG-0002', 'Briar stacking band', 'rings', 'rose_gold', 18500],
  ['RG-0003', 'Celeste halo ring', 'rings', 'rose_gold', 49000],
].map(([sku, name, category, metal, c]) => ({ sku, name, category, metal, price: c / 100, price_cents: c, ready_to_ship: true, stock: 3, image: `/img/${category}.svg` }));

const order = {
  order_number: 'AUR-100123', status: 'delivered', placed_at: '2026-11-02T10:00:00Z', delivered_at: '2026-11-09T15:30:00Z',
  items: [{ sku: 'RG-0001', name: 'Aster solitaire ring', category: 'rings', quantity: 1, price: 420 },
    { sku: 'NK-0004', name: 'Lumen pendant', category: 'necklaces', quantity: 1, price: 320 }],
  shipments: [{ carrier: 'UPS', tracking_number: '1Z999AA10123456784', status: 'delivered', shipped_at: '2026-11-04T09:00:00Z', delivered_at: '2026-11-09T15:30:00Z',
    events: [{ at: '2026-11-04T09:00:00Z', status: 'in_transit', detail: 'Picked up by UPS' },
      { at: '2026-11-07T18:10:00Z', status: 'in_transit', detail: 'Arrived at local facility' },
      { at: '2026-11-09T15:30:00Z', status: 'delivered', detail: 'Delivered to front door' }] }],
  return_eligibility: { return: true, resize: true, exchange: true, reason: 'Delivered 16 days ago, within the 30-day window.', deadline: '2026-12-09T15:30:00Z' },
};

const err = (code, message, field = null) => ({ error: { code, message, field } });
const domain = {
  categories: ['rings', 'necklaces', 'earrings', 'bracelets'], metals: ['yellow_gold', 'white_gold', 'rose_gold', 'platinum'],
  styles: [{ id: 'hoop', implies: 'earrings' }, { id: 'diamond', implies: null }], unsupported: [],
  order_number: { prefix: 'AUR-', digits: 6, example: 'AUR-123456' }, ring_sizes: { min: 3, max: 13, step: 0.5 },
};
const noFilters = { categories: [], metals: [], styles: [], price: null };
let seq = 0;

const now = Date.now();
const ago = (h) => new Date(now - h * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
const tickets = Array.from({ length: 30 }, (_, i) => ({
  ticket_id: `TCK-${1000 + i}`, session_id: `s-mock-${i}`, email: `shopper${i}@example.com`, name: i % 3 ? `Shopper ${i}` : null,
  topic: ['Engagement ring advice', 'Gift for an anniversary', 'Sizing question'][i % 3], message: 'Could a stylist help me choose?',
  status: ['open', 'pending', 'resolved', 'closed'][i % 4], assignee: i % 5 ? null : 'alice@shop.example', note: null,
  created_at: ago(i * 5), updated_at: ago(i * 5),
}));
const ticketEvents = new Map();
const returnsList = Array.from({ length: 8 }, (_, i) => ({
  return_id: `RET-${200 + i}`, order_number: `AUR-1001${20 + i}`, email: `shopper${i}@example.com`, sku: 'RG-0001',
  kind: ['return', 'resize', 'exchange'][i % 3], reason: 'Too small', ring_size: i % 3 === 1 ? 7 : null,
  status: ['requested', 'approved', 'received', 'refunded'][i % 4], decision_reason: null, created_at: ago(i * 7), updated_at: ago(i * 7),
}));
const returnEvents = new Map();
const questions = Array.from({ length: 12 }, (_, i) => ({ text: [`do you sell {metal} anklets`, `my email is {email} where is my parcel`, 'can you engrave a locket'][i % 3] + (i > 2 ? ` (${i})` : ''),
  count: 20 - i, first_seen: ago(200 - i), last_seen: ago(i), intent: 'unknown', confidence: 0.2 + i / 100 }));
const roleOf = (auth) => {
  const t = String(auth || '').replace(/^Bearer /, '');
  return t ? (['support', 'merchandiser'].includes(t) ? t : 'admin') : null;
};
const page = (items, url, key) => {
  const limit = Number(url.searchParams.get('limit') || 50);
  const start = Number(url.searchParams.get('cursor') || 0);
  const slice = items.slice(start, start + limit);
  return { [key]: slice, count: slice.length, next_cursor: start + limit < items.length ? String(start + limit) : null };
};
const days = (from, to) => {
  const out = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86400e3) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
};

function admin(method, url, body, auth) {
  const role = roleOf(auth);
  const path = url.pathname;
  if (!role) return [401, err('unauthorized', 'A bearer token is required.')];
  const actor = `token:${role}`;
  if (path === '/v1/admin/me') return [200, { actor, role, via: 'token' }];
  const today = new Date(now).toISOString().slice(0, 10);
  const from = url.searchParams.get('from') || new Date(now - 29 * 86400e3).toISOString().slice(0, 10);
  const to = url.searchParams.get('to') || today;
  if (path === '/v1/admin/tickets') {
    const st = url.searchParams.get('status');
    return [200, page(tickets.filter((t) => !st || t.status === st), url, 'tickets')];
  }
  let m = /^\/v1\/admin\/tickets\/([^/]+)$/.exec(path);
  if (m) {
    const t = tickets.find((x) => x.ticket_id === m[1]);
    if (!t) return [404, err('not_found', 'No such ticket.')];
    const events = ticketEvents.get(t.ticket_id) || [{ at: t.created_at, actor: 'shopper', kind: 'created' }];
    ticketEvents.set(t.ticket_id, events);
    if (method === 'PATCH') {
      if (body.status) { t.status = body.status; events.push({ at: ago(0), actor, kind: 'status', status: body.status }); }
      if ('assignee' in body) { t.assignee = body.assignee || null; events.push({ at: ago(0), actor, kind: 'assigned', assignee: t.assignee }); }
      if (body.note) events.push({ at: ago(0), actor, kind: 'note', note: body.note });
    }
    return [200, { ticket: t, events, csat: null, transcript: [{ role: 'shopper', text: 'I need an engagement ring', at: t.created_at }, { role: 'concierge', text: 'A stylist would love to help.', at: t.created_at }] }];
  }
  if (path === '/v1/admin/returns') return [200, page(returnsList, url, 'returns')];
  m = /^\/v1\/admin\/returns\/([^/]+)$/.exec(path);
  if (m) {
    const r = returnsList.find((x) => x.return_id === m[1]);
    if (!r) return [404, err('not_found', 'No such return.')];
    const events = returnEvents.get(r.return_id) || [{ at: r.created_at, actor: 'shopper', status: 'requested' }];
    returnEvents.set(r.return_id, events);
    if (method === 'PATCH') {
      const next = { approve: 'approved', deny: 'denied', receive: 'received', complete: { return: 'refunded', resize: 'resized', exchange: 'exchanged' }[r.kind] }[body.action];
      if (body.action === 'deny' && !body.reason) return [422, err('missing_field', '`reason` is required to deny', 'reason')];
      r.status = next;
      if (body.reason) r.decision_reason = body.reason;
      events.push({ at: ago(0), actor, status: next, note: body.note || body.reason || null });
    }
    return [200, { return: r, events }];
  }
  if (path === '/v1/admin/unanswered') {
    const q = (url.searchParams.get('q') || '').toLowerCase();
    return [200, page(questions.filter((x) => x.text.includes(q)), url, 'questions')];
  }
  if (path === '/v1/admin/unanswered/export') return [200, `text\tintent\n${questions.map((x) => `${x.text}\t`).join('\n')}\n`, 'text/tab-separated-values'];
  if (path === '/v1/admin/analytics') {
    const ds = days(from, to).map((day, i) => {
      const messages = 20 + ((i * 37) % 50);
      const unmatched = (i * 7) % 9;
      const escalations = i % 4;
      return { day, messages, unmatched, unmatched_rate: unmatched / messages, escalations, escalation_rate: escalations / messages, csat_average: i % 3 ? 3.5 + (i % 3) / 2 : null, returns: i % 2, intents: {} };
    });
    const msgs = ds.reduce((a, d) => a + d.messages, 0);
    return [200, { intents: { product_discovery: 300, order_tracking: 120, returns_resizing: 60, unknown: 40 }, messages: msgs, unmatched_rate: 0.08, escalations: 20, escalation_rate: 0.02,
      csat_average: 4.2, returns: 9, returns_by_reason: { 'Too small': 4, 'Changed my mind': 3, 'Gift': 2 }, days: ds }];
  }
  if (path === '/v1/admin/csat') {
    const by_day = days(from, to).map((day, i) => ({ day, count: i % 3, average: i % 3 ? 4 : null, distribution: { 1: 0, 2: 0, 3: 0, 4: i % 3 ? 1 : 0, 5: i % 3 === 2 ? 1 : 0 } }));
    const comments = Array.from({ length: 6 }, (_, i) => ({ at: ago(i * 9), score: 5 - (i % 3), comment: i % 2 ? 'Lovely help, thank you.' : null, ticket_id: i % 2 ? `TCK-${1000 + i}` : null, session_id: i % 2 ? null : `s-${i}` }));
    return [200, { average: 4.3, count: 12, distribution: { 1: 0, 2: 1, 3: 2, 4: 4, 5: 5 }, by_period: [], by_day, ...page(comments, url, 'comments') }];
  }
  return [404, err('not_found', 'No such route.')];
}

function answer(method, path, body) {
  if (method === 'GET' && path === '/v1/flags') return [200, { enabled: !process.env.MOCK_KILL, bucket: 42, reason: 'in_rollout', rules_version: 'mock', domain }];
  if (method !== 'POST') return [404, err('not_found', 'No such route.')];
  if (path === '/v1/messages') {
    // The conversation is canned: a search always shows the same filters; a chip's × clears them.
    const t = String(body.text || '').toLowerCase();
    const base = { intent: 'unknown', confidence: 0.3, entities: {}, reply: 'Could you tell me a little more?', next_step: null, rules_version: 'mock',
      filters: (body.context && body.context.search) || noFilters, page: 0, context: body.context || { v: 1 } };
    if (body.remove) return [200, { ...base, intent: 'product_discovery', reply: 'Here are pieces that are ready to ship.', products, more: false, next_step: 'show_products', filters: noFilters, context: { v: 1 } }];
    if (/ring|necklace|gold|more/.test(t)) {
      const search = { categories: ['rings'], metals: ['rose_gold'], styles: [], price: { min: null, max: 500, kind: 'under' } };
      return [200, { ...base, intent: 'product_discovery', reply: 'Here are rose gold rings under $500 that are ready to ship.', products, more: true, next_step: 'show_products', filters: search, page: 1, context: { v: 1, search } }];
    }
    if (/order|track/.test(t)) return [200, { ...base, intent: 'order_tracking', reply: 'I can look that up. What is your order number and email?', next_step: 'ask_order_details' }];
    if (/return|resiz|exchange/.test(t)) return [200, { ...base, intent: 'returns_resizing', reply: 'Returns and exchanges are free within 30 days of delivery; rings can be resized once.', next_step: 'return_form' }];
    if (/stylist|human|person/.test(t)) return [200, { ...base, intent: 'stylist_escalation', reply: 'A stylist would love to help.', next_step: 'offer_stylist' }];
    return [200, base];
  }
  if (path === '/v1/orders/lookup') {
    if (!/^AUR-\d{6}$/.test(body.order_number || '')) return [422, err('invalid_field', 'Order numbers look like AUR- followed by 6 digits.', 'order_number')];
    if (body.order_number !== order.order_number || !/@/.test(body.email || '')) return [404, err('not_found', 'We could not find an order with that number and email.')];
    return [200, order];
  }
  if (path === '/v1/returns') return [201, { return_id: `RET-${++seq}`, status: 'requested', kind: body.kind, sku: body.sku, order_number: body.order_number }];
  if (path === '/v1/escalations') return [201, { ticket_id: `TCK-${++seq}`, status: 'open', csat_url: '/v1/csat' }];
  if (path === '/v1/csat') return [201, { ticket_id: body.ticket_id, session_id: body.session_id, score: body.score }];
  if (path === '/v1/returns/status') {
    const r = returnsList.find((x) => x.return_id === body.return_id && x.email === String(body.email || '').toLowerCase());
    return r ? [200, { return_id: r.return_id, kind: r.kind, status: r.status, decision_reason: r.decision_reason, updated_at: r.updated_at }] : [404, err('not_found', 'We could not find a request with that id and email.')];
  }
  return [404, err('not_found', 'No such route.')];
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/v1/')) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const parsed = raw ? JSON.parse(raw) : {};
    const [status, json, type] = url.pathname.startsWith('/v1/admin/') ? admin(req.method, url, parsed, req.headers.authorization) : answer(req.method, url.pathname, parsed);
    if (DELAY) await new Promise((r) => setTimeout(r, DELAY));
    res.writeHead(status, { 'content-type': type || 'application/json' }).end(type ? json : JSON.stringify(json));
    return;
  }
  const file = url.pathname === '/demo' ? 'demo.html' : /^\/admin\/?$/.test(url.pathname) ? 'admin/index.html' : url.pathname.slice(1);
  try {
    const data = await readFile(join(PUBLIC, file.replace(/\.\.+/g, '')));
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' }).end(data);
  } catch {
    res.writeHead(404).end('not found');
  }
}).listen(Number(process.argv[2] || 8790), '127.0.0.1', function () {
  console.log(`mock concierge on http://127.0.0.1:${this.address().port}/demo`);
});
