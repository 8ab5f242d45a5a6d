// Shared helpers for the e2e tests: seed fixtures, admin tokens from .dev.vars.example, the
// allowed origins from rules/rollout.toml, and a request helper that checks the headers every
// response must carry.

import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, request } from './harness.mjs';

/** Known orders per seed group (generated with seed/seed.sql by scripts/gen-seed). */
export const fixtures = JSON.parse(readFileSync(join(ROOT, 'seed', 'fixtures.json'), 'utf8'));

/** KEY=value pairs of .dev.vars.example (the local admin tokens). */
export function devVarsExample() {
  const path = join(ROOT, '.dev.vars.example');
  const vars = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/** `allowed_origins` from rules/rollout.toml (empty when the file is not there). */
export function allowedOrigins() {
  const path = join(ROOT, 'rules', 'rollout.toml');
  if (!existsSync(path)) return [];
  const m = /allowed_origins\s*=\s*\[([^\]]*)\]/s.exec(readFileSync(path, 'utf8'));
  return m ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) : [];
}

let clientCounter = 0;
/** A fresh client address per test, so per-client rate limits of one test do not leak into another. */
export function freshClient() {
  clientCounter += 1;
  return `198.51.${100 + Math.floor(clientCounter / 250)}.${(clientCounter % 250) + 1}`;
}

/**
 * Calls the Worker and checks the invariants of every response: `X-Rules-Version` is set and
 * no client request ends in a 5xx (unless `opts.allow5xx`, for the kill switch's 503).
 * Returns {status, headers, body, text}.
 */
export async function call(base, method, path, opts = {}) {
  const res = await request(base, method, path, opts);
  assert.ok(res.headers.get('x-rules-version'), `${method} ${path} → ${res.status} without X-Rules-Version`);
  if (!opts.allow5xx) assert.ok(res.status < 500, `${method} ${path} → ${res.status}: ${res.text}`);
  return res;
}

/** Asserts the contract's error shape, status, code and (when given) field. */
export function assertError(res, status, code, field) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(typeof res.body, 'object', `error body is not JSON: ${res.text}`);
  assert.ok(res.body.error, `no "error" object: ${res.text}`);
  assert.equal(res.body.error.code, code, res.text);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0);
  assert.ok('field' in res.body.error, `error without "field": ${res.text}`);
  if (field !== undefined) assert.equal(res.body.error.field, field, res.text);
}

/** A unique marker for rows created by one test run (no personal data). */
export function marker(label) {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
