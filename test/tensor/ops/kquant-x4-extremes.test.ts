// The kx4 GEMV and batched product at the largest integer sums they can meet: every weight at its
// top or bottom value (Q6_K u = 63 / 0, i.e. q = 31 / -32; Q5_K 31 / 0; Q4_K 15 / 0), scales at
// their extremes, activations all at +-127 in sign patterns that fill one lane group or another.
// The Q6_K kernel lets i16 sums wrap before its -32 correction and the Q5_K one sums 8 products
// of 31 * 127 per lane, so these are the cases where a lane bound or a wrap would show: each row
// must still equal gemv_k on the GGUF-order blocks bit for bit, in both builds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { KTYPES, type KType } from '../../../src/tensor/dtype.js';
import { matvec } from '../../../src/tensor/ops/gemv.js';
import { actRecordBytes, kFromGGUF, kMatmulX4Batched } from '../../../src/tensor/ops/kquant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { lcg, randomBlocks, refActivation, refDequant } from './kref.js';

const N = 6;
const K = 512;

/** Quant byte ranges [from, to) of one GGUF block (all bits of the weights' values). */
const QUANTS: Record<string, [number, number][]> = { q4_k: [[16, 144]], q5_k: [[16, 176]], q6_k: [[0, 192]] };
/** Scale byte ranges: Q6_K int8 scales; Q4_K / Q5_K the 12 packed 6-bit scale and min bytes. */
const SCALES: Record<string, [number, number]> = { q4_k: [4, 16], q5_k: [4, 16], q6_k: [192, 208] };

/** Blocks whose weights are all at the top (fill 0xff) or bottom (0x00) value, row by row
 *  alternating, with extreme scales (Q6_K +127 / -128; Q4_K / Q5_K every 6-bit scale and min 63). */
function extremeBlocks(t: KType): Uint8Array {
  const bytes = randomBlocks(t, (N * K) / 256, lcg(5));
  const bb = KTYPES[t].bytes;
  for (let b = 0; b < bytes.length / bb; b++) {
    const o = b * bb;
    const row = Math.floor(b / (K / 256));
    for (const [from, to] of QUANTS[t]!) bytes.fill(row % 2 === 0 ? 0xff : 0x00, o + from, o + to);
    const [s0, s1] = SCALES[t]!;
    if (t === 'q6_k') for (let i = s0; i < s1; i++) bytes[o + i] = (row + i) % 3 === 0 ? 0x80 : 0x7f;
    else bytes.fill(0xff, o + s0, o + s1);
  }
  return bytes;
}

/** Activations of magnitude 1 (every q = +-127) with signs: all +, all -, by pairs of elements
 *  (the lanes of one dot), by fours, by the kernels' even / odd lane groups, and random. */
function patterns(): Float32Array[] {
  const r = lcg(11);
  const sign: ((k: number) => number)[] = [
    () => 1,
    () => -1,
    (k) => ((k >> 1) & 1 ? -1 : 1),
    (k) => ((k >> 2) & 1 ? -1 : 1),
    (k) => ((k & 2) === 0 ? 1 : -1) * ((k >> 4) & 1 ? -1 : 1),
    () => (r() < 0.5 ? -1 : 1),
  ];
  return sign.map((s) => Float32Array.from({ length: K }, (_, k) => s(k)));
}

function ggufOrder(r: Runtime, t: KType, bytes: Uint8Array, x: Float32Array): Float32Array {
  const xt = Tensor.fromF32(r, x, [K]);
  const arena = xt.arena;
  const raw = r.alloc(bytes.length, arena);
  const act = r.alloc((K / 256) * actRecordBytes(256), arena);
  const y = Tensor.zeros(r, 'f32', [N], arena);
  try {
    arena.u8.set(bytes, raw.offset);
    r.call('quantize_act_k', arena, xt.offset, act.offset, K, 256, 0, 1, 0);
    r.parallel('gemv_k', arena, [raw.offset, act.offset, y.offset, N, K, KTYPES[t].code], N, 1, 1);
    return y.toArray();
  } finally {
    r.release(raw);
    r.release(act);
    y.dispose();
    xt.dispose();
  }
}

test('kx4 GEMV and gemm_kx4 are exact at extreme weights, scales and +-127 activations (both builds)', async () => {
  for (const kernels of ['simd128', 'relaxed-simd'] as const) {
    const r = await Runtime.create({ threads: 2, kernels, arenaBytes: 64 << 20 });
    try {
      for (const t of ['q6_k', 'q5_k', 'q4_k'] as KType[]) {
        const bytes = extremeBlocks(t);
        const wd = refDequant(t, bytes, N * K);
        const w = kFromGGUF(r, t, [N, K], bytes);
        const xs = patterns();
        for (const [p, x] of xs.entries()) {
          const want = ggufOrder(r, t, bytes, x);
          const xt = Tensor.fromF32(r, x, [K], w.arena);
          const y = matvec(w, xt).toArray();
          assert.deepEqual(y, want, `${t} pattern ${p} (${r.flavor})`);
          const xq = refActivation(x, 256);
          for (let row = 0; row < N; row++) {
            let s = 0, mag = 0;
            for (let k = 0; k < K; k++) {
              s += wd[row * K + k]! * xq[k]!;
              mag += Math.abs(wd[row * K + k]! * xq[k]!);
            }
            assert.ok(Math.abs(y[row]! - s) <= 1e-5 * mag, `${t} pattern ${p} row ${row}: ${y[row]} vs ${s}`);
          }
          xt.dispose();
        }
        // All patterns as the tokens of one batched product: each token's row is the GEMV's.
        const X = new Float32Array(xs.length * K);
        xs.forEach((x, i) => X.set(x, i * K));
        const xt = Tensor.fromF32(r, X, [xs.length, K], w.arena);
        const Y = Tensor.zeros(r, 'f32', [xs.length, N], w.arena);
        kMatmulX4Batched(xt, w, Y);
        const yb = Y.toArray();
        for (const [p, x] of xs.entries()) {
          const one = Tensor.fromF32(r, x, [K], w.arena);
          assert.deepEqual(yb.subarray(p * N, (p + 1) * N), matvec(w, one).toArray(), `${t} gemm token ${p} (${r.flavor})`);
          one.dispose();
        }
        for (const u of [w, xt, Y]) u.dispose();
      }
    } finally {
      await r.close();
    }
  }
});
