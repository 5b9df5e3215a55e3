// The server's sampler against hand-computed cases: greedy, OpenAI's additive penalties over the
// generated tokens, temperature, top_k / top_p / min_p cuts, seeded streams, raw logprobs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SamplingParams } from '../../src/serve/engine-api.js';
import { createSampler, SamplingError, topIndices } from '../../src/serve/sampling.js';
import { mulberry32 } from '../../src/tensor/random.js';

const params = (p: Partial<SamplingParams>): SamplingParams => ({
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  seed: 1,
  maxTokens: 16,
  stopTokens: [],
  logprobs: null,
  ...p,
});
const row = (v: number[]) => new Float32Array(v);
// p = 0.1, 0.2, 0.3, 0.4
const QUARTER = [0, Math.log(2), Math.log(3), Math.log(4)];

function frequencies(p: Partial<SamplingParams>, logits: number[], n = 20000): number[] {
  const s = createSampler(params(p));
  const counts = logits.map(() => 0);
  for (let i = 0; i < n; i++) counts[s.sample(row(logits), []).token]!++;
  return counts.map((c) => c / n);
}

function near(got: number[], want: number[], tol = 0.015): void {
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < tol, `p[${i}] = ${g}, expected ${want[i]} (all: ${got.join(', ')})`));
}

test('temperature 0 is greedy: the first largest logit, without drawing', () => {
  const s = createSampler(params({ temperature: 0 }));
  assert.equal(s.sample(row([0.1, 3, -2, 3, 1]), []).token, 1);
});

test('presence and frequency penalties are subtracted per generated token, as OpenAI defines them', () => {
  // token 1: 3 - presence 1 = 2 < 2.5, so token 2 wins
  assert.equal(createSampler(params({ temperature: 0, presencePenalty: 1 })).sample(row([1, 3, 2.5]), [1]).token, 2);
  // twice generated: 3 - 2 x 0.3 = 2.4 < 2.5; 3 - 2 x 0.2 = 2.6 > 2.5
  assert.equal(createSampler(params({ temperature: 0, frequencyPenalty: 0.3 })).sample(row([1, 3, 2.5]), [1, 1]).token, 2);
  assert.equal(createSampler(params({ temperature: 0, frequencyPenalty: 0.2 })).sample(row([1, 3, 2.5]), [1, 1]).token, 1);
  // a negative penalty favours what was generated
  assert.equal(createSampler(params({ temperature: 0, presencePenalty: -2 })).sample(row([1, 2.5, 2]), [0]).token, 0);
  // only the generated tokens count: none generated, no penalty
  assert.equal(createSampler(params({ temperature: 0, presencePenalty: 2 })).sample(row([1, 3, 2.5]), []).token, 1);
});

test('the counts follow the answer as it grows (the sampler is called once per token)', () => {
  const s = createSampler(params({ temperature: 0, frequencyPenalty: 0.4 }));
  const logits = [2, 2.5, 0];
  assert.equal(s.sample(row(logits), []).token, 1);
  assert.equal(s.sample(row(logits), [1]).token, 1); // 2.1 > 2
  assert.equal(s.sample(row(logits), [1, 1]).token, 0); // 1.7 < 2
});

test('temperature 1 draws from the softmax; temperature 0.5 from its square, renormalized', () => {
  near(frequencies({}, QUARTER), [0.1, 0.2, 0.3, 0.4]);
  near(frequencies({ temperature: 0.5 }, QUARTER), [1, 4, 9, 16].map((x) => x / 30));
});

test('top_k keeps the k most likely; top_p the smallest prefix reaching p; min_p drops below p x the best', () => {
  near(frequencies({ topK: 2 }, QUARTER), [0, 0, 3 / 7, 4 / 7]);
  // 0.4 < 0.5 <= 0.4 + 0.3
  near(frequencies({ topP: 0.5 }, QUARTER), [0, 0, 3 / 7, 4 / 7]);
  near(frequencies({ topP: 0.35 }, QUARTER), [0, 0, 0, 1]);
  // floor 0.45 x 0.4 = 0.18: 0.2, 0.3 and 0.4 stay
  near(frequencies({ minP: 0.45 }, QUARTER), [0, 2 / 9, 3 / 9, 4 / 9]);
  // top_p after top_k: of {0.3, 0.4} renormalized (3/7, 4/7), 4/7 >= 0.5 alone
  near(frequencies({ topK: 2, topP: 0.5 }, QUARTER), [0, 0, 0, 1]);
});

test('top_p over a large vocabulary draws only from the nucleus, in its proportions', () => {
  // 5000 logits: a peaked head of 40 tokens and a long flat tail, so the nucleus is found without a full sort.
  const rnd = mulberry32(9);
  const logits = Array.from({ length: 5000 }, (_, i) => (i % 125 === 0 ? 6 + rnd() * 2 : rnd()));
  const w = logits.map((l) => Math.exp(l - 8));
  const Z = w.reduce((a, b) => a + b, 0);
  const order = w.map((_, i) => i).sort((a, b) => w[b]! - w[a]! || a - b);
  const nucleus: number[] = [];
  let acc = 0;
  for (const i of order) {
    nucleus.push(i);
    acc += w[i]! / Z;
    if (acc >= 0.6) break;
  }
  assert.ok(nucleus.length > 5 && nucleus.length < 40, `${nucleus.length} tokens in the nucleus`);
  const s = createSampler(params({ topP: 0.6, seed: 4 }));
  const counts = new Map<number, number>();
  const draws = 4000;
  const r = row(logits);
  for (let i = 0; i < draws; i++) {
    const t = s.sample(r, []).token;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].filter((t) => !nucleus.includes(t)), []);
  const mass = nucleus.reduce((a, i) => a + w[i]!, 0);
  for (const i of nucleus) assert.ok(Math.abs((counts.get(i) ?? 0) / draws - w[i]! / mass) < 0.03, `token ${i}`);
  // 3000 equal logits then 2000 lower ones: past the sort limit, cut by a threshold; ties go lowest
  // id first, so top_p 0.5 keeps about the first half of the equal ones
  const flat = Array.from({ length: 5000 }, (_, i) => (i < 3000 ? 1 : 0));
  const fz = 3000 * Math.E + 2000;
  const fs = createSampler(params({ topP: 0.5, seed: 2 }));
  const seen = new Set<number>();
  for (let i = 0; i < 3000; i++) seen.add(fs.sample(row(flat), []).token);
  const keep = Math.ceil((0.5 * fz) / Math.E);
  assert.ok([...seen].every((t) => t < keep), `a token past ${keep}: ${Math.max(...seen)}`);
  assert.ok(seen.size > keep * 0.6, `${seen.size} distinct of ${keep}`);
  // a flat row: the nucleus is most of it (the whole row sorted; ties: lower ids first)
  near(frequencies({ topP: 0.7 }, [0, 0, 0, 0]), [1 / 3, 1 / 3, 1 / 3, 0]);
});

test('the first draw is the seed stream\'s first number against the cumulative softmax', () => {
  for (const seed of [1, 2, 3, 42, 1234567]) {
    const r = mulberry32(seed)();
    const cum = [0.1, 0.3, 0.6, 1.0];
    const want = cum.findIndex((c) => r < c - 1e-12);
    assert.equal(createSampler(params({ seed })).sample(row(QUARTER), []).token, want, `seed ${seed}, r = ${r}`);
  }
});

test('the same seed gives the same tokens, another seed others; two samplers do not share a stream', () => {
  const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 2);
  const draw = (seed: number) => {
    const s = createSampler(params({ seed }));
    return Array.from({ length: 40 }, () => s.sample(row(logits), []).token);
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  // interleaving two requests does not change either one's tokens
  const a = createSampler(params({ seed: 7 }));
  const b = createSampler(params({ seed: 8 }));
  const inter: number[] = [];
  for (let i = 0; i < 40; i++) {
    inter.push(a.sample(row(logits), []).token);
    b.sample(row(logits), []);
  }
  assert.deepEqual(inter, draw(7));
});

test('logprobs are the log-softmax of the raw logits, before penalties and temperature', () => {
  const s = createSampler(params({ temperature: 0, presencePenalty: 2, logprobs: 2 }));
  const e = s.sample(row(QUARTER), [3]);
  // penalized: token 3 becomes ln 4 - 2 < ln 3, so token 2 is chosen
  assert.equal(e.token, 2);
  assert.ok(Math.abs(e.logprob! - Math.log(0.3)) < 1e-6);
  assert.deepEqual(e.topLogprobs!.map((t) => t.token), [3, 2]);
  assert.ok(Math.abs(e.topLogprobs![0]!.logprob - Math.log(0.4)) < 1e-6);
  assert.ok(Math.abs(e.topLogprobs![1]!.logprob - Math.log(0.3)) < 1e-6);
  const hot = createSampler(params({ temperature: 1.7, logprobs: 0, seed: 3 })).sample(row(QUARTER), []);
  assert.ok(Math.abs(hot.logprob! - Math.log((hot.token + 1) / 10)) < 1e-6);
  assert.deepEqual(hot.topLogprobs, []);
  assert.equal(createSampler(params({})).sample(row(QUARTER), []).logprob, undefined);
});

test('NaN logits are skipped; a row of NaN is a SamplingError', () => {
  assert.equal(createSampler(params({ temperature: 0 })).sample(row([NaN, 1, NaN, 2]), []).token, 3);
  near(frequencies({}, [NaN, 0, NaN, 0], 4000), [0, 0.5, 0, 0.5], 0.04);
  assert.throws(() => createSampler(params({ temperature: 0 })).sample(row([NaN, NaN]), []), SamplingError);
  assert.throws(() => createSampler(params({})).sample(row([NaN, NaN]), []), SamplingError);
});

test('topIndices: the k largest, largest first, lower index first on ties', () => {
  assert.deepEqual(topIndices(row([1, 5, 3, 5, -Infinity, 2]), 3), [1, 3, 2]);
  assert.deepEqual(topIndices(row([1, 2]), 5), [1, 0]);
  assert.deepEqual(topIndices(row([1, 2]), 0), []);
});
