// Tests of scripts/canary: the whole gated walk rehearsed offline (--dry-run) on recorded
// Analytics Engine answers, with the real `concierge canary gate` judging each phase.
// Run: node --test tests/scripts/
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NEW = "8b7d0e44-12ab-4c9d-8e7f-0a1b2c3d4e5f";
const OLD = "3f2a9c1e-5b6d-4e2f-9a01-7c3d2b1a0f11";
const HEALTHY = "tests/fixtures/ae/canary-healthy.json";
const REGRESSION = "tests/fixtures/ae/canary-regression.json";

function canary(args) {
  const r = spawnSync("scripts/canary", ["--dry-run", "--new", NEW, "--old", OLD, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
    env: process.env, // scripts/canary reads the wrangler environment from scripts/lib/wrangler.env
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The traffic splits the walk would deploy, in order, e.g. ["0", "10", "25", "50", "100"]. */
function splits(out) {
  return [...out.matchAll(new RegExp(`versions deploy ${NEW}@(\\d+)%`, "g"))].map((m) => m[1]);
}

test("a healthy canary walks every phase of the rules to 100 %", () => {
  const r = canary(["--responses", `*=${HEALTHY}`]);
  assert.equal(r.code, 0, r.err + r.out);
  assert.deepEqual(splits(r.out), ["0", "10", "25", "50", "100"]);
  assert.match(r.out, new RegExp(`versions deploy ${NEW}@50% ${OLD}@50%`));
  assert.equal((r.out.match(/gates hold: promote/g) || []).length, 4, r.out);
  assert.doesNotMatch(r.out, /rollback/);
  assert.match(r.out, /Canary complete/);
});

test("a failing gate rolls back to the old version and stops non-zero", () => {
  const r = canary(["--responses", `beta=${HEALTHY}`, "--responses", `*=${REGRESSION}`]);
  assert.equal(r.code, 4, r.err + r.out);
  assert.deepEqual(splits(r.out), ["0", "10"], "no phase after the failing one");
  assert.match(r.out, /FAIL error_rate +new 7\.41 %/);
  assert.match(r.out, /FAIL latency_p95_ms +new 1500 ms/);
  assert.ok(r.out.includes(`rollback ${OLD} --message 'canary: gate failed in phase 10%' --yes`), r.out);
  assert.match(r.err, /a gate failed in phase 10%/);
});

test("too little traffic on the new version stops the walk where it is (exit 6)", () => {
  // healthy.json: 270 requests on the new version; the 25 % phase asks for 400.
  const r = canary(["--responses", "*=tests/fixtures/ae/healthy.json"]);
  assert.equal(r.code, 6, r.err + r.out);
  assert.deepEqual(splits(r.out), ["0", "10", "25"]);
  assert.doesNotMatch(r.out, /rollback/);
  assert.match(r.err, /too little traffic/);
});

test("bad arguments are usage errors", () => {
  assert.equal(canary(["--responses", "nope"]).code, 2);
  assert.equal(canary(["--responses", "*=missing.json"]).code, 2);
  const lone = spawnSync("scripts/canary", ["--new", NEW, "--dry-run"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(lone.status, 2, lone.stderr);
});
