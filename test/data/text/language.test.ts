import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentLanguage } from '../../../src/data/text/language.js';

const d = (text: string, metadata: Record<string, unknown> = {}) => ({ id: 'x', text, metadata });

test('a stage option wins, then metadata.language, then the script', () => {
  assert.equal(documentLanguage(d('hello', { language: 'fr' }), 'de'), 'de');
  assert.equal(documentLanguage(d('hello', { language: 'fr' }), 'auto'), 'fr');
  assert.equal(documentLanguage(d('数据清洗 is 很重要'), 'auto'), 'zh');
  assert.equal(documentLanguage(d('Data cleaning 很重要 indeed, in English mostly'), 'auto'), 'en');
  assert.equal(documentLanguage(d(''), 'auto'), 'en');
  assert.equal(documentLanguage(d('数据清洗', { language: 42 }), 'auto'), 'zh', 'a non-string label is ignored');
});
