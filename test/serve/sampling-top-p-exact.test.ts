// top_p without sorting the vocabulary: the sampler finds the nucleus by a counting pass over the
// logits' float keys and sorts only the buckets it reaches. It must draw exactly the tokens that
// sorting the whole row gives: the same prefix, in the same order, against the same seeded stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SamplingParams } from '../../src/serve/engine-api.js';
import { createSampler } from '../../src/serve/sampling.js';
import { mulberry32 } from '../../src/tensor/random.js';

const params = (p: Partial<SamplingParams>): SamplingParams => ({
  temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, seed: 1, maxTokens: 16, stopTokens: [], logprobs: null, ...p,
});

/** The order-preserving key of a float32 (as the IEEE bits sort): +0 above -0. */
function key(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

/** The documented draw with the whole row sorted: softmax(l / T), top_p prefix, min_p, one draw. */
function referenceDraws(logits: Float32Array, p: SamplingParams, draws: number): number[] {
  const random = mulberry32(p.seed);
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const weight = (t: number) => Math.exp((logits[t]! - max) / p.temperature);
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if (logits[i] === logits[i]) ids.push(i);
  let mass = 0;
  for (const i of ids) mass += weight(i);
  const keys = ids.map((i) => key(logits[i]!));
  const sorted = ids.map((id, j) => [id, keys[j]!] as const).sort((a, b) => b[1] - a[1] || a[0] - b[0]).map((e) => e[0]);
  const probs = sorted.map(weight);
  let keep = sorted.length;
  let acc = 0;
  for (let i = 0; i < sorted.length; i++) {
    acc += probs[i]! / mass;
    if (acc >= p.topP) {
      keep = i + 1;
      break;
    }
  }
  const floor = p.minP > 0 ? p.minP * probs[0]! : 0;
  const out: number[] = [];
  for (let d = 0; d < draws; d++) {
    if (max === -Infinity) {
      out.push(sorted[0]!);
      continue;
    }
    let total = 0;
    for (let i = 0; i < keep; i++) if (probs[i]! >= floor) total += probs[i]!;
    let r = random() * total;
    let last = -1;
    for (let i = 0; i < keep; i++) {
      if (probs[i]! < floor) continue;
      last = sorted[i]!;
      r -= probs[i]!;
      if (r < 0) break;
    }
    out.push(last);
  }
  return out;
}

function rows(): { name: string; logits: Float32Array }[] {
  const rnd = mulberry32(77);
  const V = 64000;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const peaked = new Float32Array(V).map((_, i) => (i % 997 === 0 ? 12 + 4 * rnd() : gauss()));
  const flat = new Float32Array(V).map(() => gauss() * 0.5);
  const ties = new Float32Array(V).map((_, i) => (i % 3) - 1); // many exact ties, ids must break them
  const zeros = new Float32Array(V).map((_, i) => (i % 2 ? 0 : -0)); // +0 above -0, as the float keys sort
  const quantized = new Float32Array(V).map(() => Math.round(gauss() * 8) / 8); // few distinct values, big buckets
  const special = new Float32Array(V).map((_, i) => (i % 5 === 0 ? NaN : i % 7 === 0 ? -Infinity : gauss()));
  const allMinusInf = new Float32Array(V).fill(-Infinity);
  return [
    { name: 'peaked', logits: peaked },
    { name: 'flat', logits: flat },
    { name: 'ties', logits: ties },
    { name: 'signed zeros', logits: zeros },
    { name: 'quantized', logits: quantized },
    { name: 'NaN and -Infinity', logits: special },
    { name: 'all -Infinity', logits: allMinusInf },
  ];
}

test('top_p draws exactly the tokens of a full sort, for peaked, flat, tied and special rows', () => {
  for (const { name, logits } of rows()) {
    for (const p of [
      params({ topP: 0.9, seed: 3 }),
      params({ topP: 0.5, temperature: 0.7, seed: 11 }),
      params({ topP: 0.05, seed: 5 }),
      params({ topP: 0.999, temperature: 1.3, minP: 0.05, seed: 8 }),
    ]) {
      const draws = 25;
      const want = referenceDraws(logits, p, draws);
      const s = createSampler(p);
      // The sampler may modify the row (penalties): give it a fresh copy each time.
      const got = Array.from({ length: draws }, () => s.sample(logits.slice(), []).token);
      assert.deepEqual(got, want, `${name}, top_p ${p.topP}, temperature ${p.temperature}, min_p ${p.minP}`);
    }
  }
});
