import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { attention, attentionTrain, useTiledAttention, writeKV } from '../../../src/tensor/ops/attention.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { attentionForward, type AttnShape } from './grad-ref.js';
import { refAttention } from './attention-ref.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

interface Case {
  t: number;
  hq: number;
  hkv: number;
  d: number;
  pos0: number;
  sMax: number;
}

/** Fills a cache through writeKV in two steps (earlier tokens, then the new ones) and runs attention. */
function run(rt: Runtime, c: Case, seed: number, amp = 1) {
  const { t, hq, hkv, d, pos0, sMax } = c;
  const len = pos0 + t;
  const q = randomF32(t * hq * d, seed, -amp, amp);
  const k = randomF32(len * hkv * d, seed + 1, -amp, amp);
  const v = randomF32(len * hkv * d, seed + 2);
  // Rows past pos0 + T - 1 hold NaN: reading any of them would poison the output.
  const kCache = Tensor.fromF32(rt, new Float32Array(sMax * hkv * d).fill(NaN), [sMax, hkv, d]);
  const vCache = Tensor.fromF32(rt, new Float32Array(sMax * hkv * d).fill(NaN), [sMax, hkv, d]);
  const row = hkv * d;
  if (pos0 > 0) {
    writeKV(kCache, Tensor.fromF32(rt, k.subarray(0, pos0 * row), [pos0, hkv, d]), 0);
    writeKV(vCache, Tensor.fromF32(rt, v.subarray(0, pos0 * row), [pos0, hkv, d]), 0);
  }
  writeKV(kCache, Tensor.fromF32(rt, k.subarray(pos0 * row), [t, hkv, d]), pos0);
  writeKV(vCache, Tensor.fromF32(rt, v.subarray(pos0 * row), [t, hkv, d]), pos0);
  const out = attention(Tensor.fromF32(rt, q, [t, hq, d]), kCache, vCache, pos0);
  return { got: out.toArray(), want: () => refAttention(q, k, v, t, hq, hkv, d, pos0) };
}

const CASES: Case[] = [
  { t: 1, hq: 1, hkv: 1, d: 1, pos0: 0, sMax: 1 }, // a single token
  { t: 5, hq: 3, hkv: 3, d: 17, pos0: 0, sMax: 8 }, // prefill, group 1
  { t: 7, hq: 8, hkv: 2, d: 33, pos0: 11, sMax: 40 }, // prefill after earlier tokens, group 4
  { t: 1, hq: 8, hkv: 2, d: 128, pos0: 300, sMax: 512 }, // decode, group 4
  { t: 3, hq: 7, hkv: 1, d: 64, pos0: 4, sMax: 9 }, // group 7, cache exactly full
  { t: 1, hq: 14, hkv: 2, d: 3, pos0: 4096, sMax: 4100 }, // group 7, long decode
  { t: 4, hq: 32, hkv: 4, d: 128, pos0: 60, sMax: 64 }, // Yi-6B head shape
];

test('attention matches a float64 causal GQA reference within 1e-5 (of max(|want|, 1))', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const [i, c] of CASES.entries()) {
    for (const amp of [1, 4]) {
      const r = run(rt, c, 100 * i + amp, amp);
      worst = Math.max(worst, assertClose(r.got, r.want(), 1e-5, 1, `attention ${JSON.stringify(c)} amp ${amp}`));
    }
  }
  console.log(`attention worst error ${worst.toExponential(2)}`);
});

test('attention with a peaked softmax copies the chosen value row (causality check)', async () => {
  const rt = await runtime(1);
  // One head, D = 4: key s is a one-hot on (s % 4) scaled up, so query one-hot on lane j picks the
  // newest visible s with s % 4 == j... unless causality leaks future rows (those hold NaN).
  const d = 4;
  const sMax = 12;
  const t = 3;
  const pos0 = 5;
  const len = pos0 + t;
  const k = new Float32Array(sMax * d).fill(NaN);
  const v = new Float32Array(sMax * d).fill(NaN);
  for (let s = 0; s < len; s++) {
    k.fill(0, s * d, s * d + d);
    k[s * d + (s % d)] = 1000 * (s + 1); // the newest matching row wins by a wide margin
    v.fill(s, s * d, s * d + d);
  }
  const q = new Float32Array(t * d);
  q[0 * d + 1] = 1; // token at pos 5 sees 0..5: lane 1 has s = 1, 5 -> 5
  q[1 * d + 2] = 1; // pos 6 sees 0..6: lane 2 has s = 2, 6 -> 6
  q[2 * d + 3] = 1; // pos 7 sees 0..7: lane 3 has s = 3, 7 -> 7
  const out = attention(Tensor.fromF32(rt, q, [t, 1, d]), Tensor.fromF32(rt, k, [sMax, 1, d]), Tensor.fromF32(rt, v, [sMax, 1, d]), pos0).toArray();
  assert.deepEqual(Array.from(out), [5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7]);
});

test('attention is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const c: Case = { t: 9, hq: 28, hkv: 4, d: 128, pos0: 37, sMax: 64 };
    const [a, b] = [rt1, rt2].map((rt) => run(rt, c, 5).got);
    assertSameBits(a!, b!, 'attention');
  });
});

test('attention fails clearly when the scores do not fit the scratch', async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20, scratchBytesPerThread: 4096 });
  try {
    const c: Case = { t: 1, hq: 1, hkv: 1, d: 4, pos0: 1024, sMax: 1100 };
    assert.throws(() => run(rt, c, 1), /attention: 1025 cached positions need 4100 bytes of scores, more than the 4096 bytes of scratch per thread/);
    const ok = run(rt, { ...c, pos0: 1023 }, 1);
    assertClose(ok.got, ok.want(), 1e-5, 1, 'attention at the scratch limit');
  } finally {
    await rt.close();
  }
});

test('attention and writeKV reject bad operands, naming them', async () => {
  const rt = await runtime(1);
  const q = Tensor.zeros(rt, 'f32', [2, 8, 16]);
  const k = Tensor.zeros(rt, 'f32', [10, 2, 16]);
  const v = Tensor.zeros(rt, 'f32', [10, 2, 16]);
  assert.throws(() => attention(q, k, Tensor.zeros(rt, 'f32', [10, 2, 8]), 0), /attention: vCache must have shape \[10, 2, 16\], got \[10, 2, 8\]/);
  assert.throws(() => attention(q, Tensor.zeros(rt, 'f32', [10, 3, 16]), Tensor.zeros(rt, 'f32', [10, 3, 16]), 0), /q has 8 heads, not a multiple of the cache's 3 kv heads/);
  assert.throws(() => attention(q, k, v, 9), /attention: positions up to 10 do not fit a cache of 10 positions/);
  assert.throws(() => attention(Tensor.zeros(rt, 'f16', [2, 8, 16]), k, v, 0), /attention: q must be f32, got f16/);
  assert.throws(() => attention(q, k, Tensor.zeros(rt, 'bf16', [10, 2, 16]), 0), /attention: vCache must be f32, got bf16/);
  assert.throws(() => attention(q, k, v, 0, Tensor.zeros(rt, 'f32', [2, 8, 15])), /attention: out must have shape \[2, 8, 16\]/);
  assert.throws(() => attention(q, k, v, 0, q), /out must not alias q/);
  const other = rt.newArena();
  assert.throws(() => attention(q, k, Tensor.zeros(rt, 'f32', [10, 2, 16], other), 0), /attention: vCache lives in arena 1 but q in arena 0/);
  assert.throws(() => writeKV(k, Tensor.zeros(rt, 'f32', [3, 2, 16]), 8), /writeKV: rows 8 .. 10 do not fit a cache of 10 positions/);
  assert.throws(() => writeKV(k, Tensor.zeros(rt, 'f32', [3, 1, 16]), 0), /writeKV: rows must have shape \[3, 2, 16\]/);
  // writeKV copies across arenas.
  const rows = Tensor.fromF32(rt, randomF32(2 * 2 * 16, 9), [2, 2, 16], other);
  writeKV(k, rows, 4);
  assert.deepEqual(k.slice(4, 2).toArray(), rows.toArray());
  assert.ok(k.slice(6, 4).toArray().every((x) => x === 0));
});

// ---- attentionTrain: B independent sequences ----------------------------------------------------

const TRAIN_SHAPES: AttnShape[] = [
  { b: 1, t: 1, hq: 1, hkv: 1, d: 1 },
  { b: 3, t: 13, hq: 6, hkv: 2, d: 7 }, // group 3, D not a multiple of 4
  { b: 2, t: 37, hq: 4, hkv: 4, d: 33 }, // group 1
  { b: 4, t: 9, hq: 8, hkv: 1, d: 32 }, // group 8
];

test('attentionTrain matches float64 causal GQA within each sequence, and attention run per sequence within 1e-6', async () => {
  const rt = await runtime(2);
  let worst = 0;
  for (const [i, sh] of TRAIN_SHAPES.entries()) {
    const { b, t, hq, hkv, d } = sh;
    const q = randomF32(b * t * hq * d, 10 * i + 1, -2, 2);
    const k = randomF32(b * t * hkv * d, 10 * i + 2, -2, 2);
    const v = randomF32(b * t * hkv * d, 10 * i + 3);
    const out = Tensor.zeros(rt, 'f32', [b, t, hq, d]);
    const qt = Tensor.fromF32(rt, q, [b, t, hq, d]);
    const kt = Tensor.fromF32(rt, k, [b, t, hkv, d]);
    const vt = Tensor.fromF32(rt, v, [b, t, hkv, d]);
    assert.equal(attentionTrain(qt, kt, vt, out), out);
    const got = out.toArray();
    worst = Math.max(worst, assertClose(got, attentionForward(q, k, v, sh), 1e-5, 1, `attentionTrain ${JSON.stringify(sh)}`));
    // The tiled training kernel rounds differently from the per-row inference kernel: same math.
    for (let s = 0; s < b; s++) {
      const one = attention(qt.slice(s, 1).reshape([t, hq, d]), kt.slice(s, 1).reshape([t, hkv, d]), vt.slice(s, 1).reshape([t, hkv, d]), 0).toArray();
      assertClose(got.subarray(s * t * hq * d, (s + 1) * t * hq * d), one, 1e-6, 1, `sequence ${s} of ${JSON.stringify(sh)}`);
    }
  }
  console.log(`attentionTrain worst error ${worst.toExponential(2)}`);
});

test('attentionTrain without scratch room for the tiles takes the per-row kernel: float64 within 1e-5, attention per sequence bit for bit', async () => {
  // The tiles pack a whole kv head's sequence (300 x 8 floats twice); the per-row kernel needs 300 floats.
  const small = await Runtime.create({ threads: 2, arenaBytes: 64 << 20, scratchBytesPerThread: 4096 });
  try {
    const sh = { b: 2, t: 300, hq: 2, hkv: 1, d: 8 };
    const { b, t, hq, hkv, d } = sh;
    assert.equal(useTiledAttention(small, small.arenas[0]!, t, d, false), false);
    const q = randomF32(b * t * hq * d, 41, -2, 2);
    const k = randomF32(b * t * hkv * d, 42, -2, 2);
    const v = randomF32(b * t * hkv * d, 43);
    const qt = Tensor.fromF32(small, q, [b, t, hq, d]);
    const kt = Tensor.fromF32(small, k, [b, t, hkv, d]);
    const vt = Tensor.fromF32(small, v, [b, t, hkv, d]);
    const got = attentionTrain(qt, kt, vt, Tensor.zeros(small, 'f32', [b, t, hq, d])).toArray();
    assertClose(got, attentionForward(q, k, v, sh), 1e-5, 1, 'per-row attentionTrain');
    for (let s = 0; s < b; s++) {
      const one = attention(qt.slice(s, 1).reshape([t, hq, d]), kt.slice(s, 1).reshape([t, hkv, d]), vt.slice(s, 1).reshape([t, hkv, d]), 0).toArray();
      assertSameBits(got.subarray(s * t * hq * d, (s + 1) * t * hq * d), one, `sequence ${s}`);
    }
  } finally {
    await small.close();
  }
});

test('attentionTrain: a token never sees later tokens or other sequences', async () => {
  const rt = await runtime(1);
  const sh = { b: 2, t: 5, hq: 2, hkv: 1, d: 3 };
  const q = randomF32(2 * 5 * 2 * 3, 1);
  const k = randomF32(2 * 5 * 3, 2);
  const v = randomF32(2 * 5 * 3, 3);
  const base = attentionTrain(Tensor.fromF32(rt, q, [2, 5, 2, 3]), Tensor.fromF32(rt, k, [2, 5, 1, 3]), Tensor.fromF32(rt, v, [2, 5, 1, 3]), Tensor.zeros(rt, 'f32', [2, 5, 2, 3])).toArray();
  // NaN in token 3 of sequence 0 may reach only tokens 3, 4 of sequence 0.
  const k2 = k.slice();
  const v2 = v.slice();
  k2[3 * 3] = NaN;
  v2[3 * 3 + 1] = NaN;
  const got = attentionTrain(Tensor.fromF32(rt, q, [2, 5, 2, 3]), Tensor.fromF32(rt, k2, [2, 5, 1, 3]), Tensor.fromF32(rt, v2, [2, 5, 1, 3]), Tensor.zeros(rt, 'f32', [2, 5, 2, 3])).toArray();
  const row = sh.hq * sh.d;
  assertSameBits(got.subarray(0, 3 * row), base.subarray(0, 3 * row), 'tokens 0..2 of sequence 0');
  assert.ok(got.subarray(3 * row, 5 * row).every((x) => Number.isNaN(x)), 'tokens 3, 4 of sequence 0 see the NaN');
  assertSameBits(got.subarray(5 * row), base.subarray(5 * row), 'sequence 1');
});

test('attentionTrain is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const [b, t, hq, hkv, d] = [3, 37, 4, 2, 17];
    const q = randomF32(b * t * hq * d, 7);
    const k = randomF32(b * t * hkv * d, 8);
    const v = randomF32(b * t * hkv * d, 9);
    const [x, y] = [rt1, rt2].map((rt) =>
      attentionTrain(Tensor.fromF32(rt, q, [b, t, hq, d]), Tensor.fromF32(rt, k, [b, t, hkv, d]), Tensor.fromF32(rt, v, [b, t, hkv, d]), Tensor.zeros(rt, 'f32', [b, t, hq, d])).toArray(),
    );
    assertSameBits(x!, y!, 'attentionTrain');
  });
});

test('attentionTrain rejects bad operands, naming them', async () => {
  const rt = await runtime(1);
  const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape);
  const q = z([2, 5, 4, 8]);
  const k = z([2, 5, 2, 8]);
  const v = z([2, 5, 2, 8]);
  assert.throws(() => attentionTrain(z([5, 4, 8]), k, v, z([5, 4, 8])), /attentionTrain: q must have rank 4/);
  assert.throws(() => attentionTrain(q, z([2, 6, 2, 8]), v, z([2, 5, 4, 8])), /attentionTrain: k must have shape \[2, 5, 2, 8\], got \[2, 6, 2, 8\]/);
  assert.throws(() => attentionTrain(q, k, z([2, 5, 2, 7]), z([2, 5, 4, 8])), /attentionTrain: v must have shape \[2, 5, 2, 8\]/);
  assert.throws(() => attentionTrain(q, z([2, 5, 3, 8]), z([2, 5, 3, 8]), z([2, 5, 4, 8])), /attentionTrain: q has 4 heads, not a multiple of k's 3 kv heads/);
  assert.throws(() => attentionTrain(q, k, v, z([2, 5, 4, 9])), /attentionTrain: out must have shape \[2, 5, 4, 8\]/);
  assert.throws(() => attentionTrain(q, k, v, q), /attentionTrain: out overlaps q/);
  const small = await Runtime.create({ threads: 1, arenaBytes: 64 << 20, scratchBytesPerThread: 4096 });
  try {
    const zz = (shape: number[]) => Tensor.zeros(small, 'f32', shape);
    assert.throws(() => attentionTrain(zz([1, 1025, 1, 4]), zz([1, 1025, 1, 4]), zz([1, 1025, 1, 4]), zz([1, 1025, 1, 4])), /attentionTrain: sequences of 1025 tokens need 4100 bytes of scores, more than the 4096 bytes of scratch per thread/);
  } finally {
    await small.close();
  }
});
