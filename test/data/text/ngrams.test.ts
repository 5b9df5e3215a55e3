import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WordSequence } from '../../../src/data/text/ngrams.js';
import { refDuplicatedNGramChars as refDup, refTopNGramChars as refTop } from './ngram-reference.js';

function randomWords(seed: number, count: number, vocab: string[]): string[] {
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(vocab[s % vocab.length]!);
  }
  return out;
}

test('n-gram statistics equal the string-based reference on random word sequences', () => {
  const vocabs = [['a', 'b'], ['the', 'cat', 'sat', 'on', 'mat', 'a', 'ab', 'b'], 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' '), ['我们', '的', '数据', '。', '，']];
  for (let seed = 1; seed <= 40; seed++) {
    const vocab = vocabs[seed % vocabs.length]!;
    const words = randomWords(seed, 1 + ((seed * 37) % 400), vocab);
    const seq = new WordSequence(words);
    for (const n of [2, 3, 4]) assert.equal(seq.topNGramChars(n), refTop(words, n), `top ${n}, seed ${seed}`);
    for (const n of [5, 6, 7, 8, 9, 10]) assert.equal(seq.duplicatedNGramChars(n), refDup(words, n), `dup ${n}, seed ${seed}`);
  }
});

test('duplicate n-grams compare joined characters, as datatrove does ("ab"+"c" repeats "a"+"bc")', () => {
  const words = ['ab', 'c', 'x', 'y', 'z', 'a', 'bc', 'x', 'y', 'z'];
  assert.equal(refDup(words, 5), 6);
  assert.equal(new WordSequence(words).duplicatedNGramChars(5), 6);
  // The top n-gram joins with spaces: "ab c" and "a bc" differ.
  assert.equal(new WordSequence(['ab', 'c', 'a', 'bc']).topNGramChars(2), refTop(['ab', 'c', 'a', 'bc'], 2));
});

test('ties for the most frequent n-gram go to the first seen; short sequences give 0', () => {
  // "aaaa b" and "c d" both occur twice; the first seen sets the length.
  const words = ['aaaa', 'b', 'c', 'd', 'aaaa', 'b', 'c', 'd'];
  assert.equal(new WordSequence(words).topNGramChars(2), refTop(words, 2));
  assert.equal(new WordSequence(words).topNGramChars(2), 'aaaa b'.length * 2);
  assert.equal(new WordSequence(['x']).topNGramChars(2), 0);
  assert.equal(new WordSequence([]).duplicatedNGramChars(5), 0);
});
