import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { swiglu } from '../../../src/tensor/ops/activation.js';
import { swigluBackward } from '../../../src/tensor/ops/activation-backward.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkGradient, dotAll, sigmoid, swigluBackwardRef, swigluForward } from './grad-ref.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

test('the float64 swiglu backward agrees with central differences of the float64 forward', () => {
  const n = 40;
  const g = randomF32(n, 1, -8, 8);
  const u = randomF32(n, 2, -2, 2);
  const d = randomF32(n, 3);
  const { dGate, dUp } = swigluBackwardRef(g, u, d);
  checkGradient('dGate', g, dGate, (x) => dotAll(d, swigluForward(x, u)), 15, 4);
  checkGradient('dUp', u, dUp, (x) => dotAll(d, swigluForward(g, x)), 15, 5);
});

function run(rt: Runtime, g: Float32Array, u: Float32Array, d: Float32Array, alias: boolean): { dGate: Float32Array; dUp: Float32Array } {
  const n = g.length;
  const gt = Tensor.fromF32(rt, g, [n]);
  const ut = Tensor.fromF32(rt, u, [n]);
  const dt = Tensor.fromF32(rt, d, [n]);
  const dGate = alias ? gt : Tensor.fromF32(rt, new Float32Array(n).fill(NaN), [n]);
  const dUp = alias ? ut : Tensor.fromF32(rt, new Float32Array(n).fill(NaN), [n]);
  swigluBackward(gt, ut, dt, dGate, dUp);
  return { dGate: dGate.toArray(), dUp: dUp.toArray() };
}

test('swigluBackward matches float64 within 1e-5 relative; in place into gate and up gives the same bits', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const n of [1, 3, 17, 33, 4097]) {
    for (const amp of [1, 12, 120]) {
      const g = randomF32(n, n + amp, -amp, amp);
      const u = randomF32(n, 2 * n + amp, -2, 2);
      const d = randomF32(n, 3 * n + amp);
      const got = run(rt, g, u, d, false);
      const want = swigluBackwardRef(g, u, d);
      // silu' crosses zero near g = -1.28: there the error is a few ulp of its terms, |dOut up| s.
      const terms = Float64Array.from(g, (x, i) => Math.abs(d[i]! * u[i]!) * sigmoid(x));
      const dGateErr = Math.max(...Array.from(got.dGate, (x, i) => Math.abs(x - want.dGate[i]!) / Math.max(Math.abs(want.dGate[i]!), 1e-2 * terms[i]!, 1e-30)));
      assert.ok(dGateErr <= 1e-5, `dGate n=${n} amp=${amp}: relative error ${dGateErr}`);
      worst = Math.max(worst, dGateErr);
      worst = Math.max(worst, assertClose(got.dUp, want.dUp, 1e-5, 1e-30, `dUp n=${n} amp=${amp}`));
      const inPlace = run(rt, g, u, d, true);
      assertSameBits(inPlace.dGate, got.dGate, `dGate into gate n=${n}`);
      assertSameBits(inPlace.dUp, got.dUp, `dUp into up n=${n}`);
      // dUp = dOut * silu(gate) uses the forward's silu: with dOut = 1 it is swiglu(gate, 1).
      const ones = new Float32Array(n).fill(1);
      const fwd = swiglu(Tensor.fromF32(rt, g, [n]), Tensor.fromF32(rt, ones, [n])).toArray();
      assertSameBits(run(rt, g, u, ones, false).dUp, fwd, `dUp with dOut = 1 is silu n=${n}`);
    }
  }
  console.log(`swiglu backward worst relative error ${worst.toExponential(2)}`);
});

test('swigluBackward at extreme gates stays finite where the derivative is', async () => {
  const rt = await runtime(1);
  const g = Float32Array.from([0, -0, 100, -100, -87, -89, -95, 88, 1e-30]);
  const ones = new Float32Array(g.length).fill(1);
  const got = run(rt, g, ones, ones, false);
  const want = swigluBackwardRef(g, ones, ones);
  for (let i = 0; i < g.length; i++) {
    assert.ok(Number.isFinite(got.dGate[i]!), `dGate at g = ${g[i]} is ${got.dGate[i]}`);
    // silu' tends to 1 for large g and to 0 (through tiny negatives) for very negative g.
    assert.ok(Math.abs(got.dGate[i]! - want.dGate[i]!) <= 1e-6 * Math.max(1, Math.abs(want.dGate[i]!)), `dGate at g = ${g[i]}: ${got.dGate[i]} vs ${want.dGate[i]}`);
  }
});

test('swigluBackward is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const n = 65537;
    const g = randomF32(n, 1, -6, 6);
    const u = randomF32(n, 2);
    const d = randomF32(n, 3);
    const [a, b] = [rt1, rt2].map((rt) => run(rt, g, u, d, false));
    assertSameBits(a!.dGate, b!.dGate, 'dGate');
    assertSameBits(a!.dUp, b!.dUp, 'dUp');
  });
});

test('swigluBackward rejects bad shapes and overlapping outputs, naming them', async () => {
  const rt = await runtime(1);
  const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape);
  const [g, u, d] = [z([8]), z([8]), z([8])];
  assert.throws(() => swigluBackward(g, z([9]), d, z([8]), z([8])), /swigluBackward: up must have shape \[8\], got \[9\]/);
  assert.throws(() => swigluBackward(g, u, d, z([2, 4]), z([8])), /swigluBackward: dGate must have shape \[8\]/);
  assert.throws(() => swigluBackward(Tensor.zeros(rt, 'bf16', [8]), u, d, z([8]), z([8])), /swigluBackward: gate must be f32, got bf16/);
  const out = z([8]);
  assert.throws(() => swigluBackward(g, u, d, out, out), /swigluBackward: dGate overlaps dUp/);
  const wide = z([16]);
  assert.throws(() => swigluBackward(wide.slice(0, 8), u, d, wide.slice(4, 8), z([8])), /swigluBackward: dGate overlaps gate \(it may only be exactly gate or up or dOut\)/);
});
