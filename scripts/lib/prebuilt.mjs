// Builds the Worker once for a whole test run and prints the path of a wrangler config that
// serves that build without a [build] step. scripts/e2e and scripts/browser-test export it as
// E2E_WRANGLER_CONFIG, which tests/e2e/harness.mjs passes to every `wrangler dev` it starts.
//
// Why: with the [build] step each test file's `wrangler dev` rebuilt the Worker into the shared
// build/ folder and watched it, so on a loaded machine a slow build, or build output landing after
// wrangler had started watching, reloaded the Worker under a running test ("Your worker restarted
// mid-request", a 503 without X-Rules-Version). A snapshot nothing writes to cannot reload.
//
//   node scripts/lib/prebuilt.mjs DIR     # builds, snapshots build/ into DIR, prints DIR/wrangler.toml

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../../tests/e2e/harness.mjs';

/** wrangler.toml without its [build] section, paths made absolute, main pointing into `buildDir`. */
export function prebuiltConfig(buildDir, path) {
  const out = [];
  let inBuild = false;
  for (const line of readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').split('\n')) {
    const header = /^\s*\[{1,2}([^\]]+)\]{1,2}\s*$/.exec(line);
    if (header) inBuild = header[1].trim() === 'build' || header[1].trim().startsWith('build.');
    if (inBuild) continue;
    const main = /^\s*main\s*=/.test(line) ? `main = "${join(buildDir, 'worker', 'shim.mjs')}"` : line;
    out.push(main.replace(/^(\s*(?:directory|migrations_dir)\s*=\s*")(?!\/)([^"]+)"/, (_, pre, p) => `${pre}${join(ROOT, p)}"`));
  }
  writeFileSync(path, out.join('\n'));
  return path;
}

function main() {
  const dir = resolve(process.argv[2] ?? join(ROOT, '.state', 'e2e', `prebuilt-${process.pid}`));
  // The dev build (no wasm-opt), as `wrangler dev` would have made it.
  const r = spawnSync(join(ROOT, 'scripts', 'build-worker'), [], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_COMMAND: 'dev' },
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) {
    process.stderr.write(`prebuilt: scripts/build-worker failed (${r.status})\n`);
    process.exit(1);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'build'), join(dir, 'build'), { recursive: true });
  process.stdout.write(`${prebuiltConfig(join(dir, 'build'), join(dir, 'wrangler.toml'))}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
