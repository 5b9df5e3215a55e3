import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { crossEntropy } from '../../../src/tensor/ops/loss.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkGradient, crossEntropyRef } from './grad-ref.js';
import { assertClose, assertSameBits, randomF32, rng, runtime, withOneAndTwoThreads } from './helpers.js';

function randomTargets(n: number, v: number, seed: number, ignoreEvery = 0): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 1 ? -1 : Math.floor(r() * v)));
}

function run(rt: Runtime, logits: Float32Array, targets: Int32Array, v: number, gradScale: number): { losses: Float32Array; grad: Float32Array } {
  const n = targets.length;
  const lt = Tensor.fromF32(rt, logits, [n, v]);
  const losses = Tensor.fromF32(rt, new Float32Array(n).fill(NaN), [n]);
  crossEntropy(lt, Tensor.fromI32(rt, targets, [n]), losses, gradScale);
  return { losses: losses.toArray(), grad: lt.toArray() };
}

test('the float64 cross-entropy gradient agrees with central differences of the summed loss', () => {
  const [n, v] = [4, 9];
  const logits = randomF32(n * v, 1, -3, 3);
  const targets = randomTargets(n, v, 2, 3);
  const scale = 0.37;
  const { grad } = crossEntropyRef(logits, targets, n, v, scale);
  const loss = (x: Float64Array) => scale * crossEntropyRef(x, targets, n, v, 1).losses.reduce((a, b) => a + b, 0);
  checkGradient('dlogits', logits, grad, loss, 16, 3);
});

test('crossEntropy matches float64 loss (1e-5) and gradient (1e-5 of the row scale); gradient rows sum to ~0', async () => {
  const rt = await runtime(2);
  let worstLoss = 0;
  let worstGrad = 0;
  for (const [n, v] of [[1, 1], [3, 7], [5, 33], [9, 1001], [2, 64000]] as const) {
    for (const amp of [1, 30, 1000]) {
      const logits = randomF32(n * v, n * v + amp, -amp, amp);
      const targets = randomTargets(n, v, n + v + amp, 4);
      const scale = 1 / 3;
      const got = run(rt, logits, targets, v, scale);
      const want = crossEntropyRef(logits, targets, n, v, scale);
      worstLoss = Math.max(worstLoss, assertClose(got.losses, want.losses, 1e-5, 1e-3, `loss [${n}, ${v}] amp ${amp}`));
      // Probabilities are relative to the row (|grad| <= gradScale): compare on that scale.
      worstGrad = Math.max(worstGrad, assertClose(got.grad, want.grad, 1e-5, scale, `grad [${n}, ${v}] amp ${amp}`));
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = 0; j < v; j++) s += got.grad[r * v + j]!;
        assert.ok(Math.abs(s) <= 1e-5 * scale * Math.sqrt(v), `gradient row ${r} of [${n}, ${v}] amp ${amp} sums to ${s}`);
      }
    }
  }
  console.log(`crossEntropy worst relative error: loss ${worstLoss.toExponential(2)}, gradient ${worstGrad.toExponential(2)}`);
});

test('crossEntropy: target -1 gives loss 0 and a zero gradient row, even for NaN logits', async () => {
  const rt = await runtime(1);
  const v = 6;
  const logits = randomF32(3 * v, 1);
  logits.fill(NaN, v, 2 * v);
  const got = run(rt, logits, Int32Array.from([2, -1, 5]), v, 1);
  assert.equal(got.losses[1], 0);
  assert.ok(got.grad.subarray(v, 2 * v).every((x) => Object.is(x, 0)), 'ignored row is +0');
  assert.ok(got.losses[0]! > 0 && got.losses[2]! > 0);
});

test('crossEntropy: a confident correct row has a tiny loss, a confident wrong one about the margin', async () => {
  const rt = await runtime(1);
  const got = run(rt, Float32Array.from([50, 0, 0, 0, 50, 0]), Int32Array.from([0, 0]), 3, 1);
  assert.ok(got.losses[0]! < 1e-20, `loss ${got.losses[0]}`);
  assertClose([got.losses[1]!], [50], 1e-6, 1, 'wrong by a margin of 50');
  assertClose(Array.from(got.grad.subarray(3)), [-1, 1, 0], 1e-6, 1, 'gradient of the wrong row');
});

test('crossEntropy is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [n, v] = [50, 1003];
    const logits = randomF32(n * v, 1, -10, 10);
    const targets = randomTargets(n, v, 2, 7);
    const [a, b] = [rt1, rt2].map((rt) => run(rt, logits, targets, v, 0.25));
    assertSameBits(a!.losses, b!.losses, 'losses');
    assertSameBits(a!.grad, b!.grad, 'gradient');
  });
});

test('crossEntropy rejects bad targets and shapes, naming them', async () => {
  const rt = await runtime(1);
  const logits = Tensor.fromF32(rt, randomF32(3 * 5, 1), [3, 5]);
  const before = logits.toArray();
  const losses = Tensor.zeros(rt, 'f32', [3]);
  assert.throws(() => crossEntropy(logits, Tensor.fromI32(rt, [0, 5, 1], [3]), losses, 1), /crossEntropy: targets\[1\] = 5 is outside the vocabulary \[0, 5\) and is not -1 \(ignore\)/);
  assert.throws(() => crossEntropy(logits, Tensor.fromI32(rt, [0, 1, -2], [3]), losses, 1), /targets\[2\] = -2/);
  assert.deepEqual(logits.toArray(), before, 'logits untouched on error');
  const targets = Tensor.fromI32(rt, [0, 1, 2], [3]);
  assert.throws(() => crossEntropy(logits, Tensor.fromI32(rt, [0, 1], [2]), losses, 1), /crossEntropy: targets must have shape \[3\], got \[2\]/);
  assert.throws(() => crossEntropy(logits, targets, Tensor.zeros(rt, 'f32', [4]), 1), /crossEntropy: losses must have shape \[3\]/);
  assert.throws(() => crossEntropy(logits, Tensor.fromF32(rt, [0, 1, 2], [3]), losses, 1), /crossEntropy: targets must be i32, got f32/);
  assert.throws(() => crossEntropy(logits, targets, losses, NaN), /crossEntropy: gradScale must be a finite number/);
  assert.throws(() => crossEntropy(logits, targets, logits.reshape([15]).slice(0, 3), 1), /crossEntropy: logits overlaps losses/);
});
