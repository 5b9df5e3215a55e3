// The quantized GEMM behind qmatmul (src/kernels/qgemm.ts): the few-token path and the packed
// register-tiled one, K panels, token splits and partial row groups, against a float64 reference,
// across kernel builds and thread counts, and row by row against matvec (batch invariance).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime, type RuntimeOptions } from '../../../src/runtime/runtime.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { matvec, qgemmPlan, qmatmul } from '../../../src/tensor/ops/gemv.js';
import { fromGGUF } from '../../../src/tensor/ops/quant.js';
import { decodeBlocks, rand, refQuantAct, refQuantQ4, refQuantQ8 } from './qref.js';

type QType = 'q8_0' | 'q4_0';

interface QWeights {
  bytes: Uint8Array;
  blocks: { d: Float64Array; q: Int32Array };
}

function makeWeights(dtype: QType, N: number, K: number, seed: number): QWeights {
  const bytes = dtype === 'q8_0' ? refQuantQ8(rand(N * K, seed)) : refQuantQ4(rand(N * K, seed));
  return { bytes, blocks: decodeBlocks(dtype, bytes) };
}

/** Q8_0 blocks with every int8 value, -128 included (only a file can hold it), and d = 1. */
function fullRangeQ8(N: number, K: number): QWeights {
  const bytes = new Uint8Array(N * (K / 32) * 34);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 255;
  for (let b = 0; b < bytes.length / 34; b++) {
    bytes[b * 34] = 0x00;
    bytes[b * 34 + 1] = 0x3c;
  }
  return { bytes, blocks: decodeBlocks('q8_0', bytes) };
}

/** Float64 Y = X W^T of the dequantized weights and int8-quantized activations, with a bound on
 *  the f32 evaluation error. */
function reference(w: QWeights, M: number, N: number, K: number, X: Float32Array): { y: Float64Array; tol: Float64Array } {
  const nb = K / 32;
  const { d, q } = w.blocks;
  const y = new Float64Array(M * N);
  const tol = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    const xa = refQuantAct(X.subarray(m * K, (m + 1) * K));
    for (let n = 0; n < N; n++) {
      let s = 0;
      let a = 0;
      for (let b = 0; b < nb; b++) {
        let isum = 0;
        const wo = (n * nb + b) * 32;
        for (let j = 0; j < 32; j++) isum += q[wo + j]! * xa.q[b * 32 + j]!;
        const t = d[n * nb + b]! * xa.d[b]! * isum;
        s += t;
        a += Math.abs(t);
      }
      y[m * N + n] = s;
      tol[m * N + n] = a * 3e-7 * (nb + 2) + 1e-30;
    }
  }
  return { y, tol };
}

function product(r: Runtime, dtype: QType, w: QWeights, M: number, N: number, K: number, X: Float32Array): Float32Array {
  const wt = fromGGUF(r, dtype, [N, K], w.bytes);
  const xt = Tensor.fromF32(r, X, [M, K], wt.arena);
  const out = Tensor.zeros(r, 'f32', [M, N], wt.arena);
  try {
    qmatmul(xt, wt, out);
    return out.toArray();
  } finally {
    xt.dispose();
    out.dispose();
    wt.dispose();
  }
}

function rowsByMatvec(r: Runtime, dtype: QType, w: QWeights, M: number, N: number, K: number, X: Float32Array): Float32Array {
  const wt = fromGGUF(r, dtype, [N, K], w.bytes);
  const xt = Tensor.fromF32(r, new Float32Array(K), [K], wt.arena);
  const out = Tensor.zeros(r, 'f32', [N], wt.arena);
  const Y = new Float32Array(M * N);
  try {
    for (let m = 0; m < M; m++) {
      xt.arena.f32.set(X.subarray(m * K, (m + 1) * K), xt.offset / 4);
      matvec(wt, xt, out);
      Y.set(out.toArray(), m * N);
    }
    return Y;
  } finally {
    xt.dispose();
    out.dispose();
    wt.dispose();
  }
}

function assertNear(got: Float32Array, ref: { y: Float64Array; tol: Float64Array }, what: string): void {
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - ref.y[i]!) <= ref.tol[i]!, `${what} [${i}]: ${got[i]} vs ${ref.y[i]} (tol ${ref.tol[i]})`);
  }
}

const runtimes: Runtime[] = [];
async function runtime(opts: RuntimeOptions): Promise<Runtime> {
  const r = await Runtime.create({ arenaBytes: 256 << 20, ...opts });
  runtimes.push(r);
  return r;
}

let rt2: Runtime;
before(async () => {
  rt2 = await runtime({ threads: 2 });
});
after(async () => {
  for (const r of runtimes) await r.close();
});

// Q4_0: M <= 4 take the few-token path, M >= 5 the packed one (5, 7 and 13 leave partial 6-token
// tiles); Q8_0: M <= 32 the multi-token GEMV, M = 70 the packed one; N = 37 leaves a partial row
// group.
const cases: [number, number, number][] = [
  [1, 37, 32],
  [2, 37, 32],
  [3, 5, 64],
  [5, 37, 96],
  [7, 3, 32],
  [13, 37, 1024],
  [6, 130, 4096],
  [70, 11, 256],
];

for (const dtype of ['q8_0', 'q4_0'] as const) {
  test(`qmatmul ${dtype} matches a float64 reference (odd M, N not a multiple of 4, K = 32 to 4096)`, () => {
    for (const [M, N, K] of cases) {
      const w = makeWeights(dtype, N, K, M + N);
      const X = rand(M * K, K + M);
      assertNear(product(rt2, dtype, w, M, N, K, X), reference(w, M, N, K, X), `${dtype} M=${M} N=${N} K=${K}`);
    }
  });
}

test('qmatmul: each row equals matvec of that token bit for bit, on every path', async () => {
  // A small scratch forces short K panels (kb < K / 32) and several token splits, and sends Q8_0's
  // batched decode to the packed path (its compact activations do not fit).
  const tiny = await runtime({ threads: 2, scratchBytesPerThread: 16 << 10 });
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    for (const [M, N, K] of [...cases, [64, 9, 2048] as [number, number, number], [300, 6, 256] as [number, number, number]]) {
      const w = makeWeights(dtype, N, K, 3 * M + N);
      const X = rand(M * K, 5 * M + K);
      const want = rowsByMatvec(rt2, dtype, w, M, N, K, X);
      assert.deepEqual(product(rt2, dtype, w, M, N, K, X), want, `${dtype} M=${M} N=${N} K=${K}`);
      if (K >= 2048 || M >= 64) assert.deepEqual(product(tiny, dtype, w, M, N, K, X), want, `${dtype} M=${M} N=${N} K=${K}, small scratch`);
    }
  }
  // The small scratch really cuts K into panels and tokens into splits.
  const plan = qgemmPlan(tiny, tiny.arenas[0]!, 'q8_0', 300, 6, 2048);
  assert.ok(plan.kb < 2048 / 32, `kb ${plan.kb}`);
  assert.ok(plan.splits > 1, `splits ${plan.splits}`);
});

test('qmatmul: 1 and 2 threads give bit-identical results', async () => {
  const rt1 = await runtime({ threads: 1 });
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    for (const [M, N, K] of [[3, 4099, 64], [24, 1001, 256], [40, 4099, 128], [200, 10, 512], [512, 33, 4096]] as [number, number, number][]) {
      const w = makeWeights(dtype, N, K, M);
      const X = rand(M * K, N);
      assert.deepEqual(product(rt1, dtype, w, M, N, K, X), product(rt2, dtype, w, M, N, K, X), `${dtype} M=${M} N=${N} K=${K}`);
    }
  }
});

test('qmatmul: the SIMD128 and relaxed-SIMD builds give identical bits, full-range Q8_0 weights included', async (t) => {
  const base = await runtime({ threads: 1, kernels: 'simd128' });
  const relaxed = await runtime({ threads: 2, kernels: 'relaxed-simd' });
  if (relaxed.flavor !== 'relaxed-simd') {
    t.skip('this engine cannot run relaxed SIMD');
    return;
  }
  assert.equal(base.flavor, 'simd128');
  const K = 256;
  for (const M of [2, 4, 5, 23]) {
    const X = rand(M * K, M);
    // Activations at full scale: some q = +-127 in every block.
    for (let i = 0; i < X.length; i += 32) X[i] = i % 64 ? 1 : -1;
    for (const [dtype, w, N] of [
      ['q8_0', makeWeights('q8_0', 43, K, 1), 43],
      ['q4_0', makeWeights('q4_0', 43, K, 2), 43],
      ['q8_0', fullRangeQ8(12, K), 12],
    ] as [QType, QWeights, number][]) {
      const yb = product(base, dtype, w, M, N, K, X);
      const yr = product(relaxed, dtype, w, M, N, K, X);
      assert.deepEqual(yr, yb, `${dtype} M=${M} N=${N}`);
      assertNear(yr, reference(w, M, N, K, X), `${dtype} M=${M} N=${N}`);
    }
  }
});
