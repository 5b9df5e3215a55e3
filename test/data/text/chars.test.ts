import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allAre, countOccurrences, flagsAt, HAN, hasAny, LETTER, PUNCT, pySplit, pySplitLines, pyStrip, STERM, SYMBOL, UNUSABLE } from '../../../src/data/text/chars.js';

test('pySplitLines splits like Python str.splitlines()', () => {
  assert.deepEqual(pySplitLines(''), []);
  assert.deepEqual(pySplitLines('a'), ['a']);
  assert.deepEqual(pySplitLines('a\n'), ['a']);
  assert.deepEqual(pySplitLines('a\n\n'), ['a', '']);
  assert.deepEqual(pySplitLines('a\r\nb\rc\u2028d\x85e\fg'), ['a', 'b', 'c', 'd', 'e', 'g']);
  assert.deepEqual(pySplitLines('\n'), ['']);
});

test('pyStrip and pySplit treat Unicode whitespace as Python does', () => {
  assert.equal(pyStrip('\u3000 \t x y \u00a0\n'), 'x y');
  assert.deepEqual(pySplit(' a\u3000b\tc\x1fd  '), ['a', 'b', 'c', 'd']);
  assert.deepEqual(pySplit('   '), []);
});

test('countOccurrences counts without overlap, like str.count', () => {
  assert.equal(countOccurrences('.....', '...'), 1);
  assert.equal(countOccurrences('a...b...', '...'), 2);
  assert.equal(countOccurrences('', '#'), 0);
});

test('character classes come from Unicode properties, astral characters included', () => {
  assert.ok(flagsAt('中', 0) & HAN && flagsAt('中', 0) & LETTER);
  assert.ok(flagsAt('𠀀', 0) & HAN, 'CJK Extension B through its surrogate pair');
  assert.ok(flagsAt('😀', 0) & SYMBOL);
  assert.ok(flagsAt('。', 0) & STERM && flagsAt('？', 0) & STERM && flagsAt('.', 0) & STERM);
  assert.ok(!(flagsAt(',', 0) & STERM));
  assert.ok(flagsAt('\ue000', 0) & UNUSABLE, 'private use');
  assert.ok(flagsAt('\ud800x', 0) & UNUSABLE, 'lone surrogate');
  assert.ok(allAre('!?…', PUNCT) && !allAre('', PUNCT) && !allAre('a!', PUNCT));
  assert.ok(hasAny('12a', LETTER) && !hasAny('123', LETTER));
});
