import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { convert } from '../../../src/tensor/ops/convert.js';
import { matvec } from '../../../src/tensor/ops/gemv.js';
import { linear } from '../../../src/tensor/ops/linear.js';
import { dequantize, quantize } from '../../../src/tensor/ops/quant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { rand } from './qref.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
});

/** Float64 reference of x * w^T from the weights' stored values (w as f32 after conversion). */
function reference(x: Float32Array, w: Float32Array, m: number, n: number, k: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += x[i * k + p]! * w[j * k + p]!;
    y[i * n + j] = s;
  }
  return y;
}

for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as const) {
  test(`linear with ${dtype} weights matches the reference for one token (matvec) and for a batch (GEMM)`, () => {
    const n = 37;
    const k = 96;
    const w32 = Tensor.fromF32(rt, rand(n * k, 11), [n, k]);
    const w = dtype === 'f32' ? w32 : dtype === 'q8_0' || dtype === 'q4_0' ? quantize(w32, dtype) : convert(w32, dtype);
    // The values the kernel sees: the stored (rounded) weights.
    const stored = dtype === 'f32' ? w32.toArray() : dtype === 'q8_0' || dtype === 'q4_0' ? dequantize(w).toArray() : convert(w, 'f32').toArray();
    for (const m of [1, 5]) {
      const xs = rand(m * k, 20 + m);
      const x = Tensor.fromF32(rt, xs, [m, k], w.arena);
      const got = linear(x, w).toArray();
      assert.equal(got.length, m * n);
      if (dtype === 'q8_0' || dtype === 'q4_0') {
        // Quantized products quantize x to int8 too: each row must equal matvec on that row, and be
        // close to the float product.
        for (let i = 0; i < m; i++) {
          const row = matvec(w, x.slice(i, 1).reshape([k])).toArray();
          assert.deepEqual(got.subarray(i * n, (i + 1) * n), row);
        }
        const ref = reference(xs, stored, m, n, k);
        ref.forEach((r, i) => assert.ok(Math.abs(got[i]! - r) < 0.05 * Math.sqrt(k), `y[${i}] = ${got[i]} vs ${r}`));
      } else {
        const ref = reference(xs, stored, m, n, k);
        ref.forEach((r, i) => assert.ok(Math.abs(got[i]! - r) <= 1e-5 * k, `y[${i}] = ${got[i]} vs ${r}`));
      }
    }
  });
}

test('linear keeps leading dimensions and rejects mismatched features', () => {
  const w = Tensor.fromF32(rt, rand(6 * 8, 3), [6, 8]);
  const x = Tensor.fromF32(rt, rand(2 * 3 * 8, 4), [2, 3, 8], w.arena);
  assert.deepEqual(linear(x, w).shape, [2, 3, 6]);
  assert.throws(() => linear(Tensor.zeros(rt, 'f32', [2, 7], w.arena), w), /linear: x has 7 features, w \[6, 8\] expects 8/);
  assert.throws(() => linear(x, w, Tensor.zeros(rt, 'f32', [6], w.arena)), /linear: out must have shape \[2, 3, 6\]/);
  assert.throws(() => linear(x, Tensor.zeros(rt, 'f32', [6, 8, 1], w.arena)), /linear: w must be 2-D/);
});
