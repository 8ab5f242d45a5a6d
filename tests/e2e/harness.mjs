// End-to-end harness: runs the real Worker under `wrangler dev` (workerd with local D1 and KV)
// on a free loopback port, with its own fresh `--persist-to` directory that is migrated and
// seeded first. Used by tests/e2e/*.test.mjs and scripts/bench.
//
//   const worker = await startWorker({ vars: { LOG_DATA_POINTS: '1' } });
//   const res = await fetch(`${worker.url}/health`);
//   await worker.d1('SELECT COUNT(*) AS n FROM tickets');   // rows of the last statement
//   await worker.stop();
//
// wrangler is started with `node node_modules/wrangler/bin/wrangler.js` in a new session
// (process group) so that stop() can end wrangler, its build and workerd together.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServer } from 'node:net';

const execFileP = promisify(execFile);

/** Project root (the folder holding wrangler.toml). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
/**
 * The wrangler environment of scripts/lib/wrangler.env, the one place it is written down (the
 * shell scripts read it through scripts/lib/wrangler.sh): no telemetry, no network lookups, logs
 * in .state/logs. A value set in this process's environment wins, as in the scripts.
 */
export const WRANGLER_ENV = Object.fromEntries(
  readFileSync(join(ROOT, 'scripts', 'lib', 'wrangler.env'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [key, ...rest] = line.split('=');
      const value = rest.join('=');
      return [key, process.env[key] || (value.startsWith('.') ? resolve(ROOT, value) : value)];
    }),
);
/** wrangler's debug logs go here (git-ignored), never to ~/.config. */
export const LOG_DIR = WRANGLER_ENV.WRANGLER_LOG_PATH;

/** Environment for every wrangler invocation: wrangler.env, no colours, CI mode. */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    ...WRANGLER_ENV,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    CI: '1',
    ...extra,
  };
}

/** Runs one wrangler command to completion; rejects with its output on failure. */
export async function wrangler(args, { env = {}, timeoutMs = 120_000 } = {}) {
  mkdirSync(LOG_DIR, { recursive: true });
  try {
    const { stdout } = await execFileP(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      env: wranglerEnv(env),
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    throw new Error(`wrangler ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** Applies migrations/ and seed/seed.sql to the local D1 in `persistDir`. */
export async function migrateAndSeed(persistDir, { seed = true } = {}) {
  await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir]);
  if (seed) {
    await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persistDir, '--file', join(ROOT, 'seed', 'seed.sql')]);
  }
}

/** Runs SQL against the local D1 in `persistDir`; returns the rows of the last statement. */
export async function d1(persistDir, sql) {
  const out = await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persistDir, '--json', '--command', sql]);
  const results = JSON.parse(out.slice(out.indexOf('[')));
  return results[results.length - 1].results;
}

/** Writes a key in the local CONCIERGE_KV namespace in `persistDir`. */
export async function kvPut(persistDir, key, value) {
  await wrangler(['kv', 'key', 'put', '--binding', 'CONCIERGE_KV', key, value, '--local', '--persist-to', persistDir]);
}

/** Deletes a key from the local CONCIERGE_KV namespace in `persistDir`. */
export async function kvDelete(persistDir, key) {
  await wrangler(['kv', 'key', 'delete', '--binding', 'CONCIERGE_KV', key, '--local', '--persist-to', persistDir]);
}

/** Every key name in the local CONCIERGE_KV namespace in `persistDir`. */
export async function kvList(persistDir) {
  const out = await wrangler(['kv', 'key', 'list', '--binding', 'CONCIERGE_KV', '--local', '--persist-to', persistDir]);
  return JSON.parse(out.slice(out.indexOf('['))).map((k) => k.name);
}

const live = new Set();
process.on('exit', () => {
  for (const pgid of live) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

function stripAnsi(text) {
  return text.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '');
}

/**
 * Starts `wrangler dev` on a free port with a fresh, migrated and seeded persist dir.
 * Options: vars (object of --var overrides), persistDir (reuse one instead of a fresh temp dir),
 * fresh (default true: migrate and seed even a given persistDir), seed, env (extra process env,
 * e.g. for the build), config (another wrangler config file, e.g. one without a build step),
 * logLevel (wrangler's; the default, log, shows the Worker's console.log lines and one line per
 * request), readyTimeoutMs, args (more `wrangler dev` arguments, e.g. ['--test-scheduled']).
 * Resolves once the Worker has answered its first request, to {url, port, persistDir, stop(),
 * logs(), d1(sql), kvPut(k, v), kvDelete(k), kvList(), timings: {readyMs, firstAnswerMs}} where readyMs is
 * spawn → "Ready on" and firstAnswerMs is "Ready on" → the first answer of GET /health (or of
 * `readyPath`: a path, or `{ method, path, body }`).
 */
export async function startWorker(options = {}) {
  try {
    return await startOnce(options);
  } catch (err) {
    // A start that failed on a loaded machine (wrangler or workerd exiting early, a port taken
    // between freePort() and its bind) is retried once, on a new port and directory; the first
    // failure is printed whole, so a log shows why even when the retry succeeds.
    process.stderr.write(`# harness: wrangler dev failed to start; retrying once. First attempt:\n${String(err?.stack ?? err).replace(/^/gm, '#   ')}\n`);
    return startOnce(options);
  }
}

async function startOnce({ vars = {}, persistDir, fresh = true, seed = true, env = {}, config, logLevel = 'log', readyTimeoutMs = 300_000, args: extraArgs = [], readyPath = '/health', cpus = null } = {}) {
  const dir = persistDir ?? mkdtempSync(join(tmpdir(), 'aurora-e2e-'));
  const ownsDir = !persistDir;
  if (fresh || ownsDir) {
    try {
      await migrateAndSeed(dir, { seed });
    } catch (err) {
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  // The devtools inspector defaults to 9229, which another wrangler dev on the machine may hold
  // (workerd then dies with "Address already in use"): give each instance a free port.
  const inspectorPort = await freePort();
  const args = [WRANGLER, 'dev', '--local', '--ip', '127.0.0.1', '--port', '0', '--persist-to', dir,
    '--inspector-ip', '127.0.0.1', '--inspector-port', String(inspectorPort),
    '--show-interactive-dev-session=false', '--log-level', logLevel];
  // E2E_WRANGLER_CONFIG: run the tests against another config, e.g. .state/bench/wrangler.prebuilt.toml
  // (made by scripts/bench) to test an already built Worker without its [build] step.
  const configFile = config ?? process.env.E2E_WRANGLER_CONFIG;
  if (configFile) args.push('--config', configFile);
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  args.push(...extraArgs);

  mkdirSync(LOG_DIR, { recursive: true });
  // detached: the child calls setsid(), so its pid is the process group id of wrangler, the
  // build it runs and workerd.
  const spawnedAt = performance.now();
  // `cpus` (e.g. '0'): wrangler and workerd pinned to those CPUs (benchmarks keep the load generator off them).
  const [cmd, argv] = cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { cwd: ROOT, env: wranglerEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid;
  live.add(pgid);
  let output = '';
  let exited = null;
  let port = null;
  let readyAt = 0;
  const onData = (d) => {
    output += d.toString();
    if (output.length > 8_000_000) output = output.slice(-4_000_000);
    if (port === null) {
      const m = /Ready on http:\/\/127\.0\.0\.1:(\d+)/.exec(stripAnsi(output));
      if (m) { port = Number(m[1]); readyAt = performance.now(); }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exitPromise = new Promise((res) => child.on('exit', (code, signal) => { exited = { code, signal }; res(exited); }));

  /** SIGTERM to the whole process group, SIGKILL after 10 s if anything is left. */
  async function stop() {
    if (!live.has(pgid)) return;
    live.delete(pgid);
    try { process.kill(-pgid, 'SIGTERM'); } catch { /* already gone */ }
    const until = Date.now() + 10_000;
    while (groupAlive(pgid) && Date.now() < until) await sleep(100);
    if (groupAlive(pgid)) {
      try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await Promise.race([exitPromise, sleep(2_000)]);
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  }

  const deadline = Date.now() + readyTimeoutMs;
  while (port === null) {
    if (exited) { await stop(); throw new Error(`wrangler dev exited (${JSON.stringify(exited)}) before ready:\n${tail(output)}`); }
    else if (Date.now() > deadline) { await stop(); throw new Error(`wrangler dev not ready after ${readyTimeoutMs} ms:\n${tail(output)}`); }
    else await sleep(50);
  }
  const url = `http://127.0.0.1:${port}`;
  // "Ready" comes before the Worker is loaded; wait for its first answer. `readyPath` is a path
  // (GET) or `{ method, path, body }` (a JSON body), e.g. a message as the isolate's first request.
  const ready = typeof readyPath === 'string'
    ? { path: readyPath, init: () => ({ signal: AbortSignal.timeout(30_000) }) }
    : {
      path: readyPath.path,
      init: () => ({
        method: readyPath.method ?? 'GET',
        headers: readyPath.body === undefined ? {} : { 'content-type': 'application/json' },
        body: readyPath.body === undefined ? undefined : JSON.stringify(readyPath.body),
        signal: AbortSignal.timeout(30_000),
      }),
    };
  for (;;) {
    try {
      const res = await fetch(`${url}${ready.path}`, ready.init());
      await res.arrayBuffer();
      if (res.headers.has('x-rules-version') || res.status < 500) break;
    } catch { /* not listening yet */ }
    if (exited) { await stop(); throw new Error(`wrangler dev exited before answering:\n${tail(output)}`); }
    if (Date.now() > deadline) { await stop(); throw new Error(`worker did not answer ${ready.path}:\n${tail(output)}`); }
    await sleep(20);
  }
  const answeredAt = performance.now();

  return {
    url,
    port,
    inspectorPort,
    persistDir: dir,
    stop,
    logs: () => output,
    d1: (sql) => d1(dir, sql),
    kvPut: (k, v) => kvPut(dir, k, v),
    kvDelete: (k) => kvDelete(dir, k),
    kvList: () => kvList(dir),
    timings: { readyMs: Math.round(readyAt - spawnedAt), firstAnswerMs: Math.round(answeredAt - readyAt) },
  };
}

/** A loopback TCP port that was free a moment ago. */
function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.unref();
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

function tail(text, lines = 40) {
  return stripAnsi(text).split('\n').slice(-lines).join('\n');
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((res) => setTimeout(res, ms));
}

/** wrangler dev's own 503 when its proxy could not reach the Worker (see `request`). */
export function isProxyRestart(res, text) {
  return res.status === 503 && !res.headers.get('x-rules-version') && /restarted mid-request/.test(text);
}

/** JSON request helper: returns {status, headers, body (parsed JSON or text), text}. */
export async function request(base, method, path, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    if (!Object.keys(init.headers).some((h) => h.toLowerCase() === 'content-type')) init.headers['content-type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(base + path, init);
  } catch (err) {
    // A pooled keep-alive connection the server closed while idle fails before the request is
    // sent ("other side closed"); one retry on a fresh connection is safe.
    if (err?.cause?.code !== 'UND_ERR_SOCKET') throw err;
    res = await fetch(base + path, init);
  }
  let text = await res.text();
  if (isProxyRestart(res, text)) {
    // Not the Worker's answer (it always carries X-Rules-Version): wrangler dev's proxy failed to
    // reach the Worker and says "Your worker restarted mid-request". It retries GET and HEAD
    // itself; other methods are retried here once, and the event is reported.
    process.stderr.write(`# harness: wrangler dev proxy 503 on ${method} ${path} (not the Worker); retrying once\n`);
    res = await fetch(base + path, init);
    text = await res.text();
  }
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
