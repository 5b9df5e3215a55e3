// Training attention over packed samples: a row of several segments attends block-diagonally
// (token t sees tokens segStart[t] ..= t). Checked against a float64 reference with that mask and
// against running each segment as a sequence of its own, in both kernel paths (tiled, and the
// per-row fallback a small scratch forces), forward and backward.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { attentionBackward } from '../../../src/tensor/ops/attention-backward.js';
import { attentionTrain, useTiledAttention } from '../../../src/tensor/ops/attention.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { attentionBackwardRef, attentionForward, maxAbs, type AttnShape } from './grad-ref.js';
import { assertClose, assertSameBits, randomF32, runtime, withOneAndTwoThreads } from './helpers.js';

/** A row as runs of [segment id, length]; -1 is padding. */
type Layout = [number, number][];

/** Each token's segment start (the position in its row of its run's first token), [B * T]. */
function startsOf(rows: Layout[], t: number): Int32Array {
  const starts = new Int32Array(rows.length * t);
  rows.forEach((runs, r) => {
    let pos = 0;
    for (const [, len] of runs) {
      starts.fill(pos, r * t + pos, r * t + pos + len);
      pos += len;
    }
    assert.equal(pos, t, `layout of row ${r} covers ${pos} of ${t} tokens`);
  });
  return starts;
}

/** Runs of every row as [row, first, length]. */
function runsOf(rows: Layout[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  rows.forEach((runs, r) => {
    let pos = 0;
    for (const [, len] of runs) {
      out.push([r, pos, len]);
      pos += len;
    }
  });
  return out;
}

interface Inputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dOut: Float32Array;
}

function inputs(sh: AttnShape, seed: number): Inputs {
  const { b, t, hq, hkv, d } = sh;
  return {
    q: randomF32(b * t * hq * d, seed, -2, 2),
    k: randomF32(b * t * hkv * d, seed + 1, -2, 2),
    v: randomF32(b * t * hkv * d, seed + 2),
    dOut: randomF32(b * t * hq * d, seed + 3),
  };
}

interface Result {
  out: Float32Array;
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

/** Forward and backward of x with shape sh, with segment starts (or none). */
function run(rt: Runtime, sh: AttnShape, x: Inputs, starts?: Int32Array): Result {
  const { b, t, hq, hkv, d } = sh;
  const qShape = [b, t, hq, d];
  const kShape = [b, t, hkv, d];
  const q = Tensor.fromF32(rt, x.q, qShape);
  const k = Tensor.fromF32(rt, x.k, kShape);
  const v = Tensor.fromF32(rt, x.v, kShape);
  const seg = starts ? Tensor.fromI32(rt, starts, [b, t]) : undefined;
  // Outputs start as NaN: every element must be written.
  const nan = (shape: number[]) => Tensor.fromF32(rt, new Float32Array(shape.reduce((p, n) => p * n)).fill(NaN), shape);
  const out = attentionTrain(q, k, v, nan(qShape), seg);
  const [dq, dk, dv] = [nan(qShape), nan(kShape), nan(kShape)];
  attentionBackward(q, k, v, Tensor.fromF32(rt, x.dOut, qShape), dq, dk, dv, seg);
  return { out: out.toArray(), dq: dq.toArray(), dk: dk.toArray(), dv: dv.toArray() };
}

/** Rows [first, first + len) of sequence r of an [B, T, heads, d] array, as one sequence's data. */
function rowsOf(a: Float32Array, sh: AttnShape, heads: number, r: number, first: number, len: number): Float32Array {
  const row = heads * sh.d;
  return a.subarray((r * sh.t + first) * row, (r * sh.t + first + len) * row);
}

const SHAPES: { sh: AttnShape; rows: Layout[] }[] = [
  // a length-1 sample, padding, a sample across several blocks of 4 query rows at an odd offset
  { sh: { b: 3, t: 37, hq: 6, hkv: 2, d: 7 }, rows: [[[0, 5], [1, 1], [2, 20], [-1, 11]], [[0, 1], [1, 36]], [[0, 37]]] },
  { sh: { b: 2, t: 23, hq: 4, hkv: 4, d: 33 }, rows: [[[0, 1], [1, 1], [2, 2], [3, 3], [4, 9], [-1, 7]], [[0, 22], [-1, 1]]] },
  { sh: { b: 1, t: 29, hq: 8, hkv: 1, d: 16 }, rows: [[[0, 4], [1, 4], [2, 13], [3, 8]]] },
];

/** 1 KiB of scratch: too little for any tile (d >= 7), room for per-row scores of up to 128 tokens. */
async function perRowRuntime(threads: number): Promise<Runtime> {
  return Runtime.create({ threads, arenaBytes: 64 << 20, scratchBytesPerThread: 1024 });
}

for (const path of ['tiled', 'per-row'] as const) {
  test(`${path} training attention with packed samples matches a float64 block-diagonal causal reference, forward and backward`, async () => {
    const rt = path === 'tiled' ? await runtime(2) : await perRowRuntime(2);
    try {
      let worst = 0;
      for (const [i, { sh, rows }] of SHAPES.entries()) {
        assert.equal(useTiledAttention(rt, rt.arenas[0]!, sh.t, sh.d, false), path === 'tiled');
        assert.equal(useTiledAttention(rt, rt.arenas[0]!, sh.t, sh.d, true), path === 'tiled');
        const starts = startsOf(rows, sh.t);
        const x = inputs(sh, 10 * i + 1);
        const got = run(rt, sh, x, starts);
        worst = Math.max(worst, assertClose(got.out, attentionForward(x.q, x.k, x.v, sh, starts), 1e-5, 1, `out ${JSON.stringify(sh)}`));
        const want = attentionBackwardRef(x.q, x.k, x.v, x.dOut, sh, starts);
        for (const name of ['dq', 'dk', 'dv'] as const) {
          worst = Math.max(worst, assertClose(got[name], want[name], 1e-4, Math.max(1e-2 * maxAbs(want[name]), 1e-30), `${name} ${JSON.stringify(sh)}`));
        }
        // The mask is not a no-op: the plain causal result differs.
        assert.ok(maxAbs(attentionForward(x.q, x.k, x.v, sh).map((y, j) => y - got.out[j]!)) > 1e-3);
      }
      console.log(`${path} packed attention worst error vs float64 ${worst.toExponential(2)}`);
    } finally {
      if (path === 'per-row') await rt.close();
    }
  });

  test(`${path} training attention: each packed sample gets exactly the bits of that sample run alone`, async () => {
    const rt = path === 'tiled' ? await runtime(1) : await perRowRuntime(1);
    try {
      for (const [i, { sh, rows }] of SHAPES.entries()) {
        const x = inputs(sh, 10 * i + 5);
        const got = run(rt, sh, x, startsOf(rows, sh.t));
        for (const [r, first, len] of runsOf(rows)) {
          const one: AttnShape = { ...sh, b: 1, t: len };
          const alone = run(rt, one, {
            q: rowsOf(x.q, sh, sh.hq, r, first, len),
            k: rowsOf(x.k, sh, sh.hkv, r, first, len),
            v: rowsOf(x.v, sh, sh.hkv, r, first, len),
            dOut: rowsOf(x.dOut, sh, sh.hq, r, first, len),
          });
          const what = `row ${r} tokens ${first}..${first + len - 1} of ${JSON.stringify(sh)}`;
          assertSameBits(rowsOf(got.out, sh, sh.hq, r, first, len), alone.out, `out ${what}`);
          assertSameBits(rowsOf(got.dq, sh, sh.hq, r, first, len), alone.dq, `dq ${what}`);
          assertSameBits(rowsOf(got.dk, sh, sh.hkv, r, first, len), alone.dk, `dk ${what}`);
          assertSameBits(rowsOf(got.dv, sh, sh.hkv, r, first, len), alone.dv, `dv ${what}`);
        }
      }
    } finally {
      if (path === 'per-row') await rt.close();
    }
  });

  test(`${path} training attention with packed samples: a NaN in one sample never reaches another`, async () => {
    const rt = path === 'tiled' ? await runtime(1) : await perRowRuntime(1);
    try {
      const { sh, rows } = SHAPES[0]!;
      const starts = startsOf(rows, sh.t);
      const x = inputs(sh, 77);
      const base = run(rt, sh, x);
      // Token 3 of row 0 (sample 0, tokens 0..4): NaN in its key, value and output gradient.
      const kRow = sh.hkv * sh.d;
      const poisoned = { ...x, k: x.k.slice(), v: x.v.slice(), dOut: x.dOut.slice() };
      poisoned.k[3 * kRow] = NaN;
      poisoned.v[3 * kRow + 1] = NaN;
      poisoned.dOut[3 * sh.hq * sh.d + 2] = NaN;
      const clean = run(rt, sh, x, starts);
      const got = run(rt, sh, poisoned, starts);
      assert.ok(base.out.length === got.out.length);
      for (const [r, first, len] of runsOf(rows)) {
        const hit = r === 0 && first === 0;
        for (const [name, heads] of [['out', sh.hq], ['dq', sh.hq], ['dk', sh.hkv], ['dv', sh.hkv]] as const) {
          const g = rowsOf(got[name], sh, heads, r, first, len);
          if (hit) assert.ok(g.some(Number.isNaN), `${name} of the poisoned sample`);
          else assertSameBits(g, rowsOf(clean[name], sh, heads, r, first, len), `${name} of row ${r} tokens ${first}..${first + len - 1}`);
        }
      }
    } finally {
      if (path === 'per-row') await rt.close();
    }
  });
}

test('training attention with packed samples is bit-identical on 1 and 2 threads, in both paths', async () => {
  await withOneAndTwoThreads(async (rt1, rt2) => {
    const { sh, rows } = SHAPES[0]!;
    const starts = startsOf(rows, sh.t);
    const x = inputs(sh, 31);
    const small = [await perRowRuntime(1), await perRowRuntime(2)];
    try {
      for (const [a, b, what] of [[rt1, rt2, 'tiled'], [small[0]!, small[1]!, 'per-row']] as const) {
        const [ra, rb] = [run(a, sh, x, starts), run(b, sh, x, starts)];
        for (const name of ['out', 'dq', 'dk', 'dv'] as const) assertSameBits(ra[name], rb[name], `${what} ${name}`);
      }
    } finally {
      for (const rt of small) await rt.close();
    }
  });
});

test('training attention with packed samples: the SIMD128 and relaxed builds give the same bits', async (t) => {
  // 'auto' first: the module is cached per process, and 'auto' takes whatever was loaded last.
  const auto = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  const base = await Runtime.create({ threads: 2, kernels: 'simd128', arenaBytes: 64 << 20 });
  try {
    if (auto.km.flavor !== 'relaxed-simd') {
      t.diagnostic('this engine cannot run relaxed SIMD (node --experimental-wasm-relaxed-simd): builds not compared');
      return;
    }
    for (const [i, { sh, rows }] of SHAPES.entries()) {
      const x = inputs(sh, 50 + i);
      const starts = startsOf(rows, sh.t);
      const [a, b] = [run(base, sh, x, starts), run(auto, sh, x, starts)];
      for (const name of ['out', 'dq', 'dk', 'dv'] as const) assertSameBits(a[name], b[name], `${name} ${JSON.stringify(sh)}`);
    }
  } finally {
    await base.close();
    await auto.close();
  }
});

test('a single segment covering the row gives the bits of no segments at all', async () => {
  const rt = await runtime(2);
  const sh: AttnShape = { b: 2, t: 29, hq: 4, hkv: 2, d: 12 };
  const x = inputs(sh, 91);
  const [a, b] = [run(rt, sh, x), run(rt, sh, x, new Int32Array(sh.b * sh.t))];
  for (const name of ['out', 'dq', 'dk', 'dv'] as const) assertSameBits(a[name], b[name], name);
});

test('training attention refuses segment starts that are not contiguous runs, naming the entry', async () => {
  const rt = await runtime(1);
  const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape);
  const [q, k, v, out] = [z([2, 4, 2, 4]), z([2, 4, 1, 4]), z([2, 4, 1, 4]), z([2, 4, 2, 4])];
  const seg = (s: number[]) => Tensor.fromI32(rt, Int32Array.from(s), [2, 4]);
  assert.throws(() => attentionTrain(q, k, v, out, seg([0, 0, 2, 2, 0, 1, 1, 2])), /attentionTrain: segStarts\[1, 3\] = 2: a token's segment starts at its own position \(3\) or where the previous token's does \(1\)/);
  assert.throws(() => attentionTrain(q, k, v, out, seg([1, 1, 1, 1, 0, 0, 0, 0])), /attentionTrain: segStarts\[0, 0\] = 1/);
  assert.throws(() => attentionTrain(q, k, v, out, seg([0, 0, 2, 1, 0, 0, 0, 0])), /segStarts\[0, 3\] = 1/);
  assert.throws(() => attentionTrain(q, k, v, out, Tensor.fromI32(rt, new Int32Array(4), [1, 4])), /attentionTrain: segStarts must have shape \[2, 4\]/);
  const [dq, dk, dv] = [z([2, 4, 2, 4]), z([2, 4, 1, 4]), z([2, 4, 1, 4])];
  assert.throws(() => attentionBackward(q, k, v, out, dq, dk, dv, seg([0, 0, 0, 5, 0, 0, 0, 0])), /attentionBackward: segStarts\[0, 3\] = 5/);
  attentionTrain(q, k, v, out, seg([0, 1, 1, 3, 0, 0, 2, 2]));
});
