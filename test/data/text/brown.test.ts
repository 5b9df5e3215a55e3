import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brownFileNames, brownToText, detagSentence, readBrownFile } from '../../../src/data/text/brown.js';

test('Brown sentences lose their tags and get their punctuation back', () => {
  assert.equal(detagSentence("\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, Atlanta's/np$ election/nn ./."), 'The jury said "no evidence", Atlanta\'s election.');
  assert.equal(detagSentence('1/2/cd cup/nn'), '1/2 cup');
  assert.equal(brownToText('\n\n\tA/at b/nn ./.\nC/np d/vb ./.\n\n\n\tE/np ./.\n'), 'A b. C d.\n\nE.');
});

test('the installed corpus has its 500 files, read as prose', () => {
  const names = brownFileNames();
  assert.equal(names.length, 500);
  const text = readBrownFile(names[0]!);
  assert.ok(text.startsWith('The Fulton County Grand Jury said Friday'));
  assert.ok(!/\/[a-z]+\b/.test(text.slice(0, 2000)), 'no tags left');
});
