// Packing rendered samples into batches: every trained token is a target exactly once per epoch, no
// target crosses from one sample to the next, positions restart at each sample, padding is -1 in
// targets and segments, and the batches are a pure function of (samples, options, seed, epoch).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SftDataError, type Conversation } from '../../src/sft/conversation.js';
import { epochBatches, packSamples, planEpoch, type PackOptions, type SftBatch } from '../../src/sft/pack.js';
import { renderConversation, type RenderedSample } from '../../src/sft/render.js';
import { trainedChatTokenizer } from '../tokenizer/chat-tokenizers.js';

/** Samples whose ids say where they come from: sample s, token j has id s * 10000 + j. */
function syntheticSamples(n: number, maxLen: number, seed: number): RenderedSample[] {
  let x = seed >>> 0 || 1;
  const rnd = (k: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 4294967296) * k);
  };
  return Array.from({ length: n }, (_, s) => {
    const L = 1 + rnd(maxLen);
    const ids = Int32Array.from({ length: L }, (_, j) => s * 10000 + j);
    const trained = Uint8Array.from({ length: L }, () => (rnd(3) === 0 ? 0 : 1));
    return { id: `s${s}`, ids, trained };
  });
}

const sampleOf = (id: number): number => Math.floor(id / 10000);
const tokenOf = (id: number): number => id % 10000;

/** Checks one epoch's batches against the samples; returns the rows used. */
function checkEpoch(samples: readonly RenderedSample[], batches: SftBatch[], o: PackOptions): number {
  const targeted = new Map<number, number>();
  const placed = new Set<number>();
  let rows = 0;
  for (const [b, batch] of batches.entries()) {
    const { B, T } = batch;
    if (b < batches.length - 1) assert.equal(B, o.batchSize);
    assert.ok(B >= 1 && B <= o.batchSize);
    if (!o.trimToLongest) assert.equal(T, o.seqLen);
    for (const a of [batch.inputs, batch.targets, batch.positions, batch.segments]) assert.equal(a.length, B * T);
    let samplesSeen = 0;
    let trainedSeen = 0;
    for (let r = 0; r < B; r++) {
      rows++;
      let prevSeg = -1;
      let inRow = 0;
      for (let t = 0; t < T; t++) {
        const i = r * T + t;
        const seg = batch.segments[i]!;
        if (seg === -1) {
          // Padding: only at the row's end, never trained.
          for (let u = t; u < T; u++) {
            assert.equal(batch.segments[r * T + u], -1, `batch ${b} row ${r}: padding at ${t} then a sample at ${u}`);
            assert.equal(batch.targets[r * T + u], -1);
            assert.equal(batch.inputs[r * T + u], o.padId ?? 0);
          }
          break;
        }
        const id = batch.inputs[i]!;
        const s = sampleOf(id);
        const j = tokenOf(id);
        if (seg !== prevSeg) {
          assert.equal(seg, prevSeg + 1, 'segments count up within a row');
          assert.equal(j, 0, 'a sample starts at its first token');
          assert.ok(!placed.has(s), `sample ${s} placed twice`);
          placed.add(s);
          samplesSeen++;
          inRow++;
          prevSeg = seg;
        }
        assert.equal(batch.positions[i], j, 'positions restart at 0 for each sample');
        assert.equal(id, samples[s]!.ids[j]);
        const target = batch.targets[i]!;
        const L = samples[s]!.ids.length;
        if (target >= 0) {
          // The next token of the same sample, and a trained one.
          assert.equal(target, samples[s]!.ids[j + 1], `batch ${b} row ${r} token ${t}: target crosses a sample boundary`);
          assert.equal(batch.segments[i + 1], seg);
          assert.equal(samples[s]!.trained[j + 1], 1);
          targeted.set(target, (targeted.get(target) ?? 0) + 1);
          trainedSeen++;
        } else if (j + 1 < L) {
          assert.equal(samples[s]!.trained[j + 1], 0, `trained token ${j + 1} of sample ${s} is no target`);
        }
      }
      if (!o.packing) assert.ok(inRow <= 1, 'one sample a row without packing');
    }
    assert.equal(batch.samples, samplesSeen);
    assert.equal(batch.trainedTokens, trainedSeen);
  }
  assert.equal(placed.size, samples.length, 'every sample is in the epoch');
  // Every trained token but a sample's first (nothing before it predicts it) is a target exactly once.
  for (const [s, sample] of samples.entries()) {
    for (let j = 1; j < sample.ids.length; j++) {
      assert.equal(targeted.get(s * 10000 + j) ?? 0, sample.trained[j], `sample ${s} token ${j}`);
    }
  }
  return rows;
}

test('packed batches: trained tokens targeted once, no target across samples, positions restart, padding -1', () => {
  const samples = syntheticSamples(300, 120, 1);
  const opts: PackOptions = { seqLen: 256, batchSize: 8, packing: true, seed: 5, padId: 3 };
  const batches = packSamples(samples, opts);
  const rows = checkEpoch(samples, batches, opts);
  // First-fit: a row other than the last is left with less room than the longest sample needs.
  const total = samples.reduce((n, s) => n + s.ids.length, 0);
  assert.ok(rows <= Math.ceil(total / (opts.seqLen - 120)) + 1, `${rows} rows for ${total} tokens`);
  assert.ok(rows < samples.length / 2, 'several samples share a row');
  for (const e of [1, 2]) checkEpoch(samples, epochBatches(samples, opts, e), opts);
});

test('without packing: one sample a row, in the seeded order; trimToLongest cuts the padding', () => {
  const samples = syntheticSamples(37, 60, 2);
  const opts: PackOptions = { seqLen: 64, batchSize: 5, packing: false, seed: 9 };
  const batches = packSamples(samples, opts);
  assert.equal(checkEpoch(samples, batches, opts), samples.length);
  assert.equal(batches.length, Math.ceil(37 / 5));
  const trimmed = packSamples(samples, { ...opts, trimToLongest: true });
  checkEpoch(samples, trimmed, { ...opts, trimToLongest: true });
  for (const [b, batch] of trimmed.entries()) {
    assert.equal(batch.T, Math.max(...Array.from({ length: batch.B }, (_, r) => samples[sampleOf(batches[b]!.inputs[r * 64]!)]!.ids.length)));
  }
});

test('deterministic under the seed; each epoch its own order; planEpoch makes any batch alone', () => {
  const samples = syntheticSamples(120, 50, 3);
  const opts: PackOptions = { seqLen: 128, batchSize: 4, packing: true, seed: 11 };
  assert.deepEqual(packSamples(samples, opts), packSamples(samples, opts));
  assert.deepEqual(packSamples(samples, opts), epochBatches(samples, opts, 0));
  const order = (bs: SftBatch[]): number[] => bs.flatMap((b) => Array.from(b.inputs).filter((id, i) => b.positions[i] === 0 && b.segments[i]! >= 0).map(sampleOf));
  const e0 = order(epochBatches(samples, opts, 0));
  const e1 = order(epochBatches(samples, opts, 1));
  const other = order(packSamples(samples, { ...opts, seed: 12 }));
  assert.notDeepEqual(e1, e0);
  assert.notDeepEqual(other, e0);
  assert.deepEqual([...e1].sort((a, b) => a - b), [...e0].sort((a, b) => a - b));
  const plan = planEpoch(samples, opts, 1);
  assert.deepEqual(plan.batch(plan.batches - 1), epochBatches(samples, opts, 1).at(-1));
  assert.throws(() => plan.batch(plan.batches), RangeError);
});

test('a sample longer than a row is refused, options are checked', () => {
  const samples = syntheticSamples(3, 10, 4);
  samples.push({ id: 'long', ids: new Int32Array(33), trained: new Uint8Array(33) });
  assert.throws(() => packSamples(samples, { seqLen: 32, batchSize: 2, packing: true, seed: 0 }), (e: unknown) => e instanceof SftDataError && e.reason === 'too-long' && e.where === 'long');
  assert.throws(() => packSamples(samples, { seqLen: 64, batchSize: 0, packing: true, seed: 0 }), /batchSize must be a positive integer/);
  assert.deepEqual(packSamples([], { seqLen: 8, batchSize: 2, packing: true, seed: 0 }), []);
});

test('rendered conversations: the targets of a packed row spell exactly the answers and their <|im_end|>', async () => {
  const tok = await trainedChatTokenizer();
  const convs: Conversation[] = [
    { id: 'a', where: 'a:1', messages: [{ role: 'user', content: 'What is the capital of France?' }, { role: 'assistant', content: 'Paris.' }] },
    { id: 'b', where: 'b:1', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'And Japan?' }, { role: 'assistant', content: 'Tokyo.' }, { role: 'user', content: 'Thanks!' }, { role: 'assistant', content: "You're welcome." }] },
  ];
  const samples = convs.map((c) => renderConversation(tok, c));
  const [batch] = packSamples(samples, { seqLen: 256, batchSize: 1, packing: true, seed: 0 });
  assert.equal(batch!.samples, 2);
  const targets = Array.from(batch!.targets).filter((t) => t >= 0);
  const aFirst = batch!.inputs.slice(0, samples[0]!.ids.length).every((id, i) => id === samples[0]!.ids[i]);
  const answers = aFirst ? ['Paris.<|im_end|>', "Tokyo.<|im_end|>You're welcome.<|im_end|>"] : ["Tokyo.<|im_end|>You're welcome.<|im_end|>", 'Paris.<|im_end|>'];
  assert.equal(tok.decode(targets, { skipSpecial: false }), answers.join(''));
  assert.equal(batch!.trainedTokens, samples.reduce((n, s) => n + s.trained.reduce((a, b) => a + b, 0), 0));
});
