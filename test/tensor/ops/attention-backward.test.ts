import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { attentionBackward } from '../../../src/tensor/ops/attention-backward.js';
import { useTiledAttention } from '../../../src/tensor/ops/attention.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { attentionBackwardRef, attentionForward, checkGradient, dotAll, maxAbs, type AttnShape } from './grad-ref.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

test('the float64 attention backward agrees with central differences of the float64 forward', () => {
  const sh: AttnShape = { b: 2, t: 5, hq: 4, hkv: 2, d: 3 };
  const q = randomF32(2 * 5 * 4 * 3, 1, -2, 2);
  const k = randomF32(2 * 5 * 2 * 3, 2, -2, 2);
  const v = randomF32(2 * 5 * 2 * 3, 3);
  const dOut = randomF32(2 * 5 * 4 * 3, 4);
  const { dq, dk, dv } = attentionBackwardRef(q, k, v, dOut, sh);
  checkGradient('dq', q, dq, (x) => dotAll(dOut, attentionForward(x, k, v, sh)), 10, 5);
  checkGradient('dk', k, dk, (x) => dotAll(dOut, attentionForward(q, x, v, sh)), 10, 6);
  checkGradient('dv', v, dv, (x) => dotAll(dOut, attentionForward(q, k, x, sh)), 10, 7);
});

interface Grads {
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

function run(rt: Runtime, sh: AttnShape, seed: number, amp = 1): Grads & { want: () => ReturnType<typeof attentionBackwardRef> } {
  const { b, t, hq, hkv, d } = sh;
  const qShape = [b, t, hq, d];
  const kShape = [b, t, hkv, d];
  const q = randomF32(b * t * hq * d, seed, -amp, amp);
  const k = randomF32(b * t * hkv * d, seed + 1, -amp, amp);
  const v = randomF32(b * t * hkv * d, seed + 2);
  const dOut = randomF32(b * t * hq * d, seed + 3);
  // Outputs start as NaN: they must be overwritten, not accumulated into.
  const nan = (shape: number[]) => Tensor.fromF32(rt, new Float32Array(shape.reduce((x, y) => x * y)).fill(NaN), shape);
  const dq = nan(qShape);
  const dk = nan(kShape);
  const dv = nan(kShape);
  attentionBackward(Tensor.fromF32(rt, q, qShape), Tensor.fromF32(rt, k, kShape), Tensor.fromF32(rt, v, kShape), Tensor.fromF32(rt, dOut, qShape), dq, dk, dv);
  return { dq: dq.toArray(), dk: dk.toArray(), dv: dv.toArray(), want: () => attentionBackwardRef(q, k, v, dOut, sh) };
}

const SHAPES: AttnShape[] = [
  { b: 1, t: 1, hq: 1, hkv: 1, d: 1 },
  { b: 3, t: 13, hq: 6, hkv: 2, d: 7 }, // group 3, D not a multiple of 4
  { b: 2, t: 37, hq: 4, hkv: 4, d: 33 }, // group 1, odd T
  { b: 2, t: 23, hq: 8, hkv: 1, d: 32 }, // group 8
];

test('attentionBackward matches the float64 backward within 1e-4 relative', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const [i, sh] of SHAPES.entries()) {
    for (const amp of [1, 3]) {
      const got = run(rt, sh, 100 * i + amp, amp);
      const want = got.want();
      for (const name of ['dq', 'dk', 'dv'] as const) {
        const w = want[name];
        worst = Math.max(worst, assertClose(got[name], w, 1e-4, Math.max(1e-2 * maxAbs(w), 1e-30), `${name} ${JSON.stringify(sh)} amp ${amp}`));
      }
    }
  }
  console.log(`attention backward worst relative error ${worst.toExponential(2)}`);
});

test('attentionBackward is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const sh: AttnShape = { b: 3, t: 29, hq: 6, hkv: 2, d: 17 };
    const [a, b] = [rt1, rt2].map((rt) => run(rt, sh, 9));
    for (const name of ['dq', 'dk', 'dv'] as const) assertSameBits(a![name], b![name], name);
  });
});

test('attentionBackward: a NaN in dOut of token 1 reaches only what token 1 attends to (masking inside a block of query rows)', async () => {
  const rt = await runtime(1);
  const sh: AttnShape = { b: 2, t: 6, hq: 2, hkv: 1, d: 5 };
  const { b, t, hq, hkv, d } = sh;
  const q = randomF32(b * t * hq * d, 61, -2, 2);
  const k = randomF32(b * t * hkv * d, 62, -2, 2);
  const v = randomF32(b * t * hkv * d, 63);
  const dOut = randomF32(b * t * hq * d, 64);
  dOut[(1 * hq + 0) * d + 2] = NaN; // sequence 0, token 1, head 0
  const qShape = [b, t, hq, d];
  const kShape = [b, t, hkv, d];
  const [dq, dk, dv] = [Tensor.zeros(rt, 'f32', qShape), Tensor.zeros(rt, 'f32', kShape), Tensor.zeros(rt, 'f32', kShape)];
  attentionBackward(Tensor.fromF32(rt, q, qShape), Tensor.fromF32(rt, k, kShape), Tensor.fromF32(rt, v, kShape), Tensor.fromF32(rt, dOut, qShape), dq, dk, dv);
  const nanRows = (x: Float32Array, heads: number) => Array.from({ length: b * t }, (_, r) => x.subarray(r * heads * d, (r + 1) * heads * d).some(Number.isNaN));
  const rows = (n: number[]) => Array.from({ length: b * t }, (_, r) => n.includes(r));
  // dq of token 1 only; dk, dv of the keys token 1 sees (0 and 1); nothing in sequence 1.
  assert.deepEqual(nanRows(dq.toArray(), hq), rows([1]));
  assert.deepEqual(nanRows(dk.toArray(), hkv), rows([0, 1]));
  assert.deepEqual(nanRows(dv.toArray(), hkv), rows([0, 1]));
});

test('attentionBackward without scratch room for the tiles takes the per-row kernel, within 1e-4 of float64', async () => {
  const small = await Runtime.create({ threads: 2, arenaBytes: 64 << 20, scratchBytesPerThread: 4096 });
  try {
    const sh: AttnShape = { b: 2, t: 300, hq: 2, hkv: 1, d: 8 };
    assert.equal(useTiledAttention(small, small.arenas[0]!, sh.t, sh.d, true), false);
    const got = run(small, sh, 71);
    const want = got.want();
    for (const name of ['dq', 'dk', 'dv'] as const) assertClose(got[name], want[name], 1e-4, Math.max(1e-2 * maxAbs(want[name]), 1e-30), name);
  } finally {
    await small.close();
  }
});

test('attentionBackward rejects bad operands and outputs that overlap, naming them', async () => {
  const rt = await runtime(1);
  const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape);
  const q = z([2, 5, 4, 8]);
  const k = z([2, 5, 2, 8]);
  const v = z([2, 5, 2, 8]);
  const dOut = z([2, 5, 4, 8]);
  const dq = z([2, 5, 4, 8]);
  const dk = z([2, 5, 2, 8]);
  const dv = z([2, 5, 2, 8]);
  assert.throws(() => attentionBackward(q, k, v, z([2, 5, 4, 7]), dq, dk, dv), /attentionBackward: dOut must have shape \[2, 5, 4, 8\], got \[2, 5, 4, 7\]/);
  assert.throws(() => attentionBackward(q, k, v, dOut, dq, z([2, 5, 4, 8]), dv), /attentionBackward: dk must have shape \[2, 5, 2, 8\]/);
  assert.throws(() => attentionBackward(q, z([2, 5, 3, 8]), z([2, 5, 3, 8]), dOut, dq, z([2, 5, 3, 8]), z([2, 5, 3, 8])), /q has 4 heads, not a multiple of k's 3 kv heads/);
  assert.throws(() => attentionBackward(q, k, v, dOut, dOut, dk, dv), /attentionBackward: dq overlaps dOut/);
  assert.throws(() => attentionBackward(q, k, v, dOut, dq, dk, dk), /attentionBackward: dk overlaps dv/);
  assert.throws(() => attentionBackward(q, k, v, dOut, dq, k, dv), /attentionBackward: dk overlaps k/);
  const small = await Runtime.create({ threads: 1, arenaBytes: 64 << 20, scratchBytesPerThread: 4096 });
  try {
    const s = (t: number, h = 1) => Tensor.zeros(small, 'f32', [1, t, h, 4]);
    assert.throws(
      () => attentionBackward(s(513), s(513), s(513), s(513), s(513), s(513), s(513)),
      /attentionBackward: sequences of 513 tokens need 4128 bytes of scratch per thread \(two score rows\), more than the 4096 configured/,
    );
    attentionBackward(s(512), s(512), s(512), s(512), s(512), s(512), s(512));
  } finally {
    await small.close();
  }
});
