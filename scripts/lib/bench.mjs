// scripts/bench: see the header of scripts/bench. Loopback only, every wrk run bounded in time.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync, existsSync, mkdtempSync, rmSync, cpSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { ROOT, startWorker, migrateAndSeed, request } from '../../tests/e2e/harness.mjs';
import { measure as measureWasmSize, lines as wasmSizeLines } from './wasm-size.mjs';

const DURATION = process.env.DURATION ?? '10s';
const WARMUP = process.env.WARMUP ?? '3s';
const CONNECTIONS = process.env.CONNECTIONS ?? '16';
const THREADS = process.env.THREADS ?? '2';
const COLD_RUNS = Number(process.env.COLD_RUNS ?? 3);
// COLD_PAUSE_MS: how long after a fresh isolate's first answer its first message comes (0: at
// once; the widget's page load asks /v1/flags, and the shopper types for a few seconds).
const COLD_PAUSE_MS = Number(process.env.COLD_PAUSE_MS ?? 0);
const OUT = join(ROOT, '.state', 'bench');
mkdirSync(OUT, { recursive: true });

function log(msg) { process.stderr.write(`bench: ${msg}\n`); }

/** The release build, exactly as deployed (wasm-opt on, no --no-opt). */
function buildRelease() {
  const env = {
    ...process.env,
    WASM_BINDGEN_BIN: process.env.WASM_BINDGEN_BIN ?? 'wasm-bindgen',
    ESBUILD_BIN: join(ROOT, 'node_modules', '.bin', 'esbuild'),
    WASM_OPT_BIN: join(ROOT, 'node_modules', '.bin', 'wasm-opt'),
  };
  delete env.WRANGLER_COMMAND;
  const script = join(ROOT, 'scripts', 'build-worker');
  const [cmd, args] = existsSync(script) ? [script, ['--release']] : ['worker-build', ['--release']];
  log(`building release: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`release build failed (${r.status})`);
}

/**
 * Copies build/ to .state/bench/build, so a `wrangler dev` rebuilding build/ in the same worktree
 * (with --no-opt) cannot swap the measured release Worker.
 */
function snapshotBuild() {
  const dest = join(OUT, 'build');
  rmSync(dest, { recursive: true, force: true });
  cpSync(join(ROOT, 'build'), dest, { recursive: true });
  return dest;
}

/** The release wasm in a build folder (worker-build 0.8 writes build/index_bg.wasm). */
function findWasm(dir) {
  for (const sub of ['', 'worker']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    const f = readdirSync(d).find((name) => name.endsWith('.wasm'));
    if (f) return join(d, f);
  }
  throw new Error(`no .wasm under ${dir}: run the release build`);
}

/** wrangler.toml without its [build] section, paths made absolute, main pointing at `buildDir`. */
function prebuiltConfig(buildDir, name = 'wrangler.prebuilt.toml') {
  const lines = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').split('\n');
  const out = [];
  let inBuild = false;
  for (const line of lines) {
    const header = /^\s*\[{1,2}([^\]]+)\]{1,2}\s*$/.exec(line);
    if (header) inBuild = header[1].trim() === 'build' || header[1].trim().startsWith('build.');
    if (inBuild) continue;
    const main = /^\s*main\s*=/.test(line) ? `main = "${join(buildDir, 'worker', 'shim.mjs')}"` : line;
    out.push(main.replace(/^(\s*(?:directory|migrations_dir)\s*=\s*")(?!\/)([^"]+)"/, (_, pre, p) => `${pre}${join(ROOT, p)}"`));
  }
  const path = join(OUT, name);
  writeFileSync(path, out.join('\n'));
  return path;
}

function luaPost(name, body) {
  const path = join(OUT, `${name}.lua`);
  // Sessions rotate over 100 ids per thread so per-session KV state looks like real traffic.
  writeFileSync(path, `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local body = [[${JSON.stringify(body)}]]
local n = 0
request = function()
  n = n + 1
  local b = body:gsub("SESSION", "s-bench-" .. (n % 100))
  return wrk.format(nil, nil, nil, b)
end
`);
  return path;
}

function parseWrk(text) {
  const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? 1);
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? toMs(m[1], m[2]) : null;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in/.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const errors = /Socket errors:.*/.exec(text);
  return {
    rps: rps ? Number(rps[1]) : 0,
    p50_ms: pct(50),
    p99_ms: pct(99),
    requests: total ? Number(total[1]) : 0,
    non_2xx: non2xx ? Number(non2xx[1]) : 0,
    socket_errors: errors ? errors[0] : null,
  };
}

/**
 * PIN=1: every Worker under test (wrangler and workerd) on CPU 0 and wrk on CPU 1, so a figure is
 * what the Worker's isolate does on one core, not how it shares two with its load generator.
 */
const PIN = process.env.PIN === '1';
const SERVER_CPUS = PIN ? '0' : null;

function wrk(url, script, { threads = THREADS, duration = DURATION } = {}) {
  const args = ['-t', String(threads), '-c', CONNECTIONS, '-d', duration, '--timeout', '5s', '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  const [cmd, argv] = PIN ? ['taskset', ['-c', '1', 'wrk', ...args]] : ['wrk', args];
  const text = execFileSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  return { ...parseWrk(text), raw: text };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The conversation every benchmark shopper has, one message at a time (docs/conversation.md). */
const CONVERSATION = ['rings', 'in rose gold', 'under 500', 'show me more'];

/**
 * A wrk script in which each connection is one shopper having CONVERSATION over and over, each
 * round under a new session id. wrk gives a script no handle on the connection, only on its
 * thread, so it runs one connection per thread (-t = -c) and keeps the conversation in the
 * thread's Lua state. Every reply's `context` is cut out of the body in both modes (same client
 * work); `sendContext` sends it back with the next message (the `context` store), otherwise the
 * messages carry none (the `durable_object` store). Each shopper has its own client address.
 */
function luaConversation(name, sendContext) {
  const path = join(OUT, `${name}.lua`);
  writeFileSync(path, `
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local texts = {${CONVERSATION.map((t) => JSON.stringify(t)).join(', ')}}
local send_context = ${sendContext ? 'true' : 'false'}
local turn = 0
local round = 0
local context = nil

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["CF-Connecting-IP"] = "198.18." .. math.floor(id / 250) .. "." .. (id % 250 + 1)
end

request = function()
  local i = turn % #texts
  if i == 0 then
    round = round + 1
    context = nil
  end
  turn = turn + 1
  local body = '{"session_id":"s-bench-' .. id .. '-' .. round .. '","text":"' .. texts[i + 1] .. '"'
  if send_context and context then
    body = body .. ',"context":' .. context
  end
  return wrk.format(nil, nil, nil, body .. "}")
end

-- The reply's "context" object (it holds no strings with braces, so counting braces finds its end).
local function context_of(body)
  local at = string.find(body, '"context":{', 1, true)
  if not at then return nil end
  local from = at + 10
  local depth = 0
  for i = from, #body do
    local c = string.byte(body, i)
    if c == 123 then
      depth = depth + 1
    elseif c == 125 then
      depth = depth - 1
      if depth == 0 then return string.sub(body, from, i) end
    end
  end
  return nil
end

response = function(status, headers, body)
  context = context_of(body)
end
`);
  return path;
}

/** The conversation once through `url`, sending back each context when `sendContext`: the filters it ends with. */
async function converse(url, session, sendContext) {
  let context;
  let last;
  for (const text of CONVERSATION) {
    const body = { session_id: session, text, ...(sendContext && context ? { context } : {}) };
    const res = await request(url, 'POST', '/v1/messages', { body });
    if (res.status !== 200) throw new Error(`"${text}" → ${res.status}: ${res.text}`);
    context = res.body.context;
    last = res.body;
  }
  const f = last.filters;
  const kept = f.categories.includes('rings') && f.metals.includes('rose_gold') && f.price?.max === 500;
  if (!kept) throw new Error(`the conversation lost a refinement: ${JSON.stringify(f)}`);
  return f;
}

/**
 * The two conversation stores side by side: a Worker per store (same release build, same seeded
 * data, RATE_LIMIT_SCALE 1000), wrk runs interleaved A B A B, one shopper per connection.
 */
async function compareStores(config) {
  const rounds = Number(process.env.ROUNDS ?? 2);
  const stores = [
    { store: 'context', sendContext: true },
    { store: 'durable_object', sendContext: false },
  ];
  const workers = [];
  try {
    for (const s of stores) {
      const dir = mkdtempSync(join(tmpdir(), `aurora-bench-${s.store}-`));
      await migrateAndSeed(dir);
      const vars = { CONVERSATION_STORE: s.store, RATE_LIMIT_SCALE: '1000' };
      const worker = await startWorker({ persistDir: dir, fresh: false, config, vars, logLevel: 'info', readyTimeoutMs: 120_000 });
      workers.push({ ...s, dir, worker, script: luaConversation(`conversation_${s.store}`, s.sendContext), runs: [] });
    }
    for (const w of workers) {
      // Warm-up and a check that the store really keeps the conversation: in this mode the
      // messages carry a context only when the store is `context`.
      for (let i = 0; i < 5; i += 1) await converse(w.worker.url, `s-bench-warm-${i}`, w.sendContext);
    }
    // One shopper alone (no wrk): where the time of each turn goes, first message included.
    const alone = Number(process.env.ALONE_CONVERSATIONS ?? 20);
    for (let i = 0; i < alone; i += 1) {
      for (const w of workers) {
        w.turns ??= CONVERSATION.map(() => []);
        let context;
        for (const [turn, text] of CONVERSATION.entries()) {
          const body = { session_id: `s-bench-alone-${i}`, text, ...(w.sendContext && context ? { context } : {}) };
          const t0 = performance.now();
          const res = await request(w.worker.url, 'POST', '/v1/messages', { body });
          w.turns[turn].push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`"${text}" → ${res.status}: ${res.text}`);
          context = res.body.context;
        }
      }
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const w of workers) {
        log(`wrk conversation, store ${w.store}, round ${round + 1}/${rounds}`);
        const r = wrk(`${w.worker.url}/v1/messages`, w.script, { threads: CONNECTIONS });
        w.runs.push(r);
        writeFileSync(join(OUT, `conversation_${w.store}_${round + 1}.wrk.txt`), r.raw);
      }
    }
  } finally {
    for (const w of workers) {
      await w.worker.stop();
      rmSync(w.dir, { recursive: true, force: true });
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const summary = workers.map((w) => ({
    store: w.store,
    runs: w.runs.map(({ raw, ...r }) => r),
    rps: mean(w.runs.map((r) => r.rps)),
    p50_ms: mean(w.runs.map((r) => r.p50_ms)),
    p99_ms: mean(w.runs.map((r) => r.p99_ms)),
    alone_median_ms_per_turn: w.turns.map((ms) => Number(median(ms).toFixed(2))),
  }));
  const [ctx, durable] = summary;
  return {
    wrk: `wrk -t${CONNECTIONS} -c${CONNECTIONS} -d${DURATION} --latency -s <conversation script> (one shopper per connection; 127.0.0.1)`,
    conversation: CONVERSATION,
    rounds,
    alone_conversations: Number(process.env.ALONE_CONVERSATIONS ?? 20),
    stores: summary,
    ratio_durable_object_to_context: {
      rps: Number((durable.rps / ctx.rps).toFixed(3)),
      p50: Number((durable.p50_ms / ctx.p50_ms).toFixed(3)),
      p99: Number((durable.p99_ms / ctx.p99_ms).toFixed(3)),
    },
  };
}

function printStores(result) {
  const pad = (s, n) => String(s).padEnd(n);
  const lines = [
    `conversation stores (${result.conversation.map((t) => `"${t}"`).join(' → ')}; runs interleaved ${result.stores.map((s) => s.store).join(' / ')} × ${result.rounds})`,
    `${pad('store', 16)}${pad('run', 5)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}non-2xx`,
  ];
  for (const s of result.stores) {
    s.runs.forEach((r, i) => lines.push(`${pad(s.store, 16)}${pad(i + 1, 5)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50_ms?.toFixed(2), 9)}${pad(r.p99_ms?.toFixed(2), 9)}${r.non_2xx}`));
    lines.push(`${pad(s.store, 16)}${pad('mean', 5)}${pad(s.rps.toFixed(0), 10)}${pad(s.p50_ms.toFixed(2), 9)}${pad(s.p99_ms.toFixed(2), 9)}`);
  }
  const r = result.ratio_durable_object_to_context;
  lines.push(`durable_object / context: req/s ${(r.rps * 100).toFixed(0)}%, p50 ${r.p50.toFixed(2)}×, p99 ${r.p99.toFixed(2)}×`);
  lines.push(`(${result.wrk})`);
  lines.push('', `one shopper alone, median ms per turn (${result.conversation.map((t) => `"${t}"`).join(', ')}; ${result.alone_conversations} conversations each, before the wrk runs):`);
  for (const s of result.stores) lines.push(`${pad(s.store, 16)}${s.alone_median_ms_per_turn.map((ms) => pad(ms.toFixed(1), 8)).join('')}`);
  return lines.join('\n');
}

async function main() {
  if (!process.env.SKIP_BUILD) buildRelease();
  const loadBefore = Number(loadavg()[0].toFixed(2));
  const buildDir = snapshotBuild();
  const wasmPath = findWasm(buildDir);
  const wasmFile = wasmPath.slice(buildDir.length + 1);
  const wasm = readFileSync(wasmPath);
  const wasmGzip = gzipSync(wasm, { level: 9 }).length;

  const config = prebuiltConfig(buildDir);
  const only = process.env.ONLY ?? 'all';
  if (!['all', 'routes', 'conversation', 'cold', 'perf'].includes(only)) throw new Error(`ONLY is all, routes, conversation, cold or perf, not \`${only}\``);
  const wasmLine = `release wasm: build/${wasmFile} ${(wasm.length / 1024).toFixed(0)} KiB, gzip -9 ${(wasmGzip / 1024).toFixed(0)} KiB`;
  if (only === 'conversation') {
    const stores = await compareStores(config);
    const summary = {
      when: new Date().toISOString(),
      load_average_1m_before_after: [loadBefore, Number(loadavg()[0].toFixed(2))],
      cpus: cpus().length,
      wasm: { file: `build/${wasmFile}`, bytes: wasm.length, gzip_bytes: wasmGzip },
      conversation_stores: stores,
    };
    writeFileSync(join(OUT, 'result-conversation.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log([printStores(stores), '', wasmLine,
      `(load average ${summary.load_average_1m_before_after.join(' → ')} on ${summary.cpus} CPUs; full result in .state/bench/result-conversation.json)`].join('\n'));
    if (stores.stores.some((st) => st.runs.some((r) => r.non_2xx > 0))) {
      console.error('bench: some responses were not 2xx; the figures above are not comparable');
      process.exitCode = 1;
    }
    return;
  }
  if (only === 'perf') {
    await perfProfile(config);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'aurora-bench-'));
  await migrateAndSeed(dir);
  const peerDir = mkdtempSync(join(tmpdir(), 'aurora-bench-peer-'));
  await migrateAndSeed(peerDir);
  // The same peer behind the same static-assets router as ours (bench/peer/wrangler.assets.toml).
  const peerAssetsDir = mkdtempSync(join(tmpdir(), 'aurora-bench-peer-assets-'));
  await migrateAndSeed(peerAssetsDir);
  const vars = { RATE_LIMIT_SCALE: '1000000' };
  const start = (readyPath = '/health') => startWorker({ persistDir: dir, fresh: false, config, vars, logLevel: 'info', readyTimeoutMs: 120_000, readyPath, cpus: SERVER_CPUS });
  // BASELINE=<another build folder> (e.g. main's build/, copied): measured beside ours, same routes.
  const baselineDir = process.env.BASELINE ? mkdtempSync(join(tmpdir(), 'aurora-bench-base-')) : null;
  if (baselineDir) await migrateAndSeed(baselineDir);
  const baselineConfig = process.env.BASELINE ? prebuiltConfig(process.env.BASELINE, 'wrangler.baseline.toml') : null;
  const rounds = Number(process.env.ROUNDS ?? 2);

  const discovery = { session_id: 'SESSION', text: 'rose gold rings under $500' };
  const tracking = { session_id: 'SESSION', text: 'Where is my order? It has not arrived yet' };
  // Each of ours beside its JavaScript peer (bench/peer/worker.js); ratio = ours / peer req/s.
  const routes = [
    { name: 'POST /v1/messages (discovery, warm KV)', who: 'ours', path: '/v1/messages', body: discovery, intent: 'product_discovery', pair: 'discovery' },
    { name: 'JS peer: discovery, warm KV', who: 'peer', path: '/v1/messages', body: discovery, intent: 'product_discovery', pair: 'discovery' },
    { name: 'POST /v1/messages (tracking)', who: 'ours', path: '/v1/messages', body: tracking, intent: 'order_tracking', pair: 'tracking' },
    { name: 'JS peer: tracking', who: 'peer', path: '/v1/messages', body: tracking, intent: 'order_tracking', pair: 'tracking' },
    { name: 'GET /v1/flags (no I/O)', who: 'ours', path: '/v1/flags', pair: 'no_io' },
    { name: 'JS peer: hello world', who: 'peer', path: '/hello', pair: 'no_io' },
    { name: 'JS peer + assets router: discovery', who: 'peer_assets', path: '/v1/messages', body: discovery, intent: 'product_discovery', pair: 'discovery' },
    { name: 'JS peer + assets router: tracking', who: 'peer_assets', path: '/v1/messages', body: tracking, intent: 'order_tracking', pair: 'tracking' },
    { name: 'JS peer + assets router: hello world', who: 'peer_assets', path: '/hello', pair: 'no_io' },
    { name: 'GET /health (D1 + KV each call)', who: 'ours', path: '/health' },
  ];
  if (baselineConfig) {
    routes.push(
      { name: 'BASELINE: discovery, warm KV', who: 'baseline', path: '/v1/messages', body: discovery, intent: 'product_discovery', pair: 'discovery' },
      { name: 'BASELINE: tracking', who: 'baseline', path: '/v1/messages', body: tracking, intent: 'order_tracking', pair: 'tracking' },
      { name: 'BASELINE: GET /v1/flags', who: 'baseline', path: '/v1/flags', pair: 'no_io' },
    );
  }
  // Each route right beside the others of its pair (ours, baseline, peer, peer behind the assets
  // router), so a pair is measured back to back in every round.
  {
    const order = ['discovery', 'tracking', 'no_io', undefined];
    const WHO = ['ours', 'baseline', 'peer', 'peer_assets'];
    routes.sort((a, b) => (order.indexOf(a.pair) - order.indexOf(b.pair)) || (WHO.indexOf(a.who) - WHO.indexOf(b.who)));
  }

  const baseStart = baselineConfig
    ? (readyPath = '/health') => startWorker({ persistDir: baselineDir, fresh: false, config: baselineConfig, vars, logLevel: 'info', readyTimeoutMs: 120_000, readyPath, cpus: SERVER_CPUS })
    : null;
  const peerStart = (readyPath = '/health') => startWorker({ persistDir: peerDir, fresh: false, config: join(ROOT, 'bench', 'peer', 'wrangler.toml'), logLevel: 'info', readyTimeoutMs: 120_000, readyPath, cpus: SERVER_CPUS });
  const peerAssetsStart = () => startWorker({ persistDir: peerAssetsDir, fresh: false, config: join(ROOT, 'bench', 'peer', 'wrangler.assets.toml'), logLevel: 'info', readyTimeoutMs: 120_000, readyPath: '/hello', cpus: SERVER_CPUS });
  if (only === 'cold') {
    const cold = await coldStarts(start, peerStart, baseStart);
    rmSync(dir, { recursive: true, force: true });
    rmSync(peerDir, { recursive: true, force: true });
    rmSync(peerAssetsDir, { recursive: true, force: true });
    if (baselineDir) rmSync(baselineDir, { recursive: true, force: true });
    const summary = { when: new Date().toISOString(), load_average_1m_before_after: [loadBefore, Number(loadavg()[0].toFixed(2))], cpus: cpus().length, cold_start: cold };
    writeFileSync(join(OUT, 'result-cold.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log([...coldLines(cold), wasmLine, `(load average ${summary.load_average_1m_before_after.join(' → ')} on ${summary.cpus} CPUs; full result in .state/bench/result-cold.json)`].join('\n'));
    return;
  }
  let worker = await start();
  const peer = await peerStart();
  const peerAssets = await peerAssetsStart();
  const baseline = baseStart ? await baseStart() : null;
  const urlOf = (who) => ({ ours: worker.url, peer: peer.url, peer_assets: peerAssets.url, baseline: baseline?.url })[who];
  const runs = new Map(routes.map((r) => [r.name, []]));
  try {
    for (const route of routes) {
      const url = urlOf(route.who);
      // Warm-up: compiles the engine in this isolate and fills the KV catalog cache.
      for (let i = 0; i < 5; i += 1) {
        const res = await request(url, route.body ? 'POST' : 'GET', route.path, route.body ? { body: { ...route.body, session_id: 's-bench-warm' } } : {});
        if (res.status !== 200) throw new Error(`${route.name} → ${res.status}: ${res.text}`);
        if (route.intent && res.body.intent !== route.intent) throw new Error(`${route.name} classified as ${res.body.intent}, not ${route.intent}`);
        if (route.intent === 'product_discovery' && !(res.body.products?.length > 0)) throw new Error(`${route.name} found no products`);
      }
    }
    // Steady state: WARMUP of load per route, not recorded, so V8 has tiered up the hot code
    // (wasm functions start in its baseline compiler) of every Worker before anything is measured.
    for (const route of routes) {
      log(`warm-up ${route.name} (${WARMUP})`);
      const script = route.body ? luaPost(route.path.replace(/\W+/g, '_') + route.who + route.pair, route.body) : null;
      wrk(urlOf(route.who) + route.path, script, { duration: WARMUP });
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const route of routes) {
        const url = urlOf(route.who);
        log(`wrk ${route.name}, round ${round + 1}/${rounds}`);
        const script = route.body ? luaPost(route.path.replace(/\W+/g, '_') + route.who + route.pair, route.body) : null;
        const r = wrk(url + route.path, script);
        runs.get(route.name).push(r);
        writeFileSync(join(OUT, `${route.name.replace(/\W+/g, '_')}_${round + 1}.wrk.txt`), r.raw);
      }
    }
  } finally {
    await worker.stop();
    await peer.stop();
    await peerAssets.stop();
    await baseline?.stop();
  }

  const cold = await coldStarts(start, peerStart, baseStart);
  rmSync(dir, { recursive: true, force: true });
  rmSync(peerDir, { recursive: true, force: true });
  rmSync(peerAssetsDir, { recursive: true, force: true });
  if (baselineDir) rmSync(baselineDir, { recursive: true, force: true });
  const stores = only === 'all' ? await compareStores(config) : null;

  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const results = routes.map((route) => {
    const rs = runs.get(route.name);
    return {
      route: route.name,
      who: route.who,
      pair: route.pair ?? null,
      runs: rs.map(({ raw, ...r }) => r),
      rps: Number(mean(rs.map((r) => r.rps)).toFixed(1)),
      p50_ms: Number(mean(rs.map((r) => r.p50_ms)).toFixed(2)),
      p99_ms: Number(mean(rs.map((r) => r.p99_ms)).toFixed(2)),
      non_2xx: rs.reduce((a, r) => a + r.non_2xx, 0),
    };
  });
  // Per round, ours / peer (both measured back to back in that round), then the mean ratio.
  const ratio = (pair, who = 'ours', than = 'peer') => {
    const ours = results.find((r) => r.pair === pair && r.who === who);
    const theirs = results.find((r) => r.pair === pair && r.who === than);
    const perRound = ours.runs.map((r, i) => Number((r.rps / (theirs.runs[i]?.rps || 1)).toFixed(3)));
    return { per_round: perRound, mean: Number(mean(perRound).toFixed(3)) };
  };
  const twiggy = twiggyTop();
  // The deployed form's code by crate (scripts/wasm-size prints more: largest functions, copies).
  let bySize = null;
  try {
    bySize = measureWasmSize({ top: 10 }).summary;
  } catch (err) {
    console.error(`bench: no size report by crate: ${err.message}`);
  }
  const summary = {
    when: new Date().toISOString(),
    load_average_1m_before_after: [loadBefore, Number(loadavg()[0].toFixed(2))],
    cpus: cpus().length,
    wrk: `wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION} --latency (127.0.0.1, same 2 cores as the server); routes interleaved, ${rounds} rounds`,
    routes: results,
    vs_js_peer: {
      discovery_warm: { goal: 1.0, ...ratio('discovery') },
      tracking: { goal: 1.0, ...ratio('tracking') },
      no_io_vs_hello_world: { goal: 0.9, ...ratio('no_io') },
    },
    vs_js_peer_same_assets_router: {
      discovery_warm: ratio('discovery', 'ours', 'peer_assets'),
      tracking: ratio('tracking', 'ours', 'peer_assets'),
      no_io_vs_hello_world: ratio('no_io', 'ours', 'peer_assets'),
      assets_router_cost_to_the_peer: { discovery_warm: ratio('discovery', 'peer_assets'), tracking: ratio('tracking', 'peer_assets'), no_io: ratio('no_io', 'peer_assets') },
    },
    pinned: PIN ? 'workers on CPU 0, wrk on CPU 1' : null,
    vs_baseline: baselineConfig ? {
      build: process.env.BASELINE,
      discovery_warm: ratio('discovery', 'ours', 'baseline'),
      tracking: ratio('tracking', 'ours', 'baseline'),
      no_io: ratio('no_io', 'ours', 'baseline'),
      baseline_vs_js_peer: { discovery_warm: ratio('discovery', 'baseline'), tracking: ratio('tracking', 'baseline'), no_io: ratio('no_io', 'baseline') },
    } : null,
    wasm: { file: `build/${wasmFile}`, bytes: wasm.length, gzip_bytes: wasmGzip, goal_gzip_bytes: 300_000, twiggy_top: twiggy, by_crate: bySize },
    cold_start: cold,
    conversation_stores: stores,
  };
  writeFileSync(join(OUT, 'result.json'), JSON.stringify(summary, null, 2) + '\n');

  const pad = (s, n) => String(s).padEnd(n);
  const lines = [
    `${pad('route', 42)}${pad('run', 5)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}non-2xx`,
  ];
  for (const r of results) {
    r.runs.forEach((x, i) => lines.push(`${pad(r.route, 42)}${pad(i + 1, 5)}${pad(x.rps.toFixed(0), 10)}${pad(x.p50_ms?.toFixed(2), 9)}${pad(x.p99_ms?.toFixed(2), 9)}${x.non_2xx}`));
  }
  const v = summary.vs_js_peer;
  const fmt = (x) => `${x.mean.toFixed(2)}× (rounds ${x.per_round.map((n) => n.toFixed(2)).join(', ')}; goal ≥ ${x.goal.toFixed(1)}×)`;
  lines.push(
    '',
    `vs the JS peer: discovery (warm KV) ${fmt(v.discovery_warm)}`,
    `                tracking ${fmt(v.tracking)}`,
    `                /v1/flags vs JS hello world ${fmt(v.no_io_vs_hello_world)}`,
    (() => {
      const a = summary.vs_js_peer_same_assets_router;
      const f = (x) => `${x.mean.toFixed(2)}× (rounds ${x.per_round.map((n) => n.toFixed(2)).join(', ')})`;
      return [
        `vs the JS peer behind the same assets router as ours: discovery ${f(a.discovery_warm)}, tracking ${f(a.tracking)}, /v1/flags vs hello ${f(a.no_io_vs_hello_world)}`,
        `the assets router costs the JS peer: discovery ${f(a.assets_router_cost_to_the_peer.discovery_warm)}, tracking ${f(a.assets_router_cost_to_the_peer.tracking)}, hello ${f(a.assets_router_cost_to_the_peer.no_io)} of its bare req/s`,
      ].join('\n');
    })(),
    ...(summary.vs_baseline ? (() => {
      const b = summary.vs_baseline;
      const f = (x) => `${x.mean.toFixed(2)}× (rounds ${x.per_round.map((n) => n.toFixed(2)).join(', ')})`;
      return [
        `vs BASELINE (${b.build}): discovery ${f(b.discovery_warm)}, tracking ${f(b.tracking)}, /v1/flags ${f(b.no_io)}`,
        `BASELINE vs the JS peer: discovery ${f(b.baseline_vs_js_peer.discovery_warm)}, tracking ${f(b.baseline_vs_js_peer.tracking)}, /v1/flags ${f(b.baseline_vs_js_peer.no_io)}`,
      ];
    })() : []),
    ...(PIN ? ['(PIN=1: the Workers on CPU 0, wrk on CPU 1)'] : []),
    '',
    `${wasmLine} (goal ≤ 300 KB gzip, ${(wasmGzip / 1000).toFixed(0)} KB)`,
    ...(twiggy ? ['largest items (twiggy top, before wasm-bindgen and wasm-opt):', ...twiggy.map((t) => `  ${pad(t.bytes, 9)}${t.item}`)] : ['(twiggy not installed: `cargo install twiggy` for the size report)']),
    ...(bySize ? [...wasmSizeLines(bySize), '(scripts/wasm-size: the largest functions and the generics with the most copies)'] : []),
    ...coldLines(cold),
    `(${summary.wrk}; load average ${summary.load_average_1m_before_after.join(' → ')} on ${summary.cpus} CPUs; full result in .state/bench/result.json)`,
  );
  if (stores) lines.push('', printStores(stores));
  console.log(lines.join('\n'));
  if (results.some((r) => r.non_2xx > 0) || stores?.stores.some((st) => st.runs.some((r) => r.non_2xx > 0))) {
    console.error('bench: some responses were not 2xx; the figures above are not comparable');
    process.exitCode = 1;
  }
}

/**
 * Fresh isolates, ours and the JS peer's interleaved (ours, peer, ours, peer, ...): the time from
 * wrangler's "Ready" to the first answer, which includes workerd loading the Worker (for ours:
 * compiling and instantiating the wasm, reading the rules' identity, the per-isolate config).
 * Both Workers answer the same request, one with no I/O (`GET /v1/cold-start`: a 404 from our API,
 * with its headers and data point, and from the peer), so the difference of the medians is what
 * our Worker adds to what wrangler dev and workerd cost any Worker on this machine. Ours is also
 * started once more per run with GET /health (a D1 query and a KV read) as its first request.
 */
async function coldStarts(startOursWith, startPeerWith, startBaseWith = null) {
  const COLD_PATH = '/v1/cold-start';
  const ours = [];
  const peer = [];
  // One fresh isolate of a Worker, then its first discovery message (cold KV).
  const once = async (startWith, label) => {
    const worker = await startWith(COLD_PATH);
    try {
      if (COLD_PAUSE_MS > 0) await new Promise((r) => setTimeout(r, COLD_PAUSE_MS));
      const t0 = performance.now();
      const res = await request(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-cold', text: 'rose gold rings under $500' } });
      const firstMessageMs = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${label} cold message → ${res.status}`);
      return { firstAnswerMs: worker.timings.firstAnswerMs, firstMessageMs: Math.round(firstMessageMs) };
    } finally {
      await worker.stop();
    }
  };
  const base = [];
  for (let i = 0; i < COLD_RUNS; i += 1) {
    ours.push(await once(startOursWith, 'ours'));
    peer.push(await once(startPeerWith, 'peer'));
    if (startBaseWith) base.push(await once(startBaseWith, 'BASELINE'));
  }
  const health = [];
  for (let i = 0; i < COLD_RUNS; i += 1) {
    const worker = await startOursWith('/health');
    health.push(worker.timings.firstAnswerMs);
    await worker.stop();
  }
  // What a shopper meets: a fresh isolate whose very first request is a discovery message (the
  // rules' tables, the regexes the message needs, the catalog read), each Worker interleaved.
  const FIRST_MESSAGE = { method: 'POST', path: '/v1/messages', body: { session_id: 's-cold-first', text: 'rose gold rings under $500' } };
  const messageFirst = { ours: [], peer: [], base: [] };
  for (let i = 0; i < COLD_RUNS; i += 1) {
    for (const [key, startWith] of [['ours', startOursWith], ['peer', startPeerWith], ['base', startBaseWith]]) {
      if (!startWith) continue;
      const worker = await startWith(FIRST_MESSAGE);
      messageFirst[key].push(worker.timings.firstAnswerMs);
      await worker.stop();
    }
  }
  const ourHealth = median(ours.map((c) => c.firstAnswerMs));
  const peerHealth = median(peer.map((c) => c.firstAnswerMs));
  return {
    runs: ours,
    peer_runs: peer,
    first_request: `GET ${COLD_PATH} (no I/O) for both`,
    first_message_pause_ms: COLD_PAUSE_MS,
    median_first_answer_ms: ourHealth,
    median_first_health_with_d1_kv_ms: median(health),
    median_first_message_after_first_answer_ms: median(ours.map((c) => c.firstMessageMs)),
    peer_median_first_answer_ms: peerHealth,
    peer_median_first_message_ms: median(peer.map((c) => c.firstMessageMs)),
    added_over_js_peer_ms: ourHealth - peerHealth,
    goal_ms: 30,
    first_request_is_a_message: FIRST_MESSAGE.body.text,
    message_first_runs: messageFirst.ours,
    peer_message_first_runs: messageFirst.peer,
    median_message_first_ms: median(messageFirst.ours),
    peer_median_message_first_ms: median(messageFirst.peer),
    ...(startBaseWith ? {
      baseline_runs: base,
      baseline_median_first_answer_ms: median(base.map((c) => c.firstAnswerMs)),
      baseline_median_first_message_ms: median(base.map((c) => c.firstMessageMs)),
      baseline_message_first_runs: messageFirst.base,
      baseline_median_message_first_ms: median(messageFirst.base),
    } : {}),
  };
}

function coldLines(cold) {
  return [
    `fresh isolate → first answer (the same no-I/O request to both, after "Ready"): ours median ${cold.median_first_answer_ms} ms, the JS peer's ${cold.peer_median_first_answer_ms} ms, over ${COLD_RUNS} restarts each, interleaved`,
    `  what our Worker adds over a JS Worker's start: ${cold.added_over_js_peer_ms} ms (goal: fresh isolate ≤ ${cold.goal_ms} ms)`,
    `  ours with GET /health first (a D1 query and a KV read): median ${cold.median_first_health_with_d1_kv_ms} ms`,
    `then first POST /v1/messages (discovery, cold KV${COLD_PAUSE_MS ? `, ${COLD_PAUSE_MS} ms after the first answer` : ''}): ours median ${cold.median_first_message_after_first_answer_ms} ms, the JS peer's ${cold.peer_median_first_message_ms} ms`,
    `fresh isolate whose first request is that message: ours median ${cold.median_message_first_ms} ms, the JS peer's ${cold.peer_median_message_first_ms} ms (${COLD_RUNS} restarts each, interleaved)`,
    ...(cold.baseline_runs ? [`BASELINE, interleaved with the two: first answer median ${cold.baseline_median_first_answer_ms} ms, then first message ${cold.baseline_median_first_message_ms} ms; message as first request ${cold.baseline_median_message_first_ms} ms`] : []),
  ];
}

/** The largest items of the cargo-built wasm (names intact), if twiggy is installed. */
function twiggyTop() {
  const profile = ['wasm-release', 'release'].find((p) => existsSync(join(ROOT, 'target', 'wasm32-unknown-unknown', p, 'aurora_concierge.wasm')));
  if (!profile) return null;
  const file = join(ROOT, 'target', 'wasm32-unknown-unknown', profile, 'aurora_concierge.wasm');
  const r = spawnSync('twiggy', ['top', '-n', '15', '--format', 'csv', file], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.trim().split('\n').slice(1).map((line) => {
    const m = /^(.*),(\d+),([\d.]+),[^,]*,[^,]*$/.exec(line);
    return m ? { item: m[1].replace(/^"|"$/g, '').replace(/""/g, '"').slice(0, 90), bytes: Number(m[2]) } : null;
  }).filter(Boolean);
}

main().catch((err) => { console.error(err.stack ?? String(err)); process.exit(1); });

/** Every process now, from /proc: pid, command name, process group, CPU seconds (user + system). */
function processes() {
  const out = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let text;
    try { text = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    out.push({
      pid,
      comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
      pgrp: Number(fields[2]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    });
  }
  return out;
}

/** The workerd serving `worker` and its process group (started detached: wrangler leads it). */
function workerdOf(worker) {
  const all = processes();
  const cmdline = (pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return ''; } };
  const group = all.find((p) => p.comm !== 'workerd' && cmdline(p.pid).includes(worker.persistDir))?.pgrp;
  const workerd = all.find((p) => p.comm === 'workerd' && p.pgrp === group)?.pid;
  if (!workerd) throw new Error(`no workerd found for ${worker.url}`);
  return { workerd, group };
}

/** CPU seconds so far of the processes in process group `group`, by command name. */
function groupCpuSeconds(group) {
  const out = {};
  for (const p of processes().filter((p) => p.pgrp === group)) out[p.comm] = (out[p.comm] ?? 0) + p.cpuSeconds;
  return out;
}

/**
 * ONLY=perf: where a request's CPU goes inside workerd, ours beside the JS peer (bare and behind
 * the same assets router). Each Worker alone on CPU 0, wrk on CPU 1; after WARMUP, `perf record`
 * samples every thread of its workerd for PERF_SECONDS under load, and each sample is put in the
 * first bucket its stack matches. The inspector's profiler is no use for this: with it attached
 * V8 runs wasm in its baseline tier. ROUTE=tracking (default), discovery or flags.
 */
async function perfProfile(config) {
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('perf is not installed (Debian: apt-get install linux-perf)');
  const route = process.env.ROUTE ?? 'tracking';
  const seconds = Number(process.env.PERF_SECONDS ?? 4);
  const hz = 999;
  const bodies = { tracking: { session_id: 'SESSION', text: 'Where is my order? It has not arrived yet' }, discovery: { session_id: 'SESSION', text: 'rose gold rings under $500' } };
  if (!(route in bodies) && route !== 'flags') throw new Error(`ROUTE is tracking, discovery or flags, not \`${route}\``);
  const buckets = [
    ['V8 compiling wasm (tier-up)', /ExecuteCompilationUnits|GenerateWasmCode|WasmCompilationUnit/],
    ['garbage collection', /Heap::CollectGarbage|Scavenge|MarkCompact|ConcurrentMarking|MinorGC|HeapTracer|CppHeap/],
    ['subrequests (entry Worker, assets router)', /Fetcher::fetch/],
    ['Request and Headers copies', /Request::constructor|api::Headers/],
    ['JSON in V8', /JsonParser|JsonStringifier|JSON::/],
  ];
  const workers = [
    ['ours', config],
    ['JS peer behind the assets router', join(ROOT, 'bench', 'peer', 'wrangler.assets.toml')],
    ['JS peer, bare', join(ROOT, 'bench', 'peer', 'wrangler.toml')],
  ];
  const rows = [];
  for (const [name, cfg] of workers) {
    const dir = mkdtempSync(join(tmpdir(), 'aurora-perf-'));
    await migrateAndSeed(dir);
    const worker = await startWorker({ persistDir: dir, fresh: false, config: cfg, vars: { RATE_LIMIT_SCALE: '1000000' }, logLevel: 'info', readyTimeoutMs: 120_000, cpus: '0' });
    try {
      const peer = name !== 'ours';
      const path = route === 'flags' ? (peer ? '/hello' : '/v1/flags') : '/v1/messages';
      const script = bodies[route] ? luaPost(`perf_${route}`, bodies[route]) : null;
      const run = (duration) => {
        const args = ['-c', '1', 'wrk', '-t', String(THREADS), '-c', CONNECTIONS, '-d', duration, ...(script ? ['-s', script] : []), worker.url + path];
        return parseWrk(execFileSync('taskset', args, { encoding: 'utf8', timeout: 120_000 }));
      };
      log(`perf: ${name}, ${route}: warm-up ${WARMUP}`);
      run(WARMUP);
      const data = join(OUT, `perf-${route}-${rows.length}.data`);
      const { workerd, group } = workerdOf(worker);
      const perf = spawn('perf', ['record', '-q', '-g', '-F', String(hz), '-p', workerd, '-o', data, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
      const cpuBefore = groupCpuSeconds(group);
      const load = run(`${seconds + 1}s`);
      const cpuAfter = groupCpuSeconds(group);
      await new Promise((res) => perf.on('exit', res));
            // wrangler (node) beside workerd on the same core: its proxy and per-request log lines.
      const perRequest = (comm) => (((cpuAfter[comm] ?? 0) - (cpuBefore[comm] ?? 0)) / load.requests) * 1e6;
      const text = execFileSync('perf', ['script', '-i', data, '-F', 'ip,sym'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
      const counts = new Map(buckets.map(([b]) => [b, 0]));
      let total = 0;
      for (const stack of text.split('\n\n')) {
        if (!stack.trim()) continue;
        total += 1;
        const hit = buckets.find(([, re]) => re.test(stack));
        if (hit) counts.set(hit[0], counts.get(hit[0]) + 1);
      }
      // perf loses samples under load; its shares are applied to workerd's CPU time from /proc.
      const workerdUs = perRequest('workerd');
      const us = (n) => (total ? (n / total) * workerdUs : 0);
      rows.push({ name, rps: load.rps, samples: total, sampled_us: (total / hz / (load.rps * seconds)) * 1e6, node_us: perRequest('node'), workerd_us: workerdUs, buckets: Object.fromEntries([...counts].map(([b, n]) => [b, us(n)])), other_us: us(total - [...counts.values()].reduce((a, b) => a + b, 0)) });
    } finally {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  writeFileSync(join(OUT, `result-perf-${route}.json`), JSON.stringify({ when: new Date().toISOString(), route, hz, seconds, rows }, null, 2) + '\n');
  const pad = (x, n) => String(x).padStart(n);
  const head = ['', ...rows.map((r) => r.name)];
  const widths = head.map((h, i) => (i === 0 ? 44 : Math.max(12, h.length + 2)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[0]) : pad(c, widths[i]))).join('');
  const lines = [
    `CPU per ${route} request, µs (${seconds} s under wrk after ${WARMUP} of warm-up; each Worker alone on CPU 0, wrk on CPU 1; workerd's time split by the share of perf record -F ${hz} samples whose stack matches each bucket first)`,
    line(head),
    line(['req/s during the profile', ...rows.map((r) => r.rps.toFixed(0))]),
    line(['wrangler dev (node), from /proc', ...rows.map((r) => r.node_us.toFixed(0))]),
    line(['workerd, from /proc (split below by perf)', ...rows.map((r) => r.workerd_us.toFixed(0))]),
    ...buckets.map(([b]) => line([`  ${b}`, ...rows.map((r) => r.buckets[b].toFixed(0))])),
    line(['  the rest (the handlers, runtime, I/O)', ...rows.map((r) => r.other_us.toFixed(0))]),
    `(full result in .state/bench/result-perf-${route}.json)`,
  ];
  console.log(lines.join('\n'));
}
