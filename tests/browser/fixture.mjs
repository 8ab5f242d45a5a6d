// Shared set-up for the browser tests: one real Worker (wrangler dev with freshly migrated and
// seeded local D1, via tests/e2e/harness.mjs) and helpers that read the seed back from D1, so the
// tests never hard-code an order, an email or a product.

import { startWorker, request } from '../e2e/harness.mjs';

export { request };

/**
 * Rate limits are per client and everything here is one client (127.0.0.1): scale them up. The
 * kill switch is read from KV on every request so the test can flip it on and off.
 */
export const WORKER_VARS = { RATE_LIMIT_SCALE: '100', KILL_SWITCH_CACHE_SECONDS: '0' };

/** Starts the Worker for a test file; `options` go to the harness (vars are merged). */
export function startConciergeWorker(options = {}) {
  return startWorker({ ...options, vars: { ...WORKER_VARS, ...(options.vars || {}) } });
}

/**
 * A shopper id for which GET /v1/flags answers enabled (the rollout may be partial), so the widget
 * shows; set as the widget's first-party cookie before the page loads.
 */
export async function enabledShopper(base) {
  for (let i = 0; i < 500; i++) {
    const id = `u-browser-${i}`;
    const res = await request(base, 'GET', `/v1/flags?user_id=${id}`);
    if (res.status === 200 && res.body.enabled === true) return id;
    if (res.status === 200 && ['kill_switch', 'feature_disabled', 'emergency_off'].includes(res.body.reason)) break;
  }
  throw new Error('no shopper id is enabled by /v1/flags: is the concierge switched off in the rules?');
}

/** Puts the widget cookie for `userId` into a browser context before any page loads. */
export async function useShopper(context, base, userId) {
  await context.addCookies([{ name: 'aurora_uid', value: userId, url: base }]);
}

/** Parses "$1,234.50" into cents. */
export function cents(text) {
  const m = /\$([\d,]+(?:\.\d{2})?)/.exec(text);
  if (!m) throw new Error(`no price in ${JSON.stringify(text)}`);
  return Math.round(Number(m[1].replace(/,/g, '')) * 100);
}

/** SQL string literal (the values here come from the seed, never from shoppers). */
export function sql(value) {
  return `'${String(value).replace(/'/g, "''")}'`;
}
