// scripts/soak: see the header of scripts/soak. Loopback only; every request, the run and the
// shutdown are bounded in time.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, cpus } from 'node:os';
import { ROOT, startWorker } from '../../tests/e2e/harness.mjs';
import { fixtures, devVarsExample } from '../../tests/e2e/lib.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 16);
const REQUEST_TIMEOUT_MS = 30_000;
const OUT = join(ROOT, '.state', 'soak');
const TOKENS = devVarsExample();
const RUN = `soak${Date.now().toString(36)}`;

function log(msg) { process.stderr.write(`soak: ${msg}\n`); }

const stats = { statuses: {}, latencies: [], errors: 0, byKind: {} };
/** Idempotency key → body and the id every 2xx for it returned. */
const creates = new Map();
let keyCounter = 0;

function pick(list) { return list[Math.floor(Math.random() * list.length)]; }

async function send(base, kind, method, path, { body, headers = {} } = {}) {
  const started = performance.now();
  const init = { method, headers: { 'cf-connecting-ip': `127.0.${Math.floor(Math.random() * 4)}.${1 + Math.floor(Math.random() * 250)}`, ...headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  let status = 0;
  let json = null;
  try {
    const res = await fetch(base + path, init);
    status = res.status;
    const text = await res.text();
    try { json = JSON.parse(text); } catch { /* not JSON */ }
  } catch {
    stats.errors += 1;
  }
  const ms = performance.now() - started;
  stats.latencies.push(ms);
  stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  const k = (stats.byKind[kind] ??= { n: 0, statuses: {} });
  k.n += 1;
  k.statuses[status] = (k.statuses[status] ?? 0) + 1;
  return { status, json };
}

const delivered = fixtures.orders.delivered_recent;
const shipped = fixtures.orders.shipped;
const admin = { authorization: `Bearer ${TOKENS.ADMIN_TOKEN}` };

/** One request of the mix: messages, lookups, creates with keys, retries of creates, admin reads. */
async function one(base) {
  const r = Math.random();
  if (r < 0.30) {
    return send(base, 'message', 'POST', '/v1/messages', { body: { session_id: `s-${RUN}-${Math.floor(Math.random() * 100)}`, text: pick(['rose gold rings under $500', 'show me hoop earrings', 'cheaper', 'platinum necklace around $1000', 'hello', 'can I resize my ring?']) } });
  }
  if (r < 0.40) {
    const order = pick(shipped);
    return send(base, 'tracking', 'POST', '/v1/messages', { body: { session_id: `s-${RUN}-t`, text: `where is my order ${order.order_number}? my email is ${order.email}` } });
  }
  if (r < 0.52) {
    const order = pick([...shipped, ...delivered]);
    return send(base, 'lookup', 'POST', '/v1/orders/lookup', { body: { order_number: order.order_number, email: Math.random() < 0.8 ? order.email : 'nobody@example.com' } });
  }
  if (r < 0.62) return send(base, 'catalog', 'GET', pick(['/v1/products?category=rings&max=800', '/v1/products?metal=platinum', '/v1/flags?user_id=u-soak']));
  if (r < 0.80 || creates.size === 0) {
    keyCounter += 1;
    const key = `${RUN}-${keyCounter}`;
    const order = pick(delivered);
    const item = order.items.find((i) => i.category === 'rings') ?? order.items[0];
    const isReturn = Math.random() < 0.3;
    const entry = isReturn
      ? { key, path: '/v1/returns', body: { order_number: order.order_number, email: order.email, sku: item.sku, kind: 'exchange', reason: `${RUN} ${key}` }, ids: new Set(), client: `127.1.0.${1 + (keyCounter % 200)}` }
      : { key, path: '/v1/escalations', body: { session_id: `s-${RUN}`, email: 'soak@example.com', topic: RUN, message: key }, ids: new Set(), client: `127.1.0.${1 + (keyCounter % 200)}` };
    creates.set(key, entry);
    return create(base, entry, 'create');
  }
  if (r < 0.90) return create(base, pick([...creates.values()]), 'retry');
  return send(base, 'admin', 'GET', pick(['/v1/admin/tickets?limit=20', '/v1/admin/analytics', '/v1/admin/csat']), { headers: admin });
}

async function create(base, entry, kind) {
  const res = await send(base, kind, 'POST', entry.path, { body: entry.body, headers: { 'idempotency-key': entry.key, 'cf-connecting-ip': entry.client } });
  if (res.status === 201 && res.json) entry.ids.add(res.json.ticket_id ?? res.json.return_id);
  return res;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function isolate(base) {
  const res = await fetch(`${base}/v1/admin/isolate`, { headers: admin, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return res.json();
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const worker = await startWorker({ vars: { ...TOKENS, RATE_LIMIT_SCALE: '1000' }, logLevel: 'info' });
  let failed = false;
  try {
    const base = worker.url;
    // Warm up (first answers compile the rules), then read the isolate.
    for (let i = 0; i < 5; i += 1) await send(base, 'warmup', 'GET', '/health');
    const memoryBefore = await isolate(base);
    Object.assign(stats, { statuses: {}, latencies: [], errors: 0, byKind: {} });
    const loadBefore = Number(loadavg()[0].toFixed(2));
    log(`${CONCURRENCY} concurrent clients for ${SECONDS} s against ${base}`);
    const until = Date.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) await one(base);
    }));
    const elapsed = (performance.now() - started) / 1000;
    const memoryAfter = await isolate(base);
    // Creates acknowledged (a 201, first or replayed) against the rows in D1.
    const acked = [...creates.values()].filter((c) => c.ids.size > 0);
    const conflicting = acked.filter((c) => c.ids.size > 1).map((c) => c.key);
    const ackedIds = new Set(acked.flatMap((c) => [...c.ids]));
    const tickets = await worker.d1(`SELECT ticket_id AS id, message AS k FROM tickets WHERE topic = '${RUN}'`);
    const returns = await worker.d1(`SELECT return_id AS id, reason AS k FROM return_requests WHERE reason LIKE '${RUN} %'`);
    const rows = [...tickets, ...returns];
    const rowIds = new Set(rows.map((r) => r.id));
    const keysWithRows = new Map();
    for (const r of rows) keysWithRows.set(r.k, (keysWithRows.get(r.k) ?? 0) + 1);
    const duplicateKeys = [...keysWithRows.entries()].filter(([, n]) => n > 1).map(([k]) => k);
    const unacknowledgedRows = rows.filter((r) => !ackedIds.has(r.id)).length;
    const missingRows = [...ackedIds].filter((id) => !rowIds.has(id)).length;
    const sorted = [...stats.latencies].sort((a, b) => a - b);
    const total = stats.latencies.length;
    const fiveXX = Object.entries(stats.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0);
    const result = {
      when: new Date().toISOString(),
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      cpus: cpus().length,
      load_average_1m_before_after: [loadBefore, Number(loadavg()[0].toFixed(2))],
      requests: total,
      rps: Number((total / elapsed).toFixed(1)),
      statuses: stats.statuses,
      by_kind: stats.byKind,
      transport_errors: stats.errors,
      five_xx: fiveXX,
      latency_ms: { p50: Number(percentile(sorted, 50)?.toFixed(1)), p99: Number(percentile(sorted, 99)?.toFixed(1)), max: Number(sorted.at(-1)?.toFixed(1)) },
      creates: {
        keys: creates.size,
        acknowledged: acked.length,
        acknowledged_ids: ackedIds.size,
        rows_in_d1: rows.length,
        duplicate_rows_for_a_key: duplicateKeys.length,
        keys_answered_with_two_ids: conflicting.length,
        rows_never_acknowledged: unacknowledgedRows,
        acknowledged_without_row: missingRows,
      },
      isolate_before: memoryBefore,
      isolate_after: memoryAfter,
    };
    writeFileSync(join(OUT, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    const mb = (b) => (b / 1024 / 1024).toFixed(1);
    console.log([
      `soak: ${total} requests in ${elapsed.toFixed(1)} s (${result.rps} req/s, ${CONCURRENCY} concurrent, load ${result.load_average_1m_before_after.join(' → ')} on ${result.cpus} CPUs)`,
      `statuses: ${Object.entries(stats.statuses).map(([s, n]) => `${s}×${n}`).join(' ')}; 5xx: ${fiveXX}; transport errors: ${stats.errors}`,
      `latency: p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms, max ${result.latency_ms.max} ms`,
      `creates: ${creates.size} keys, ${acked.length} acknowledged (${ackedIds.size} ids), ${rows.length} rows in D1; duplicates ${duplicateKeys.length}, keys with two ids ${conflicting.length}, rows never acknowledged ${unacknowledgedRows}, acknowledged without a row ${missingRows}`,
      `isolate memory: ${mb(memoryBefore.memory_bytes)} MiB before, ${mb(memoryAfter.memory_bytes)} MiB after (${memoryAfter.requests} requests served; message log buffered ${memoryAfter.message_log.buffered}, dropped ${memoryAfter.message_log.dropped})`,
      `(full result in .state/soak/result.json)`,
    ].join('\n'));
    failed = fiveXX > 0 || stats.errors > 0 || ackedIds.size !== rows.length || duplicateKeys.length > 0 || conflicting.length > 0 || missingRows > 0;
  } finally {
    await worker.stop();
  }
  if (failed) {
    console.error('soak: FAILED (goal: no 5xx, no transport errors, one row per acknowledged create and none unacknowledged)');
    process.exitCode = 1;
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
