import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyRope, ropeTable } from '../../../src/tensor/ops/rope.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkGradient, dotAll } from './grad-ref.js';
import { assertClose, assertSameBits, randomF32, rng, runtime, withOneAndTwoThreads } from './helpers.js';

/** Hugging Face rotate_half RoPE in float64, straight from the formula (angle = pos / base^(2i/D)). */
function refRope(x: ArrayLike<number>, pos: ArrayLike<number>, h: number, d: number, base: number): Float64Array {
  const out = new Float64Array(x.length);
  const half = d / 2;
  for (let t = 0; t < pos.length; t++) {
    for (let j = 0; j < h; j++) {
      const row = (t * h + j) * d;
      for (let i = 0; i < half; i++) {
        const angle = pos[t]! / Math.pow(base, (2 * i) / d);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const x1 = x[row + i]!;
        const x2 = x[row + i + half]!;
        out[row + i] = x1 * c - x2 * s;
        out[row + i + half] = x2 * c + x1 * s;
      }
    }
  }
  return out;
}

test('rope matches the float64 formula (inputs in [-1, 1]: 1e-6 of the input scale)', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const [t, h, d, base, maxPos] of [
    [1, 1, 2, 10000, 8],
    [3, 7, 18, 10000, 64],
    [17, 3, 34, 5e6, 4096],
    [5, 32, 128, 5e6, 4096],
    [33, 4, 66, 1e4, 300],
  ] as const) {
    const table = ropeTable(rt, { headDim: d, maxPos, base });
    const r = rng(t * h + d);
    const pos = Int32Array.from({ length: t }, (_, i) => (i === 0 ? maxPos - 1 : Math.floor(r() * maxPos)));
    const x = randomF32(t * h * d, d + h);
    const xt = Tensor.fromF32(rt, x, [t, h, d]);
    const out = applyRope(xt, Tensor.fromI32(rt, pos, [t]), table);
    assert.equal(out, xt, 'in place');
    worst = Math.max(worst, assertClose(xt.toArray(), refRope(x, pos, h, d, base), 1e-6, 1, `rope [${t}, ${h}, ${d}] base ${base}`));
  }
  console.log(`rope worst error ${worst.toExponential(2)} (relative to max(|want|, 1))`);
});

test('rope at positions near 200k with base 5e6 and D = 128 stays within 1e-6 of float64', async () => {
  const rt = await runtime(2);
  const maxPos = 200_000;
  const started = performance.now();
  const table = ropeTable(rt, { headDim: 128, maxPos, base: 5e6 });
  const ms = performance.now() - started;
  // The table itself: every entry is the f32 rounding of the float64 cos/sin (up to the last ulp of
  // the float64 angle, which shifts cos/sin by < 2e-11 near p = 2e5).
  const c = table.cos.toArray();
  const s = table.sin.toArray();
  for (const p of [0, 1, 4095, 131071, 199999]) {
    for (const i of [0, 1, 31, 63]) {
      const angle = p / Math.pow(5e6, (2 * i) / 128);
      assert.ok(Math.abs(c[p * 64 + i]! - Math.cos(angle)) <= 2 ** -25 + 1e-10, `cos p=${p} i=${i}`);
      assert.ok(Math.abs(s[p * 64 + i]! - Math.sin(angle)) <= 2 ** -25 + 1e-10, `sin p=${p} i=${i}`);
    }
  }
  const pos = Int32Array.from([199_999, 199_998, 150_001, 65_537, 0, 7]);
  const x = randomF32(pos.length * 4 * 128, 99);
  const xt = Tensor.fromF32(rt, x, [pos.length, 4, 128]);
  applyRope(xt, Tensor.fromI32(rt, pos, [pos.length]), table);
  const worst = assertClose(xt.toArray(), refRope(x, pos, 4, 128, 5e6), 1e-6, 1, 'rope at 200k');
  console.log(`rope table 200000 x 64 built in ${ms.toFixed(0)} ms; worst error at 200k ${worst.toExponential(2)}`);
  table.cos.dispose();
  table.sin.dispose();
});

test('rope is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [t, h, d] = [29, 7, 128];
    const x = randomF32(t * h * d, 3);
    const pos = Int32Array.from({ length: t }, (_, i) => 100 + 3 * i);
    const [a, b] = [rt1, rt2].map((rt) => {
      const table = ropeTable(rt, { headDim: d, maxPos: 256, base: 5e6 });
      const xt = Tensor.fromF32(rt, x, [t, h, d]);
      applyRope(xt, Tensor.fromI32(rt, pos, [t]), table);
      return xt.toArray();
    });
    assertSameBits(a!, b!, 'rope');
  });
});

test('rope rejects bad operands and positions, naming them', async () => {
  const rt = await runtime(1);
  const table = ropeTable(rt, { headDim: 8, maxPos: 10, base: 1e4 });
  const x = Tensor.fromF32(rt, new Float32Array(2 * 3 * 8), [2, 3, 8]);
  assert.throws(() => applyRope(x, Tensor.fromI32(rt, [0, 10], [2]), table), /applyRope: positions\[1\] = 10 is outside the table's \[0, 10\)/);
  assert.throws(() => applyRope(x, Tensor.fromI32(rt, [0, -1], [2]), table), /positions\[1\] = -1/);
  assert.throws(() => applyRope(x, Tensor.fromI32(rt, [0], [1]), table), /applyRope: positions must have shape \[2\]/);
  assert.throws(() => applyRope(x, Tensor.fromF32(rt, [0, 1], [2]), table), /applyRope: positions must be i32, got f32/);
  assert.throws(() => applyRope(Tensor.fromF32(rt, new Float32Array(48), [2, 24]), Tensor.fromI32(rt, [0, 1], [2]), table), /applyRope: x must have rank 3/);
  assert.throws(() => applyRope(Tensor.fromF32(rt, new Float32Array(12), [1, 3, 4]), Tensor.fromI32(rt, [0], [1]), table), /head dim 4, the table was built for 8/);
  const other = rt.newArena();
  assert.throws(() => applyRope(Tensor.zeros(rt, 'f32', [2, 3, 8], other), Tensor.fromI32(rt, [0, 1], [2]), table), /applyRope: positions lives in arena 0 but x in arena 1/);
  assert.throws(() => ropeTable(rt, { headDim: 7, maxPos: 4, base: 1e4 }), /headDim must be an even integer/);
});

// ---- inverse (the backward of the rotation) -----------------------------------------------------

test('the float64 rope backward, R(-angle) dy, agrees with central differences of <dy, R(angle) x>', () => {
  const [t, h, d, base] = [3, 2, 6, 1e4];
  const pos = [0, 5, 17];
  const x = randomF32(t * h * d, 1);
  const dy = randomF32(t * h * d, 2);
  const dx = refRope(dy, pos.map((p) => -p), h, d, base);
  checkGradient('dx', x, dx, (xp) => dotAll(dy, refRope(xp, pos, h, d, base)), 12, 3);
});

test('applyRope with inverse rotates by -angle: matches R(-angle) dy within 1e-6 and undoes the forward', async () => {
  const rt = await runtime(2);
  for (const [t, h, d, maxPos] of [[1, 1, 2, 8], [17, 3, 34, 4096], [33, 4, 66, 300]] as const) {
    const table = ropeTable(rt, { headDim: d, maxPos, base: 5e6 });
    const r = rng(t + h + d);
    const pos = Int32Array.from({ length: t }, () => Math.floor(r() * maxPos));
    const posT = Tensor.fromI32(rt, pos, [t]);
    const dy = randomF32(t * h * d, d);
    const dyt = Tensor.fromF32(rt, dy, [t, h, d]);
    assert.equal(applyRope(dyt, posT, table, true), dyt);
    const negPos = Array.from(pos, (p) => -p);
    assertClose(dyt.toArray(), refRope(dy, negPos, h, d, 5e6), 1e-6, 1, `inverse rope [${t}, ${h}, ${d}]`);
    applyRope(dyt, posT, table);
    assertClose(dyt.toArray(), dy, 1e-6, 1, `forward after inverse [${t}, ${h}, ${d}]`);
    applyRope(dyt, posT, table, false);
    applyRope(dyt, posT, table, true);
    assertClose(dyt.toArray(), dy, 1e-6, 1, `inverse after forward [${t}, ${h}, ${d}]`);
  }
});

test('inverse rope is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [t, h, d] = [29, 7, 130];
    const x = randomF32(t * h * d, 4);
    const pos = Int32Array.from({ length: t }, (_, i) => 7 * i);
    const [a, b] = [rt1, rt2].map((rt) => {
      const table = ropeTable(rt, { headDim: d, maxPos: 256, base: 1e4 });
      const xt = Tensor.fromF32(rt, x, [t, h, d]);
      applyRope(xt, Tensor.fromI32(rt, pos, [t]), table, true);
      return xt.toArray();
    });
    assertSameBits(a!, b!, 'inverse rope');
  });
});
