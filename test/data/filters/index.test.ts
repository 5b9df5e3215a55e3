import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterFactories } from '../../../src/data/filters/index.js';
import { StageOptionError } from '../../../src/data/filters/options.js';
import { doc, run } from './helpers.js';

const TYPES = ['language_id', 'url_blocklist', 'bad_words', 'gopher_quality', 'gopher_repetition', 'c4_quality', 'fineweb_quality', 'yi_text_metrics', 'pii'];

test('one factory per stage type; names default to the type, kinds say what they do', () => {
  assert.deepEqual(Object.keys(filterFactories).sort(), [...TYPES].sort());
  for (const type of TYPES) {
    const s = filterFactories[type]!();
    assert.equal(s.name, type);
    assert.equal(s.kind, type === 'c4_quality' || type === 'pii' ? 'transform' : 'filter', type);
    assert.equal(filterFactories[type]!({ name: `${type}_2` }).name, `${type}_2`);
    assert.equal(filterFactories[type]!({}).name, type);
  }
});

test('misspelt or mistyped options are errors naming the stage and the option', () => {
  const fails = (type: string, opts: unknown, re: RegExp) =>
    assert.throws(() => filterFactories[type]!(opts), (e: unknown) => e instanceof StageOptionError && re.test(e.message), `${type} ${JSON.stringify(opts)}`);
  fails('gopher_quality', { minDocWord: 10 }, /^gopher_quality: unknown option 'minDocWord' \(known: name, language, minDocWords/);
  fails('gopher_quality', { name: 'gq', minDocWords: '50' }, /^gopher_quality 'gq': option 'minDocWords' must be a finite number, got a string/);
  fails('fineweb_quality', { stopChars: '.' }, /option 'stopChars' must be an array/);
  fails('c4_quality', { filterJavascript: 1 }, /option 'filterJavascript' must be a boolean/);
  fails('pii', { emails: null }, /option 'emails' must be a boolean, got null/);
  fails('gopher_repetition', { byLanguage: { zh: { dupLineFrac: 'x' } } }, /option 'byLanguage.zh.dupLineFrac' must be a finite number/);
  fails('gopher_repetition', { byLanguage: { zh: { language: 'en' } } }, /unknown option 'byLanguage.zh.language'/);
  fails('gopher_repetition', { topNGrams: [[2]] }, /option 'topNGrams' must be a list of \[n, share\] pairs/);
  fails('url_blocklist', { domainsFile: 3 }, /option 'domainsFile' must be a string \(a file path\) or null/);
  fails('url_blocklist', { softWordThreshold: 0 }, /'softWordThreshold' must be a positive integer/);
  fails('yi_text_metrics', { maxGarbledRatio: 2 }, /'maxGarbledRatio' must be between 0 and 1/);
  fails('bad_words', { keepFraction: -1 }, /'keepFraction' must be between 0 and 1/);
  fails('bad_words', { allowlist: { zh: '性' } }, /option 'allowlist.zh' must be a list of strings/);
  fails('yi_text_metrics', { minLinesForLineRules: 0 }, /'minLinesForLineRules' must be between 1 and/);
  fails('language_id', 'en', /options must be an object, got a string/);
});

test('per-language overrides merge over the defaults language by language', async () => {
  // Overriding one zh threshold keeps the other shipped zh ones (mean word length 1..5).
  const s = filterFactories.gopher_quality!({ byLanguage: { zh: { minDocWords: 10 } } });
  const short = '数据清洗是训练语言模型之前必不可少的一步。我们需要去除重复的网页。';
  const r = await run(s, doc(short, { language: 'zh' }));
  assert.ok(r.keep, r.keep ? '' : r.reason);
});

test('no stage throws on empty, blank, symbol-only, binary-looking or huge-line text', async () => {
  const texts = ['', ' ', '\n\n\n', '\r\n\r\n', '...', '!!! ??? ###', '\u0000\u0001\ufffd', '\ud800', '😀'.repeat(50), 'x'.repeat(200_000), ('中'.repeat(500) + '\n').repeat(20)];
  for (const type of TYPES) {
    const stage = filterFactories[type]!();
    for (const t of texts) {
      const r = await run(stage, doc(t, { url: 'https://example.org/a' }));
      assert.ok(r.keep || (typeof r.reason === 'string' && /^[a-z0-9_]+$/.test(r.reason)), `${type} on ${JSON.stringify(t.slice(0, 12))}`);
    }
  }
});
