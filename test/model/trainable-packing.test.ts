// Packed samples through the whole training model: a row holding 3 samples (positions restarting,
// segments set) gives each sample's loss and every parameter's gradient of running the samples as
// separate sequences, within 1e-6.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openWeights } from '../../src/model/source.js';
import { StepOptionsError } from '../../src/model/packing.js';
import { YiTrainable } from '../../src/model/trainable.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { repoRoot } from '../paths.js';
import { relativeError } from './relative-error.js';
import { useRuntimePair } from './runtimes.js';

const modelDir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const rts = useRuntimePair();
const VOCAB = 96;

function load(rt: Runtime, maxSeqLen = 64): YiTrainable {
  const src = openWeights(modelDir);
  try {
    return YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen });
  } finally {
    src.close();
  }
}

interface Sample {
  inputs: number[];
  targets: number[];
}

function sample(len: number, seed: number): Sample {
  const r = mulberry32(seed);
  const inputs = Array.from({ length: len }, () => Math.floor(r() * VOCAB));
  // Some targets masked, as SFT masks everything but the answers.
  const targets = Array.from({ length: len }, (_, i) => (i % 5 === 1 ? -1 : Math.floor(r() * VOCAB)));
  return { inputs, targets };
}

interface Packed {
  inputs: number[];
  targets: number[];
  positions: number[];
  segments: number[];
}

/** Samples laid out one after another in a row of T tokens, padded with token 0, target -1, segment -1. */
function pack(samples: Sample[], T: number): Packed {
  const p: Packed = { inputs: [], targets: [], positions: [], segments: [] };
  samples.forEach((s, j) => {
    p.inputs.push(...s.inputs);
    p.targets.push(...s.targets);
    p.positions.push(...s.inputs.map((_, i) => i));
    p.segments.push(...s.inputs.map(() => j));
  });
  const pad = T - p.inputs.length;
  assert.ok(pad >= 0);
  p.inputs.push(...new Array<number>(pad).fill(0));
  p.targets.push(...new Array<number>(pad).fill(-1));
  p.positions.push(...new Array<number>(pad).fill(0));
  p.segments.push(...new Array<number>(pad).fill(-1));
  return p;
}

const count = (targets: number[]) => targets.filter((t) => t !== -1).length;

// 3 samples: one of a single token, none a multiple of the attention's 4-row blocks; then padding.
const SAMPLES = [sample(13, 1), sample(1, 2), sample(21, 3)];
const T = 41;

test('a packed row of 3 samples gives each sample\'s loss and every gradient of the samples run one by one, within 1e-6', () => {
  const m = load(rts.rt2);
  const total = SAMPLES.reduce((n, s) => n + count(s.targets), 0);
  const alone = SAMPLES.map((s) => m.loss(s.inputs, s.targets, 1, s.inputs.length));
  for (const s of SAMPLES) m.lossAndGrad(s.inputs, s.targets, 1, s.inputs.length, { normalizer: total });
  const want = m.params.map((p) => p.grad.toArray());

  m.zeroGrad();
  const p = pack(SAMPLES, T);
  const layout = { positions: p.positions, segments: p.segments };
  const r = m.lossAndGrad(p.inputs, p.targets, 1, T, { normalizer: total, ...layout });
  assert.equal(r.count, total);
  const sumAlone = alone.reduce((a, x) => a + x.sum, 0);
  assert.ok(Math.abs(r.sum - sumAlone) <= 1e-6 * Math.abs(sumAlone), `packed loss ${r.sum} vs ${sumAlone}`);
  let worst = 0;
  m.params.forEach((q, i) => {
    const e = relativeError(q.grad.toArray(), want[i]!);
    worst = Math.max(worst, e);
    assert.ok(e <= 1e-6, `${q.name}: packed vs one by one relative error ${e}`);
  });
  console.log(`packed vs one by one: worst gradient relative error ${worst.toExponential(2)}`);

  // Each sample's own loss, read from the packed row by keeping only its targets.
  let offset = 0;
  SAMPLES.forEach((s, j) => {
    const only = p.targets.map((t, i) => (i >= offset && i < offset + s.inputs.length ? t : -1));
    const got = m.loss(p.inputs, only, 1, T, layout);
    assert.equal(got.count, alone[j]!.count);
    assert.ok(Math.abs(got.sum - alone[j]!.sum) <= 1e-6 * Math.max(1, Math.abs(alone[j]!.sum)), `sample ${j}: ${got.sum} vs ${alone[j]!.sum}`);
    offset += s.inputs.length;
  });

  // Without the mask the samples' losses change. Positions shifted by a constant within a sample do
  // not (RoPE scores depend on differences only: the default i % T gives the same loss), positions
  // that are not do: both options are used.
  const noMask = m.loss(p.inputs, p.targets, 1, T, { positions: p.positions });
  const shifted = m.loss(p.inputs, p.targets, 1, T, { segments: p.segments });
  assert.ok(Math.abs(shifted.sum - sumAlone) <= 1e-6 * sumAlone, `${shifted.sum} vs ${sumAlone}`);
  const doubled = m.loss(p.inputs, p.targets, 1, T, { segments: p.segments, positions: p.positions.map((x) => 2 * x) });
  for (const other of [noMask, doubled]) assert.ok(Math.abs(other.sum - sumAlone) > 1e-4 * sumAlone, `${other.sum} should differ from ${sumAlone}`);
  m.dispose();
});

test('packed rows of different layouts in one batch match the same rows run one at a time, within 1e-6', () => {
  const m = load(rts.rt2);
  const rows = [pack([sample(7, 11), sample(30, 12)], T), pack([sample(1, 13), sample(1, 14), sample(39, 15)], T)];
  const flat = (k: keyof Packed) => rows.flatMap((r) => r[k]);
  const total = count(flat('targets'));
  m.lossAndGrad(flat('inputs'), flat('targets'), 2, T, { normalizer: total, positions: flat('positions'), segments: flat('segments') });
  const batch = m.params.map((p) => p.grad.toArray());
  m.zeroGrad();
  for (const r of rows) m.lossAndGrad(r.inputs, r.targets, 1, T, { normalizer: total, positions: r.positions, segments: r.segments });
  m.params.forEach((q, i) => {
    const e = relativeError(batch[i]!, q.grad.toArray());
    assert.ok(e <= 1e-6, `${q.name}: batch of 2 packed rows vs one at a time relative error ${e}`);
  });
  m.dispose();
});

test('packed rows: 1 vs 2 threads and activation recomputation give bit-identical gradients', () => {
  const p = pack(SAMPLES, T);
  const runs = [
    { rt: rts.rt1, recompute: false },
    { rt: rts.rt2, recompute: false },
    { rt: rts.rt2, recompute: true },
  ].map(({ rt, recompute }) => {
    const m = load(rt);
    const r = m.lossAndGrad(p.inputs, p.targets, 1, T, { recompute, positions: p.positions, segments: p.segments });
    const g = m.params.map((q) => q.grad.toArray());
    m.dispose();
    return { sum: r.sum, g };
  });
  for (const other of runs.slice(1)) {
    assert.equal(other.sum, runs[0]!.sum);
    other.g.forEach((g, i) => assert.deepEqual(g, runs[0]!.g[i]));
  }
});

test('a bad batch layout is refused with a StepOptionsError naming the entry', () => {
  const m = load(rts.rt2);
  const p = pack(SAMPLES, T);
  const step = (opts: Parameters<YiTrainable['lossAndGrad']>[4]) => () => m.lossAndGrad(p.inputs, p.targets, 1, T, opts);
  const segs = [...p.segments];
  segs[20] = 0; // sample 0 again, inside sample 2
  assert.throws(step({ segments: segs }), (e: unknown) => e instanceof StepOptionsError && /segments\[20\] = 0: segment 0 of row 0 appears again after another segment/.test(e.message));
  assert.throws(step({ segments: p.segments.slice(1) }), /segments must hold B\*T = 41 entries, got 40/);
  assert.throws(step({ segments: p.segments.map((s, i) => (i === 3 ? 0.5 : s)) }), /segments\[3\] = 0.5 is not an integer >= -1/);
  assert.throws(step({ segments: p.segments.map((s, i) => (i === 40 ? -2 : s)) }), /segments\[40\] = -2/);
  assert.throws(step({ positions: p.positions.map((x, i) => (i === 7 ? 64 : x)) }), (e: unknown) => e instanceof StepOptionsError && /positions\[7\] = 64 is not an integer in \[0, 64\)/.test(e.message));
  assert.throws(step({ positions: [1, 2, 3] }), /positions must hold B\*T = 41 entries, got 3/);
  assert.throws(() => m.loss(p.inputs, p.targets, 1, T, { segments: segs }), StepOptionsError);
  for (const q of m.params) assert.ok(q.grad.toArray().every((x) => x === 0), `${q.name}: a refused step touched the gradients`);
  m.dispose();
});
