// scripts/wasm-budget: a file over its gzip budget fails with the figures and where to look, one
// within it passes, and a budget that is not a number is refused. Random bytes do not compress,
// so a 64 KiB file is a little over 64 KiB gzipped.
// Run: node --test tests/scripts/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function budget(file, value) {
  const r = spawnSync('scripts/wasm-budget', [file], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WASM_GZIP_BUDGET: value },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a wasm over its gzip budget fails, one within it passes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-budget-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'index_bg.wasm');
  writeFileSync(file, randomBytes(64 * 1024));

  const over = budget(file, '50000');
  assert.equal(over.code, 1, over.out + over.err);
  assert.match(over.err, /bytes gzip -9 \(65536 raw\), over its budget of 50000 by \d+/);
  assert.match(over.err, /scripts\/wasm-size/);

  const within = budget(file, '100000');
  assert.equal(within.code, 0, within.out + within.err);
  assert.match(within.out, /within its budget of 100000 \(\d+ to spare\)/);
});

test('a budget that is not a number, or a missing file, is refused', () => {
  const bad = budget('build/index_bg.wasm', '450 KB');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /WASM_GZIP_BUDGET must be a number of bytes/);
  const missing = budget(join(tmpdir(), 'no-such-dir-for-wasm-budget', 'x.wasm'), '1000');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no .*x\.wasm/);
});
