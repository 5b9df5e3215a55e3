import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Sampler } from '../../src/model/sampler.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { Tensor } from '../../src/tensor/tensor.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 1, arenaBytes: 16 << 20 });
});
after(async () => {
  await rt.close();
});

const row = (v: number[]) => Tensor.fromF32(rt, v, [1, v.length]);

test('temperature 0 is greedy: the first largest logit', () => {
  const s = new Sampler({ temperature: 0 });
  assert.equal(s.sample(row([0.1, 3, -2, 3, 1])), 1);
});

test('the same seed gives the same tokens, another seed other tokens', () => {
  const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 2);
  const draw = (seed: number) => {
    const s = new Sampler({ seed, temperature: 1, topK: 0, topP: 1, minP: 0 });
    return Array.from({ length: 40 }, () => s.sample(row(logits)));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('sampling at temperature 1 without filters follows the softmax', () => {
  const logits = [0, Math.log(2), Math.log(3), Math.log(4)]; // p = 0.1, 0.2, 0.3, 0.4
  const s = new Sampler({ seed: 3, temperature: 1, topK: 0, topP: 1, minP: 0 });
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) counts[s.sample(row(logits))]!++;
  counts.forEach((c, i) => assert.ok(Math.abs(c / n - (i + 1) / 10) < 0.015, `p[${i}] = ${c / n}`));
});

test('top-k, top-p and min-p keep only the likely tokens', () => {
  const logits = [5, 4.9, 0, -1, -2, 4.8];
  const only = (opts: ConstructorParameters<typeof Sampler>[0]) => {
    const s = new Sampler({ seed: 1, temperature: 1, topK: 0, topP: 1, minP: 0, ...opts });
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(s.sample(row(logits)));
    return [...seen].sort();
  };
  assert.deepEqual(only({ topK: 1 }), [0]);
  assert.deepEqual(only({ topK: 2 }), [0, 1]);
  assert.deepEqual(only({ topP: 0.5 }), [0, 1]); // p0 ~ 0.35, p0 + p1 ~ 0.67
  assert.deepEqual(only({ minP: 0.5 }), [0, 1, 5]); // e^-5 of the top is far below half of it
});

test('the repetition penalty makes a repeated token less likely, Hugging Face style', () => {
  const s = new Sampler({ temperature: 0, repetitionPenalty: 2 });
  const l = row([2, 1.5, -1]);
  assert.equal(s.sample(l, [0]), 1); // 2 / 2 = 1 < 1.5
  assert.deepEqual([...l.toArray()], [1, 1.5, -1]);
  const neg = row([-1, -1.5]);
  assert.equal(new Sampler({ temperature: 0, repetitionPenalty: 2 }).sample(neg, [0]), 1); // -1 * 2 = -2 < -1.5
});

test('bad options are rejected with their names', () => {
  assert.throws(() => new Sampler({ temperature: -1 }), /temperature must be between 0 and 100, got -1/);
  assert.throws(() => new Sampler({ topP: 1.5 }), /topP must be between 0 and 1/);
  assert.throws(() => new Sampler({ topK: 2.5 }), /topK must be an integer >= 0/);
  assert.throws(() => new Sampler({ temperature: 1 }).sample(row([NaN, NaN])), /every logit is NaN/);
});
