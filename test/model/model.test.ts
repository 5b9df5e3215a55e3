// The forward pass against an independent PyTorch implementation (test/reference/llama_reference.py,
// float64, checked in as test/fixtures/yi-tiny): every position, through the decode path, the
// batched prefill path and mixed chunks, at 1 and 2 threads, in f32 and in reduced precisions.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { useRuntimePair } from './runtimes.js';
import { repoRoot } from '../paths.js';

const dir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const ref = JSON.parse(readFileSync(join(dir, 'logits.json'), 'utf8')) as { tokens: number[]; logits: number[][] };

const rts = useRuntimePair();

function maxAbsDiff(got: Float32Array, want: number[]): number {
  assert.equal(got.length, want.length);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

test('f32 logits match PyTorch at every position, one token at a time (decode path)', () => {
  const model = loadModel(rts.rt2, dir, { dtype: 'f32' });
  ref.tokens.forEach((tok, i) => {
    const err = maxAbsDiff(model.forward([tok]).toArray(), ref.logits[i]!);
    assert.ok(err < 1e-4, `position ${i}: max abs error ${err}`);
  });
  model.dispose();
});

test('batched prefill, chunked prefill and prefill + decode give the same logits', () => {
  const n = ref.tokens.length;
  for (const batch of [n, 4, 1]) {
    const model = loadModel(rts.rt2, dir, { dtype: 'f32', batch });
    const err = maxAbsDiff(model.forward(ref.tokens).toArray(), ref.logits[n - 1]!);
    assert.ok(err < 1e-4, `batch ${batch}: max abs error ${err}`);
    model.reset();
    model.forward(ref.tokens.slice(0, 5));
    for (let i = 5; i < n; i++) {
      const e = maxAbsDiff(model.forward([ref.tokens[i]!]).toArray(), ref.logits[i]!);
      assert.ok(e < 1e-4, `batch ${batch}, decode at ${i}: max abs error ${e}`);
    }
    model.dispose();
  }
});

test('1 thread and 2 threads give bit-identical logits', () => {
  const a = loadModel(rts.rt1, dir, { dtype: 'f32', batch: 8 });
  const b = loadModel(rts.rt2, dir, { dtype: 'f32', batch: 8 });
  assert.deepEqual(a.forward(ref.tokens).toArray(), b.forward(ref.tokens).toArray());
  assert.deepEqual(a.forward([3]).toArray(), b.forward([3]).toArray());
  a.dispose();
  b.dispose();
});

test('f16, bf16, q8_0 and q4_0 weights stay close to the f32 reference', () => {
  const n = ref.tokens.length;
  // Worst-case logit error allowed for each weight precision (the logits are O(1)).
  const bound = { f16: 5e-3, bf16: 5e-2, q8_0: 5e-2, q4_0: 0.3 } as const;
  for (const dtype of ['f16', 'bf16', 'q8_0', 'q4_0'] as const) {
    const model = loadModel(rts.rt2, dir, { dtype });
    const err = maxAbsDiff(model.forward(ref.tokens).toArray(), ref.logits[n - 1]!);
    assert.ok(err < bound[dtype], `${dtype}: max abs error ${err}`);
    model.dispose();
  }
});

test('the context limit and bad token ids are refused with clear errors', () => {
  const model = loadModel(rts.rt2, dir, { dtype: 'f32', contextLength: 8 });
  assert.throws(() => model.forward([1, 2, 96]), /token 2 is 96, outside the vocabulary \[0, 96\)/);
  assert.throws(() => model.forward(new Array(9).fill(1)), /9 positions exceed the context length 8/);
  assert.throws(() => model.forward([]), /no tokens/);
  model.dispose();
});

test('a model spread over several arenas (layer by layer) gives the same logits as one in a single arena', async () => {
  // Arenas barely larger than the threads' scratch: each holds about one layer and its workspace.
  const small = await Runtime.create({ threads: 2, arenaBytes: (3 << 20) + (256 << 10), scratchBytesPerThread: 3 << 19 });
  try {
    const spread = loadModel(small, dir, { dtype: 'f32', batch: 8 });
    const arenas = new Set([spread.weights.embed, spread.weights.lmHead, ...spread.weights.layers.map((l) => l.wq)].map((t) => t.arena.id));
    assert.ok(arenas.size >= 3, `expected the weights in 3 or more arenas, got ${arenas.size}`);
    const one = loadModel(rts.rt2, dir, { dtype: 'f32', batch: 8 });
    assert.deepEqual(spread.forward(ref.tokens).toArray(), one.forward(ref.tokens).toArray());
    assert.deepEqual(spread.forward([5]).toArray(), one.forward([5]).toArray());
    one.dispose();
    spread.dispose();
  } finally {
    await small.close();
  }
});
