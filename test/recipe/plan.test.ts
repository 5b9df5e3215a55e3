// How the recipe plans pretraining from the time the budget leaves: the budget for the clock-driven
// run, the warmup and the evaluation size from the probe, and the warning when the stages before
// pretraining have used up the time it needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { planPretraining, planSft, type RecipeState } from '../../src/recipe/recipe.js';
import { SCALES } from '../../src/recipe/scales.js';

const small = SCALES.small;
const model = { ...preset('yi-mini'), vocabSize: 4000 };
const state = (minutes: number, done: RecipeState['done']): RecipeState => ({
  format: 'yi-ts-recipe',
  version: 1,
  settings: { scale: 'small', minutes, data: null, seed: 1, threads: 2 },
  done,
  startedAt: '',
});

test('a quiet machine: the time left, about its steps, the full evaluation', () => {
  const p = planPretraining(state(10, { corpus: 1, scorers: 3, clean: 7, tokenizer: 1, tokens: 1 }), small, model, 3300, 4);
  assert.equal(p.mode, 'time');
  assert.equal(p.budgetSeconds, 600 - 17 - 30);
  assert.equal(p.estimatedSteps, Math.floor((553 * 3300) / 4096));
  assert.equal(p.warmupSteps, Math.floor(p.estimatedSteps! * 0.05));
  assert.equal(p.evalTokens, 32768);
  assert.equal(p.shortOf, undefined);
});

test('a busy machine whose earlier stages took the time: the minimum, a smaller evaluation, and why', () => {
  const p = planPretraining(state(3, { corpus: 2, scorers: 22, clean: 70, tokenizer: 5, tokens: 6 }), small, model, 404, 30);
  assert.equal(p.budgetSeconds, 60);
  assert.equal(p.estimatedSteps, 20, 'the minimum steps');
  // 3% of 60 s at three times 404 tokens/s: 2181 tokens, cut to whole sequences of 256.
  assert.equal(p.evalTokens, 2048);
  assert.equal(p.shortOf, 'the 3.0 min budget leaves 15 s for pretraining after 2.3 min of earlier stages and 30 s kept for the samples; it trains for its minimum of 60 s');
});

test('a fixed step count: WSD over the steps, whatever the clock', () => {
  const p = planPretraining(state(10, {}), small, model, 3300, 4, 100);
  assert.deepEqual([p.mode, p.steps, p.warmupSteps, p.budgetSeconds, p.evalTokens], ['steps', 100, 5, undefined, undefined]);
});

test('chat finetuning takes its share of the time pretraining would get, and plans its steps at pretraining\'s speed', () => {
  const done = { corpus: 1, scorers: 3, clean: 7, tokenizer: 1, tokens: 1 };
  const p = planPretraining(state(10, done), small, model, 3300, 4, undefined, 0.25);
  assert.equal(p.budgetSeconds, 553 - 0.25 * 553);
  // After pretraining took its time: what is left, at its measured speed, a fifth kept for the evaluations.
  const after = { ...state(10, { ...done, pretrain: 4 + p.budgetSeconds! }), pretrain: { ...p, tokensPerSecond: 3000 } };
  const f = planSft(after, small, false);
  assert.equal(f.budgetSeconds, 600 - 17 - p.budgetSeconds! - 30);
  assert.equal(f.steps, Math.floor((0.8 * f.budgetSeconds! * 3000) / (0.9 * 16 * 256)));
  assert.deepEqual([f.seqLen, f.batch, f.lr], [256, 16, 1e-3]);
  assert.equal(planSft(after, small, true).steps, small.sft.steps, 'a fixed-step recipe: the scale\'s steps');
});
