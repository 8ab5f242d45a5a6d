// End to end: drive known traffic through the real Worker under `wrangler dev` with
// LOG_DATA_POINTS=1, capture its output, and check that `concierge metrics --from-log` counts it
// exactly (requests per route, 4xx, classified messages and the intent mix).
// Run with the other e2e tests: scripts/e2e (or node --test tests/e2e/metrics.test.mjs).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, request, ROOT, sleep } from './harness.mjs';
import { devVarsExample } from './lib.mjs';

let worker;
let dir;

/** Runs `concierge` ($CONCIERGE, else cargo run) and returns {code, out, err}. */
function concierge(args, input = '') {
  const cmd = process.env.CONCIERGE ? [process.env.CONCIERGE] : ['cargo', 'run', '--quiet', '--bin', 'concierge', '--'];
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aurora-e2e-metrics-'));
  // logLevel 'log': wrangler's `info` level hides console.log, which is where data points go.
  worker = await startWorker({ vars: { ...devVarsExample(), LOG_DATA_POINTS: '1', RATE_LIMIT_SCALE: '100' }, logLevel: 'log' });
});

after(async () => {
  if (worker) await worker.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('metrics from the dev log', () => {
  it('counts the driven traffic exactly', async () => {
    // Regression: the harness's readiness probe (GET /health) logged its data point late and was
    // counted with the driven traffic. Let earlier log lines land before taking the start mark.
    const points = () => worker.logs().split('aurora.datapoint').length - 1;
    for (let stable = 0, last = -1, i = 0; stable < 3 && i < 50; i += 1) {
      await sleep(200);
      const now = points();
      stable = now > 0 && now === last ? stable + 1 : 0;
      last = now;
    }
    const start = worker.logs().length;
    const client = { 'cf-connecting-ip': '198.51.100.77' };
    const get = (path) => request(worker.url, 'GET', path, { headers: client });
    for (let i = 0; i < 5; i += 1) assert.equal((await get('/health')).status, 200);
    for (let i = 0; i < 4; i += 1) assert.equal((await get('/v1/products?category=rings')).status, 200);
    for (let i = 0; i < 3; i += 1) assert.equal((await get(`/v1/flags?user_id=u-metrics-${i}`)).status, 200);
    const texts = [
      'where is my order',
      'rose gold rings under $500',
      'can I resize my ring',
      'I want to talk to a stylist',
      'qwzx blorp',
      'do you have necklaces in white gold',
    ];
    const intents = {};
    for (const [i, text] of texts.entries()) {
      const res = await request(worker.url, 'POST', '/v1/messages', { body: { session_id: `s-metrics-${i}`, text }, headers: client });
      assert.equal(res.status, 200, res.text);
      intents[res.body.intent] = (intents[res.body.intent] ?? 0) + 1;
    }
    for (let i = 0; i < 2; i += 1) {
      const res = await request(worker.url, 'POST', '/v1/messages', { raw: '{not json', headers: { ...client, 'content-type': 'application/json' } });
      assert.equal(res.status, 400, res.text);
    }
    assert.equal((await get('/v1/no-such-route')).status, 404);
    await sleep(500); // let the last log lines arrive

    const log = join(dir, 'dev.log');
    writeFileSync(log, worker.logs().slice(start));
    const r = concierge(['metrics', '--from-log', log, '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out);
    const routes = Object.fromEntries(summary.overall.routes.map((x) => [x.route, x.requests]));
    assert.deepEqual(routes, {
      'GET /health': 5,
      'GET /v1/flags': 3,
      'GET /v1/products': 4,
      'POST /v1/messages': 8,
      UNMATCHED: 1,
    });
    assert.equal(summary.overall.totals.requests, 21);
    assert.equal(summary.overall.totals.errors_4xx, 3);
    assert.equal(summary.overall.totals.errors_5xx, 0);
    assert.ok(summary.overall.totals.latency.p95_ms >= 0);
    assert.equal(summary.overall.messages.classified, texts.length);
    assert.deepEqual(summary.overall.messages.intents, intents);
    assert.equal(summary.versions.length, 1, 'one rules version and one Worker version');

    // The same log through stdin, as `wrangler dev … | concierge metrics --from-log -` would.
    const piped = concierge(['metrics', '--from-log', '-', '--format', 'prometheus'], worker.logs().slice(start));
    assert.equal(piped.code, 0, piped.err);
    assert.match(piped.out, /^concierge_requests\{rules_version="[^"]+",worker_version="[^"]+",method="GET",route="\/health"\} 5$/m);
    // 21 requests is below min_requests: no alert may fire on so little traffic.
    const alerts = concierge(['alerts', '--from-log', log]);
    assert.equal(alerts.code, 0, alerts.out + alerts.err);
  });
});
