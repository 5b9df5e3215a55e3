// Prompt processing (YiModel.forward on several tokens): the tiled prefill attention and one
// quantization of each GEMM input shared by q/k/v and gate/up, against the decode path token by
// token, across thread counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { KernelProfile } from '../../src/runtime/profile.js';
import { useRuntimePair } from './runtimes.js';
import { isQuantized } from '../../src/tensor/dtype.js';

const rts = useRuntimePair();

const cfg = preset('tiny'); // GQA 2:1, head dim 16
const tokens = Array.from({ length: 23 }, (_, i) => (i * 37 + 5) % cfg.vocabSize);

/** Logits of every token after the first 13: a prompt chunk of 13, then one of 10 (pos0 = 13). */
function prefillLast(model: YiModel): Float32Array[] {
  model.reset();
  model.forward(tokens.slice(0, 13));
  return [model.forward(tokens.slice(13)).toArray()];
}

function decodeAll(model: YiModel): Float32Array[] {
  model.reset();
  return tokens.map((t) => model.forward([t]).toArray());
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// Logits are O(1). f32 weights: only the attention's rounding differs (about 1e-6 relative).
// Quantized weights: an activation that moves by a rounding step may cross an int8 rounding
// boundary in the next layer's quantization, a step of 1/127 of its block's largest value.
// Measured: about 1e-7 without a flip, 1.4e-2 with one (max |logit| about 2).
const BOUND = { f32: 1e-4, q8_0: 5e-2, q4_0: 5e-2 } as const;

test('prefill logits (chunks of 13 and 10 tokens, the second at pos0 = 13) match token-by-token decode', () => {
  for (const type of ['f32', 'q8_0', 'q4_0'] as const) {
    const model = YiModel.random(rts.rt2, cfg, type, 3, { contextLength: 32, batch: 16 });
    const [pre] = prefillLast(model);
    const dec = decodeAll(model);
    const err = maxAbsDiff(pre!, dec[dec.length - 1]!);
    console.log(`${type}: prefill vs decode max abs logit difference ${err.toExponential(2)}`);
    assert.ok(err <= BOUND[type], `${type}: max abs difference ${err} exceeds ${BOUND[type]}`);
    model.dispose();
  }
});

test('prefill logits are bit-identical on 1 and 2 threads', () => {
  for (const type of ['f32', 'q8_0', 'q4_0'] as const) {
    const a = YiModel.random(rts.rt1, cfg, type, 4, { contextLength: 32, batch: 16 });
    const b = YiModel.random(rts.rt2, cfg, type, 4, { contextLength: 32, batch: 16 });
    assert.deepEqual(prefillLast(a), prefillLast(b), type);
    a.dispose();
    b.dispose();
  }
});

test('a prefill chunk quantizes each GEMM input once (q/k/v and gate/up share it) and runs the tiled attention', () => {
  const model = YiModel.random(rts.rt2, cfg, 'q8_0', 5, { contextLength: 32, batch: 16 });
  const profile = new KernelProfile();
  rts.rt2.profile = profile;
  try {
    model.forward(tokens.slice(0, 11));
  } finally {
    rts.rt2.profile = undefined;
  }
  const l = model.weights.layers[0]!;
  // Inputs per layer: xb (q, k, v), att (wo), xb (gate, up), swiglu (down) where those are quantized.
  const perLayer = [[l.wq], [l.wo], [l.wGate], [l.wDown]].filter(([w]) => isQuantized(w!.dtype)).length;
  assert.ok(perLayer >= 3, `expected quantized q, o and gate weights, got ${perLayer} inputs`);
  // Q8_0 chunks of up to 32 tokens quantize to gemv's records (the multi-token GEMV), longer ones to qgemm's.
  const quantizations = (profile.rows.get('qgemm_quantize')?.calls ?? 0) + (profile.rows.get('quantize_act')?.calls ?? 0);
  assert.equal(quantizations, perLayer * cfg.layers);
  assert.equal(profile.rows.get('attention_prefill_tiled_f32')?.calls, cfg.layers);
  assert.equal(profile.rows.get('attention_f32'), undefined);
  model.dispose();
});
