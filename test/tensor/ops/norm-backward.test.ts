import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { rmsnormBackward } from '../../../src/tensor/ops/norm-backward.js';
import { rmsnorm, rmsnormTrain } from '../../../src/tensor/ops/norm.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkGradient, dotAll, maxAbs, rmsnormBackwardRef, rmsnormForward, rmsnormRstd } from './grad-ref.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

const EPS = 1e-5;

test('the float64 rmsnorm backward agrees with central differences of the float64 forward', () => {
  const [rows, n] = [3, 7];
  const x = randomF32(rows * n, 1, -2, 2);
  const w = randomF32(n, 2, -2, 2);
  const dy = randomF32(rows * n, 3);
  const { dx, dw } = rmsnormBackwardRef(dy, x, w, rows, n, EPS);
  checkGradient('dx', x, dx, (xp) => dotAll(dy, rmsnormForward(xp, w, rows, n, EPS)), 12, 4);
  checkGradient('dw', w, dw, (wp) => dotAll(dy, rmsnormForward(x, wp, rows, n, EPS)), 5, 5);
});

interface Run {
  out: Float32Array;
  rstd: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** rmsnormTrain then rmsnormBackward with dWeight starting at dw0 (the backward accumulates into it). */
function run(rt: Runtime, x: Float32Array, w: Float32Array, dy: Float32Array, dw0: Float32Array, shape: number[], dxIsDy = false): Run {
  const n = shape[shape.length - 1]!;
  const rows = x.length / n;
  const xt = Tensor.fromF32(rt, x, shape);
  const wt = Tensor.fromF32(rt, w, [n]);
  const out = Tensor.zeros(rt, 'f32', shape);
  const rstd = Tensor.zeros(rt, 'f32', [rows]);
  assert.equal(rmsnormTrain(xt, wt, EPS, out, rstd), out);
  const dyt = Tensor.fromF32(rt, dy, shape);
  const dx = dxIsDy ? dyt : Tensor.zeros(rt, 'f32', shape);
  const dwt = Tensor.fromF32(rt, dw0, [n]);
  rmsnormBackward(dyt, xt, wt, rstd, dx, dwt);
  const r = { out: out.toArray(), rstd: rstd.toArray(), dx: dx.toArray(), dw: dwt.toArray() };
  for (const t of new Set([xt, wt, out, rstd, dyt, dx, dwt])) t.dispose();
  return r;
}

test('rmsnormTrain gives rmsnorm bits and rstd; rmsnormBackward matches float64 within 1e-4', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const shape of [[1, 1], [3, 5], [2, 3, 17], [7, 33], [5, 259], [2, 1031]]) {
    const n = shape[shape.length - 1]!;
    const rows = shape.reduce((a, b) => a * b) / n;
    const x = randomF32(rows * n, n, -3, 3);
    const w = randomF32(n, n + 1, -2, 2);
    const dy = randomF32(rows * n, n + 2);
    const dw0 = randomF32(n, n + 3);
    const got = run(rt, x, w, dy, dw0, shape);
    const plain = rmsnorm(Tensor.fromF32(rt, x, shape), Tensor.fromF32(rt, w, [n]), EPS).toArray();
    assertSameBits(got.out, plain, `rmsnormTrain out = rmsnorm out ${shape}`);
    assertClose(got.rstd, rmsnormRstd(x, rows, n, EPS), 2e-6, 0, `rstd ${shape}`);
    const want = rmsnormBackwardRef(dy, x, w, rows, n, EPS);
    // dx is a difference of two terms of size about r |dy w|; where they cancel, f32 keeps an error
    // of a few ulp of the terms, so the floor follows the terms, not the result.
    const r = rmsnormRstd(x, rows, n, EPS);
    const terms = maxAbs(Float64Array.from(dy, (g, i) => r[Math.floor(i / n)]! * g * w[i % n]!));
    worst = Math.max(worst, assertClose(got.dx, want.dx, 1e-4, 1e-2 * terms, `dx ${shape}`));
    const dwWant = want.dw.map((g, j) => g + dw0[j]!);
    worst = Math.max(worst, assertClose(got.dw, dwWant, 1e-4, 1e-2 * maxAbs(dwWant), `dWeight ${shape}`));
    // dx may be dy itself: same bits.
    const inPlace = run(rt, x, w, dy, dw0, shape, true);
    assertSameBits(inPlace.dx, got.dx, `dx into dy ${shape}`);
    assertSameBits(inPlace.dw, got.dw, `dWeight with dx into dy ${shape}`);
  }
  console.log(`rmsnorm backward worst relative error ${worst.toExponential(2)}`);
});

test('rmsnormTrain may write out into x', async () => {
  const rt = await runtime(1);
  const x = randomF32(4 * 9, 11);
  const w = randomF32(9, 12);
  const want = rmsnorm(Tensor.fromF32(rt, x, [4, 9]), Tensor.fromF32(rt, w, [9]), EPS).toArray();
  const xt = Tensor.fromF32(rt, x, [4, 9]);
  rmsnormTrain(xt, Tensor.fromF32(rt, w, [9]), EPS, xt, Tensor.zeros(rt, 'f32', [4]));
  assertSameBits(xt.toArray(), want, 'in place');
});

test('rmsnorm training kernels are bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [rows, n] = [67, 1031];
    const x = randomF32(rows * n, 21, -4, 4);
    const w = randomF32(n, 22);
    const dy = randomF32(rows * n, 23);
    const dw0 = randomF32(n, 24);
    const [a, b] = [rt1, rt2].map((rt) => run(rt, x, w, dy, dw0, [rows, n]));
    for (const k of ['out', 'rstd', 'dx', 'dw'] as const) assertSameBits(a![k], b![k], k);
  });
});

test('rmsnormTrain and rmsnormBackward reject bad operands, naming them', async () => {
  const rt = await runtime(1);
  const z = (shape: number[], dtype: 'f32' | 'i32' = 'f32') => Tensor.zeros(rt, dtype, shape);
  const x = z([3, 4]);
  const w = z([4]);
  assert.throws(() => rmsnormTrain(x, w, EPS, z([3, 4]), z([4])), /rmsnormTrain: rstd must have shape \[3\], got \[4\]/);
  assert.throws(() => rmsnormTrain(x, w, EPS, z([4, 3]), z([3])), /rmsnormTrain: out must have shape \[3, 4\]/);
  assert.throws(() => rmsnormTrain(x, w, -1, z([3, 4]), z([3])), /rmsnormTrain: eps/);
  const out = z([3, 4]);
  assert.throws(() => rmsnormTrain(x, w, EPS, out, out.reshape([12]).slice(0, 3)), /rmsnormTrain: out overlaps rstd/);
  const rstd = z([3]);
  assert.throws(() => rmsnormBackward(z([3, 5]), x, w, rstd, z([3, 4]), z([4])), /rmsnormBackward: dy must have shape \[3, 4\], got \[3, 5\]/);
  assert.throws(() => rmsnormBackward(z([3, 4]), x, w, rstd, z([3, 4]), z([5])), /rmsnormBackward: dWeight must have shape \[4\]/);
  assert.throws(() => rmsnormBackward(z([3, 4]), x, w, z([3], 'i32'), z([3, 4]), z([4])), /rmsnormBackward: rstd must be f32, got i32/);
  assert.throws(() => rmsnormBackward(z([3, 4]), x, w, rstd, x, z([4])), /rmsnormBackward: dx overlaps x \(it may only be exactly dy\)/);
  const dy = z([3, 4]);
  assert.throws(() => rmsnormBackward(dy, x, w, rstd, z([3, 4]), dy.reshape([12]).slice(4, 4)), /rmsnormBackward: dWeight overlaps dy/);
  const other = rt.newArena();
  assert.throws(() => rmsnormBackward(z([3, 4]), x, w, rstd, z([3, 4]), Tensor.zeros(rt, 'f32', [4], other)), /rmsnormBackward: dWeight lives in arena 1 but dy in arena 0/);
});

test('rmsnormBackward fails clearly when H does not fit the scratch', async () => {
  const rt = await runtime(1);
  const h = rt.scratchBytesPerThread / 4 + 1;
  const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape);
  assert.throws(() => rmsnormBackward(z([1, h]), z([1, h]), z([h]), z([1]), z([1, h]), z([h])), /rmsnormBackward: H = 524289 needs 2097156 bytes of scratch per thread/);
});
