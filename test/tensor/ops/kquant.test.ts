// The GGUF block types kept in GGUF block order (q4_1, q5_0, q5_1, q2_k..q6_k): dequantization on
// hand-computed blocks, against a float64 reference and against llama.cpp's own values (a checked-in
// fixture), matvec against float64 at odd sizes, the prompt path, the embedding, 1 vs 2 threads and
// the SIMD128 vs relaxed builds bit for bit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { isKX4, type KType } from '../../../src/tensor/dtype.js';
import { embedding } from '../../../src/tensor/ops/embedding.js';
import { matvec } from '../../../src/tensor/ops/gemv.js';
import { K_QUANTIZABLE, kDequantize, kFromGGUF, kQuantize, kToGGUF } from '../../../src/tensor/ops/kquant.js';
import { linear } from '../../../src/tensor/ops/linear.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { repoRoot } from '../../paths.js';
import { K_LAYOUT, K_TYPES, randomBlocks, refActivation, refDequant, lcg } from './kref.js';
import { rand } from './qref.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
});

function dequant(r: Runtime, t: KType, bytes: Uint8Array, shape: number[]): Float32Array {
  const w = kFromGGUF(r, t, shape, bytes);
  const d = kDequantize(w);
  try {
    return d.toArray();
  } finally {
    d.dispose();
    w.dispose();
  }
}

/** One block of `t` with the given bytes set (the rest zero). */
function block(t: KType, set: Record<number, number>): Uint8Array {
  const b = new Uint8Array(K_LAYOUT[t].bytes);
  for (const [at, v] of Object.entries(set)) b[Number(at)] = v;
  return b;
}

test('dequantization of hand-computed blocks of every type', () => {
  // Each case: bytes set (f16 scales as two bytes, little-endian), then element -> expected value.
  const cases: [KType, Record<number, number>, Record<number, number>][] = [
    // d = 0.5 (0x3800), m = -1 (0xbc00); qs[0] = 0x3c: element 0 = 12 d + m, element 16 = 3 d + m.
    ['q4_1', { 0: 0x00, 1: 0x38, 2: 0x00, 3: 0xbc, 4: 0x3c }, { 0: 5, 16: 0.5, 1: -1 }],
    // d = 1; qh = bits 0 and 16; qs[0] = 0x21: element 0 = (1 | 16) - 16, element 16 = (2 | 16) - 16, element 1 = 0 - 16.
    ['q5_0', { 1: 0x3c, 2: 0x01, 4: 0x01, 6: 0x21 }, { 0: 1, 16: 2, 1: -16 }],
    // d = 1, m = 0.5; qh bit 0; qs[0] = 0x01: element 0 = 17 + 0.5, element 16 = 0 + 0.5.
    ['q5_1', { 1: 0x3c, 3: 0x38, 4: 0x01, 8: 0x01 }, { 0: 17.5, 16: 0.5 }],
    // scales[0] = 0x23 (scale 3, min 2), [2] = 0x11, [4] = 0x05, [6] = 0x02; qs[0] = 0xe4 holds q = 0, 1, 2, 3
    // for elements 0, 32, 64, 96; d = 1, dmin = 0.25: 3*0 - 0.5, 1*1 - 0.25, 5*2 - 0, 2*3 - 0.
    ['q2_k', { 0: 0x23, 2: 0x11, 4: 0x05, 6: 0x02, 16: 0xe4, 81: 0x3c, 83: 0x34 }, { 0: -0.5, 32: 0.75, 64: 10, 96: 6, 1: -0.5 }],
    // d = 2; scale 0 = (5 | 2 << 4) - 32 = 5, scale 2 = 0 - 32; qs[0] = 0x0b: element 0 low bits 3, high bit
    // set (hmask[0] bit 0) -> 3; element 32 low bits 2, hmask bit 1 clear -> 2 - 4.
    ['q3_k', { 0: 0x01, 32: 0x0b, 96: 0x05, 104: 0x02, 109: 0x40 }, { 0: 30, 32: 128 }],
    // d = 1, dmin = 0.5; scale/min 0 = 3/2 (byte 0 = 0x43: its top bits are scale 4's high bits),
    // 1 = 5/1, 4 = (1 | 1 << 4)/2; qs[0] = 0x97, qs[64] = 0x0a: 3*7 - 1, 5*9 - 0.5, 17*10 - 1; element 1: 0 - 1.
    ['q4_k', { 1: 0x3c, 3: 0x38, 4: 0x43, 5: 0x05, 8: 0x02, 9: 0x01, 12: 0x21, 16: 0x97, 80: 0x0a }, { 0: 20, 32: 44.5, 128: 169, 1: -1 }],
    // d = 1, dmin = 0; scales 1 and 2; qh[0] = 3 (bit 0: element 0, bit 1: element 32); qs[0] = 0x0f.
    ['q5_k', { 1: 0x3c, 4: 0x01, 5: 0x02, 16: 0x03, 48: 0x0f }, { 0: 31, 32: 32, 1: 0 }],
    // d = 0.5; scales[0] = 4, [2] = -3, [4] = 7, [6] = 1; ql[0] = 0x5a, ql[32] = 0x03, qh[0] = 0xe4:
    // q = 10, 3 | 16, 5 | 32, 0 | 48 (minus 32) for elements 0, 32, 64, 96.
    ['q6_k', { 0: 0x5a, 32: 0x03, 128: 0xe4, 192: 4, 194: 0xfd, 196: 7, 198: 1, 209: 0x38 }, { 0: -44, 32: 19.5, 64: 17.5, 96: 8 }],
  ];
  for (const [t, set, want] of cases) {
    const n = K_LAYOUT[t].block;
    const v = dequant(rt, t, block(t, set), [1, n]);
    for (const [e, x] of Object.entries(want)) assert.equal(v[Number(e)], x, `${t} element ${e}`);
  }
});

test('dequantization equals the float64 reference rounded to f32, for random blocks of every type', () => {
  for (const [i, t] of K_TYPES.entries()) {
    const { block: B, bytes: bb } = K_LAYOUT[t];
    const rows = 3;
    const cols = B * 3;
    const bytes = randomBlocks(t, (rows * cols) / B, lcg(10 + i));
    assert.equal(bytes.length, ((rows * cols) / B) * bb);
    const got = dequant(rt, t, bytes, [rows, cols]);
    const ref = refDequant(t, bytes, rows * cols);
    for (let k = 0; k < ref.length; k++) if (got[k] !== Math.fround(ref[k]!)) assert.fail(`${t} value ${k}: ${got[k]} vs ${ref[k]}`);
  }
});

test("dequantization equals llama.cpp's values for blocks written by llama-quantize (checked-in fixture)", () => {
  const fx = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'kquant-llamacpp.json'), 'utf8')) as { entries: { type: KType; tensor: string; blocks: string; values: string }[] };
  assert.deepEqual(new Set(fx.entries.map((e) => e.type)), new Set(K_TYPES), 'the fixture covers every type');
  for (const e of fx.entries) {
    const bytes = new Uint8Array(Buffer.from(e.blocks, 'base64'));
    const want = new Float32Array(new Uint8Array(Buffer.from(e.values, 'base64')).buffer);
    const got = dequant(rt, e.type, bytes, [1, want.length]);
    assert.deepEqual(got, want, `${e.type} (${e.tensor})`);
  }
});

/** f64 W x with x quantized per block as the kernels do, and the scale sum |W| |x| for the tolerance. */
function refProduct(w: Float64Array, x: Float32Array, N: number, K: number, B: number): { y: Float64Array; mag: Float64Array } {
  const xq = refActivation(x, B);
  const y = new Float64Array(N);
  const mag = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    for (let k = 0; k < K; k++) {
      y[r] += w[r * K + k]! * xq[k]!;
      mag[r] += Math.abs(w[r * K + k]! * xq[k]!);
    }
  }
  return { y, mag };
}

test('matvec of every type equals the float64 product with int8 activations, at odd sizes', () => {
  for (const [i, t] of K_TYPES.entries()) {
    const B = K_LAYOUT[t].block;
    for (const [N, K] of [[7, B * 3], [1, B], [13, B * 2]] as const) {
      const bytes = randomBlocks(t, (N * K) / B, lcg(100 + i * 7 + N));
      const w = kFromGGUF(rt, t, [N, K], bytes);
      const xs = rand(K, 3 + N);
      const x = Tensor.fromF32(rt, xs, [K]);
      const y = matvec(w, x);
      const got = y.toArray();
      const { y: ref, mag } = refProduct(refDequant(t, bytes, N * K), xs, N, K, B);
      for (let r = 0; r < N; r++) {
        assert.ok(Math.abs(got[r]! - ref[r]!) <= 1e-5 * mag[r]! + 1e-30, `${t} [${N}, ${K}] row ${r}: ${got[r]} vs ${ref[r]}`);
      }
      for (const u of [w, x, y]) u.dispose();
    }
  }
});

test('the prompt path (several tokens) equals the float64 product of the dequantized weights', () => {
  for (const [i, t] of K_TYPES.entries()) {
    const B = K_LAYOUT[t].block;
    const N = 11;
    const K = B * 2;
    const bytes = randomBlocks(t, (N * K) / B, lcg(300 + i));
    const wd = refDequant(t, bytes, N * K);
    const w = kFromGGUF(rt, t, [N, K], bytes);
    for (const M of [2, 5]) {
      const xs = rand(M * K, 40 + M);
      const x = Tensor.fromF32(rt, xs, [M, K]);
      const y = linear(x, w);
      const got = y.toArray();
      for (let m = 0; m < M; m++) {
        const row = xs.subarray(m * K, (m + 1) * K);
        // Two tokens run as matvecs (int8 activations), more as f32 GEMM on dequantized rows, but
        // the kx4 types (Q4_K, Q5_K, Q6_K) keep int8 activations at any M (gemm_kx4).
        const xr = M <= 2 || isKX4(t) ? refActivation(row, B) : Float64Array.from(row);
        for (let r = 0; r < N; r++) {
          let s = 0, mag = 0;
          for (let k = 0; k < K; k++) {
            s += wd[r * K + k]! * xr[k]!;
            mag += Math.abs(wd[r * K + k]! * xr[k]!);
          }
          assert.ok(Math.abs(got[m * N + r]! - s) <= 1e-5 * mag + 1e-30, `${t} M=${M} token ${m} row ${r}: ${got[m * N + r]} vs ${s}`);
        }
      }
      x.dispose();
      y.dispose();
    }
    w.dispose();
  }
});

test('embedding rows of every type equal the dequantized rows; ids outside the table are refused', () => {
  for (const [i, t] of K_TYPES.entries()) {
    const B = K_LAYOUT[t].block;
    const V = 5;
    const H = B * 2;
    const bytes = randomBlocks(t, (V * H) / B, lcg(500 + i));
    const table = kFromGGUF(rt, t, [V, H], bytes);
    const ids = Tensor.fromI32(rt, [4, 0, 4, 2], [4]);
    const out = embedding(table, ids);
    const got = out.toArray();
    const ref = refDequant(t, bytes, V * H);
    [4, 0, 4, 2].forEach((id, k) => {
      for (let c = 0; c < H; c++) assert.equal(got[k * H + c], Math.fround(ref[id * H + c]!), `${t} token ${k} col ${c}`);
    });
    const bad = Tensor.fromI32(rt, [1, 5], [2]);
    assert.throws(() => embedding(table, bad), (e: Error) => e instanceof RangeError && /token id 5/.test(e.message));
    for (const u of [table, ids, out, bad]) u.dispose();
  }
});

test('a row length that is not whole blocks is refused with the type and the block size', () => {
  assert.throws(() => Tensor.zeros(rt, 'q4_k', [2, 128]), (e: Error) => e instanceof RangeError && /q4_k rows must be a multiple of 256/.test(e.message));
  assert.throws(() => Tensor.zeros(rt, 'q5_0', [2, 48]), (e: Error) => e instanceof RangeError && /multiple of 32/.test(e.message));
});

test('1 and 2 threads give bit-identical products; SIMD128 and relaxed builds bit-identical matvecs', async () => {
  const rts = [
    await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'relaxed-simd', arenaBytes: 64 << 20 }),
  ];
  try {
    for (const [i, t] of K_TYPES.entries()) {
      const B = K_LAYOUT[t].block;
      // Enough rows that the product is split over both threads (at least 64 KiB of weights each).
      const N = 1001;
      const K = 512;
      const bytes = randomBlocks(t, (N * K) / B, lcg(700 + i));
      const xs = rand(5 * K, 9 + i);
      const outs = rts.map((r) => {
        const w = kFromGGUF(r, t, [N, K], bytes);
        const x1 = Tensor.fromF32(r, xs.subarray(0, K), [K]);
        const x5 = Tensor.fromF32(r, xs, [5, K]);
        const y1 = matvec(w, x1);
        const y5 = linear(x5, w);
        const res = [y1.toArray(), y5.toArray()];
        for (const u of [w, x1, x5, y1, y5]) u.dispose();
        return res;
      });
      for (let k = 1; k < outs.length; k++) assert.deepEqual(outs[k]![0], outs[0]![0], `${t} matvec, runtime ${k}`);
      // The prompt path runs the f32 GEMM, whose relaxed build uses FMA: bit-identical over threads only.
      assert.deepEqual(outs[1]![1], outs[0]![1], `${t} prompt path, 1 vs 2 threads`);
    }
  } finally {
    for (const r of rts) await r.close();
  }
});

function quantizeBytes(r: Runtime, t: KType, x: Float32Array, shape: number[]): Uint8Array {
  const src = Tensor.fromF32(r, x, shape);
  const q = kQuantize(src, t);
  try {
    return kToGGUF(q);
  } finally {
    q.dispose();
    src.dispose();
  }
}

test("the quantizers reproduce llama-quantize's blocks from its F32 input (checked-in fixture)", () => {
  const fx = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'kquant-llamacpp.json'), 'utf8')) as { entries: { type: KType; tensor: string; blocks: string; input?: string }[] };
  const covered = fx.entries.filter((e) => e.input !== undefined).map((e) => e.type);
  assert.deepEqual(new Set(covered), new Set(K_QUANTIZABLE));
  for (const e of fx.entries) {
    if (e.input === undefined) continue;
    const x = new Float32Array(new Uint8Array(Buffer.from(e.input, 'base64')).buffer);
    const got = quantizeBytes(rt, e.type, x, [1, x.length]);
    assert.deepEqual(Buffer.from(got).toString('hex'), Buffer.from(e.blocks, 'base64').toString('hex'), `${e.type} (${e.tensor})`);
  }
});

test('quantizing zeros gives blocks of zeros', () => {
  for (const t of K_QUANTIZABLE) {
    const got = quantizeBytes(rt, t, new Float32Array(512), [2, 256]);
    assert.ok(dequant(rt, t, got, [2, 256]).every((v) => v === 0), `${t}: dequantizes to zeros`);
    // Q5_0 stores 0 as q = 16 (its fifth bits, qh, all set) with d = 0 / -16 = -0 (fp16 0x8000).
    if (t === 'q5_0') assert.ok(got.every((b, i) => b === (i % 22 === 1 ? 0x80 : i % 22 >= 2 && i % 22 < 6 ? 0xff : 0)), 'q5_0 bytes');
    else assert.ok(got.every((b) => b === 0), `${t}: all bytes zero`);
  }
});

test('quantize -> dequantize round trip: the error is the size each type allows', () => {
  // RMS error relative to the values' RMS; measured 0.29 (q2_k), 0.15 (q3_k), 0.079 (q4_1), 0.074 (q4_k), 0.042
  // (q5_0), 0.038 (q5_1), 0.036 (q5_k), 0.017 (q6_k): bounds 1.5x those. A wrong bit layout or scale
  // is of order 1.
  const bound: Record<string, number> = { q2_k: 0.45, q4_k: 0.11, q5_k: 0.055, q6_k: 0.027, q4_1: 0.12, q5_0: 0.065, q5_1: 0.057, q3_k: 0.22 };
  const next = lcg(77);
  const x = new Float32Array(4 * 512);
  for (let i = 0; i < x.length; i++) x[i] = (next() + next() + next() - 1.5) * (1 + (i % 97) / 50);
  for (const t of K_QUANTIZABLE) {
    const bytes = quantizeBytes(rt, t, x, [4, 512]);
    const back = dequant(rt, t, bytes, [4, 512]);
    let e2 = 0, x2 = 0;
    for (let i = 0; i < x.length; i++) {
      e2 += (back[i]! - x[i]!) ** 2;
      x2 += x[i]! ** 2;
    }
    const rel = Math.sqrt(e2 / x2);
    assert.ok(rel < bound[t]!, `${t}: relative RMS error ${rel}`);
  }
});

test('quantizing on 1 and 2 threads gives the same bytes', async () => {
  const r1 = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  try {
    const x = rand(64 * 512, 5);
    for (const t of K_QUANTIZABLE) assert.deepEqual(quantizeBytes(r1, t, x, [64, 512]), quantizeBytes(rt, t, x, [64, 512]), t);
  } finally {
    await r1.close();
  }
});
