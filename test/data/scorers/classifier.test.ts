import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeatureBuffer, ngramFeatures, type NgramFeatureSpec } from '../../../src/data/scorers/hashed-features.js';
import { binaryMetrics, trainLogistic, type Example } from '../../../src/data/scorers/logistic.js';
import { mulberry32 } from '../../../src/tensor/random.js';

const spec = (over: Partial<NgramFeatureSpec> = {}): NgramFeatureSpec => ({ kind: 'ngrams', buckets: 1 << 16, word_ngrams: 2, char_ngrams: [3, 5], ...over });
const feats = (text: string, s: NgramFeatureSpec): number[] => {
  const b = new FeatureBuffer();
  ngramFeatures(text, s, b);
  return [...b.take()];
};

test('hashed features: word unigrams and n-grams, fastText character n-grams, line breaks, CCNet normalisation', () => {
  // Two words: 2 unigrams + 1 bigram.
  assert.equal(feats('Hello world', spec({ char_ngrams: [0, 0] })).length, 3);
  assert.equal(feats('a b c', spec({ word_ngrams: 3, char_ngrams: [0, 0] })).length, 3 + 2 + 1);
  // '<ab>' has n-grams of 3..5 chars: '<ab', 'ab>', '<ab>' (the word '<ab>' itself included, as fastText).
  assert.equal(feats('ab', spec({ word_ngrams: 1 })).length, 1 + 3);
  // A line break is a word of its own.
  assert.equal(feats('a\nb', spec({ word_ngrams: 1, char_ngrams: [0, 0] })).length, 3);
  // Case, accents and digits do not matter; word order does (bigrams).
  assert.deepEqual(feats('Café 2024', spec()), feats('cafe 1999', spec()));
  assert.notDeepEqual(new Set(feats('dog bites man', spec())), new Set(feats('man bites dog', spec())));
  // Han characters are words one by one (their bigrams stand for words), without character n-grams.
  assert.equal(feats('语言模型', spec()).length, 4 + 3);
  assert.ok(feats('x y z', spec({ buckets: 8 })).every((f) => f >= 0 && f < 8));
});

test('logistic regression separates a toy problem and is deterministic for a seed', () => {
  const r = mulberry32(1);
  const examples: Example[] = [];
  for (let i = 0; i < 400; i++) {
    const label = (i % 2) as 0 | 1;
    const f = Array.from({ length: 5 + Math.floor(r() * 10) }, () => (r() < 0.7 ? label * 10 + Math.floor(r() * 10) : 20 + Math.floor(r() * 10)));
    examples.push({ features: Uint32Array.from(f), label });
  }
  const a = trainLogistic(examples, 32, { epochs: 5, learningRate: 4, seed: 3, balance: true });
  const b = trainLogistic(examples, 32, { epochs: 5, learningRate: 4, seed: 3, balance: true });
  assert.deepEqual(a.weights, b.weights);
  const m = binaryMetrics(examples.map((e) => a.probability(e.features)), examples.map((e) => e.label));
  assert.ok(m.accuracy > 0.95 && m.auc > 0.99, JSON.stringify(m));
  assert.throws(() => trainLogistic([], 8, { epochs: 1, learningRate: 1, seed: 0, balance: false }), /no training examples/);
});

test('binary metrics: accuracy, precision, recall at a threshold and rank AUC with ties', () => {
  const m = binaryMetrics([0.9, 0.8, 0.4, 0.3, 0.8], [1, 0, 1, 0, 1], 0.5);
  assert.equal(m.accuracy, 3 / 5);
  assert.equal(m.precision, 2 / 3);
  assert.equal(m.recall, 2 / 3);
  // Positive/negative pairs: (0.9>0.8) (0.9>0.3) (0.4<0.8) (0.4>0.3) (0.8=0.8 half) (0.8>0.3) -> 4.5 / 6.
  assert.equal(m.auc, 4.5 / 6);
  assert.ok(Number.isNaN(binaryMetrics([0.5], [1]).auc));
});
