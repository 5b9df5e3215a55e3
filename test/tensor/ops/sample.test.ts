import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, topK } from '../../../src/tensor/ops/sample.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { randomF32, rng, runtime } from './helpers.js';

/** Reference: stable sort of the non-NaN entries, value descending, index ascending. */
function refTop(x: Float32Array, k: number): { indices: number[]; values: number[] } {
  const idx = Array.from(x.keys()).filter((i) => !Number.isNaN(x[i]!));
  idx.sort((a, b) => (x[b]! !== x[a]! ? x[b]! - x[a]! || 0 : a - b));
  // (x[b] - x[a] is NaN for inf - inf; equal infinities fall to the index order above.)
  const top = idx.slice(0, k);
  return { indices: top, values: top.map((i) => x[i]!) };
}

/** Random rows, some with few distinct values (many ties), some with NaN and +-inf sprinkled in. */
function rows(): { name: string; x: Float32Array }[] {
  const out: { name: string; x: Float32Array }[] = [];
  for (const n of [1, 3, 17, 33, 4097, 64000]) {
    out.push({ name: `uniform n=${n}`, x: randomF32(n, n, -10, 10) });
    const r = rng(n + 1);
    out.push({ name: `ties n=${n}`, x: Float32Array.from({ length: n }, () => Math.floor(r() * 5)) });
    const s = randomF32(n, n + 2, -10, 10);
    for (let i = 0; i < n; i += 7) s[i] = i % 3 === 0 ? NaN : i % 3 === 1 ? -Infinity : s[i]!;
    if (n > 10) s[n - 2] = Infinity;
    out.push({ name: `nan/inf n=${n}`, x: s });
  }
  out.push({ name: 'all -inf', x: new Float32Array(9).fill(-Infinity) });
  out.push({ name: 'NaN first', x: Float32Array.from([NaN, -5, -5, NaN]) });
  return out;
}

test('argmax: first index of the largest non-NaN value', async () => {
  const rt = await runtime(1);
  for (const { name, x } of rows()) {
    const t = Tensor.fromF32(rt, x, [1, x.length]);
    const want = refTop(x, 1).indices[0];
    if (want === undefined) assert.throws(() => argmax(t), /every one of/, name);
    else assert.equal(argmax(t), want, name);
    t.dispose();
  }
  // Ties across SIMD lanes and the scalar tail: the first occurrence wins.
  for (const n of [5, 8, 9, 13]) {
    for (let first = 0; first < n; first++) {
      const x = new Float32Array(n).fill(1);
      for (let j = first; j < n; j += 3) x[j] = 2;
      assert.equal(argmax(Tensor.fromF32(rt, x, [n])), first, `tie n=${n} first=${first}`);
    }
  }
});

test('argmax of an all-NaN row throws; bad operands are named', async () => {
  const rt = await runtime(1);
  assert.throws(() => argmax(Tensor.fromF32(rt, [NaN, NaN, NaN, NaN, NaN], [5])), /argmax: every one of the 5 values is NaN/);
  assert.throws(() => argmax(Tensor.fromF32(rt, [1, 2, 3, 4], [2, 2])), /argmax: logits must be one row/);
  assert.throws(() => argmax(Tensor.fromI32(rt, [1, 2], [2])), /argmax: logits must be f32, got i32/);
  assert.throws(() => topK(Tensor.fromF32(rt, [1], [1]), -1), /topK: k must be an integer >= 0/);
});

test('topK: the k largest, descending, ties by lower index, NaN skipped', async () => {
  const rt = await runtime(1);
  for (const { name, x } of rows()) {
    const t = Tensor.fromF32(rt, x, [x.length]);
    for (const k of [0, 1, 2, 5, 40, x.length, x.length + 3]) {
      const want = refTop(x, k);
      const got = topK(t, k);
      assert.deepEqual(Array.from(got.indices), want.indices, `${name} k=${k} indices`);
      assert.deepEqual(Array.from(got.values), want.values, `${name} k=${k} values`);
    }
    t.dispose();
  }
});

test('topK over a 64000 vocabulary is fast enough for sampling', async () => {
  const rt = await runtime(1);
  const t = Tensor.fromF32(rt, randomF32(64000, 3, -20, 20), [64000]);
  for (let i = 0; i < 20; i++) topK(t, 40);
  const n = 200;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) topK(t, 40);
  const topMs = (performance.now() - t0) / n;
  t0 = performance.now();
  for (let i = 0; i < n; i++) argmax(t);
  const argMs = (performance.now() - t0) / n;
  console.log(`vocab 64000: topK(40) ${(topMs * 1000).toFixed(0)} us, argmax ${(argMs * 1000).toFixed(0)} us`);
  assert.ok(topMs < 20, `topK took ${topMs} ms`);
});
