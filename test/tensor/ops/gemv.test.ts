import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { matvec, qmatmul } from '../../../src/tensor/ops/gemv.js';
import { fromGGUF, toGGUF } from '../../../src/tensor/ops/quant.js';
import { decodeBlocks, f16ToNumber, numberToF16, rand, refQuantAct, refQuantQ4, refQuantQ8 } from './qref.js';

type WType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 512 << 20 });
});
after(async () => {
  await rt.close();
});

/** Weights of one dtype with their exact values (as float64) for the reference. */
interface Weights {
  make(r: Runtime): Tensor;
  /** Element values as stored (plain types) or per-block scales and integer quants (quantized). */
  vals?: Float64Array;
  blocks?: { d: Float64Array; q: Int32Array };
  /** The unquantized values the weights were made from. */
  src: Float32Array;
}

function makeWeights(dtype: WType, N: number, K: number, seed: number): Weights {
  const src = rand(N * K, seed);
  if (dtype === 'f32') return { src, vals: Float64Array.from(src), make: (r) => Tensor.fromF32(r, src, [N, K]) };
  if (dtype === 'f16' || dtype === 'bf16') {
    const bits = new Uint16Array(N * K);
    const u32 = new Uint32Array(src.buffer);
    for (let i = 0; i < N * K; i++) {
      // A few f16 subnormals among the weights.
      if (dtype === 'f16') bits[i] = i % 97 === 5 ? 0x0003 | (i & 0x8000) : numberToF16(src[i]!);
      else bits[i] = u32[i]! >>> 16;
    }
    const vals = Float64Array.from(bits, (h) => (dtype === 'f16' ? f16ToNumber(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!));
    const bytes = new Uint8Array(bits.buffer);
    return { src, vals, make: (r) => Tensor.fromBytes(r, dtype, [N, K], bytes) };
  }
  const gg = dtype === 'q8_0' ? refQuantQ8(src) : refQuantQ4(src);
  return { src, blocks: decodeBlocks(dtype, gg), make: (r) => fromGGUF(r, dtype, [N, K], gg) };
}

/** Float64 reference y = W x and a bound on its f32 evaluation error. */
function reference(w: Weights, N: number, K: number, x: Float32Array): { y: Float64Array; tol: Float64Array } {
  const y = new Float64Array(N);
  const tol = new Float64Array(N);
  if (w.vals) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      let a = 0;
      for (let k = 0; k < K; k++) {
        const p = w.vals[n * K + k]! * x[k]!;
        s += p;
        a += Math.abs(p);
      }
      y[n] = s;
      tol[n] = a * 4e-7 * Math.log2(K + 8) + 1e-30;
    }
    return { y, tol };
  }
  // Quantized: sum over blocks of d_w * d_x * sum(q_w * q_x), the math the kernel does in integers.
  const { d, q } = w.blocks!;
  const xa = refQuantAct(x);
  const nb = K / 32;
  for (let n = 0; n < N; n++) {
    let s = 0;
    let a = 0;
    for (let b = 0; b < nb; b++) {
      let isum = 0;
      for (let j = 0; j < 32; j++) isum += q[(n * nb + b) * 32 + j]! * xa.q[b * 32 + j]!;
      const t = d[n * nb + b]! * xa.d[b]! * isum;
      s += t;
      a += Math.abs(t);
    }
    y[n] = s;
    tol[n] = a * 3e-7 * (nb + 2) + 1e-30;
  }
  return { y, tol };
}

function runMatvec(r: Runtime, w: Tensor, x: Float32Array, N: number): Float32Array {
  const xt = Tensor.fromF32(r, x, [x.length], w.arena);
  const out = Tensor.zeros(r, 'f32', [N], w.arena);
  try {
    matvec(w, xt, out);
    return out.toArray();
  } finally {
    xt.dispose();
    out.dispose();
  }
}

const plainK = [1, 3, 8, 17, 33, 100];
const quantK = [32, 96, 160];
const sizesN = [1, 3, 17, 33, 4099];

for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as const) {
  test(`matvec ${dtype} matches a float64 reference (odd N and K)`, () => {
    const quant = dtype === 'q8_0' || dtype === 'q4_0';
    for (const N of sizesN) {
      for (const K of quant ? quantK : plainK) {
        if (N === 4099 && K > 33) continue; // the big N exercises the thread split; keep it quick
        const w = makeWeights(dtype, N, K, N * 131 + K);
        const x = rand(K, K + 7);
        const wt = w.make(rt);
        const y = runMatvec(rt, wt, x, N);
        wt.dispose();
        const { y: ref, tol } = reference(w, N, K, x);
        for (let n = 0; n < N; n++) {
          assert.ok(Math.abs(y[n]! - ref[n]!) <= tol[n]!, `${dtype} N=${N} K=${K} row ${n}: ${y[n]} vs ${ref[n]} (tol ${tol[n]})`);
        }
        if (quant) {
          // Looser: against the product of the unquantized values, relative to the size of the terms
          // (a single row's dot product may cancel to almost nothing).
          let e = 0;
          let m = 0;
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let k = 0; k < K; k++) {
              const p = w.src[n * K + k]! * x[k]!;
              s += p;
              m += p * p;
            }
            e += (y[n]! - s) ** 2;
          }
          const rel = Math.sqrt(e / m);
          assert.ok(rel < (dtype === 'q8_0' ? 0.03 : 0.25), `${dtype} N=${N} K=${K}: relative error ${rel} against f32`);
        }
      }
    }
  });
}

for (const dtype of ['q8_0', 'q4_0'] as const) {
  test(`qmatmul ${dtype}: each row equals matvec of that token, bit for bit`, () => {
    const N = 37;
    const K = 96;
    const w = makeWeights(dtype, N, K, 9);
    const wt = w.make(rt);
    for (const M of [1, 3, 5, 8]) {
      const X = rand(M * K, M);
      const xt = Tensor.fromF32(rt, X, [M, K], wt.arena);
      const out = Tensor.zeros(rt, 'f32', [M, N], wt.arena);
      qmatmul(xt, wt, out);
      const Y = out.toArray();
      for (let m = 0; m < M; m++) {
        const y = runMatvec(rt, wt, X.subarray(m * K, (m + 1) * K), N);
        assert.deepEqual(Y.subarray(m * N, (m + 1) * N), y, `M=${M} token ${m}`);
      }
      xt.dispose();
      out.dispose();
    }
    wt.dispose();
  });
}

test('1 and 2 threads give bit-identical results for every dtype', async () => {
  const rt1 = await Runtime.create({ threads: 1, arenaBytes: 256 << 20 });
  const rt2 = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
  try {
    for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as const) {
      const quant = dtype === 'q8_0' || dtype === 'q4_0';
      const N = 4099;
      const K = quant ? 256 : 131;
      const w = makeWeights(dtype, N, K, 77);
      const x = rand(K, 78);
      const w1 = w.make(rt1);
      const w2 = w.make(rt2);
      assert.deepEqual(runMatvec(rt1, w1, x, N), runMatvec(rt2, w2, x, N), dtype);
      if (quant) {
        const M = 6;
        const X = rand(M * K, 79);
        const res = [rt1, rt2].map((r, i) => {
          const wt = i === 0 ? w1 : w2;
          const xt = Tensor.fromF32(r, X, [M, K], wt.arena);
          const out = Tensor.zeros(r, 'f32', [M, N], wt.arena);
          qmatmul(xt, wt, out);
          return out.toArray();
        });
        assert.deepEqual(res[0], res[1], `${dtype} qmatmul`);
      }
    }
  } finally {
    await rt1.close();
    await rt2.close();
  }
});

test('relaxed-SIMD kernels equal the SIMD128 ones exactly (would catch Liftoff doubling the int8 dot)', async (t) => {
  const base = await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 });
  const relaxed = await Runtime.create({ threads: 2, kernels: 'relaxed-simd', arenaBytes: 64 << 20 });
  try {
    if (relaxed.flavor !== 'relaxed-simd') {
      t.skip('this engine cannot run relaxed SIMD');
      return;
    }
    assert.equal(base.flavor, 'simd128');
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      const N = 41;
      const K = 128;
      // Extreme values: -128 weights (only from files) and full-range activations.
      const w = makeWeights(dtype, N, K, 5);
      const x = rand(K, 6);
      x[0] = -1;
      x[40] = 1;
      const yb = runMatvec(base, w.make(base), x, N);
      const yr = runMatvec(relaxed, w.make(relaxed), x, N);
      assert.deepEqual(yr, yb, `${dtype} relaxed vs simd128`);
      const { y: ref, tol } = reference(w, N, K, x);
      for (let n = 0; n < N; n++) assert.ok(Math.abs(yr[n]! - ref[n]!) <= tol[n]!, `${dtype} row ${n}: ${yr[n]} vs ${ref[n]}`);
      // Every int8 weight value, -128 included, against the reference.
      if (dtype === 'q8_0') {
        const bytes = new Uint8Array(8 * (K / 32) * 34);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 255;
        for (let b = 0; b < bytes.length / 34; b++) {
          bytes[b * 34] = 0x00;
          bytes[b * 34 + 1] = 0x3c; // d = 1
        }
        const blocks = decodeBlocks('q8_0', bytes);
        const ws = { src: new Float32Array(0), blocks, make: (r: Runtime) => fromGGUF(r, 'q8_0', [8, K], bytes) };
        const y1 = runMatvec(relaxed, ws.make(relaxed), x, 8);
        const y0 = runMatvec(base, ws.make(base), x, 8);
        const r2 = reference(ws, 8, K, x);
        assert.deepEqual(y1, y0);
        for (let n = 0; n < 8; n++) assert.ok(Math.abs(y1[n]! - r2.y[n]!) <= r2.tol[n]!, `q8_0 full-range row ${n}`);
        assert.deepEqual(toGGUF(ws.make(relaxed)), bytes);
      }
    }
  } finally {
    await base.close();
    await relaxed.close();
  }
});

test('f16 weights: inf and NaN propagate, finite rows next to them stay exact', () => {
  const N = 6;
  const K = 24; // 3 chunks of 8 halves: the special values sit in the middle chunk
  const w = makeWeights('f16', N, K, 3);
  const bits = new Uint16Array(N * K);
  for (let i = 0; i < N * K; i++) bits[i] = numberToF16(w.src[i]!);
  bits[1 * K + 9] = 0x7c00; // +inf in row 1
  bits[2 * K + 10] = 0xfc00; // -inf in row 2
  bits[3 * K + 11] = 0x7e01; // NaN in row 3
  const vals = Float64Array.from(bits, (h) => f16ToNumber(h));
  const x = rand(K, 4).map((v) => v + 2); // all positive: inf * x keeps its sign
  const y = runMatvec(rt, Tensor.fromBytes(rt, 'f16', [N, K], new Uint8Array(bits.buffer)), x, N);
  const { y: ref, tol } = reference({ src: w.src, vals, make: () => { throw new Error('unused'); } }, N, K, x);
  assert.equal(y[1], Infinity);
  assert.equal(y[2], -Infinity);
  assert.ok(Number.isNaN(y[3]!));
  for (const n of [0, 4, 5]) assert.ok(Math.abs(y[n]! - ref[n]!) <= tol[n]!, `row ${n}`);
});

test('quantized weights: inf and NaN block scales propagate, the other rows of their 4-row group stay exact', async () => {
  // The kernels convert scales without inf/NaN handling and redo a 4-row group whose scales hold
  // an fp16 exponent of 31; these rows would come out finite without that.
  const base = await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 });
  try {
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      const N = 10;
      const K = 96;
      const nb = K / 32;
      const bb = dtype === 'q8_0' ? 34 : 18;
      const src = rand(N * K, 21);
      const bytes = dtype === 'q8_0' ? refQuantQ8(src) : refQuantQ4(src);
      const setScale = (row: number, block: number, h: number) => {
        bytes[(row * nb + block) * bb] = h & 0xff;
        bytes[(row * nb + block) * bb + 1] = h >> 8;
      };
      setScale(1, 1, 0x7c00); // +inf
      setScale(2, 2, 0xfc00); // -inf
      setScale(5, 0, 0x7e00); // NaN
      setScale(9, 2, 0x7c01); // NaN (payload), in the partial last group
      const blocks = decodeBlocks(dtype, bytes);
      const x = rand(K, 22);
      const { y: ref, tol } = reference({ src, blocks, make: () => { throw new Error('unused'); } }, N, K, x);
      const y = runMatvec(rt, fromGGUF(rt, dtype, [N, K], bytes), x, N);
      for (let n = 0; n < N; n++) {
        if (Number.isFinite(ref[n]!)) assert.ok(Math.abs(y[n]! - ref[n]!) <= tol[n]!, `${dtype} row ${n}: ${y[n]} vs ${ref[n]}`);
        else assert.ok(Object.is(y[n], ref[n]) || (Number.isNaN(y[n]!) && Number.isNaN(ref[n]!)), `${dtype} row ${n}: ${y[n]} vs ${ref[n]}`);
      }
      assert.ok(!Number.isFinite(y[1]!) && !Number.isFinite(y[2]!) && Number.isNaN(y[5]!) && Number.isNaN(y[9]!), dtype);
      assert.deepEqual(runMatvec(base, fromGGUF(base, dtype, [N, K], bytes), x, N), y, `${dtype} simd128 vs ${rt.flavor}`);
    }
  } finally {
    await base.close();
  }
});

test('a quantized matvec whose activations do not fit the scratch says so', async () => {
  const small = await Runtime.create({ threads: 1, arenaBytes: 64 << 20, scratchBytesPerThread: 4096 });
  try {
    const K = 2048; // 64 blocks of compact activations: 256 + 64 * 72 bytes > 4096
    const w = fromGGUF(small, 'q8_0', [4, K], new Uint8Array(4 * (K / 32) * 34));
    assert.throws(() => runMatvec(small, w, rand(K, 1), 4), (e: unknown) => e instanceof RangeError && /matvec: K = 2048 needs 4864 bytes of scratch per thread/.test(e.message));
    const w1 = fromGGUF(small, 'q8_0', [4, 1024], new Uint8Array(4 * 32 * 34));
    assert.deepEqual(runMatvec(small, w1, rand(1024, 1), 4), new Float32Array(4));
  } finally {
    await small.close();
  }
});

test('bad inputs give errors naming the field', () => {
  const w = Tensor.fromF32(rt, new Float32Array(6 * 8), [6, 8]);
  const x = Tensor.fromF32(rt, new Float32Array(7), [7], w.arena);
  const out = Tensor.zeros(rt, 'f32', [6], w.arena);
  assert.throws(() => matvec(w, x, out), /matvec: x must be a vector of 8/);
  const x8 = Tensor.fromF32(rt, new Float32Array(8), [8], w.arena);
  const out5 = Tensor.zeros(rt, 'f32', [5], w.arena);
  assert.throws(() => matvec(w, x8, out5), /matvec: out must be a vector of 6/);
  const wi = Tensor.fromI32(rt, new Int32Array(48), [6, 8], w.arena);
  assert.throws(() => matvec(wi, x8, out), /w must be f32, f16, bf16, q8_0 or q4_0, got i32/);
  assert.throws(() => qmatmul(Tensor.fromF32(rt, new Float32Array(8), [1, 8], w.arena), w, Tensor.zeros(rt, 'f32', [1, 6], w.arena)), /qmatmul: w must be q8_0 or q4_0, got f32/);
  const q = fromGGUF(rt, 'q8_0', [4, 64], new Uint8Array(4 * 2 * 34));
  const xq = Tensor.fromF32(rt, new Float32Array(3 * 32), [3, 32], q.arena);
  assert.throws(() => qmatmul(xq, q, Tensor.zeros(rt, 'f32', [3, 4], q.arena)), /qmatmul: x must have shape \[M, 64\], got \[3, 32\]/);
  const other = rt.newArena();
  const xo = Tensor.fromF32(rt, new Float32Array(64), [64], other);
  assert.throws(() => matvec(q, xo, Tensor.zeros(rt, 'f32', [4], q.arena)), /operands live in arenas/);
});
