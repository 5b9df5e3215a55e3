// Prompt processing's attention: the tiled prefill kernel (T >= 4 new tokens over the KV cache)
// against float64, against the decode kernel run token by token, across thread counts and builds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { attention, PREFILL_TILED_MIN_TOKENS, usePrefillTiledAttention, writeKV } from '../../../src/tensor/ops/attention.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { refAttention } from './attention-ref.js';
import { assertClose, assertSameBits, randomF32, runtime } from './helpers.js';

interface Case {
  t: number;
  hq: number;
  hkv: number;
  d: number;
  pos0: number;
}

interface Inputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

function inputs(c: Case, seed: number, amp: number): Inputs {
  const len = c.pos0 + c.t;
  return {
    q: randomF32(c.t * c.hq * c.d, seed, -amp, amp),
    k: randomF32(len * c.hkv * c.d, seed + 1, -amp, amp),
    v: randomF32(len * c.hkv * c.d, seed + 2),
  };
}

/** A cache of len + 3 rows whose rows past pos0 + T - 1 hold NaN: reading one would poison the output. */
function caches(rt: Runtime, c: Case, x: Inputs): { kc: Tensor; vc: Tensor } {
  const sMax = c.pos0 + c.t + 3;
  const n = sMax * c.hkv * c.d;
  const kc = Tensor.fromF32(rt, new Float32Array(n).fill(NaN), [sMax, c.hkv, c.d]);
  const vc = Tensor.fromF32(rt, new Float32Array(n).fill(NaN), [sMax, c.hkv, c.d]);
  const len = c.pos0 + c.t;
  writeKV(kc, Tensor.fromF32(rt, x.k, [len, c.hkv, c.d]), 0);
  writeKV(vc, Tensor.fromF32(rt, x.v, [len, c.hkv, c.d]), 0);
  return { kc, vc };
}

/** The whole chunk at once: the prefill path. */
function prefill(rt: Runtime, c: Case, x: Inputs): Float32Array {
  const { kc, vc } = caches(rt, c, x);
  return attention(Tensor.fromF32(rt, x.q, [c.t, c.hq, c.d]), kc, vc, c.pos0).toArray();
}

/** One token at a time: the decode kernel at positions pos0 .. pos0 + T - 1. */
function tokenByToken(rt: Runtime, c: Case, x: Inputs): Float32Array {
  const { kc, vc } = caches(rt, c, x);
  const row = c.hq * c.d;
  const out = new Float32Array(c.t * row);
  for (let t = 0; t < c.t; t++) {
    const q = Tensor.fromF32(rt, x.q.subarray(t * row, (t + 1) * row), [1, c.hq, c.d]);
    out.set(attention(q, kc, vc, c.pos0 + t).toArray(), t * row);
  }
  return out;
}

// Odd T, pos0 > 0, GQA ratios 1, 3 and 4, head dims off the tile widths, a block of exactly 4 rows.
const CASES: Case[] = [
  { t: 5, hq: 3, hkv: 3, d: 17, pos0: 0 }, // group 1, one full block and a 1-row block
  { t: 13, hq: 6, hkv: 2, d: 33, pos0: 7 }, // group 3, keys not a multiple of 8
  { t: 9, hq: 8, hkv: 2, d: 64, pos0: 21 }, // group 4
  { t: 4, hq: 12, hkv: 4, d: 64, pos0: 1 }, // yi-174m heads, one block
  { t: 31, hq: 4, hkv: 1, d: 7, pos0: 100 }, // group 4, long prefix, D < one tile
  { t: 6, hq: 3, hkv: 1, d: 128, pos0: 0 }, // group 3, Yi-6B head dim
];

test('prefill attention takes the tiled kernel from 4 tokens on', async () => {
  const rt = await runtime(1);
  assert.equal(PREFILL_TILED_MIN_TOKENS, 4);
  assert.equal(usePrefillTiledAttention(rt, rt.arenas[0]!, 512, 64), true);
  assert.equal(usePrefillTiledAttention(rt, rt.arenas[0]!, 1 << 20, 64), false);
});

// Versus the decode kernel: 1e-6 of max(|want|, 1) for inputs in [-2, 2); at [-4, 4) the scores reach
// about 90 and the two roundings of exp drift to about 2e-6.
test('prefill attention matches float64 (1e-5 of max(|want|, 1)) and the decode kernel token by token (1e-6)', async () => {
  const rt = await runtime(2);
  let worstRef = 0;
  let worstDecode = 0;
  for (const [i, c] of CASES.entries()) {
    for (const amp of [1, 2, 4]) {
      const x = inputs(c, 50 * i + amp, amp);
      const got = prefill(rt, c, x);
      const what = `${JSON.stringify(c)} amp ${amp}`;
      worstRef = Math.max(worstRef, assertClose(got, refAttention(x.q, x.k, x.v, c.t, c.hq, c.hkv, c.d, c.pos0), 1e-5, 1, `prefill vs float64 ${what}`));
      const e = assertClose(got, tokenByToken(rt, c, x), amp <= 2 ? 1e-6 : 3e-6, 1, `prefill vs decode ${what}`);
      if (amp <= 2) worstDecode = Math.max(worstDecode, e);
    }
  }
  console.log(`prefill attention: worst vs float64 ${worstRef.toExponential(2)}, vs decode (inputs in [-2, 2)) ${worstDecode.toExponential(2)}`);
});

test('prefill attention is bit-identical on 1 and 2 threads and in both kernel builds', async (t) => {
  const rts = [
    await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, kernels: 'simd128', arenaBytes: 64 << 20 }),
    await Runtime.create({ threads: 2, arenaBytes: 64 << 20 }),
  ];
  try {
    // Group 3 with 2 threads: the heads are split at a kv-head boundary; one kv head (group 6): inside it.
    for (const c of [{ t: 37, hq: 12, hkv: 4, d: 64, pos0: 19 }, { t: 11, hq: 8, hkv: 8, d: 20, pos0: 3 }, { t: 15, hq: 6, hkv: 1, d: 24, pos0: 5 }]) {
      const x = inputs(c, 7, 2);
      const [a, b, r] = rts.map((rt) => prefill(rt, c, x));
      assertSameBits(a!, b!, `1 vs 2 threads ${JSON.stringify(c)}`);
      if (rts[2]!.flavor === 'relaxed-simd') assertSameBits(a!, r!, `simd128 vs relaxed ${JSON.stringify(c)}`);
      else t.diagnostic('this engine cannot run relaxed SIMD: builds not compared');
    }
  } finally {
    for (const rt of rts) await rt.close();
  }
});

test('prefill attention without scratch room for the tiles runs the decode kernel: same bits as token by token', async () => {
  const rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20, scratchBytesPerThread: 8192 });
  try {
    const c = { t: 9, hq: 4, hkv: 2, d: 16, pos0: 300 };
    assert.equal(usePrefillTiledAttention(rt, rt.arenas[0]!, c.pos0 + c.t, c.d), false);
    const x = inputs(c, 3, 1);
    assertSameBits(prefill(rt, c, x), tokenByToken(rt, c, x), 'per-row fallback');
  } finally {
    await rt.close();
  }
});
