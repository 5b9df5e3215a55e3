// Exact-match scoring: normalisation folds only form (width, case, spaces, end punctuation, wrapping marks), and a
// prediction matches only when one whole part of it (all, last line, last bold span, after "Answer:", last sentence)
// is the answer: never a substring.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerCandidates, exactMatch, normalizeAnswer } from '../../src/sft/score.js';

test('normalizeAnswer folds width, case, spaces, trailing punctuation (Chinese too), wrapping marks and digit groups', () => {
  assert.equal(normalizeAnswer('  Paris. '), 'paris');
  assert.equal(normalizeAnswer('巴黎。'), '巴黎');
  assert.equal(normalizeAnswer('巴黎！'), '巴黎');
  assert.equal(normalizeAnswer('巴黎？'), '巴黎');
  assert.equal(normalizeAnswer('ＰＡＲＩＳ'), 'paris');
  assert.equal(normalizeAnswer('１２３'), '123');
  assert.equal(normalizeAnswer('K  AE1\tT'), 'k ae1 t');
  assert.equal(normalizeAnswer('**Paris**.'), 'paris');
  assert.equal(normalizeAnswer('“Paris”'), 'paris');
  assert.equal(normalizeAnswer('「李白」。'), '李白');
  assert.equal(normalizeAnswer('《静夜思》'), '静夜思');
  assert.equal(normalizeAnswer('`Fe`'), 'fe');
  assert.equal(normalizeAnswer('1,234,567'), '1234567');
  assert.equal(normalizeAnswer('\u22125'), '-5');
  assert.equal(normalizeAnswer('Pa\u200bris'), 'paris');
  // Form only: content differences survive.
  assert.equal(normalizeAnswer('3,4'), '3,4');
  assert.equal(normalizeAnswer('12,34'), '12,34');
  assert.equal(normalizeAnswer('Washington, D.C.'), 'washington, d.c');
  assert.equal(normalizeAnswer('St. John\'s'), "st. john's");
  assert.equal(normalizeAnswer('...'), '');
});

test('exactMatch accepts the answer as the whole prediction, the last line, the last bold span, after "Answer:", or the last sentence', () => {
  assert.ok(exactMatch('Paris', 'Paris'));
  assert.ok(exactMatch('paris.', 'Paris'));
  assert.ok(exactMatch('Paris<|im_end|>', 'Paris'));
  assert.ok(exactMatch('Paris<|im_end|>\n<|im_start|>user\nLyon', 'Paris'));
  assert.ok(exactMatch('Let me think.\nParis', 'Paris'));
  assert.ok(exactMatch('The capital of France is **Paris**.', 'Paris'));
  assert.ok(exactMatch('法国的首都是**巴黎**。', '巴黎'));
  assert.ok(exactMatch('12 × 7 = **84**', '84'));
  assert.ok(exactMatch('Answer: Paris', 'Paris'));
  assert.ok(exactMatch('答案：巴黎', '巴黎'));
  assert.ok(exactMatch('France has many cities. Paris.', 'Paris'));
  assert.ok(exactMatch('我想想。巴黎。', '巴黎'));
  assert.ok(exactMatch('It is St. John\'s.', "It is St. John's"));
  assert.ok(exactMatch('1,000,000', '1000000'));
});

test('exactMatch refuses wrong answers that contain the right one, and empty answers', () => {
  assert.ok(!exactMatch('Papua New Guinea', 'Guinea'));
  assert.ok(!exactMatch('The capital is **Papua New Guinea**.', 'Guinea'));
  assert.ok(!exactMatch('赤道几内亚', '几内亚'));
  assert.ok(!exactMatch('110', '10'));
  assert.ok(!exactMatch('-10', '10'));
  assert.ok(!exactMatch('The capital of France is Paris.', 'Paris'), 'an unmarked answer inside a sentence is not extracted');
  assert.ok(!exactMatch('**Lyon**, not Paris', 'Paris'));
  assert.ok(!exactMatch('**Paris** or **Lyon**', 'Paris'), 'only the last bold span counts');
  assert.ok(!exactMatch('Answer: Paris\nAnswer: Lyon', 'Paris'));
  assert.ok(!exactMatch('**Paris**\nActually, it is Lyon.', 'Paris'), 'a bold span before the last line is not the final answer');
  assert.ok(!exactMatch('Paris\nLyon', 'Paris'));
  assert.ok(!exactMatch('Its capital is St. John\'s', "John's"), 'St. does not end a sentence');
  assert.ok(!exactMatch('Washington, D.C.', 'C'), 'a single letter before . does not end a sentence');
  assert.ok(!exactMatch('', ''));
  assert.ok(!exactMatch('anything', '   '));
  assert.ok(!exactMatch('<|im_end|>Paris', 'Paris'), 'text after the end of the turn is not the answer');
});

test('answerCandidates lists whole parts only', () => {
  const c = answerCandidates('Sure.\nThe capital of Japan is **Tokyo**. Answer: Tokyo');
  assert.deepEqual(c, ['Sure.\nThe capital of Japan is **Tokyo**. Answer: Tokyo', 'The capital of Japan is **Tokyo**. Answer: Tokyo', 'Answer: Tokyo', 'Tokyo', ' Tokyo']);
});

test('exactMatch reads a long prediction in linear time (no rescans per sentence)', () => {
  const long = 'It is so. '.repeat(20_000) + 'Paris.';
  const started = Date.now();
  assert.ok(exactMatch(long, 'Paris'));
  assert.ok(!exactMatch(long, 'Lyon'));
  // Generous: linear takes milliseconds; the quadratic scan this replaces took about 30 s.
  assert.ok(Date.now() - started < 5000);
});
