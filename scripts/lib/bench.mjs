// scripts/bench: see the header of scripts/bench. Loopback only, every wrk run bounded in time.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync, existsSync, mkdtempSync, rmSync, cpSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { ROOT, startWorker, migrateAndSeed, request } from '../../tests/e2e/harness.mjs';

const DURATION = process.env.DURATION ?? '10s';
const CONNECTIONS = process.env.CONNECTIONS ?? '16';
const THREADS = process.env.THREADS ?? '2';
const COLD_RUNS = Number(process.env.COLD_RUNS ?? 3);
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
function prebuiltConfig(buildDir) {
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
  const path = join(OUT, 'wrangler.prebuilt.toml');
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

function wrk(url, script) {
  const args = ['-t', THREADS, '-c', CONNECTIONS, '-d', DURATION, '--timeout', '5s', '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  const text = execFileSync('wrk', args, { encoding: 'utf8', timeout: 120_000 });
  return { ...parseWrk(text), raw: text };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!process.env.SKIP_BUILD) buildRelease();
  const loadBefore = Number(loadavg()[0].toFixed(2));
  const buildDir = snapshotBuild();
  const wasmPath = findWasm(buildDir);
  const wasmFile = wasmPath.slice(buildDir.length + 1);
  const wasm = readFileSync(wasmPath);
  const wasmGzip = gzipSync(wasm, { level: 9 }).length;

  const config = prebuiltConfig(buildDir);
  const dir = mkdtempSync(join(tmpdir(), 'aurora-bench-'));
  await migrateAndSeed(dir);
  const vars = { RATE_LIMIT_SCALE: '1000000' };
  const start = () => startWorker({ persistDir: dir, fresh: false, config, vars, logLevel: 'info', readyTimeoutMs: 120_000 });

  const routes = [
    { name: 'GET /health', path: '/health' },
    { name: 'POST /v1/messages (tracking)', path: '/v1/messages', body: { session_id: 'SESSION', text: 'Where is my order? It has not arrived yet' }, intent: 'order_tracking' },
    { name: 'POST /v1/messages (discovery, warm KV)', path: '/v1/messages', body: { session_id: 'SESSION', text: 'rose gold rings under $500' }, intent: 'product_discovery' },
    // Reference only (not a goal): a route with no binding I/O, to show the Worker's fixed per-request cost.
    { name: 'GET /openapi.json (no I/O, reference)', path: '/openapi.json' },
  ];

  let worker = await start();
  const results = [];
  try {
    for (const route of routes) {
      // Warm-up: compiles the engine in this isolate and fills the KV catalog cache.
      for (let i = 0; i < 5; i += 1) {
        const res = await request(worker.url, route.body ? 'POST' : 'GET', route.path, route.body ? { body: { ...route.body, session_id: 's-bench-warm' } } : {});
        if (res.status !== 200) throw new Error(`${route.name} → ${res.status}: ${res.text}`);
        if (route.intent && res.body.intent !== route.intent) throw new Error(`${route.name} classified as ${res.body.intent}, not ${route.intent}`);
        if (route.intent === 'product_discovery' && !(res.body.products?.length > 0)) throw new Error(`${route.name} found no products`);
      }
      log(`wrk ${route.name}`);
      const script = route.body ? luaPost(route.path.replace(/\W+/g, '_') + results.length, route.body) : null;
      results.push({ route: route.name, ...wrk(worker.url + route.path, script) });
    }
  } finally {
    await worker.stop();
  }

  const cold = [];
  for (let i = 0; i < COLD_RUNS; i += 1) {
    worker = await start();
    try {
      const t0 = performance.now();
      const res = await request(worker.url, 'POST', '/v1/messages', { body: { session_id: 's-cold', text: 'rose gold rings under $500' } });
      const firstMessageMs = performance.now() - t0;
      if (res.status !== 200) throw new Error(`cold message → ${res.status}`);
      cold.push({ firstAnswerMs: worker.timings.firstAnswerMs, firstMessageMs: Math.round(firstMessageMs) });
    } finally {
      await worker.stop();
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const health = results[0].rps || 1;
  const summary = {
    when: new Date().toISOString(),
    load_average_1m_before_after: [loadBefore, Number(loadavg()[0].toFixed(2))],
    cpus: cpus().length,
    wrk: `wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION} --latency (127.0.0.1, same 2 cores as the server)`,
    routes: results.map(({ raw, ...r }) => ({ ...r, ratio_to_health: Number((r.rps / health).toFixed(3)) })),
    wasm: { file: `build/${wasmFile}`, bytes: wasm.length, gzip_bytes: wasmGzip },
    cold_start: {
      runs: cold,
      median_first_health_ms: median(cold.map((c) => c.firstAnswerMs)),
      median_first_message_after_health_ms: median(cold.map((c) => c.firstMessageMs)),
    },
    goals: {
      messages_vs_health: { goal: 0.8, measured: Number((results[1].rps / health).toFixed(3)) },
      discovery_vs_health: { goal: 0.6, measured: Number((results[2].rps / health).toFixed(3)) },
    },
  };
  writeFileSync(join(OUT, 'result.json'), JSON.stringify(summary, null, 2) + '\n');
  for (const r of results) writeFileSync(join(OUT, `${r.route.replace(/\W+/g, '_')}.wrk.txt`), r.raw);

  const pad = (s, n) => String(s).padEnd(n);
  const lines = [
    `${pad('route', 42)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('vs /health', 11)}non-2xx`,
    ...summary.routes.map((r) => `${pad(r.route, 42)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50_ms?.toFixed(2), 9)}${pad(r.p99_ms?.toFixed(2), 9)}${pad((r.ratio_to_health * 100).toFixed(0) + '%', 11)}${r.non_2xx}`),
    '',
    `release wasm: ${summary.wasm.file} ${(wasm.length / 1024).toFixed(0)} KiB, gzip -9 ${(wasmGzip / 1024).toFixed(0)} KiB`,
    `fresh isolate → first answer (GET /health after "Ready"): median ${summary.cold_start.median_first_health_ms} ms over ${COLD_RUNS} restarts`,
    `then first POST /v1/messages (discovery, cold KV): median ${summary.cold_start.median_first_message_after_health_ms} ms`,
    `goals: messages ${(summary.goals.messages_vs_health.measured * 100).toFixed(0)}% of /health (≥ 80%), discovery ${(summary.goals.discovery_vs_health.measured * 100).toFixed(0)}% (≥ 60%)`,
    `(${summary.wrk}; load average ${summary.load_average_1m_before_after.join(' → ')} on ${summary.cpus} CPUs; full result in .state/bench/result.json)`,
  ];
  console.log(lines.join('\n'));
  if (summary.routes.some((r) => r.non_2xx > 0)) {
    console.error('bench: some responses were not 2xx; the figures above are not comparable');
    process.exitCode = 1;
  }
}

main().catch((err) => { console.error(err.stack ?? String(err)); process.exit(1); });
