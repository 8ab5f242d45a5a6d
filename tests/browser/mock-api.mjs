// A stand-in API for iterating on the widget's look without the Worker: serves public/ and answers
// the shopper routes of docs/api.md with a few canned records. Not used by the browser tests,
// which run against the real Worker under wrangler dev (tests/e2e/harness.mjs).
//
//   node tests/browser/mock-api.mjs [port]     then open http://127.0.0.1:PORT/demo
//   MOCK_DELAY_MS=1500 adds latency to every API answer; MOCK_KILL=1 turns the flag off.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');
const TYPES = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' };
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
  if (path === '/v1/csat') return [201, { ticket_id: body.ticket_id, score: body.score }];
  return [404, err('not_found', 'No such route.')];
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/v1/')) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const [status, json] = answer(req.method, url.pathname, raw ? JSON.parse(raw) : {});
    if (DELAY) await new Promise((r) => setTimeout(r, DELAY));
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    return;
  }
  const file = url.pathname === '/demo' ? 'demo.html' : url.pathname.slice(1);
  try {
    const data = await readFile(join(PUBLIC, file.replace(/\.\.+/g, '')));
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' }).end(data);
  } catch {
    res.writeHead(404).end('not found');
  }
}).listen(Number(process.argv[2] || 8790), '127.0.0.1', function () {
  console.log(`mock concierge on http://127.0.0.1:${this.address().port}/demo`);
});
