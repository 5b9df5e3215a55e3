import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countSentences } from '../../../src/data/text/sentences.js';
import { hasLetter, isNonSymbolWord, splitChinese, splitLatin, splitWords, wordsOf } from '../../../src/data/text/words.js';

test('English words are split off punctuation the way spaCy tokenizes', () => {
  assert.deepEqual(splitLatin('Hello, world! "Really?" (yes)'), ['Hello', ',', 'world', '!', '"', 'Really', '?', '"', '(', 'yes', ')']);
  assert.deepEqual(splitLatin("Mr. Smith's dog doesn't bark; I'm sure they'll can't"), ['Mr.', 'Smith', "'s", 'dog', 'does', "n't", 'bark', ';', 'I', "'m", 'sure', 'they', "'ll", 'ca', "n't"]);
  assert.deepEqual(splitLatin('U.S. Army e.g. NATO. end. 1990. A.'), ['U.S.', 'Army', 'e.g.', 'NATO', '.', 'end', '.', '1990', '.', 'A.']);
  assert.deepEqual(splitLatin('well-known a/b wait...what end.The 2023-06-01'), ['well', '-', 'known', 'a', '/', 'b', 'wait', '...', 'what', 'end', '.', 'The', '2023', '-', '06', '-', '01']);
  assert.deepEqual(splitLatin('50% $100 3.14 C++ #tag -5 @user'), ['50', '%', '$', '100', '3.14', 'C++', '#', 'tag', '-5', '@user']);
  assert.deepEqual(splitLatin('see http://example.com/a-b or x.y@mail.com.'), ['see', 'http://example.com/a-b', 'or', 'x.y@mail.com', '.']);
  assert.deepEqual(splitLatin('so... "Okay."'), ['so', '...', '"', 'Okay', '.', '"']);
});

test('no word is empty or holds whitespace, whatever the input', () => {
  assert.deepEqual(splitLatin(''), []);
  assert.deepEqual(splitLatin(' \n\t\u3000 '), []);
  const messy = 'a\u00a0b\r\n\r\n\u2028c -- -x- ... … "" \'\' ()[]{} 😀😀 𠀀𠀁 x\ud800y';
  for (const w of splitLatin(messy)) assert.ok(w.length > 0 && !/\s/.test(w), JSON.stringify(w));
  assert.equal(splitLatin(messy).join(''), messy.replace(/[\s\u00a0\u2028]/g, ''));
});

test('Chinese is segmented by jieba, whitespace dropped', () => {
  assert.deepEqual(splitChinese('我们使用开源的 Python 库来处理数据。'), ['我们', '使用', '开源', '的', 'Python', '库来', '处理', '数据', '。']);
  assert.deepEqual(splitChinese(''), []);
  assert.deepEqual(splitWords('数据 清洗', 'zh'), ['数据', '清洗']);
  // Any other language is split at spaces and punctuation.
  assert.deepEqual(splitWords('数据 清洗', 'en'), ['数据', '清洗']);
});

test('word classes: letters and non-symbol words', () => {
  assert.ok(hasLetter('abc') && hasLetter('a1') && hasLetter('中') && !hasLetter('123') && !hasLetter('...'));
  assert.ok(isNonSymbolWord('a') && isNonSymbolWord('12') && !isNonSymbolWord('...') && !isNonSymbolWord('$') && !isNonSymbolWord('。'));
});

test('sentences end at a terminal token followed by a non-punctuation token', () => {
  const count = (s: string, lang = 'en') => countSentences(splitWords(s, lang));
  assert.equal(count(''), 0);
  assert.equal(count('One sentence without a period'), 1);
  assert.equal(count('One. Two! Three? Four.'), 4);
  assert.equal(count('"Hello." She left.'), 2);
  assert.equal(count('Mr. Smith went to Washington. He stayed.'), 2);
  assert.equal(count('Wait... what?'), 1);
  assert.equal(count('今天天气很好。我们去公园吧！好的。', 'zh'), 3);
});

test('runs of dots and ellipses stay one token', () => {
  assert.deepEqual(splitLatin('... .... …'), ['...', '....', '…']);
  assert.deepEqual(splitLatin('a....b'), ['a', '....', 'b']);
});

test('offsets point at each word in the text', () => {
  for (const [text, lang] of [
    ["  Hello, world!\n\n\"Don't\" (U.S.) wait...what 😀x", 'en'],
    ['我们使用开源的 Python 库。\n\n第二段，数据！', 'zh'],
  ] as const) {
    const { words, offsets } = wordsOf(text, lang);
    assert.equal(words.length, offsets.length);
    words.forEach((w, i) => assert.equal(text.slice(offsets[i], offsets[i]! + w.length), w));
  }
});
