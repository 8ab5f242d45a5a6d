// public/bucket.js computes the same rollout buckets as the Rust engine (tests/golden/buckets.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { murmur3_32, bucketOf, BUCKETS } from '../../public/bucket.js';

const golden = JSON.parse(
  readFileSync(new URL('../golden/buckets.json', import.meta.url), 'utf8'),
);

test('golden file is substantial', () => {
  assert.ok(golden.buckets.length >= 30);
  assert.ok(golden.buckets.some((b) => b.user_id === ''));
});

test('murmur3_32 matches the reference vectors', () => {
  const encoder = new TextEncoder();
  for (const v of golden.murmur3_32) {
    assert.equal(murmur3_32(encoder.encode(v.input_utf8), v.seed), v.hash, JSON.stringify(v));
  }
});

test('bucketOf matches every golden bucket', () => {
  for (const { user_id, bucket } of golden.buckets) {
    assert.equal(bucketOf(golden.salt, user_id, golden.seed), bucket, JSON.stringify(user_id));
  }
});

test('buckets stay in range and depend on the seed', () => {
  let moved = 0;
  for (const { user_id, bucket } of golden.buckets) {
    const other = bucketOf(golden.salt, user_id, golden.seed + 1);
    assert.ok(other >= 0 && other < BUCKETS && Number.isInteger(other));
    if (other !== bucket) moved += 1;
  }
  assert.ok(moved > golden.buckets.length / 2);
});
