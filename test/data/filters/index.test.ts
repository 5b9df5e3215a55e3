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
  fails('gopher_quality', { minDocWord: 10 }, /^gopher_quality: option 'minDocWord' is unknown; did you mean 'minDocWords'\? \(known: name, language, byLanguage, minDocWords/);
  fails('gopher_quality', { name: 'gq', minDocWords: '50' }, /^gopher_quality 'gq': option 'minDocWords' must be a whole number >= 0, or null, got "50"/);
  fails('fineweb_quality', { stopChars: '.' }, /option 'stopChars' must be a list of non-empty strings, got "."/);
  fails('c4_quality', { filterJavascript: 1 }, /option 'filterJavascript' must be true or false, got 1/);
  fails('pii', { emails: null }, /option 'emails' must be true or false, got null/);
  fails('gopher_repetition', { byLanguage: { zh: { dupLineFrac: 'x' } } }, /option 'byLanguage.zh.dupLineFrac' must be a number from 0 to 1, or null, got "x"/);
  fails('gopher_repetition', { byLanguage: { zh: { language: 'en' } } }, /option 'byLanguage.zh.language' is unknown/);
  fails('gopher_repetition', { topNGrams: [[2]] }, /option 'topNGrams' must be a list of \[n, share\] pairs, but item 0 is \[2\]/);
  fails('url_blocklist', { domainsFile: 3 }, /option 'domainsFile' must be a file path \(a string\), or null, got 3/);
  fails('url_blocklist', { softWordThreshold: 0 }, /option 'softWordThreshold' must be a whole number >= 1, got 0/);
  fails('yi_text_metrics', { maxGarbledRatio: 2 }, /option 'maxGarbledRatio' must be a number from 0 to 1, or null, got 2/);
  fails('bad_words', { keepFraction: -1 }, /option 'keepFraction' must be a number from 0 to 1, got -1/);
  fails('bad_words', { allowlist: { zh: '性' } }, /option 'allowlist.zh' must be a list of non-empty strings, got "性"/);
  fails('yi_text_metrics', { minLinesForLineRules: 0 }, /option 'minLinesForLineRules' must be a whole number >= 1, got 0/);
  fails('language_id', 'en', /^language_id: options must be an object, got "en"/);
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
