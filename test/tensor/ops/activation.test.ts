import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, swiglu } from '../../../src/tensor/ops/activation.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

const SIZES = [1, 3, 17, 33, 4097, 65537];
const silu = (g: number) => g / (1 + Math.exp(-g));

test('swiglu matches float64 silu(g) * u within 1e-5 relative', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const n of SIZES) {
    for (const amp of [1, 12, 120]) {
      const g = randomF32(n, n + amp, -amp, amp);
      const u = randomF32(n, n * 3 + amp, -2, 2);
      const gt = Tensor.fromF32(rt, g, [n]);
      const ut = Tensor.fromF32(rt, u, [n]);
      const out = swiglu(gt, ut);
      const want = Array.from(g, (x, i) => silu(x) * u[i]!);
      worst = Math.max(worst, assertClose(out.toArray(), want, 1e-5, 1e-35, `swiglu n=${n} amp=${amp}`));
      swiglu(gt, ut, gt);
      assert.deepEqual(gt.toArray(), out.toArray(), 'in place into gate');
    }
  }
  console.log(`swiglu worst relative error ${worst.toExponential(2)}`);
});

test('swiglu edge values: 0, -0, +-inf, huge, NaN', async () => {
  const rt = await runtime(1);
  const g = [0, -0, Infinity, -Infinity, 100, -100, -87, -89, -95, 1e-30, -1e-30, NaN, 3];
  const gt = Tensor.fromF32(rt, g, [g.length]);
  const ut = Tensor.fromF32(rt, g.map(() => 1), [g.length]);
  const got = swiglu(gt, ut).toArray();
  // silu(-inf) is NaN (-inf * 0), as in PyTorch; the rest by the float64 formula.
  const want = g.map((x) => (x === -Infinity ? NaN : x === Infinity ? Infinity : silu(x)));
  for (let i = 0; i < g.length; i++) {
    const w = want[i]!;
    const v = got[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) assert.ok(Object.is(v, w), `silu(${g[i]}) = ${v}, want ${w}`);
    // For g < -87, exp(g) is subnormal in f32 (absolute precision 2^-149), scaled by |g| in silu.
    else assert.ok(Math.abs(v - w) <= Math.max(1e-6 * Math.abs(w), Math.abs(g[i]!) * 2 ** -149), `silu(${g[i]}) = ${v}, want ${w}`);
    assert.ok(Object.is(Math.sign(v), Math.sign(w)), `sign of silu(${g[i]}) = ${v}`);
  }
});

test('add is exact (f32 rounding of the float64 sum) and works in place', async () => {
  const rt = await runtime(2);
  for (const n of SIZES) {
    const a = randomF32(n, n, -1e3, 1e3);
    const b = randomF32(n, n + 1, -1, 1);
    const at = Tensor.fromF32(rt, a, [n]);
    const bt = Tensor.fromF32(rt, b, [n]);
    const want = Float32Array.from(a, (x, i) => x + b[i]!);
    assertSameBits(add(at, bt).toArray(), want, `add n=${n}`);
    add(at, bt, bt);
    assertSameBits(bt.toArray(), want, `add in place n=${n}`);
  }
});

test('swiglu and add are bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const n = 3 * 11008 + 5;
    const g = randomF32(n, 1, -8, 8);
    const u = randomF32(n, 2);
    const [a, b] = [rt1, rt2].map((rt) => {
      const gt = Tensor.fromF32(rt, g, [n]);
      const ut = Tensor.fromF32(rt, u, [n]);
      return [swiglu(gt, ut).toArray(), add(gt, ut).toArray()];
    });
    assertSameBits(a![0]!, b![0]!, 'swiglu');
    assertSameBits(a![1]!, b![1]!, 'add');
  });
});

test('swiglu and add reject bad operands, naming them', async () => {
  const rt = await runtime(1);
  const g = Tensor.fromF32(rt, new Float32Array(6), [2, 3]);
  assert.throws(() => swiglu(g, Tensor.fromF32(rt, new Float32Array(6), [3, 2])), /swiglu: up must have shape \[2, 3\], got \[3, 2\]/);
  assert.throws(() => swiglu(Tensor.zeros(rt, 'bf16', [2, 3]), g), /swiglu: gate must be f32, got bf16/);
  assert.throws(() => add(g, Tensor.zeros(rt, 'f16', [2, 3])), /add: b must be f32, got f16/);
  assert.throws(() => add(g, g, Tensor.zeros(rt, 'f32', [6])), /add: out must have shape \[2, 3\]/);
  const other = rt.newArena();
  assert.throws(() => add(g, Tensor.zeros(rt, 'f32', [2, 3], other)), /add: b lives in arena 1 but a in arena 0/);
});
