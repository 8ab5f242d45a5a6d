// Where the Worker's wasm bytes go, measured on the form that is deployed: the cargo-built wasm
// (names intact) through wasm-bindgen and `wasm-opt -Oz` as scripts/build-worker does, but keeping
// the names section, then every function's code size read from the module and attributed to its
// crate (our crate by module). Also the generic functions with the most copies (a monomorphised
// `sort_by` per call site was 7 % of the code once), and the data section.
//
//   node scripts/lib/wasm-size.mjs [--json FILE] [--top N] [--grep TEXT]
// scripts/wasm-size runs it; scripts/bench prints its crate lines.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FEATURES = ['mutable-globals', 'sign-ext', 'nontrapping-float-to-int', 'bulk-memory', 'multivalue', 'reference-types', 'exception-handling'];

/** Function index → name, code sizes, and the data section's size, from a wasm binary. */
export function functionSizes(buf) {
  let p = 8;
  const leb = () => { let r = 0; let s = 0; let b; do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80); return r; };
  const skipLimits = () => { const flags = leb(); leb(); if (flags & 1) leb(); };
  let code = null; let nameSection = null; let importedFunctions = 0; let dataBytes = 0;
  while (p < buf.length) {
    const id = buf[p++]; const len = leb(); const start = p;
    if (id === 2) {
      for (let n = leb(), i = 0; i < n; i++) {
        // Module and field names (`p += leb()` would add to p's value before leb() moved it).
        for (let k = 0; k < 2; k++) { const l = leb(); p += l; }
        const kind = buf[p++];
        if (kind === 0) { leb(); importedFunctions++; } else if (kind === 1) { p++; skipLimits(); } else if (kind === 2) skipLimits(); else if (kind === 3) p += 2; else if (kind === 4) { p++; leb(); }
      }
    } else if (id === 10) code = start;
    else if (id === 11) dataBytes = len;
    else if (id === 0) {
      const nameLen = leb();
      if (buf.subarray(p, p + nameLen).toString() === 'name') nameSection = [p + nameLen, start + len];
    }
    p = start + len;
  }
  if (code === null) throw new Error('no code section');
  const names = new Map();
  if (nameSection) {
    p = nameSection[0];
    while (p < nameSection[1]) {
      const sub = buf[p++]; const len = leb(); const end = p + len;
      if (sub === 1) for (let n = leb(), i = 0; i < n; i++) { const idx = leb(); const l = leb(); names.set(idx, buf.subarray(p, p + l).toString()); p += l; }
      p = end;
    }
  }
  p = code;
  const functions = [];
  for (let n = leb(), i = 0; i < n; i++) {
    const size = leb();
    functions.push({ name: names.get(importedFunctions + i) ?? `function[${i}]`, bytes: size });
    p += size;
  }
  return { functions, dataBytes, named: names.size > 0 };
}

/** The crate (for ours, `aurora_concierge::<module>`) a function's code belongs to. */
export function owner(name) {
  if (name.startsWith('js_sys::futures::future_to_promise')) return 'async handlers (our futures, polled by js_sys)';
  if (/core(\[[0-9a-f]+\])?::slice::sort::/.test(name)) return 'core::slice::sort';
  if (/^__wbg|^__wbindgen|^__externref| shim$|^function\[\d+\]$/.test(name)) return 'wasm-bindgen glue (generated)';
  // `<Type as Trait>::f` is the impl's code: attribute it to the type's crate, or for a primitive
  // or generic type (`<f64 as core::fmt::Display>`, `<T as ToString>`) to the trait's.
  const path = name.replace(/^<+(?:&mut |&|\*const |\*mut |dyn |impl )*/, '');
  const bare = /^([A-Za-z_][A-Za-z0-9_]*)(?:>| as )/.exec(path);
  if (bare) {
    const trait = / as ([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/.exec(path);
    return trait ? trait[1] : 'core';
  }
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::([A-Za-z_][A-Za-z0-9_]*)?/.exec(path);
  if (!m) return '(other)';
  if (m[1] === 'aurora_concierge') return `aurora_concierge::${m[2] ?? ''}`;
  return m[1];
}

/** A generic function's name without its hash, so its copies group together. */
const generic = (name) => name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]+\]/g, '');

export function report(functions, top = 15) {
  const total = functions.reduce((s, f) => s + f.bytes, 0);
  const byOwner = new Map();
  const copies = new Map();
  for (const f of functions) {
    const o = owner(f.name);
    byOwner.set(o, (byOwner.get(o) ?? 0) + f.bytes);
    const g = generic(f.name);
    const c = copies.get(g) ?? { copies: 0, bytes: 0 };
    c.copies += 1; c.bytes += f.bytes;
    copies.set(g, c);
  }
  return {
    code_bytes: total,
    functions: functions.length,
    by_crate: [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top).map(([crate, bytes]) => ({ crate, bytes })),
    largest_functions: [...functions].sort((a, b) => b.bytes - a.bytes).slice(0, top).map((f) => ({ name: generic(f.name).slice(0, 120), bytes: f.bytes })),
    most_copied_generics: [...copies].filter(([, c]) => c.copies > 2).sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)
      .map(([name, c]) => ({ name: name.slice(0, 120), copies: c.copies, bytes: c.bytes })),
  };
}

/** The cargo-built wasm through wasm-bindgen and wasm-opt -Oz, names kept: its report, and every
 * function's name and size. */
export function measure({ top = 15 } = {}) {
  const input = ['wasm-release', 'release'].map((p) => join(ROOT, 'target', 'wasm32-unknown-unknown', p, 'aurora_concierge.wasm')).find(existsSync);
  if (!input) throw new Error('no cargo-built wasm: run scripts/build-worker first');
  const dir = mkdtempSync(join(tmpdir(), 'aurora-wasm-size-'));
  try {
    execFileSync(process.env.WASM_BINDGEN_BIN ?? 'wasm-bindgen', ['--target', 'web', '--out-dir', dir, input], { stdio: ['ignore', 'ignore', 'inherit'] });
    const opt = join(dir, 'named.wasm');
    const wasmOpt = process.env.WASM_OPT_BIN ?? join(ROOT, 'node_modules', '.bin', 'wasm-opt');
    execFileSync(wasmOpt, [...FEATURES.map((f) => `--enable-${f}`), '-Oz', '-g', '--strip-producers', join(dir, 'aurora_concierge_bg.wasm'), '-o', opt], { stdio: ['ignore', 'ignore', 'inherit'] });
    const { functions, dataBytes } = functionSizes(readFileSync(opt));
    const deployed = join(ROOT, 'build', 'index_bg.wasm');
    const bytes = existsSync(deployed) ? readFileSync(deployed) : null;
    const summary = {
      input: input.slice(ROOT.length + 1),
      deployed: bytes ? { file: 'build/index_bg.wasm', bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length } : null,
      data_bytes: dataBytes,
      ...report(functions, top),
    };
    return { summary, functions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function lines(r) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);
  return [
    `code ${kb(r.code_bytes)} in ${r.functions} functions, data ${kb(r.data_bytes)} (${r.input} through wasm-bindgen and wasm-opt -Oz, names kept)`,
    ...(r.deployed ? [`deployed ${r.deployed.file}: ${r.deployed.bytes} bytes, ${r.deployed.gzip_bytes} gzip`] : []),
    'code by crate:',
    ...r.by_crate.map((c) => `  ${kb(c.bytes)}  ${c.crate}`),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (flag) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1] : undefined; };
  const { summary: r, functions } = measure({ top: Number(arg('--top') ?? 15) });
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);
  const out = [
    ...lines(r),
    'largest functions:',
    ...r.largest_functions.map((f) => `  ${kb(f.bytes)}  ${f.name}`),
    'generic functions with the most code in copies (copies × size):',
    ...r.most_copied_generics.map((g) => `  ${kb(g.bytes)}  ${String(g.copies).padStart(3)}×  ${g.name}`),
  ];
  const grep = arg('--grep');
  if (grep) {
    out.push(`functions whose name holds "${grep}":`);
    for (const f of functions.filter((f) => f.name.includes(grep)).sort((a, b) => b.bytes - a.bytes).slice(0, 60)) out.push(`  ${kb(f.bytes)}  ${generic(f.name).slice(0, 140)}`);
  }
  console.log(out.join('\n'));
  const json = arg('--json');
  if (json) {
    writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  }
}
