import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { embeddingBackward } from '../../../src/tensor/ops/embedding-backward.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkGradient, dotAll } from './grad-ref.js';
import { assertSameBits, randomF32, rng, runtime, withOneAndTwoThreads } from './helpers.js';

/** out[i] = table[ids[i]] in float64. */
function lookup(table: ArrayLike<number>, ids: ArrayLike<number>, h: number): Float64Array {
  const out = new Float64Array(ids.length * h);
  for (let i = 0; i < ids.length; i++) for (let j = 0; j < h; j++) out[i * h + j] = table[ids[i]! * h + j]!;
  return out;
}

/** dTable[ids[i]] += dx[i], rounding to f32 after every addition in token order (the kernel's order). */
function scatterF32(dTable0: Float32Array, ids: ArrayLike<number>, dx: Float32Array, h: number): Float32Array {
  const out = dTable0.slice();
  for (let i = 0; i < ids.length; i++) for (let j = 0; j < h; j++) out[ids[i]! * h + j] = out[ids[i]! * h + j]! + dx[i * h + j]!;
  return out;
}

function randomIds(n: number, v: number, seed: number): Int32Array {
  const r = rng(seed);
  // Small vocabularies so rows repeat: the accumulation order matters.
  return Int32Array.from({ length: n }, () => Math.floor(r() * v));
}

function run(rt: Runtime, ids: Int32Array, dx: Float32Array, dTable0: Float32Array, v: number, h: number): Float32Array {
  const dTable = Tensor.fromF32(rt, dTable0, [v, h]);
  embeddingBackward(Tensor.fromI32(rt, ids, [ids.length]), Tensor.fromF32(rt, dx, [ids.length, h]), dTable);
  return dTable.toArray();
}

test('the embedding backward (a scatter-add) agrees with central differences of the lookup', () => {
  const [v, h] = [5, 3];
  const ids = randomIds(9, v, 1);
  const table = randomF32(v * h, 2);
  const dx = randomF32(9 * h, 3);
  const dTable = scatterF32(new Float32Array(v * h), ids, dx, h);
  checkGradient('dTable', table, dTable, (t) => dotAll(dx, lookup(t, ids, h)), 10, 4);
});

test('embeddingBackward accumulates each token row into its table row, in token order', async () => {
  const rt = await runtime(2);
  for (const [n, v, h] of [[1, 1, 1], [7, 3, 5], [50, 11, 33], [200, 40, 257]] as const) {
    const ids = randomIds(n, v, n + h);
    const dx = randomF32(n * h, n);
    const dTable0 = randomF32(v * h, h);
    assertSameBits(run(rt, ids, dx, dTable0, v, h), scatterF32(dTable0, ids, dx, h), `embeddingBackward [${n}, ${h}] into [${v}, ${h}]`);
  }
});

test('embeddingBackward is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [n, v, h] = [300, 17, 333];
    const ids = randomIds(n, v, 1);
    const dx = randomF32(n * h, 2, -100, 100);
    const dTable0 = randomF32(v * h, 3);
    const [a, b] = [rt1, rt2].map((rt) => run(rt, ids, dx, dTable0, v, h));
    assertSameBits(a!, b!, 'dTable');
  });
});

test('embeddingBackward rejects ids out of range and bad shapes, naming them', async () => {
  const rt = await runtime(1);
  const dx = Tensor.zeros(rt, 'f32', [3, 4]);
  const dTable = Tensor.zeros(rt, 'f32', [10, 4]);
  assert.throws(() => embeddingBackward(Tensor.fromI32(rt, [1, 10, 2], [3]), dx, dTable), /embeddingBackward: token id 10 \(ids\[1\]\) is outside the vocabulary \[0, 10\)/);
  assert.throws(() => embeddingBackward(Tensor.fromI32(rt, [1, -1, 2], [3]), dx, dTable), /token id -1 \(ids\[1\]\)/);
  assert.ok(dTable.toArray().every((x) => x === 0), 'nothing written on error');
  const ids = Tensor.fromI32(rt, [1, 2, 3], [3]);
  assert.throws(() => embeddingBackward(ids, Tensor.zeros(rt, 'f32', [3, 5]), dTable), /embeddingBackward: dx must have shape \[3, 4\], got \[3, 5\]/);
  assert.throws(() => embeddingBackward(Tensor.zeros(rt, 'f32', [3]), dx, dTable), /embeddingBackward: ids must be i32, got f32/);
  assert.throws(() => embeddingBackward(ids, dx, Tensor.zeros(rt, 'f16', [10, 4])), /embeddingBackward: dTable must be f32, got f16/);
  assert.throws(() => embeddingBackward(ids, dTable.slice(0, 3), dTable), /embeddingBackward: dTable overlaps dx/);
});
