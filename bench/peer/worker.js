// The JavaScript a shop would otherwise write: the benchmark's peer for scripts/bench (never
// deployed). Seed-style keyword/regex classification, the same KV-cached catalog read as the Rust
// Worker (catalog version cached per isolate, then KV, then the same D1 query on a miss), and a
// hello-world route as the no-I/O reference.
const INTENTS = [
  ['order_tracking', /\b(where is my|track|tracking|has not arrived|hasn't arrived|delivery|shipped|order status)\b/],
  ['returns_resizing', /\b(return|refund|exchange|resize|too (small|big|tight|loose))\b/],
  ['stylist_escalation', /\b(stylist|human|person|agent|call me)\b/],
  ['product_discovery', /\b(ring|necklace|earring|bracelet|pendant|hoop|stud|band|looking for|show me|buy|gift)s?\b/],
];
const CATEGORIES = { ring: 'rings', necklace: 'necklaces', earring: 'earrings', bracelet: 'bracelets', pendant: 'pendants' };
const METALS = [['rose gold', 'rose_gold'], ['white gold', 'white_gold'], ['yellow gold', 'yellow_gold'], ['platinum', 'platinum'], ['gold', 'yellow_gold']];
const CATALOG_SQL = "SELECT sku, name, category, metal, price_cents, ready_to_ship, stock, image FROM products \
WHERE (?1 = '[]' OR category IN (SELECT value FROM json_each(?1))) AND (?2 = '[]' OR metal IN (SELECT value FROM json_each(?2))) \
AND (?3 IS NULL OR price_cents <= ?3) AND (ready_to_ship = 1 AND stock > 0) ORDER BY price_cents, sku LIMIT 7";
let catalogVersion = null;

function classify(text) {
  const t = text.toLowerCase();
  const intent = (INTENTS.find(([, re]) => re.test(t)) ?? ['unknown'])[0];
  const cat = /\b(ring|necklace|earring|bracelet|pendant)s?\b/.exec(t);
  const metal = METALS.find(([words]) => t.includes(words));
  const price = /\b(?:under|below|less than)\s*\$?(\d[\d,]*)/.exec(t);
  return {
    intent,
    category: cat ? CATEGORIES[cat[1]] : null,
    metal: metal ? metal[1] : null,
    max_cents: price ? Number(price[1].replace(/,/g, '')) * 100 : null,
  };
}

async function catalog(env, c) {
  if (!catalogVersion || Date.now() - catalogVersion.at > 60_000) {
    const row = await env.DB.prepare('SELECT version FROM catalog_meta WHERE id = 1').first();
    catalogVersion = { version: row?.version ?? 0, at: Date.now() };
  }
  const key = `peer:catalog:v${catalogVersion.version}:c=${c.category ?? '-'};m=${c.metal ?? '-'};max=${c.max_cents ?? '-'}`;
  const cached = await env.CONCIERGE_KV.get(key, 'json');
  if (cached) return cached;
  const { results } = await env.DB.prepare(CATALOG_SQL)
    .bind(JSON.stringify(c.category ? [c.category] : []), JSON.stringify(c.metal ? [c.metal] : []), c.max_cents)
    .all();
  await env.CONCIERGE_KV.put(key, JSON.stringify(results), { expirationTtl: 300 });
  return results;
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/hello') return Response.json({ ok: true });
    if (pathname !== '/v1/messages' || request.method !== 'POST') return Response.json({ error: 'not_found' }, { status: 404 });
    const body = await request.json().catch(() => null);
    if (typeof body?.text !== 'string') return Response.json({ error: 'invalid_json' }, { status: 400 });
    const c = classify(body.text);
    const reply = { intent: c.intent, entities: c, reply: '' };
    if (c.intent === 'product_discovery') {
      reply.products = (await catalog(env, c)).slice(0, 6);
      reply.reply = `Here are ${reply.products.length} pieces that are ready to ship.`;
    } else if (c.intent === 'order_tracking') {
      reply.reply = 'I can check on your order. What is your order number and the email you ordered with?';
    }
    return Response.json(reply);
  },
};
