import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeLine, splitSentences, splitWords } from '../../../src/data/scorers/text.js';

test('CCNet normalisation: lowercase, accents stripped, digits -> 0, Unicode punctuation replaced, controls removed', () => {
  assert.equal(normalizeLine('  Élan Vital, 1984!  '), 'elan vital, 0000!');
  assert.equal(normalizeLine('“Quote” – dash — long… «x»'), '"quote" - dash  -  long... "x"');
  // Digits go first, so CCNet's '１' -> '"' entry never fires (as in CCNet, whose \d is Unicode-aware).
  assert.equal(normalizeLine('你好，世界。（测试）：１２３'), '你好,世界.(测试):000');
  assert.equal(normalizeLine('a\u0007b\u0085c'), 'abc');
  assert.equal(normalizeLine('Ⅻ ٣ 𝟗'), 'ⅻ 0 0');
  assert.equal(normalizeLine('   '), '');
});

test('words: Unicode word runs with inner apostrophes, punctuation one by one, Han runs cut by jieba', () => {
  assert.deepEqual(splitWords("don't stop, it's 2.0"), ["don't", 'stop', ',', "it's", '2', '.', '0']);
  assert.deepEqual(splitWords('我们在学习语言模型'), ['我们', '在', '学习', '语言', '模型']);
  assert.deepEqual(splitWords('ok 模型 ok'), ['ok', '模型', 'ok']);
  assert.deepEqual(splitWords('カタ'), ['カ', 'タ']);
});

test('sentences: cut after terminal punctuation followed by space, after CJK terminals, and at line breaks', () => {
  assert.deepEqual(splitSentences('It costs 3.5 dollars. Really? Yes!\nNew line "quoted." Next'), ['It costs 3.5 dollars.', 'Really?', 'Yes!', 'New line "quoted."', 'Next']);
  assert.deepEqual(splitSentences('第一句。第二句！“第三句？”第四'), ['第一句。', '第二句！', '“第三句？”', '第四']);
  assert.deepEqual(splitSentences('\n\n  \n'), []);
});
