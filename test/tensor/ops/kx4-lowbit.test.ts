// Q4_1, Q5_0, Q5_1, Q2_K and Q3_K in their 4-row kx4 layout (src/kernels/kx4-lowbit*.ts): GGUF bytes
// in and the same bytes out (partial last groups), the layout's size, the product (GEMV and the
// batched GEMM) bit for bit against the GGUF-order kernel gemv_k on the same blocks at odd sizes,
// in both kernel builds and on 1 and 2 threads, every token of the batched product equal to the
// GEMV on it, against the float64 product, the residual-add variant, and dequantization / embedding
// rows against the GGUF-order dequantization, and writers that fill a matrix in 4-row pieces.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { isKX4, KTYPES, type KType } from '../../../src/tensor/dtype.js';
import { embedding } from '../../../src/tensor/ops/embedding.js';
import { matvec } from '../../../src/tensor/ops/gemv.js';
import { castInto } from '../../../src/tensor/ops/cast.js';
import { actRecordBytes, kDequantize, kDequantizeAt, kFromGGUF, kMatmul, kMatmulX4Batched, KX4_CHUNK_TOKENS, kQuantize, kToGGUF } from '../../../src/tensor/ops/kquant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { K_LAYOUT, lcg, randomBlocks, refActivation, refDequant } from './kref.js';
import { rand } from './qref.js';

const LOW: KType[] = ['q3_k', 'q2_k', 'q4_1', 'q5_0', 'q5_1'];
const GROUP_BYTES: Record<string, number> = { q4_1: 80, q5_0: 88, q5_1: 96, q2_k: 336, q3_k: 440 };

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 128 << 20 });
});
after(async () => {
  await rt.close();
});

const blk = (t: KType): number => KTYPES[t].block;

test('low-bit kx4: every type lives in the layout, GGUF bytes in give the same bytes out, rows padded to 4', () => {
  for (const t of LOW) {
    assert.ok(isKX4(t), t);
    for (const [N, nb] of [[1, 1], [3, 2], [5, 3], [8, 1], [6, 11]] as const) {
      const K = nb * blk(t);
      const bytes = randomBlocks(t, N * nb, lcg(N * 31 + K));
      const w = kFromGGUF(rt, t, [N, K], bytes);
      assert.equal(w.byteLength, Math.ceil(N / 4) * nb * GROUP_BYTES[t]!, `${t} [${N}, ${K}] size`);
      assert.deepEqual(kToGGUF(w), bytes, `${t} [${N}, ${K}] round trip`);
      w.dispose();
    }
  }
});

/** y from gemv_k on GGUF-order bytes (the kernel the kx4 product must equal). */
function ggufOrderMatvec(r: Runtime, t: KType, bytes: Uint8Array, x: Float32Array, N: number, K: number): Float32Array {
  const B = blk(t);
  const xt = Tensor.fromF32(r, x, [K]);
  const arena = xt.arena;
  const raw = r.alloc(bytes.length, arena);
  const act = r.alloc((K / B) * actRecordBytes(B), arena);
  const y = Tensor.zeros(r, 'f32', [N], arena);
  try {
    arena.u8.set(bytes, raw.offset);
    r.call('quantize_act_k', arena, xt.offset, act.offset, K, B, 0, 1, 0);
    r.parallel('gemv_k', arena, [raw.offset, act.offset, y.offset, N, K, KTYPES[t].code], N, 1, 1);
    return y.toArray();
  } finally {
    r.release(raw);
    r.release(act);
    y.dispose();
    xt.dispose();
  }
}

/** M tokens of K values: large and small blocks, and a token of zeros (d = 0). */
function tokens(M: number, K: number, seed: number): Float32Array {
  const x = rand(M * K, seed);
  for (let k = 0; k < Math.min(K, 256); k++) x[k] = x[k]! * 40;
  if (M > 2) x.fill(0, K, 2 * K);
  return x;
}

test('low-bit kx4 GEMV and GEMM equal gemv_k on the same GGUF blocks bit for bit, token by token: odd sizes, both builds, 1 and 2 threads', async () => {
  const rts = [
    await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 1, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
  ];
  try {
    for (const [i, t] of LOW.entries()) {
      // Block counts that leave a partial chunk of 8 (the 32-weight types unpack 8 blocks at a
      // time); 1001 rows: both threads get rows and the last group is partial.
      for (const [N, nb, Ms] of [[7, 3, [1, 2, 5]], [1, 1, [1, 3]], [1001, 11, [1, 3]], [6, 9, [1, 2, 9, KX4_CHUNK_TOKENS + 7]]] as const) {
        const K = nb * blk(t);
        const bytes = randomBlocks(t, N * nb, lcg(900 + i * 13 + N));
        if (N === 7) {
          // An inf scale (the kernels convert fp16 without the inf/NaN steps unless flagged) and
          // a subnormal one, in blocks of rows 1 and 2.
          const d = K_LAYOUT[t].scales[0]!;
          bytes[4 * K_LAYOUT[t].bytes + d] = 0x00, (bytes[4 * K_LAYOUT[t].bytes + d + 1] = 0x7c);
          bytes[7 * K_LAYOUT[t].bytes + d] = 0x03, (bytes[7 * K_LAYOUT[t].bytes + d + 1] = 0x00);
        }
        for (const M of Ms) {
          const x = tokens(M, K, 50 + N + M);
          const want = Array.from({ length: M }, (_, m) => ggufOrderMatvec(rts[0]!, t, bytes, x.subarray(m * K, (m + 1) * K), N, K));
          for (const [j, r] of rts.entries()) {
            const w = kFromGGUF(r, t, [N, K], bytes);
            const xt = Tensor.fromF32(r, x, [M, K], w.arena);
            const what = `${t} [${N}, ${K}] M = ${M} runtime ${j} (${r.flavor}, ${r.threads} threads)`;
            for (let m = 0; m < M; m++) {
              const y = matvec(w, xt.slice(m, 1).reshape([K]));
              assert.deepEqual(y.toArray(), want[m], `${what} GEMV token ${m}`);
              y.dispose();
            }
            if (M > 1) {
              const yt = Tensor.zeros(r, 'f32', [M, N], w.arena);
              if (M <= KX4_CHUNK_TOKENS) kMatmulX4Batched(xt, w, yt);
              else kMatmul(xt, w, yt);
              const y = yt.toArray();
              for (let m = 0; m < M; m++) assert.deepEqual(y.subarray(m * N, (m + 1) * N), want[m], `${what} GEMM token ${m}`);
              yt.dispose();
            }
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

test('the low-bit kx4 product equals the float64 product of the dequantized weights and int8 activations', () => {
  for (const [i, t] of LOW.entries()) {
    for (const [M, N, nb] of [[1, 5, 2], [3, 13, 1], [2, 6, 5]] as const) {
      const K = nb * blk(t);
      const bytes = randomBlocks(t, N * nb, lcg(40 + i * 7 + N));
      const wd = refDequant(t, bytes, N * K);
      const x = rand(M * K, 3 * N + i);
      const w = kFromGGUF(rt, t, [N, K], bytes);
      const xt = Tensor.fromF32(rt, x, [M, K], w.arena);
      const y = kMatmul(xt, w).toArray();
      for (let m = 0; m < M; m++) {
        const xq = refActivation(x.subarray(m * K, (m + 1) * K), blk(t));
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

test('gemv_kxl_add adds the product to y with one f32 add per row', () => {
  for (const t of LOW) {
    const N = 9;
    const K = 2 * blk(t);
    const w = kFromGGUF(rt, t, [N, K], randomBlocks(t, N * 2, lcg(77)));
    const arena = w.arena;
    const x = Tensor.fromF32(rt, rand(K, 8), [K], arena);
    const y0 = rand(N, 9);
    const prod = matvec(w, x).toArray();
    const y = Tensor.fromF32(rt, y0, [N], arena);
    const act = rt.alloc((K / blk(t)) * actRecordBytes(blk(t)), arena);
    rt.call('quantize_act_k', arena, x.offset, act.offset, K, blk(t), 0, 1, 0);
    rt.parallel('gemv_kxl_add', arena, [w.offset, act.offset, y.offset, N, K, KTYPES[t].code], N, 4, 4);
    assert.deepEqual(y.toArray(), Float32Array.from(y0, (v, r) => v + prod[r]!), t);
    rt.release(act);
    for (const u of [w, x, y]) u.dispose();
  }
});

test('dequantized rows and embedding rows of a low-bit kx4 matrix equal the GGUF-order dequantization', () => {
  for (const t of LOW) {
    const N = 7;
    const K = 3 * blk(t);
    const bytes = randomBlocks(t, N * 3, lcg(5));
    const w = kFromGGUF(rt, t, [N, K], bytes);
    const raw = rt.alloc(bytes.length, w.arena);
    const want = Tensor.zeros(rt, 'f32', [N, K], w.arena);
    w.arena.u8.set(bytes, raw.offset);
    kDequantizeAt(rt, w.arena, t, raw.offset, want.offset, N * K);
    const all = kDequantize(w);
    assert.deepEqual(all.toArray(), want.toArray(), `${t} kDequantize`);
    const ids = Tensor.fromI32(rt, Int32Array.from([6, 0, 3]), [3], w.arena);
    const rows = embedding(w, ids).toArray();
    const wa = want.toArray();
    for (const [i, r] of [6, 0, 3].entries()) assert.deepEqual(rows.subarray(i * K, (i + 1) * K), wa.subarray(r * K, (r + 1) * K), `${t} row ${r}`);
    rt.release(raw);
    for (const u of [w, want, all, ids]) u.dispose();
  }
});

test('castInto a low-bit kx4 matrix in 4-row pieces (as loaders stream) writes kQuantize bytes; both give each row\'s GGUF blocks back', () => {
  const rows = 10;
  const cols = 512;
  const src = Tensor.fromF32(rt, rand(rows * cols, 21), [rows, cols]);
  for (const t of LOW) {
    const want = kQuantize(src, t);
    const pieces = Tensor.zeros(rt, t, [rows, cols], src.arena);
    for (let r = 0; r < rows; r += 4) {
      const n = Math.min(4, rows - r);
      castInto(src.slice(r, n), pieces.slice(r, n));
    }
    assert.deepEqual(pieces.bytes(), want.bytes(), `${t} in slices`);
    const gguf = kToGGUF(want);
    const rowBytes = gguf.length / rows;
    for (const r of [0, 9]) {
      const one = kQuantize(src.slice(r, 1), t);
      assert.deepEqual(kToGGUF(one), gguf.subarray(r * rowBytes, (r + 1) * rowBytes), `${t} row ${r}`);
      one.dispose();
    }
    want.dispose();
    pieces.dispose();
  }
  src.dispose();
});
