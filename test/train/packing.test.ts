import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { PackedSequences, sequenceCount, validationBatches, type TokenBatch } from '../../src/train/packing.js';
import { openTokenDataset } from '../../src/train/shards.js';
import { tempDir, writeTestDataset } from './dataset-helpers.js';

// A stream whose token at position p is p, cut into documents of 1..37 tokens spread over many
// small shards: a sequence's first input names where it was cut from.
const N = 1000;
const dir = tempDir('yi-packing-');
const docs: number[][] = [];
for (let p = 0, k = 0; p < N; k++) {
  const len = Math.min(1 + ((k * 7919) % 37), N - p);
  docs.push(Array.from({ length: len }, (_, i) => p + i));
  p += len;
}
writeTestDataset(dir, { vocabSize: 1 << 20, eosId: 0, docs: { train: docs, val: docs.slice(0, 20) }, shardTokens: 100 });
const ds = openTokenDataset(dir);
after(() => {
  ds.close();
  rmSync(dir, { recursive: true, force: true });
});
const train = ds.split('train');
const seqLen = 16;

/** The sequence number of each row, checking that each row is a window of the stream and its targets are the inputs shifted by one. */
function rows(b: TokenBatch): number[] {
  const out: number[] = [];
  for (let r = 0; r < b.inputs.length / seqLen; r++) {
    const first = b.inputs[r * seqLen]!;
    assert.equal(first % seqLen, 0, 'sequences start at multiples of seqLen');
    for (let i = 0; i < seqLen; i++) {
      assert.equal(b.inputs[r * seqLen + i], first + i);
      assert.equal(b.targets[r * seqLen + i], first + i + 1);
    }
    out.push(first / seqLen);
  }
  return out;
}

test('one epoch visits every sequence exactly once, shuffled, and the next epoch reshuffles', () => {
  const n = sequenceCount(N, seqLen);
  assert.equal(n, Math.floor((N - 1) / seqLen));
  const p = new PackedSequences(train, { seqLen, seed: 7 });
  assert.equal(p.sequences, n);
  const epoch0: number[] = [];
  // Batches of 5 do not divide 62: the epoch boundary falls inside a batch.
  while (epoch0.length < n) epoch0.push(...rows(p.next(5)));
  const spill = epoch0.splice(n);
  assert.deepEqual([...epoch0].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.notDeepEqual(epoch0, Array.from({ length: n }, (_, i) => i), 'shuffled');
  assert.deepEqual(epoch0, [...p.permutation(0)]);
  const epoch1 = [...spill];
  while (epoch1.length < n) epoch1.push(...rows(p.next(5)));
  assert.deepEqual(epoch1.slice(0, n), [...p.permutation(1)]);
  assert.notDeepEqual(epoch1.slice(0, n), epoch0);
  assert.equal(p.state().epoch, 2);
});

test('the same seed gives the same batches; another seed another order', () => {
  const a = new PackedSequences(train, { seqLen, seed: 1 });
  const b = new PackedSequences(train, { seqLen, seed: 1 });
  const c = new PackedSequences(train, { seqLen, seed: 2 });
  for (let i = 0; i < 30; i++) {
    const x = a.next(3);
    assert.deepEqual(b.next(3), x);
    if (i === 0) assert.notDeepEqual(c.next(3), x);
  }
});

test('restoring a saved state gives the identical next batches, across epochs', () => {
  const a = new PackedSequences(train, { seqLen, seed: 99 });
  for (let i = 0; i < 17; i++) a.next(4);
  const saved = JSON.parse(JSON.stringify(a.state()));
  assert.deepEqual(saved, { epoch: 1, cursor: 17 * 4 - 62 });
  const want = Array.from({ length: 20 }, () => a.next(4));
  const b = new PackedSequences(train, { seqLen, seed: 99 });
  b.next(1); // somewhere else entirely
  b.restore(saved);
  for (const w of want) assert.deepEqual(b.next(4), w);
  assert.deepEqual(b.state(), a.state());
});

test('bad states, lengths and splits too small are refused', () => {
  const p = new PackedSequences(train, { seqLen, seed: 0 });
  assert.throws(() => p.restore({ epoch: 0, cursor: 62 }), /cursor must be an integer in 0 \.\. 61 \(got 62\)/);
  assert.throws(() => p.restore({ epoch: -1, cursor: 0 }), /epoch must be a non-negative integer/);
  assert.throws(() => p.next(0), /batchSequences must be a positive integer/);
  assert.throws(() => new PackedSequences(train, { seqLen: N, seed: 0 }), /split 'train' has 1000 tokens: too few for one sequence of 1000 \+ 1/);
  assert.throws(() => new PackedSequences(train, { seqLen: 0, seed: 0 }), /seqLen must be a positive integer/);
});

test('validation batches are the same every time, evenly spread and unshuffled', () => {
  const val = ds.split('val');
  const n = sequenceCount(val.tokens, seqLen);
  const all = [...validationBatches(val, { seqLen, maxSequences: 1000, batchSequences: 4 })];
  assert.deepEqual(all.flatMap(rows), Array.from({ length: n }, (_, i) => i));
  assert.equal(all.at(-1)!.inputs.length, (n % 4 || 4) * seqLen);
  const capped = [...validationBatches(val, { seqLen, maxSequences: 5, batchSequences: 2 })];
  assert.deepEqual(capped.map((b) => b.inputs.length / seqLen), [2, 2, 1]);
  assert.deepEqual(capped.flatMap(rows), [0, 1, 2, 3, 4].map((k) => Math.floor((k * n) / 5)));
  assert.deepEqual([...validationBatches(val, { seqLen, maxSequences: 5, batchSequences: 2 })], capped);
});
