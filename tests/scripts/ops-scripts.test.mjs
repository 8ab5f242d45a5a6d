// Tests of scripts/deploy, scripts/rollback and scripts/kill-switch.
// Run: node --test tests/scripts/
//
// Each test copies the scripts into a throwaway git repository with rules/, a deploy tag and stub
// `concierge` and `wrangler` commands (via the CONCIERGE and WRANGLER variables), so the dry-run
// output, the stop on `concierge diff` exit 5 and a full stubbed deploy are checked without
// Cloudflare. The last test drives the kill switch against real local KV with wrangler.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, copyFileSync, chmodSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const OLD_VERSION = "aaaaaaaa-1111-4111-8111-111111111111";
const NEW_VERSION = "bbbbbbbb-2222-4222-8222-222222222222";

function sh(cwd, cmd, args, env = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    input: "",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function git(cwd, ...args) {
  const r = sh(cwd, "git", args);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

/** A repository with deployed rules (tagged) and a newer commit that changes them. */
function fixtureRepo() {
  const dir = mkdtempSync(join(tmpdir(), "ops-scripts-"));
  mkdirSync(join(dir, "scripts/lib"), { recursive: true });
  for (const f of ["deploy", "rollback", "kill-switch", "lib/ops.sh", "lib/wrangler.sh", "lib/wrangler.env"]) {
    copyFileSync(join(ROOT, "scripts", f), join(dir, "scripts", f));
  }
  mkdirSync(join(dir, "rules"));
  mkdirSync(join(dir, "stub"));
  const log = join(dir, "stub/calls.log");
  // concierge stub: records its arguments (and the deployed rollout file it was given).
  writeFileSync(join(dir, "stub/concierge"), `#!/usr/bin/env bash
echo "concierge $*" >> "${log}"
if [ "$1" = diff ]; then echo "deployed rollout: $(cat "$2/rollout.toml")" >> "${log}"; exit "\${STUB_DIFF_EXIT:-0}"; fi
if [ "$1" = check ]; then exit "\${STUB_CHECK_EXIT:-0}"; fi
`);
  // wrangler stub: answers the three calls a real deploy makes.
  writeFileSync(join(dir, "stub/wrangler"), `#!/usr/bin/env bash
echo "wrangler $*" >> "${log}"
case "$1 $2" in
  "deployments status") echo '{"id":"d1","versions":[{"version_id":"${OLD_VERSION}","percentage":100}]}' ;;
  "versions upload")
    echo "Uploaded aurora-concierge (1.2 sec)"
    [ -z "\$WRANGLER_OUTPUT_FILE_PATH" ] || echo '{"type":"version-upload","version":1,"version_id":"${NEW_VERSION}"}' >> "\$WRANGLER_OUTPUT_FILE_PATH" ;;
esac
`);
  chmodSync(join(dir, "stub/concierge"), 0o755);
  chmodSync(join(dir, "stub/wrangler"), 0o755);
  writeFileSync(join(dir, ".gitignore"), "stub/\n");
  mkdirSync(join(dir, "tests/data"), { recursive: true });
  writeFileSync(join(dir, "tests/data/tiny-corpus.tsv"), "text\tlabel\nwhere is my order\torder_tracking\n");
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "ops@example.invalid");
  git(dir, "config", "user.name", "ops test");
  writeFileSync(join(dir, "rules/rollout.toml"), 'percentage = 10\nsalt = "aurora"\n');
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "rules 1");
  git(dir, "tag", "-a", "deployed/20261120T000000Z", "-m", `deploy\n\nworker-version: ${OLD_VERSION}\npercentage: 100\n`);
  writeFileSync(join(dir, "rules/rollout.toml"), 'percentage = 25\nsalt = "aurora"\n');
  git(dir, "commit", "-qam", "rules 2: 25 percent");
  const env = { CONCIERGE: join(dir, "stub/concierge"), WRANGLER: join(dir, "stub/wrangler") };
  return { dir, log, env, calls: () => (existsSync(log) ? readFileSync(log, "utf8") : "") };
}

function deployTags(dir) {
  return git(dir, "tag", "--list", "deployed/*").split("\n").filter(Boolean);
}

test("deploy --dry-run checks, diffs against the deployed tag and prints the wrangler commands", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/deploy", ["--dry-run", "--percentage", "25"], {
    CONCIERGE: repo.env.CONCIERGE,
  });
  assert.equal(r.code, 0, r.err + r.out);
  const calls = repo.calls();
  assert.match(calls, /^concierge check --rules rules$/m);
  assert.match(calls, /^concierge diff \S+\/rules rules --corpus tests\/data\/tiny-corpus.tsv$/m);
  assert.match(calls, /^deployed rollout: percentage = 10/m, "diff sees the deployed rules, not the new ones");
  const short = git(repo.dir, "rev-parse", "--short=12", "HEAD");
  const wr = "node node_modules/wrangler/bin/wrangler.js";
  assert.ok(r.out.includes(`would run: ${wr} deployments status --json\n`), r.out);
  assert.ok(r.out.includes(`would run: ${wr} versions upload --tag git-${short} --message '${short} rules 2: 25 percent'\n`), r.out);
  assert.ok(
    r.out.includes(`would run: ${wr} versions deploy '<new-version-id>@25%' ${OLD_VERSION}@75% --message '${short} rules 2: 25 percent' --yes\n`),
    r.out,
  );
  assert.match(r.out, /would run: git tag -a deployed\/\d{8}T\d{6}Z [0-9a-f]{40} -m 'deploy/);
  assert.deepEqual(deployTags(repo.dir), ["deployed/20261120T000000Z"], "a dry run tags nothing");
  rmSync(repo.dir, { recursive: true, force: true });
});

test("deploy stops when concierge diff says the rollout boundary moved (exit 5)", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/deploy", ["--dry-run"], { CONCIERGE: repo.env.CONCIERGE, STUB_DIFF_EXIT: "5" });
  assert.equal(r.code, 3, r.out);
  assert.match(r.err, /rollout boundary moved/);
  assert.doesNotMatch(r.out, /versions upload/);
  const forced = sh(repo.dir, "scripts/deploy", ["--dry-run", "--force"], { CONCIERGE: repo.env.CONCIERGE, STUB_DIFF_EXIT: "5" });
  assert.equal(forced.code, 0, forced.err);
  assert.match(forced.err, /going ahead because of --force/);
  assert.match(forced.out, /versions upload/);
  rmSync(repo.dir, { recursive: true, force: true });
});

test("deploy stops on failing checks, a failing diff and bad arguments", () => {
  const repo = fixtureRepo();
  const check = sh(repo.dir, "scripts/deploy", ["--dry-run"], { CONCIERGE: repo.env.CONCIERGE, STUB_CHECK_EXIT: "1" });
  assert.equal(check.code, 1);
  assert.match(check.err, /concierge check failed/);
  assert.doesNotMatch(repo.calls(), /concierge diff/);
  const diff = sh(repo.dir, "scripts/deploy", ["--dry-run"], { CONCIERGE: repo.env.CONCIERGE, STUB_DIFF_EXIT: "1" });
  assert.equal(diff.code, 1);
  assert.match(diff.err, /concierge diff failed \(exit 1\)/);
  for (const bad of ["-1", "101", "ten", "12.5"]) {
    const r = sh(repo.dir, "scripts/deploy", ["--dry-run", "--percentage", bad], repo.env);
    assert.equal(r.code, 2, `--percentage ${bad}`);
  }
  const noCorpus = sh(repo.dir, "scripts/deploy", ["--dry-run", "--corpus", "nope.tsv"], repo.env);
  assert.equal(noCorpus.code, 2);
  assert.match(noCorpus.err, /corpus file `nope.tsv` not found/);
  writeFileSync(join(repo.dir, "rules/rollout.toml"), "percentage = 50\n");
  const dirty = sh(repo.dir, "scripts/deploy", ["--dry-run"], repo.env);
  assert.equal(dirty.code, 1);
  assert.match(dirty.err, /uncommitted changes/);
  rmSync(repo.dir, { recursive: true, force: true });
});

test("deploy at 100% sends all traffic to the new version", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/deploy", ["--dry-run", "--percentage", "100"], { CONCIERGE: repo.env.CONCIERGE });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /versions deploy '<new-version-id>@100%' --message/);
  rmSync(repo.dir, { recursive: true, force: true });
});

test("deploy without --yes and without a terminal asks and stops", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/deploy", [], repo.env);
  assert.equal(r.code, 2);
  assert.match(r.err, /pass --yes/);
  assert.doesNotMatch(repo.calls(), /versions upload/);
  rmSync(repo.dir, { recursive: true, force: true });
});

test("a stubbed real deploy reads the version ids, splits traffic and tags the commit", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/deploy", ["--yes", "--percentage", "30"], repo.env);
  assert.equal(r.code, 0, r.err + r.out);
  const calls = repo.calls();
  assert.match(calls, new RegExp(`^wrangler versions deploy ${NEW_VERSION}@30% ${OLD_VERSION}@70% --message .* --yes$`, "m"));
  const tags = deployTags(repo.dir);
  assert.equal(tags.length, 2);
  const note = git(repo.dir, "tag", "--list", tags[1], "--format=%(contents)");
  assert.match(note, new RegExp(`^worker-version: ${NEW_VERSION}$`, "m"));
  assert.match(note, /^percentage: 30$/m);
  assert.equal(git(repo.dir, "rev-list", "-n", "1", tags[1]), git(repo.dir, "rev-parse", "HEAD"));
  rmSync(repo.dir, { recursive: true, force: true });
});

test("deploy --env staging targets the staging Worker and keeps its own deploy tags", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/deploy", ["--yes", "--env", "staging", "--percentage", "0", "--record", "rec.txt"], repo.env);
  assert.equal(r.code, 0, r.err + r.out);
  const calls = repo.calls();
  assert.match(calls, /^wrangler deployments status --json --env staging$/m);
  assert.match(calls, /^wrangler versions upload --tag \S+ --message .* --env staging$/m);
  assert.match(calls, new RegExp(`^wrangler versions deploy ${NEW_VERSION}@0% ${OLD_VERSION}@100% --message .* --yes --env staging$`, "m"));
  const staging = git(repo.dir, "tag", "--list", "deployed-staging/*").split("\n").filter(Boolean);
  assert.equal(staging.length, 1, "a staging tag");
  assert.deepEqual(deployTags(repo.dir), ["deployed/20261120T000000Z"], "production tags untouched");
  const record = readFileSync(join(repo.dir, "rec.txt"), "utf8");
  assert.match(record, new RegExp(`^new_version=${NEW_VERSION}$`, "m"));
  assert.match(record, new RegExp(`^old_version=${OLD_VERSION}$`, "m"));
  assert.equal(sh(repo.dir, "scripts/deploy", ["--dry-run", "--env", "Bad Env"], repo.env).code, 2);
  rmSync(repo.dir, { recursive: true, force: true });
});

test("rollback --dry-run prints wrangler rollback, with or without a version", () => {
  const repo = fixtureRepo();
  const wr = "node node_modules/wrangler/bin/wrangler.js";
  const any = sh(repo.dir, "scripts/rollback", ["--dry-run"]);
  assert.equal(any.code, 0, any.err);
  assert.ok(any.out.includes(`would run: ${wr} deployments status\n`), any.out);
  assert.ok(any.out.includes(`would run: ${wr} rollback --message 'rollback via scripts/rollback' --yes\n`), any.out);
  const one = sh(repo.dir, "scripts/rollback", [OLD_VERSION, "--dry-run", "--message", "bad rules"]);
  assert.equal(one.code, 0, one.err);
  assert.ok(one.out.includes(`would run: ${wr} rollback ${OLD_VERSION} --message 'bad rules' --yes\n`), one.out);
  assert.match(one.out, /would run: git tag -a deployed\/\d{8}T\d{6}Z /, "the rolled-back-to commit is re-tagged");
  assert.equal(sh(repo.dir, "scripts/rollback", ["not a version", "--dry-run"]).code, 2);
  const asked = sh(repo.dir, "scripts/rollback", [OLD_VERSION], repo.env);
  assert.equal(asked.code, 2, "no terminal, no --yes");
  assert.doesNotMatch(repo.calls(), /wrangler rollback/);
  rmSync(repo.dir, { recursive: true, force: true });
});

test("a stubbed rollback to a tagged version re-tags its commit", () => {
  const repo = fixtureRepo();
  const r = sh(repo.dir, "scripts/rollback", [OLD_VERSION, "--yes"], repo.env);
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(repo.calls(), new RegExp(`^wrangler rollback ${OLD_VERSION} --message .* --yes$`, "m"));
  const tags = deployTags(repo.dir);
  assert.equal(tags.length, 2);
  assert.equal(git(repo.dir, "rev-list", "-n", "1", tags[1]), git(repo.dir, "rev-list", "-n", "1", tags[0]));
  rmSync(repo.dir, { recursive: true, force: true });
});

test("kill-switch --dry-run prints the KV command, remote unless --local", () => {
  const repo = fixtureRepo();
  const wr = "node node_modules/wrangler/bin/wrangler.js";
  const on = sh(repo.dir, "scripts/kill-switch", ["on", "--dry-run"]);
  assert.equal(on.code, 0, on.err);
  assert.ok(on.out.includes(`would run: ${wr} kv key put --binding CONCIERGE_KV ops:kill-switch on --remote\n`), on.out);
  const off = sh(repo.dir, "scripts/kill-switch", ["off", "--local", "--persist-to", ".state/kv", "--dry-run"]);
  assert.equal(off.code, 0, off.err);
  assert.ok(off.out.includes(`would run: ${wr} kv key delete --binding CONCIERGE_KV ops:kill-switch --local --persist-to .state/kv\n`), off.out);
  assert.equal(sh(repo.dir, "scripts/kill-switch", ["--dry-run"]).code, 2, "on or off is required");
  assert.equal(sh(repo.dir, "scripts/kill-switch", ["on", "--persist-to", "x", "--dry-run"]).code, 2);
  assert.equal(sh(repo.dir, "scripts/kill-switch", ["on"]).code, 2, "no terminal, no --yes");
  rmSync(repo.dir, { recursive: true, force: true });
});

test("kill-switch sets and clears the key in real local KV", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ops-kv-"));
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, 'name = "kill-switch-test"\ncompatibility_date = "2025-11-01"\n[[kv_namespaces]]\nbinding = "CONCIERGE_KV"\nid = "00000000000000000000000000000000"\n');
  const state = join(dir, "state");
  const wrangler = `node ${join(ROOT, "node_modules/wrangler/bin/wrangler.js")} --config ${config}`;
  const env = { WRANGLER: wrangler, WRANGLER_LOG_PATH: join(dir, "logs") };
  const get = () =>
    sh(ROOT, "node", ["node_modules/wrangler/bin/wrangler.js", "--config", config, "kv", "key", "get", "--binding", "CONCIERGE_KV", "ops:kill-switch", "--local", "--persist-to", state, "--text"], env);
  const on = sh(ROOT, "scripts/kill-switch", ["on", "--local", "--persist-to", state, "--yes"], env);
  assert.equal(on.code, 0, on.err + on.out);
  assert.equal(get().out.trim().split("\n").pop(), "on");
  const off = sh(ROOT, "scripts/kill-switch", ["off", "--local", "--persist-to", state, "--yes"], env);
  assert.equal(off.code, 0, off.err + off.out);
  assert.doesNotMatch(get().out, /^on$/m);
  rmSync(dir, { recursive: true, force: true });
});

test("--help prints the script's header comment and nothing else", () => {
  for (const name of ["deploy", "rollback", "kill-switch"]) {
    const path = join(ROOT, "scripts", name);
    const lines = readFileSync(path, "utf8").split("\n");
    const end = lines.findIndex((l, i) => i > 0 && !l.startsWith("#"));
    const header = lines.slice(1, end).map((l) => l.replace(/^# ?/, ""));
    const r = sh(ROOT, path, ["--help"]);
    assert.equal(r.code, 0, `${name} --help: ${r.err}`);
    assert.deepEqual(r.out.trimEnd().split("\n"), header, name);
    assert.doesNotMatch(r.out, /set -euo|usage\(\)|\bsay\b/, `${name} --help shows code`);
    assert.equal(sh(ROOT, path, ["--no-such-flag"]).code, 2, `${name}: a usage error exits 2`);
  }
});
