// Paged attention (K/V read through block tables) against the contiguous-cache attention kernel and
// the float64 reference: several sequences of odd lengths in one call, random block tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { attention } from '../../../src/tensor/ops/attention.js';
import { pagedAttention, pagedWriteKV } from '../../../src/tensor/ops/paged-attention.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { refAttention } from './attention-ref.js';
import { assertClose, assertSameBits, randomF32, rng, runtime, withOneAndTwoThreads } from './helpers.js';

interface Case {
  hq: number;
  hkv: number;
  d: number;
  blockTokens: number;
  /** Per sequence: cached length after the step, and tokens of the step (the last ones). */
  seqs: { len: number; t: number }[];
}

interface Built {
  q: Tensor;
  kPool: Tensor;
  vPool: Tensor;
  tables: Tensor;
  seqOf: Tensor;
  positions: Tensor;
  /** Per sequence: contiguous K, V [len, hkv, d] and its q rows [t, hq, d]. */
  contiguous: { k: Float32Array; v: Float32Array; q: Float32Array; len: number; t: number }[];
}

/** Random K/V per sequence, scattered into a pool through a random permutation of its blocks. */
function build(rt: Runtime, c: Case, seed: number): Built {
  const { hq, hkv, d, blockTokens: bt } = c;
  const row = hkv * d;
  const need = c.seqs.map((s) => Math.ceil(s.len / bt));
  const blocks = need.reduce((a, b) => a + b, 0) + 3; // a few blocks nobody uses
  const maxBlocks = Math.max(...need) + 1;
  const r = rng(seed);
  const perm = Array.from({ length: blocks }, (_, i) => i);
  for (let i = blocks - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  // Unused pool rows are NaN: a read outside the table's blocks would show.
  const kp = new Float32Array(blocks * bt * row).fill(NaN);
  const vp = new Float32Array(blocks * bt * row).fill(NaN);
  const tab = new Int32Array(c.seqs.length * maxBlocks).fill(-1);
  const seqOf: number[] = [];
  const positions: number[] = [];
  const qAll: number[] = [];
  const contiguous: Built['contiguous'] = [];
  let next = 0;
  c.seqs.forEach((s, si) => {
    const k = randomF32(s.len * row, seed + 10 * si + 1, -2, 2);
    const v = randomF32(s.len * row, seed + 10 * si + 2);
    const q = randomF32(s.t * hq * d, seed + 10 * si + 3, -2, 2);
    for (let b = 0; b < need[si]!; b++) tab[si * maxBlocks + b] = perm[next++]!;
    for (let p = 0; p < s.len; p++) {
      const slot = tab[si * maxBlocks + Math.floor(p / bt)]! * bt + (p % bt);
      kp.set(k.subarray(p * row, (p + 1) * row), slot * row);
      vp.set(v.subarray(p * row, (p + 1) * row), slot * row);
    }
    for (let i = 0; i < s.t; i++) {
      seqOf.push(si);
      positions.push(s.len - s.t + i);
    }
    qAll.push(...q);
    contiguous.push({ k, v, q, len: s.len, t: s.t });
  });
  const T = seqOf.length;
  const q = Tensor.fromF32(rt, qAll, [T, hq, d]);
  const arena = q.arena;
  return {
    q,
    kPool: Tensor.fromF32(rt, kp, [blocks, bt, hkv, d], arena),
    vPool: Tensor.fromF32(rt, vp, [blocks, bt, hkv, d], arena),
    tables: Tensor.fromI32(rt, tab, [c.seqs.length, maxBlocks], arena),
    seqOf: Tensor.fromI32(rt, seqOf, [T], arena),
    positions: Tensor.fromI32(rt, positions, [T], arena),
    contiguous,
  };
}

function dispose(b: Built): void {
  for (const t of [b.q, b.kPool, b.vPool, b.tables, b.seqOf, b.positions]) t.dispose();
}

/** The contiguous kernel on one sequence's rows: out [t, hq, d]. */
function contiguousAttention(rt: Runtime, c: Case, s: Built['contiguous'][number]): Float32Array {
  const { hq, hkv, d } = c;
  const q = Tensor.fromF32(rt, s.q, [s.t, hq, d]);
  const k = Tensor.fromF32(rt, s.k, [s.len, hkv, d], q.arena);
  const v = Tensor.fromF32(rt, s.v, [s.len, hkv, d], q.arena);
  const out = attention(q, k, v, s.len - s.t).toArray();
  for (const t of [q, k, v]) t.dispose();
  return out;
}

const CASES: Case[] = [
  // decodes and prompt chunks of odd lengths in one call; GQA 2:1; D a multiple of 8
  { hq: 4, hkv: 2, d: 16, blockTokens: 16, seqs: [{ len: 1, t: 1 }, { len: 17, t: 1 }, { len: 45, t: 7 }, { len: 33, t: 3 }, { len: 16, t: 16 }] },
  // D not a multiple of 4, MQA, small blocks
  { hq: 3, hkv: 1, d: 7, blockTokens: 4, seqs: [{ len: 9, t: 2 }, { len: 31, t: 1 }, { len: 5, t: 5 }] },
  // blocks of a size that is not a multiple of 4 (passes of four straddle blocks: other rounding)
  { hq: 4, hkv: 4, d: 12, blockTokens: 5, seqs: [{ len: 23, t: 1 }, { len: 11, t: 4 }] },
];

test('pagedAttention matches the contiguous attention kernel within 1e-6, and the float64 reference', async () => {
  const rt = await runtime(2);
  for (const [ci, c] of CASES.entries()) {
    const b = build(rt, c, 100 + ci);
    const got = pagedAttention(b.q, b.kPool, b.vPool, b).toArray();
    let at = 0;
    for (const [si, s] of b.contiguous.entries()) {
      const n = s.t * c.hq * c.d;
      const mine = got.subarray(at, at + n);
      at += n;
      const what = `case ${ci} sequence ${si} (len ${s.len}, ${s.t} tokens)`;
      const want = contiguousAttention(rt, c, s);
      assertClose(mine, want, 1e-6, 1, `${what} vs contiguous`);
      // The per-row kernel (fewer than 4 tokens) reads rows in the same passes when blocks hold a multiple of 4 tokens.
      if (s.t < 4 && c.blockTokens % 4 === 0) assertSameBits(mine, want, `${what}: bits of the per-row kernel`);
      assertClose(mine, refAttention(s.q, s.k, s.v, s.t, c.hq, c.hkv, c.d, s.len - s.t), 1e-5, 1, `${what} vs float64`);
    }
    dispose(b);
  }
});

test('pagedAttention gives the same bits on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    for (const [ci, c] of CASES.entries()) {
      const b1 = build(rt1, c, 200 + ci);
      const b2 = build(rt2, c, 200 + ci);
      assertSameBits(pagedAttention(b1.q, b1.kPool, b1.vPool, b1).toArray(), pagedAttention(b2.q, b2.kPool, b2.vPool, b2).toArray(), `case ${ci}`);
      dispose(b1);
      dispose(b2);
    }
  });
});

test('pagedAttention refuses a block id outside the pool and a position past the table, naming them', async () => {
  const rt = await runtime(1);
  const c = CASES[0]!;
  const b = build(rt, c, 300);
  const tab = b.tables.arena.i32;
  const saved = tab[b.tables.offset / 4]!;
  tab[b.tables.offset / 4] = b.kPool.shape[0]!;
  assert.throws(() => pagedAttention(b.q, b.kPool, b.vPool, b), /tables\[0\]\[0\] = \d+ .*not a block of the pool/);
  tab[b.tables.offset / 4] = saved;
  const pos = b.positions.arena.i32;
  pos[b.positions.offset / 4] = b.tables.shape[1]! * c.blockTokens;
  assert.throws(() => pagedAttention(b.q, b.kPool, b.vPool, b), /positions\[0\] = \d+ is outside/);
  dispose(b);
});

test('pagedWriteKV puts row t into slot slots[t] of both pools and nothing else', async () => {
  const rt = await runtime(2);
  const [blocks, bt, hkv, d] = [5, 4, 2, 3];
  const row = hkv * d;
  const kp = Tensor.zeros(rt, 'f32', [blocks, bt, hkv, d]);
  const vp = Tensor.zeros(rt, 'f32', [blocks, bt, hkv, d], kp.arena);
  const k = Tensor.fromF32(rt, randomF32(3 * row, 1), [3, hkv, d], kp.arena);
  const v = Tensor.fromF32(rt, randomF32(3 * row, 2), [3, hkv, d], kp.arena);
  const slots = [17, 2, 9];
  pagedWriteKV(k, v, kp, vp, Tensor.fromI32(rt, slots, [3], kp.arena));
  const K = kp.toArray();
  const V = vp.toArray();
  const kr = k.toArray();
  const vr = v.toArray();
  for (let s = 0; s < blocks * bt; s++) {
    const t = slots.indexOf(s);
    const wantK = t < 0 ? new Float32Array(row) : kr.subarray(t * row, (t + 1) * row);
    const wantV = t < 0 ? new Float32Array(row) : vr.subarray(t * row, (t + 1) * row);
    assert.deepEqual(K.subarray(s * row, (s + 1) * row), wantK, `K slot ${s}`);
    assert.deepEqual(V.subarray(s * row, (s + 1) * row), wantV, `V slot ${s}`);
  }
  assert.throws(() => pagedWriteKV(k, v, kp, vp, Tensor.fromI32(rt, [0, 20, 1], [3], kp.arena)), /slots\[1\] = 20 is outside/);
});
