// Q4_K, Q5_K and Q6_K in their 4-row kx4 layout: GGUF bytes in and back out unchanged, the layout's size,
// its GEMV bit for bit against the GGUF-order kernel (gemv_k) on the same blocks at odd sizes, in
// both kernel builds and on 1 and 2 threads, against the float64 product, the residual-add variant,
// and writers that fill a kx4 matrix in 4-row pieces.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { byteSize, KTYPES, type KType } from '../../../src/tensor/dtype.js';
import { castInto } from '../../../src/tensor/ops/cast.js';
import { matvec } from '../../../src/tensor/ops/gemv.js';
import { actRecordBytes, kFromGGUF, kQuantize, kToGGUF } from '../../../src/tensor/ops/kquant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { randomBlocks, refActivation, refDequant, lcg } from './kref.js';
import { rand } from './qref.js';

const X4: KType[] = ['q4_k', 'q5_k', 'q6_k'];
const GROUP_BYTES: Partial<Record<KType, number>> = { q4_k: 592, q5_k: 720, q6_k: 840 };

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 128 << 20 });
});
after(async () => {
  await rt.close();
});

test('kx4: GGUF bytes in, the same bytes out, at row counts that leave a partial group; rows padded to 4', () => {
  for (const t of X4) {
    for (const [N, K] of [[1, 256], [3, 512], [5, 768], [8, 256]] as const) {
      const bytes = randomBlocks(t, (N * K) / 256, lcg(N * 31 + K));
      const w = kFromGGUF(rt, t, [N, K], bytes);
      assert.equal(w.byteLength, Math.ceil(N / 4) * (K / 256) * GROUP_BYTES[t]!, `${t} [${N}, ${K}] size`);
      assert.deepEqual(kToGGUF(w), bytes, `${t} [${N}, ${K}] round trip`);
      w.dispose();
    }
  }
});

test('kx4 matrices slice at whole groups of 4 rows only', () => {
  const w = Tensor.zeros(rt, 'q4_k', [9, 256]);
  assert.equal(w.slice(4, 5).offset - w.offset, byteSize('q4_k', [4, 256]));
  assert.throws(() => w.slice(2, 3), /multiples of 4 rows/);
  w.dispose();
});

/** y from gemv_k on GGUF-order bytes (the kernel the kx4 GEMV must equal). */
function ggufOrderMatvec(r: Runtime, t: KType, bytes: Uint8Array, x: Float32Array, N: number, K: number): Float32Array {
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

test('the kx4 GEMV equals gemv_k on the same GGUF blocks bit for bit: odd sizes, both builds, 1 and 2 threads', async () => {
  const rts = [
    await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 1, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
  ];
  try {
    for (const [i, t] of X4.entries()) {
      // 1001 rows x 11 blocks: both threads get rows (each at least 64 KiB of weights) and the last group is partial.
      for (const [N, K] of [[7, 768], [1, 256], [1001, 2816]] as const) {
        const bytes = randomBlocks(t, (N * K) / 256, lcg(900 + i * 13 + N));
        // Activations with large and small blocks, some negative runs: every sum's sign is exercised.
        const x = rand(K, 50 + N);
        for (let k = 0; k < 256; k++) x[k] = x[k]! * 40;
        const want = ggufOrderMatvec(rts[0]!, t, bytes, x, N, K);
        for (const [j, r] of rts.entries()) {
          const w = kFromGGUF(r, t, [N, K], bytes);
          const xt = Tensor.fromF32(r, x, [K], w.arena);
          const y = matvec(w, xt);
          assert.deepEqual(y.toArray(), want, `${t} [${N}, ${K}] runtime ${j} (${r.flavor}, ${r.threads} threads)`);
          for (const u of [w, xt, y]) u.dispose();
        }
      }
    }
  } finally {
    for (const r of rts) await r.close();
  }
});

test('the kx4 GEMV equals the float64 product of the dequantized weights and int8 activations', () => {
  for (const [i, t] of X4.entries()) {
    for (const [N, K] of [[5, 512], [13, 256], [6, 1280]] as const) {
      const bytes = randomBlocks(t, (N * K) / 256, lcg(40 + i * 7 + N));
      const wd = refDequant(t, bytes, N * K);
      const x = rand(K, 3 * N + i);
      const xq = refActivation(x, 256);
      const w = kFromGGUF(rt, t, [N, K], bytes);
      const xt = Tensor.fromF32(rt, x, [K], w.arena);
      const y = matvec(w, xt).toArray();
      for (let r = 0; r < N; r++) {
        let s = 0, mag = 0;
        for (let k = 0; k < K; k++) {
          s += wd[r * K + k]! * xq[k]!;
          mag += Math.abs(wd[r * K + k]! * xq[k]!);
        }
        assert.ok(Math.abs(y[r]! - s) <= 1e-5 * mag + 1e-30, `${t} [${N}, ${K}] row ${r}: ${y[r]} vs ${s}`);
      }
      w.dispose();
      xt.dispose();
    }
  }
});

test('gemv_kx4_add adds the product to y with one f32 add per row', () => {
  for (const t of X4) {
    const N = 9;
    const K = 512;
    const bytes = randomBlocks(t, (N * K) / 256, lcg(77));
    const w = kFromGGUF(rt, t, [N, K], bytes);
    const arena = w.arena;
    const x = Tensor.fromF32(rt, rand(K, 8), [K], arena);
    const y0 = rand(N, 9);
    const prod = matvec(w, x).toArray();
    const y = Tensor.fromF32(rt, y0, [N], arena);
    const act = rt.alloc((K / 256) * actRecordBytes(256), arena);
    rt.call('quantize_act_k', arena, x.offset, act.offset, K, 256, 0, 1, 0);
    rt.parallel('gemv_kx4_add', arena, [w.offset, act.offset, y.offset, N, K, KTYPES[t].code], N, 4, 4);
    assert.deepEqual(y.toArray(), Float32Array.from(y0, (v, r) => v + prod[r]!), t);
    rt.release(act);
    for (const u of [w, x, y]) u.dispose();
  }
});

test('castInto a kx4 matrix in 4-row pieces (as loaders stream) writes kQuantize bytes; both give GGUF blocks back', () => {
  const rows = 10;
  const cols = 512;
  const src = Tensor.fromF32(rt, rand(rows * cols, 21), [rows, cols]);
  for (const t of X4) {
    const want = kQuantize(src, t);
    const pieces = Tensor.zeros(rt, t, [rows, cols], src.arena);
    for (let r = 0; r < rows; r += 4) {
      const n = Math.min(4, rows - r);
      castInto(src.slice(r, n), pieces.slice(r, n));
    }
    assert.deepEqual(pieces.bytes(), want.bytes(), `${t} in slices`);
    // GGUF order out: the same bytes as quantizing each row alone.
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
