// End to end: the Worker's Cron Trigger evaluates the alert rules and posts to a webhook.
// `wrangler dev --test-scheduled` runs the scheduled handler on GET /__scheduled; a loopback
// server stands in for the Analytics Engine SQL API (answering each query with recorded answers)
// and receives the webhook. Checks: firing alerts are posted once, not again while they keep
// firing, a failed delivery is retried on the next run, and recovery posts `resolved`.
// Run with the other e2e tests: scripts/e2e (or node --test tests/e2e/alerts.test.mjs).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker, request, ROOT } from './harness.mjs';
import { devVarsExample } from './lib.mjs';

/** Runs `concierge` ($CONCIERGE, else cargo run) and returns {code, out, err}. */
function concierge(args) {
  const cmd = process.env.CONCIERGE ? [process.env.CONCIERGE] : ['cargo', 'run', '--quiet', '--bin', 'concierge', '--'];
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const fixture = (name) => JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/ae', `${name}.json`), 'utf8'));

let worker;
let server;
let answers = fixture('canary-regression');
let failNextHooks = 0;
const hooks = [];
const unknownQueries = [];

before(async () => {
  // The exact SQL the job sends, by query name (the CLI and the Worker share one definition).
  const printed = concierge(['metrics', '--print-sql', '--since', '15m']);
  assert.equal(printed.code, 0, printed.err);
  const byText = new Map();
  for (const block of printed.out.split(/\n\n+/)) {
    const m = /^-- (\w+)\n([\s\S]+);$/.exec(block.trim());
    if (m) byText.set(m[2].trim(), m[1]);
  }
  assert.equal(byText.size, 5, printed.out);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.url === '/sql') {
        const name = byText.get(body.trim());
        if (!name) {
          unknownQueries.push(body);
          res.writeHead(400).end('unknown query');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers[name]));
      } else if (req.url === '/hook') {
        if (failNextHooks > 0) {
          failNextHooks -= 1;
          res.writeHead(500).end('receiver down');
          return;
        }
        hooks.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${server.address().port}`;
  worker = await startWorker({
    vars: { ...devVarsExample(), AE_SQL_URL: `${base}/sql`, ALERT_WEBHOOK_URL: `${base}/hook`, ALERT_SOURCE: 'e2e' },
    args: ['--test-scheduled'],
  });
});

after(async () => {
  if (worker) await worker.stop();
  if (server) server.close();
});

async function runCron() {
  const res = await request(worker.url, 'GET', '/__scheduled?cron=*/5+*+*+*+*');
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

const key = (h) => `${h.alert.status}|${h.alert.rule}|${h.alert.scope}`;

describe('alerts from the Cron Trigger', () => {
  it('posts firing alerts once, retries a failed delivery, and posts their recovery', async () => {
    failNextHooks = 1;
    await runCron();
    assert.deepEqual(unknownQueries, [], 'the job sends exactly the CLI\'s queries');
    const first = hooks.length;
    assert.ok(first >= 1, 'the regression fires alerts');
    await runCron();
    const firing = hooks.filter((h) => h.alert.status === 'firing');
    const keys = firing.map(key);
    assert.equal(new Set(keys).size, keys.length, `each alert posted once: ${keys}`);
    assert.equal(hooks.length, first + 1, 'the second run only resends the delivery that failed');
    // canary-regression.json: the new version's 7.4 % 5xx (warning) and 46.5 % unmatched (critical).
    assert.ok(firing.some((h) => h.alert.rule === 'error_rate' && h.alert.severity === 'warning'), JSON.stringify(firing));
    assert.ok(firing.some((h) => h.alert.rule === 'unmatched_rate' && h.alert.severity === 'critical'), JSON.stringify(firing));
    for (const h of firing) {
      assert.match(h.text, /^(🔴|🟠) (critical|warning) \w+: .+ on e2e$/u, h.text);
      assert.doesNotMatch(JSON.stringify(h), /@|AUR-\d/, 'no personal data in alerts');
    }
    await runCron();
    assert.equal(hooks.length, first + 1, 'nothing new while the same alerts keep firing');

    answers = fixture('healthy');
    await runCron();
    const resolved = hooks.filter((h) => h.alert.status === 'resolved');
    assert.deepEqual(
      resolved.map((h) => `${h.alert.rule}|${h.alert.scope}`).sort(),
      firing.map((h) => `${h.alert.rule}|${h.alert.scope}`).filter((k) => !k.startsWith('low_csat')).sort(),
      'every alert that fired on traffic is resolved',
    );
    for (const h of resolved) assert.match(h.text, /^✅ resolved: /u);
  });
});
