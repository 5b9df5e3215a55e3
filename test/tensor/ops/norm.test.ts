import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rmsnorm, softmax } from '../../../src/tensor/ops/norm.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

const SHAPES: [number, number][] = [[1, 1], [3, 3], [2, 17], [5, 33], [3, 4097], [1, 4096]];

function refRmsnorm(x: Float32Array, w: Float32Array, rows: number, n: number, eps: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[r * n + i]! ** 2;
    const scale = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) out[r * n + i] = x[r * n + i]! * scale * w[i]!;
  }
  return out;
}

function refSoftmax(x: Float32Array, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, x[r * n + i]!);
    let s = 0;
    for (let i = 0; i < n; i++) s += out[r * n + i] = Math.exp(x[r * n + i]! - m);
    for (let i = 0; i < n; i++) out[r * n + i]! /= s;
  }
  return out;
}

test('rmsnorm matches a float64 reference within 2e-6 relative', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const [rows, n] of SHAPES) {
    for (const [eps, amp] of [[1e-5, 1], [1e-6, 30], [1e-5, 1e-3]] as const) {
      const x = randomF32(rows * n, rows * 1000 + n, -amp, amp);
      const w = randomF32(n, n + 7, -2, 2);
      const xt = Tensor.fromF32(rt, x, [rows, n]);
      const wt = Tensor.fromF32(rt, w, [n]);
      const out = rmsnorm(xt, wt, eps);
      assert.deepEqual(out.shape, [rows, n]);
      worst = Math.max(worst, assertClose(out.toArray(), refRmsnorm(x, w, rows, n, eps), 2e-6, 1e-30, `rmsnorm [${rows}, ${n}] eps ${eps} amp ${amp}`));
      // In place gives the same bits.
      rmsnorm(xt, wt, eps, xt);
      assert.deepEqual(xt.toArray(), out.toArray());
      for (const t of [xt, wt, out]) t.dispose();
    }
  }
  console.log(`rmsnorm worst relative error ${worst.toExponential(2)}`);
});

test('rmsnorm keeps leading dimensions and uses eps (zero row gives zeros, not NaN)', async () => {
  const rt = await runtime(1);
  const x = Tensor.fromF32(rt, new Float32Array(2 * 3 * 5), [2, 3, 5]);
  const w = Tensor.fromF32(rt, [1, 2, 3, 4, 5], [5]);
  const out = rmsnorm(x, w, 1e-5);
  assert.deepEqual(out.shape, [2, 3, 5]);
  assert.ok(out.toArray().every((v) => v === 0));
});

test('softmax matches a float64 reference within 1e-5 relative, also for large logits', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const [rows, n] of [...SHAPES, [2, 64000] as [number, number]]) {
    for (const amp of [1, 20, 1000]) {
      const x = randomF32(rows * n, rows * 31 + n + amp, -amp, amp);
      const xt = Tensor.fromF32(rt, x, [rows, n]);
      const out = softmax(xt);
      const got = out.toArray();
      worst = Math.max(worst, assertClose(got, refSoftmax(x, rows, n), 1e-5, 1e-30, `softmax [${rows}, ${n}] amp ${amp}`));
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += got[r * n + i]!;
        assert.ok(Math.abs(s - 1) < 1e-5, `softmax row ${r} sums to ${s}`);
      }
      softmax(xt, xt);
      assert.deepEqual(xt.toArray(), got);
      xt.dispose();
      out.dispose();
    }
  }
  console.log(`softmax worst relative error ${worst.toExponential(2)}`);
});

test('softmax: -inf entries get probability 0; a NaN poisons its row only', async () => {
  const rt = await runtime(1);
  const x = Tensor.fromF32(rt, [0, -Infinity, 0, -Infinity, 1, 2, NaN, 3], [2, 4]);
  const got = softmax(x).toArray();
  assert.deepEqual(Array.from(got.subarray(0, 4)), [0.5, 0, 0.5, 0]);
  assert.ok(got.subarray(4).every((v) => Number.isNaN(v)));
});

test('rmsnorm and softmax are bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const rows = 37;
    const n = 1031;
    const x = randomF32(rows * n, 5, -4, 4);
    const w = randomF32(n, 6);
    const [a, b] = [rt1, rt2].map((rt) => {
      const xt = Tensor.fromF32(rt, x, [rows, n]);
      const wt = Tensor.fromF32(rt, w, [n]);
      return [rmsnorm(xt, wt, 1e-5).toArray(), softmax(xt).toArray()];
    });
    assertSameBits(a![0]!, b![0]!, 'rmsnorm');
    assertSameBits(a![1]!, b![1]!, 'softmax');
  });
});

test('rmsnorm and softmax reject bad operands, naming them', async () => {
  const rt = await runtime(1);
  const x = Tensor.fromF32(rt, new Float32Array(12), [3, 4]);
  const w = Tensor.fromF32(rt, new Float32Array(4), [4]);
  assert.throws(() => rmsnorm(x, Tensor.fromF32(rt, new Float32Array(5), [5]), 1e-5), /rmsnorm: weight must have shape \[4\], got \[5\]/);
  assert.throws(() => rmsnorm(Tensor.fromI32(rt, new Int32Array(4), [4]), w, 1e-5), /rmsnorm: x must be f32, got i32/);
  assert.throws(() => rmsnorm(x, w, 1e-5, Tensor.fromF32(rt, new Float32Array(12), [4, 3])), /rmsnorm: out must have shape \[3, 4\]/);
  assert.throws(() => rmsnorm(x, w, NaN), /rmsnorm: eps/);
  const other = rt.newArena();
  const wElsewhere = Tensor.zeros(rt, 'f32', [4], other);
  assert.throws(() => rmsnorm(x, wElsewhere, 1e-5), /rmsnorm: weight lives in arena 1 but x in arena 0/);
  assert.throws(() => softmax(x, Tensor.zeros(rt, 'f32', [3, 4], other)), /softmax: out lives in arena 1/);
  assert.throws(() => softmax(Tensor.zeros(rt, 'f16', [3, 4])), /softmax: x must be f32, got f16/);
});
