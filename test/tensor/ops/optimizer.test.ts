import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { adamw, type AdamWStep } from '../../../src/tensor/ops/optimizer.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { adamwRef } from './grad-ref.js';
import { assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

const BASE: Omit<AdamWStep, 'step'> = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradScale: 0.5 };

/** Three steps (different gradients each) from random p and zero moments. */
function run(rt: Runtime, n: number, seed: number, o: Omit<AdamWStep, 'step'>) {
  const p0 = randomF32(n, seed);
  const p = Tensor.fromF32(rt, p0, [n]);
  const m = Tensor.zeros(rt, 'f32', [n]);
  const v = Tensor.zeros(rt, 'f32', [n]);
  const want = { p: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n) };
  // Per element, the largest scaled gradient seen: the size of the terms m and v are sums of.
  const gMax = new Float64Array(n);
  for (let step = 1; step <= 3; step++) {
    // Gradients of mixed scales, some exactly zero.
    const g = randomF32(n, seed + step, -2, 2).map((x, i) => (i % 7 === 3 ? 0 : x * 10 ** ((i % 5) - 2)));
    g.forEach((x, i) => (gMax[i] = Math.max(gMax[i]!, Math.abs(x * o.gradScale))));
    adamw(p, Tensor.fromF32(rt, g, [n]), m, v, { ...o, step });
    adamwRef(want.p, g, want.m, want.v, { ...o, step });
  }
  return { p: p.toArray(), m: m.toArray(), v: v.toArray(), want, gMax };
}

/** |got - want| <= 1e-6 max(|want|, floor(i)) elementwise (v has no cancellation: floor 0). */
function within(got: Float32Array, want: Float64Array, floor: (i: number) => number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    assert.ok(err <= 1e-6 * Math.max(Math.abs(want[i]!), floor(i)), `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

test('adamw matches a float64 port of torch.optim.AdamW over 3 steps within 1e-6 relative', async () => {
  const rt = await runtime(2);
  for (const n of [1, 3, 17, 1031]) {
    for (const o of [BASE, { ...BASE, weightDecay: 0, gradScale: 1 }, { ...BASE, beta1: 0.3, lr: 1e-2 }]) {
      const got = run(rt, n, n, o);
      const what = `n=${n} ${JSON.stringify(o)}`;
      // m sums gradients of both signs: where they cancel, the error is relative to the terms.
      // p moves by about lr per step: that is the floor for parameters near zero.
      within(got.p, got.want.p, () => o.lr, `param ${what}`);
      within(got.m, got.want.m, (i) => (1 - o.beta1) * got.gMax[i]!, `m ${what}`);
      within(got.v, got.want.v, () => 0, `v ${what}`);
    }
  }
});

test('adamw is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [a, b] = [rt1, rt2].map((rt) => run(rt, 70001, 5, BASE));
    for (const k of ['p', 'm', 'v'] as const) assertSameBits(a![k], b![k], k);
  });
});

test('adamw rejects bad hyperparameters and operands, naming them', async () => {
  const rt = await runtime(1);
  const z = (n: number) => Tensor.zeros(rt, 'f32', [n]);
  const [p, g, m, v] = [z(8), z(8), z(8), z(8)];
  const o: AdamWStep = { ...BASE, step: 1 };
  assert.throws(() => adamw(p, g, m, v, { ...o, step: 0 }), /adamw: step must be an integer >= 1, got 0/);
  assert.throws(() => adamw(p, g, m, v, { ...o, beta2: 1 }), /adamw: beta2 must be in \[0, 1\), got 1/);
  assert.throws(() => adamw(p, g, m, v, { ...o, eps: 0 }), /adamw: eps must be a finite number > 0/);
  assert.throws(() => adamw(p, g, m, v, { ...o, lr: NaN }), /adamw: lr must be a finite number >= 0/);
  assert.throws(() => adamw(p, g, m, v, { ...o, gradScale: Infinity }), /adamw: gradScale must be a finite number/);
  assert.throws(() => adamw(p, z(9), m, v, o), /adamw: grad has 9 elements, param has 8/);
  assert.throws(() => adamw(p, g, m, Tensor.zeros(rt, 'f16', [8]), o), /adamw: v must be f32, got f16/);
  assert.throws(() => adamw(p, g, m, m, o), /adamw: m overlaps v/);
  assert.throws(() => adamw(p, p, m, v, o), /adamw: param overlaps grad/);
  // Shapes may differ when the element counts agree (flat optimizer state).
  adamw(Tensor.zeros(rt, 'f32', [2, 4]), g, m, v, o);
});
