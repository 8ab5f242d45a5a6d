// The wrangler environment is written down once, in scripts/lib/wrangler.env: the shell scripts
// (scripts/lib/wrangler.sh) and the JavaScript tests (tests/e2e/harness.mjs) both read it, and no
// other file sets those variables.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const KEYS = readFileSync(join(ROOT, "scripts/lib/wrangler.env"), "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => l.split("=")[0]);

function cleanEnv() {
  const env = { ...process.env };
  for (const k of KEYS) delete env[k];
  return env;
}

test("scripts and tests get the same wrangler environment from wrangler.env", () => {
  assert.deepEqual(KEYS.sort(), ["CLOUDFLARE_CF_FETCH_ENABLED", "WRANGLER_LOG_PATH", "WRANGLER_SEND_METRICS"]);
  const script = `. scripts/lib/wrangler.sh; for k in ${KEYS.join(" ")}; do printf '%s=%s\\n' "$k" "\${!k}"; done`;
  const r = spawnSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8", env: cleanEnv() });
  assert.equal(r.status, 0, r.stderr);
  const fromShell = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("=")));
  // The harness in a process with the same clean environment.
  const js = spawnSync(process.execPath, ["--input-type=module", "-e",
    "const { WRANGLER_ENV } = await import('./tests/e2e/harness.mjs'); console.log(JSON.stringify(WRANGLER_ENV));"],
  { cwd: ROOT, encoding: "utf8", env: cleanEnv() });
  assert.equal(js.status, 0, js.stderr);
  assert.deepEqual(fromShell, JSON.parse(js.stdout));
  assert.equal(fromShell.WRANGLER_SEND_METRICS, "false");
  assert.equal(fromShell.WRANGLER_LOG_PATH, join(ROOT, ".state/logs"));
});

test("a value in the caller's environment wins, in the scripts as in the tests", () => {
  const env = { ...cleanEnv(), WRANGLER_LOG_PATH: "/tmp/aurora-wrangler-env-test" };
  const r = spawnSync("bash", ["-c", '. scripts/lib/wrangler.sh; echo "$WRANGLER_LOG_PATH"'], { cwd: ROOT, encoding: "utf8", env });
  assert.equal(r.stdout.trim(), "/tmp/aurora-wrangler-env-test");
});

test("no other script or test sets the wrangler environment itself", () => {
  const offenders = [];
  const walk = (dir) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else {
        const text = readFileSync(join(ROOT, rel), "utf8");
        for (const k of ["WRANGLER_SEND_METRICS", "CLOUDFLARE_CF_FETCH_ENABLED"]) {
          if (text.includes(k) && rel !== "scripts/lib/wrangler.env" && rel !== "tests/scripts/wrangler-env.test.mjs") offenders.push(`${rel}: ${k}`);
        }
      }
    }
  };
  for (const dir of ["scripts", "tests", "bench"]) walk(dir);
  assert.deepEqual(offenders, []);
});
