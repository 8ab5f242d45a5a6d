// scripts/lib/wasm-size.mjs reads function sizes and names from a wasm binary and attributes them to
// crates. A small module built here byte by byte (an import before the functions, so names must be
// looked up past it) checks the reader; a few real symbol shapes check the attribution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionSizes, owner, report } from '../../scripts/lib/wasm-size.mjs';

const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
const str = (s) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];

function module(bodies, names) {
  const nameMap = [...leb(names.length), ...names.flatMap(([i, n]) => [...leb(i), ...str(n)])];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 0]),
    // Two imported functions with multi-byte names, then a memory import.
    ...section(2, [3, ...str('env'), ...str('first_import'), 0, 0, ...str('env'), ...str('second'), 0, 0, ...str('env'), ...str('memory'), 2, 0, 1]),
    ...section(3, [...leb(bodies.length), ...bodies.map(() => 0)]),
    ...section(10, [...leb(bodies.length), ...bodies.flatMap((b) => [...leb(b.length), ...b])]),
    ...section(0, [...str('name'), 1, ...leb(nameMap.length), ...nameMap]),
  ]);
}

test('function sizes are read past the imports and named by their index', () => {
  const small = [0, 0x0b];
  const larger = [0, 0x01, 0x01, 0x01, 0x0b];
  const wasm = module([small, larger, larger], [
    [0, 'first_import'],
    [2, 'aurora_concierge::engine::sort::sort_by::h0123456789abcdef'],
    [3, 'aurora_concierge::engine::sort::sort_by::hfedcba9876543210'],
    [4, '<f64 as core[c5930c85a12de822]::fmt::Display>::fmt'],
  ]);
  assert.ok(WebAssembly.validate(wasm), 'the test module is valid wasm');
  const { functions, named } = functionSizes(Buffer.from(wasm));
  assert.ok(named);
  assert.deepEqual(functions.map((f) => [f.name, f.bytes]), [
    ['aurora_concierge::engine::sort::sort_by::h0123456789abcdef', small.length],
    ['aurora_concierge::engine::sort::sort_by::hfedcba9876543210', larger.length],
    ['<f64 as core[c5930c85a12de822]::fmt::Display>::fmt', larger.length],
  ]);
  const r = report(functions);
  assert.equal(r.code_bytes, small.length + 2 * larger.length);
  assert.deepEqual(r.by_crate, [
    { crate: 'aurora_concierge::engine', bytes: small.length + larger.length },
    { crate: 'core', bytes: larger.length },
  ]);
  assert.deepEqual(r.most_copied_generics, [], 'two copies are not listed; three or more are');
});

test('each function is attributed to the crate whose code it is', () => {
  const cases = [
    ['aurora_concierge::api::Api<D,K>::dispatch::{{closure}}::h3f2de588cfc44931', 'aurora_concierge::api'],
    ['<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct::h11ac399c9c24ed06', 'serde_json'],
    ['core[c5930c85a12de822]::slice::sort::stable::drift::sort::hba586eec0fbe8918', 'core::slice::sort'],
    ['<T as alloc::string::ToString>::to_string::hd52c2a31c59482e4', 'alloc'],
    ['<str>::to_lowercase', 'core'],
    ['js_sys::futures::future_to_promise::{{closure}}::{{closure}}::he0662db6853d15ce', 'async handlers (our futures, polled by js_sys)'],
    ['__wbg_set_containerstartupoptions_entrypoint', 'wasm-bindgen glue (generated)'],
    ['intounderlyingsink_write externref shim', 'wasm-bindgen glue (generated)'],
    ['aho_corasick::automaton::try_find_fwd::h2fd57244606ed700', 'aho_corasick'],
  ];
  for (const [name, crate] of cases) assert.equal(owner(name), crate, name);
});
