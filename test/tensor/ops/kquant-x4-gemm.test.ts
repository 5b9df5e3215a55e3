// The batched kx4 product (gemm_kx4, which kMatmul takes for a few tokens on, in chunks of
// KX4_CHUNK_TOKENS): each token's row equals the kx4 GEMV on that token bit for bit (odd N with a partial last group, odd token
// counts, both kernel builds, 1 and 2 threads), and the float64 product of the dequantized weights
// and each token's int8 activations.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import type { KType } from '../../../src/tensor/dtype.js';
import { matvec } from '../../../src/tensor/ops/gemv.js';
import { kFromGGUF, kMatmul, kMatmulX4Batched, KX4_CHUNK_TOKENS } from '../../../src/tensor/ops/kquant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { randomBlocks, refActivation, refDequant, lcg } from './kref.js';
import { rand } from './qref.js';

const X4: KType[] = ['q4_k', 'q5_k', 'q6_k'];

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 128 << 20 });
});
after(async () => {
  await rt.close();
});

/** M tokens of K values: large and small blocks and a token of zeros, so every sum's sign and d = 0 occur. */
function tokens(M: number, K: number, seed: number): Float32Array {
  const x = rand(M * K, seed);
  for (let k = 0; k < 256; k++) x[k] = x[k]! * 40;
  if (M > 2) x.fill(0, K, 2 * K);
  return x;
}

test('gemm_kx4 rows equal the kx4 GEMV token by token, bit for bit: odd sizes, both builds, 1 and 2 threads', async () => {
  const rts = [
    await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 1, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
  ];
  try {
    for (const [i, t] of X4.entries()) {
      // 1001 rows x 11 blocks: both threads get rows and the last group is partial.
      for (const [N, K, Ms] of [[7, 768, [2, 3, 5]], [1001, 2816, [3, KX4_CHUNK_TOKENS]], [4, 256, [2, 9, KX4_CHUNK_TOKENS + 7]]] as const) {
        const bytes = randomBlocks(t, (N * K) / 256, lcg(300 + i * 17 + N));
        for (const M of Ms) {
          const x = tokens(M, K, 70 + M + N);
          let first: Float32Array | undefined;
          for (const [j, r] of rts.entries()) {
            const w = kFromGGUF(r, t, [N, K], bytes);
            const xt = Tensor.fromF32(r, x, [M, K], w.arena);
            // The kernel itself at every M, and kMatmul (which runs small M as matvecs, long ones in chunks).
            const yt = Tensor.zeros(r, 'f32', [M, N], w.arena);
            kMatmulX4Batched(xt, w, yt);
            const y = yt.toArray();
            yt.dispose();
            assert.deepEqual(kMatmul(xt, w).toArray(), y, `${t} [${N}, ${K}] M = ${M} kMatmul runtime ${j}`);
            for (let m = 0; m < M; m++) {
              const ym = matvec(w, xt.slice(m, 1).reshape([K]));
              assert.deepEqual(y.subarray(m * N, (m + 1) * N), ym.toArray(), `${t} [${N}, ${K}] M = ${M} token ${m} runtime ${j} (${r.flavor}, ${r.threads} threads)`);
              ym.dispose();
            }
            // Equal across builds and thread counts too (the GEMV is; this pins the batched path alone).
            if (first) assert.deepEqual(y, first, `${t} [${N}, ${K}] M = ${M} runtime ${j} vs 0`);
            else first = y;
            w.dispose();
            xt.dispose();
          }
        }
      }
    }
  } finally {
    for (const r of rts) await r.close();
  }
});

test('gemm_kx4 equals the float64 product of the dequantized weights and each token\'s int8 activations', () => {
  for (const [i, t] of X4.entries()) {
    for (const [M, N, K] of [[3, 5, 512], [7, 13, 256], [2, 6, 1280]] as const) {
      const bytes = randomBlocks(t, (N * K) / 256, lcg(40 + i * 7 + N));
      const wd = refDequant(t, bytes, N * K);
      const x = rand(M * K, 3 * N + i);
      const w = kFromGGUF(rt, t, [N, K], bytes);
      const xt = Tensor.fromF32(rt, x, [M, K], w.arena);
      const yt = Tensor.zeros(rt, 'f32', [M, N], w.arena);
      kMatmulX4Batched(xt, w, yt);
      const y = yt.toArray();
      yt.dispose();
      for (let m = 0; m < M; m++) {
        const xq = refActivation(x.subarray(m * K, (m + 1) * K), 256);
        for (let r = 0; r < N; r++) {
          let s = 0, mag = 0;
          for (let k = 0; k < K; k++) {
            s += wd[r * K + k]! * xq[k]!;
            mag += Math.abs(wd[r * K + k]! * xq[k]!);
          }
          assert.ok(Math.abs(y[m * N + r]! - s) <= 1e-5 * mag + 1e-30, `${t} M = ${M} [${N}, ${K}] token ${m} row ${r}: ${y[m * N + r]} vs ${s}`);
        }
      }
      w.dispose();
      xt.dispose();
    }
  }
});
