import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addInPlace, scaleInPlace, SUM_SQUARES_BLOCK, sumSquares } from '../../../src/tensor/ops/gradient.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

test('sumSquares is the float64 sum of squares (blocks summed in f64, squares exact)', async () => {
  const rt = await runtime(2);
  for (const n of [0, 1, 3, 17, SUM_SQUARES_BLOCK - 1, SUM_SQUARES_BLOCK, SUM_SQUARES_BLOCK + 5, 100003]) {
    const x = randomF32(n, n, -3, 3);
    let want = 0;
    for (const v of x) want += v * v;
    const got = sumSquares(Tensor.fromF32(rt, x, [n]));
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(want, 1e-300), `n=${n}: ${got} vs ${want}`);
  }
  // Values whose squares an f32 sum would lose: 1 + many tiny ones.
  const x = new Float32Array(10001).fill(1e-4);
  x[0] = 1;
  assert.ok(Math.abs(sumSquares(Tensor.fromF32(rt, x, [x.length])) - (1 + 10000 * Math.fround(1e-4) ** 2)) < 1e-15);
});

test('sumSquares is the same number on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const x = randomF32(100003, 7, -1e3, 1e3);
    const [a, b] = [rt1, rt2].map((rt) => sumSquares(Tensor.fromF32(rt, x, [x.length])));
    assert.ok(Object.is(a, b), `${a} vs ${b}`);
  });
});

test('scaleInPlace and addInPlace are exact f32 products and sums, on any thread count', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    for (const n of [1, 5, 65537]) {
      const x = randomF32(n, n, -10, 10);
      const y = randomF32(n, n + 1);
      const s = 0.3;
      const wantScaled = Float32Array.from(x, (v) => v * Math.fround(s));
      const wantSum = Float32Array.from(wantScaled, (v, i) => v + y[i]!);
      for (const rt of [rt1, rt2]) {
        const xt = Tensor.fromF32(rt, x, [n]);
        scaleInPlace(xt, s);
        assertSameBits(xt.toArray(), wantScaled, `scaleInPlace n=${n} threads=${rt.threads}`);
        addInPlace(xt, Tensor.fromF32(rt, y, [n]));
        assertSameBits(xt.toArray(), wantSum, `addInPlace n=${n} threads=${rt.threads}`);
      }
    }
  });
});

test('sumSquares, scaleInPlace and addInPlace reject bad operands', async () => {
  const rt = await runtime(1);
  assert.throws(() => sumSquares(Tensor.zeros(rt, 'i32', [4])), /sumSquares: x must be f32, got i32/);
  assert.throws(() => scaleInPlace(Tensor.zeros(rt, 'f32', [4]), NaN), /scaleInPlace: s must be a finite number, got NaN/);
  assert.throws(() => scaleInPlace(Tensor.zeros(rt, 'f16', [4]), 2), /scaleInPlace: x must be f32, got f16/);
  assert.throws(() => addInPlace(Tensor.zeros(rt, 'f32', [4]), Tensor.zeros(rt, 'f32', [5])), /add: b must have shape \[4\], got \[5\]/);
});
