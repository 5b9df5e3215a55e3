import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../../src/tensor/half.js';
import { embedding } from '../../../src/tensor/ops/embedding.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { assertSameBits, randomF32, rng, runtime, withOneAndTwoThreads } from './helpers.js';

/** A [v, h] table of the dtype plus the exact f32 values it holds. */
function makeTable(rt: Runtime, dtype: 'f32' | 'f16' | 'bf16', v: number, h: number, seed: number): { table: Tensor; values: Float32Array } {
  const x = randomF32(v * h, seed, -3, 3);
  if (dtype === 'f32') return { table: Tensor.fromF32(rt, x, [v, h]), values: x };
  const enc = dtype === 'f16' ? f32ToF16Bits : f32ToBf16Bits;
  const dec = dtype === 'f16' ? f16BitsToF32 : bf16BitsToF32;
  const bits = Uint16Array.from(x, enc);
  return { table: Tensor.fromBytes(rt, dtype, [v, h], new Uint8Array(bits.buffer)), values: Float32Array.from(bits, dec) };
}

test('embedding gathers exact rows from f32, f16 and bf16 tables', async () => {
  const rt = await runtime(2);
  for (const dtype of ['f32', 'f16', 'bf16'] as const) {
    for (const [v, h, t] of [[1, 1, 1], [5, 3, 4], [50, 17, 33], [300, 33, 17], [40, 4097, 3], [64, 128, 64]] as const) {
      const { table, values } = makeTable(rt, dtype, v, h, v + h);
      const r = rng(v * t);
      const ids = Int32Array.from({ length: t }, (_, i) => (i === 0 ? v - 1 : i === 1 ? 0 : Math.floor(r() * v)));
      const out = embedding(table, Tensor.fromI32(rt, ids, [t]));
      assert.deepEqual(out.shape, [t, h]);
      const want = new Float32Array(t * h);
      ids.forEach((id, i) => want.set(values.subarray(id * h, id * h + h), i * h));
      assertSameBits(out.toArray(), want, `embedding ${dtype} [${v}, ${h}] T=${t}`);
    }
  }
});

test('embedding is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const ids = Int32Array.from({ length: 77 }, (_, i) => (i * 37) % 100);
    const [a, b] = [rt1, rt2].map((rt) => {
      const { table } = makeTable(rt, 'bf16', 100, 515, 4);
      return embedding(table, Tensor.fromI32(rt, ids, [ids.length])).toArray();
    });
    assertSameBits(a!, b!, 'embedding');
  });
});

test('embedding rejects bad ids, unsupported tables and bad operands, naming them', async () => {
  const rt = await runtime(1);
  const { table } = makeTable(rt, 'f16', 10, 8, 1);
  assert.throws(() => embedding(table, Tensor.fromI32(rt, [3, 10, 2], [3])), /embedding: token id 10 \(ids\[1\]\) is outside the vocabulary \[0, 10\)/);
  assert.throws(() => embedding(table, Tensor.fromI32(rt, [-1], [1])), /token id -1 \(ids\[0\]\)/);
  assert.throws(() => embedding(Tensor.zeros(rt, 'i8', [4, 32]), Tensor.fromI32(rt, [0], [1])), (e: Error) => e instanceof TypeError && /table must be f32\|f16\|bf16\|q8_0\|q4_0, got i8/.test(e.message));
  assert.throws(() => embedding(table, Tensor.fromF32(rt, [0], [1])), /embedding: ids must be i32, got f32/);
  assert.throws(() => embedding(table, Tensor.fromI32(rt, [0, 1], [1, 2])), /embedding: ids must have rank 1/);
  assert.throws(() => embedding(Tensor.zeros(rt, 'i32', [4, 4]), Tensor.fromI32(rt, [0], [1])), /embedding: table must be f32\|f16\|bf16\|q8_0\|q4_0, got i32/);
  assert.throws(() => embedding(table, Tensor.fromI32(rt, [0], [1]), Tensor.zeros(rt, 'f32', [1, 9])), /embedding: out must have shape \[1, 8\]/);
  const other = rt.newArena();
  assert.throws(() => embedding(table, Tensor.fromI32(rt, [0], [1], other)), /embedding: ids lives in arena 1 but table in arena 0/);
});
