// Post-build step of scripts/build-worker: turns worker-build's default export into a plain
// module-worker object ({ fetch, queue, scheduled }) and minifies the bundle.
//
// worker-build 0.8 exports a `WorkerEntrypoint` class wrapped in a Proxy (for its recovery after
// a wasm trap): workerd constructs an instance per request, and every property read and method
// call goes through Proxy traps — about a sixth of the isolate's CPU on a no-I/O request
// (`scripts/bench`). The object below keeps the recovery (check for a poisoned instance before
// each call, flag one after a trap) without the per-request class and proxies. Durable Object
// classes keep worker-build's wrapper. If worker-build's output ever lacks what is replaced here,
// the build fails rather than ship a Worker without its entry point.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const [file, esbuild] = process.argv.slice(2);
let src = readFileSync(file, 'utf8');

function need(re, what) {
  const m = re.exec(src);
  if (!m) {
    console.error(`plain-entry: ${file} has no ${what}; worker-build's output changed (scripts/lib/plain-entry.mjs)`);
    process.exit(1);
  }
  return m;
}

const handler = (name) => need(
  new RegExp(`Entrypoint\\.prototype\\.${name} = function \\w+\\(arg\\) \\{\\s*return (\\w+)\\.call\\(this, arg, this\\.env, this\\.ctx\\);`),
  `Entrypoint.prototype.${name}`,
)[1];
const [fetchFn, queueFn, scheduledFn] = ['fetch', 'queue', 'scheduled'].map(handler);
need(/function checkReinitialize\(\)/, 'checkReinitialize()');
need(/function handleMaybeCritical\(e\)/, 'handleMaybeCritical(e)');
const exported = need(/var (\w+) = new Proxy\(Entrypoint, classProxyHooks\);/, 'Proxy-wrapped default export');

src = src.replace(exported[0], `function callHandler(handler, arg, env, ctx) {
  checkReinitialize();
  try {
    return handler(arg, env, ctx);
  } catch (e) {
    handleMaybeCritical(e);
    throw e;
  }
}
var ${exported[1]} = {
  fetch(request, env, ctx) { return callHandler(${fetchFn}, request, env, ctx); },
  queue(batch, env, ctx) { return callHandler(${queueFn}, batch, env, ctx); },
  scheduled(event, env, ctx) { return callHandler(${scheduledFn}, event, env, ctx); },
};`);
writeFileSync(file, src);
if (esbuild) {
  execFileSync(esbuild, [file, '--minify', '--format=esm', `--outfile=${file}`, '--allow-overwrite', '--log-level=warning'], { stdio: 'inherit' });
}
