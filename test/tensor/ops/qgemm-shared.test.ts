// qmatmulShared / linearShared: one quantization of x for several products (q/k/v, gate/up) gives
// each product the bits of its own qmatmul / linear call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelProfile } from '../../../src/runtime/profile.js';
import { qmatmul, qmatmulShared } from '../../../src/tensor/ops/gemv.js';
import { linear, linearShared } from '../../../src/tensor/ops/linear.js';
import { fromGGUF } from '../../../src/tensor/ops/quant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertSameBits, randomF32, runtime } from './helpers.js';
import { rand, refQuantQ4, refQuantQ8 } from './qref.js';

const K = 96;
const NS = [37, 8, 12]; // a partial row group, then whole ones

function weights(rt: Awaited<ReturnType<typeof runtime>>, types: readonly ('q8_0' | 'q4_0')[], seed: number): Tensor[] {
  return types.map((dtype, i) => {
    const N = NS[i]!;
    const src = rand(N * K, seed + i);
    return fromGGUF(rt, dtype, [N, K], dtype === 'q8_0' ? refQuantQ8(src) : refQuantQ4(src));
  });
}

test('qmatmulShared quantizes x once and gives each product the bits of qmatmul (batched-decode and packed paths)', async () => {
  for (const threads of [1, 2]) {
    const rt = await runtime(threads);
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      for (const M of [3, 13, 40]) {
        const ws = weights(rt, [dtype, dtype, dtype], 10 * M);
        const x = Tensor.fromF32(rt, randomF32(M * K, M, -3, 3), [M, K]);
        const outs = ws.map((w) => Tensor.zeros(rt, 'f32', [M, w.shape[0]!]));
        const profile = new KernelProfile();
        rt.profile = profile;
        try {
          qmatmulShared(x, ws, outs);
        } finally {
          rt.profile = undefined;
        }
        // Batched decode (Q4_0 up to 4 tokens, Q8_0 up to 32) quantizes to gemv's records and runs
        // one kernel call per weight.
        const batched = M <= (dtype === 'q8_0' ? 32 : 4);
        const quantizer = batched ? 'quantize_act' : 'qgemm_quantize';
        assert.equal(profile.rows.get(quantizer)?.calls, 1, `${dtype} M ${M}: ${quantizer} calls`);
        const kernel = batched ? (dtype === 'q8_0' ? 'qgemm_batch_q8_0' : 'qgemm_few_q4_0') : `qgemm_${dtype}`;
        assert.equal(profile.rows.get(kernel)?.calls, 3, `${dtype} M ${M}: ${kernel} calls`);
        ws.forEach((w, i) => assertSameBits(outs[i]!.toArray(), qmatmul(x, w).toArray(), `${dtype} M ${M} product ${i} (${threads} threads)`));
      }
    }
  }
});

test('qmatmulShared with mixed weight types, and linearShared on any weights, equal the single products', async () => {
  const rt = await runtime(2);
  const M = 7;
  const x = Tensor.fromF32(rt, randomF32(M * K, 5), [M, K]);
  const mixed = weights(rt, ['q8_0', 'q4_0'], 3);
  const outs = mixed.map((w) => Tensor.zeros(rt, 'f32', [M, w.shape[0]!]));
  qmatmulShared(x, mixed, outs);
  mixed.forEach((w, i) => assertSameBits(outs[i]!.toArray(), qmatmul(x, w).toArray(), `mixed product ${i}`));
  const f32 = [Tensor.fromF32(rt, randomF32(9 * K, 8), [9, K]), Tensor.fromF32(rt, randomF32(5 * K, 9), [5, K])];
  for (const ws of [weights(rt, ['q4_0', 'q4_0'], 4), f32]) {
    for (const rows of [1, M]) {
      const xr = x.slice(0, rows);
      const o = ws.map((w) => Tensor.zeros(rt, 'f32', [rows, w.shape[0]!]));
      linearShared(xr, ws, o);
      ws.forEach((w, i) => assertSameBits(o[i]!.toArray(), linear(xr, w).toArray(), `linearShared ${w.dtype} rows ${rows} product ${i}`));
    }
  }
});

test('qmatmulShared and linearShared reject mismatched operands, naming them', async () => {
  const rt = await runtime(1);
  const x = Tensor.fromF32(rt, randomF32(6 * K, 1), [6, K]);
  const ws = weights(rt, ['q8_0', 'q8_0'], 1);
  assert.throws(() => qmatmulShared(x, ws, [Tensor.zeros(rt, 'f32', [6, 37])]), /qmatmul: 2 weights but 1 outputs/);
  assert.throws(() => qmatmulShared(x, ws, [Tensor.zeros(rt, 'f32', [6, 37]), Tensor.zeros(rt, 'f32', [6, 9])]), /qmatmul: out must have shape \[6, 8\], got \[6, 9\]/);
  assert.throws(() => qmatmulShared(x.slice(0, 6).reshape([6, 2, 48]), ws, ws.map(() => Tensor.zeros(rt, 'f32', [6, 8]))), /qmatmul: x must have shape \[M, 96\]/);
  assert.throws(() => linearShared(x, ws, [Tensor.zeros(rt, 'f32', [6, 37]), Tensor.zeros(rt, 'f32', [6, 7])]), /linear: out must have shape \[6, 8\]/);
});
