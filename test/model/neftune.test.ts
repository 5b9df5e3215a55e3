// NEFTune: uniform noise of alpha / sqrt(L * d) on the input embeddings while training, L the token's
// own sample's unpadded length, none on padding; seeded; never in the validation loss.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { addNeftuneNoise, neftuneBound } from '../../src/model/neftune.js';
import { segmentLengths, segmentStarts, StepOptionsError } from '../../src/model/packing.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { repoRoot } from '../paths.js';
import { useRuntimePair } from './runtimes.js';

const modelDir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const rts = useRuntimePair();

function load(rt: Runtime): YiTrainable {
  const src = openWeights(modelDir);
  try {
    return YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen: 64 });
  } finally {
    src.close();
  }
}

// Two rows: samples of 300, 1 and 150 tokens then padding; one sample of 500.
const T = 500;
const SEGMENTS = [
  ...new Array<number>(300).fill(0), 1, ...new Array<number>(150).fill(2), ...new Array<number>(49).fill(-1),
  ...new Array<number>(500).fill(0),
];

test('segment lengths are each sample\'s unpadded length, 0 on padding, T without segments', () => {
  const L = segmentLengths(SEGMENTS, segmentStarts(SEGMENTS, 2, T), 2, T);
  assert.deepEqual([L[0], L[299], L[300], L[301], L[450], L[451], L[499], L[500], L[999]], [300, 300, 1, 150, 150, 0, 0, 500, 500]);
  assert.ok(segmentLengths(undefined, undefined, 2, 7).every((x) => x === 7));
});

test('NEFTune noise: within alpha / sqrt(L * d) of each token, filling that range, mean 0, variance bound^2 / 3, none on padding', () => {
  const d = 64;
  const alpha = 5;
  const lengths = segmentLengths(SEGMENTS, segmentStarts(SEGMENTS, 2, T), 2, T);
  const x = new Float32Array(2 * T * d);
  addNeftuneNoise(x, d, lengths, { alpha, seed: 42 });
  // Per sample: the largest |noise| reaches (nearly) its bound and never passes it; mean and variance
  // of uniform[-b, b] (variance b^2 / 3) within 5 standard errors.
  const samples: [number, number][] = [[0, 300], [300, 301], [301, 451], [500, 1000]];
  for (const [from, to] of samples) {
    const b = neftuneBound(alpha, to - from, d);
    const v = x.subarray(from * d, to * d);
    let max = 0;
    let sum = 0;
    let sq = 0;
    for (const y of v) {
      max = Math.max(max, Math.abs(y));
      sum += y;
      sq += y * y;
    }
    const n = v.length;
    assert.ok(max <= b * (1 + 1e-6), `tokens ${from}..${to - 1}: |noise| ${max} exceeds ${b}`);
    // n uniform draws all below (1 - 20 / n) b: probability about e^-20.
    assert.ok(max >= (1 - 20 / n) * b, `tokens ${from}..${to - 1}: |noise| at most ${max}, far below ${b}`);
    assert.ok(Math.abs(sum / n) <= (5 * b) / Math.sqrt(3 * n), `tokens ${from}..${to - 1}: mean ${sum / n}`);
    // Var(y^2) for uniform[-b, b] is 4 b^4 / 45.
    assert.ok(Math.abs(sq / n - (b * b) / 3) <= 5 * Math.sqrt((4 * b ** 4) / 45 / n), `tokens ${from}..${to - 1}: variance ${sq / n} vs ${(b * b) / 3}`);
  }
  assert.ok(x.subarray(451 * d, 500 * d).every((y) => y === 0), 'padding got noise');
  // Same seed: same noise; another seed: other noise.
  const again = new Float32Array(x.length);
  addNeftuneNoise(again, d, lengths, { alpha, seed: 42 });
  assert.deepEqual(again, x);
  const other = new Float32Array(x.length);
  addNeftuneNoise(other, d, lengths, { alpha, seed: 43 });
  assert.ok(other.some((y, i) => y !== x[i]));
});

// One row, 30 distinct token ids (no id twice), so that noise on the looked-up embeddings equals the
// same noise written into those rows of the table.
const IDS = (() => {
  const r = mulberry32(5);
  const ids = Array.from({ length: 96 }, (_, i) => i);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids.slice(0, 30);
})();
const TARGETS = IDS.map((_, i) => (i % 4 === 0 ? -1 : IDS[(i + 7) % 30]!));
const SEGS = [...new Array<number>(11).fill(0), ...new Array<number>(15).fill(1), ...new Array<number>(4).fill(-1)];
const POS = SEGS.map((s, i) => (s === 1 ? i - 11 : i < 11 ? i : 0));

test('lossAndGrad with NEFTune = the noise added to the embedding lookup: loss and every gradient bit for bit', () => {
  const neftune = { alpha: 5, seed: 1234 };
  const layout = { segments: SEGS, positions: POS };
  const m = load(rts.rt2);
  const noisy = m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune });
  const want = m.params.map((p) => p.grad.toArray());

  // The same noise, drawn for the 30 looked-up rows, written into the table itself.
  m.zeroGrad();
  const hidden = m.config.hidden;
  const table = m.param('model.embed_tokens.weight').value;
  const f = table.arena.f32;
  const base = table.offset / 4;
  const rows = new Float32Array(30 * hidden);
  IDS.forEach((id, i) => rows.set(f.subarray(base + id * hidden, base + (id + 1) * hidden), i * hidden));
  addNeftuneNoise(rows, hidden, segmentLengths(SEGS, segmentStarts(SEGS, 1, 30), 1, 30), neftune);
  IDS.forEach((id, i) => f.set(rows.subarray(i * hidden, (i + 1) * hidden), base + id * hidden));
  const manual = m.lossAndGrad(IDS, TARGETS, 1, 30, layout);
  assert.equal(noisy.sum, manual.sum);
  m.params.forEach((p, i) => assert.deepEqual(p.grad.toArray(), want[i], `${p.name} gradient`));
  m.dispose();
});

test('NEFTune is seeded, changes the training loss, and never touches loss()', () => {
  const layout = { segments: SEGS, positions: POS };
  const m = load(rts.rt2);
  const plain = m.lossAndGrad(IDS, TARGETS, 1, 30, layout);
  const a = m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 5, seed: 7 } });
  const b = m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 5, seed: 7 } });
  const c = m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 5, seed: 8 } });
  const zero = m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 0, seed: 7 } });
  assert.equal(a.sum, b.sum);
  assert.notEqual(a.sum, plain.sum);
  assert.notEqual(a.sum, c.sum);
  assert.equal(zero.sum, plain.sum);
  // Activation recomputation replays the blocks on the noised embeddings: the same bits.
  m.zeroGrad();
  m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 5, seed: 7 } });
  const kept = m.params.map((p) => p.grad.toArray());
  m.zeroGrad();
  const replayed = m.lossAndGrad(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 5, seed: 7 }, recompute: true });
  assert.equal(replayed.sum, a.sum);
  m.params.forEach((p, i) => assert.deepEqual(p.grad.toArray(), kept[i], `${p.name} with recomputation`));
  m.zeroGrad();
  const validation = m.loss(IDS, TARGETS, 1, 30, { ...layout, neftune: { alpha: 5, seed: 7 } });
  assert.equal(validation.sum, plain.sum);
  for (const p of m.params) assert.ok(p.grad.toArray().every((x) => x === 0), `${p.name}: loss() touched a gradient`);
  m.dispose();
});

test('bad NEFTune options are refused with a StepOptionsError', () => {
  const m = load(rts.rt2);
  for (const [neftune, msg] of [
    [{ alpha: -1, seed: 1 }, /neftune.alpha must be a finite number >= 0, got -1/],
    [{ alpha: Number.NaN, seed: 1 }, /neftune.alpha must be a finite number >= 0, got NaN/],
    [{ alpha: 5, seed: 1.5 }, /neftune.seed must be a 32-bit integer, got 1.5/],
  ] as const) {
    assert.throws(() => m.lossAndGrad(IDS, TARGETS, 1, 30, { neftune }), (e: unknown) => e instanceof StepOptionsError && msg.test(e.message));
  }
  m.dispose();
});
