import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GOPHER_QUALITY_DEFAULTS, gopherQuality, type GopherQualityOptions } from '../../../src/data/filters/gopher-quality.js';
import { cleanChinese, cleanEnglish, outcome } from './helpers.js';

// Plain words, 37 characters per 8 (mean 4.6), two stop words: passes every Gopher quality rule.
const VOCAB = ['the', 'garden', 'with', 'flowers', 'and', 'trees', 'near', 'river'];
const words = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => VOCAB[(i + offset) % VOCAB.length]!);
const text = (n: number) => words(n).join(' ');

/** The document trips `reason` with the defaults, and is kept once `option` alone is turned off. */
async function tripsOnly(t: string, reason: string, option: keyof GopherQualityOptions) {
  assert.equal(await outcome(gopherQuality(), t), reason);
  assert.equal(await outcome(gopherQuality({ [option]: null }), t), 'kept', `with ${option} off`);
}

test('defaults are datatrove GopherQualityFilter defaults', () => {
  const d = GOPHER_QUALITY_DEFAULTS;
  assert.deepEqual(
    [d.minDocWords, d.maxDocWords, d.minAvgWordLength, d.maxAvgWordLength, d.maxSymbolWordRatio, d.maxBulletLinesRatio, d.maxEllipsisLinesRatio, d.minAlphaWordsRatio, d.minStopWords],
    [50, 100_000, 3, 10, 0.1, 0.9, 0.3, 0.8, 2],
  );
  assert.deepEqual(d.stopWords, ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']);
  const stage = gopherQuality();
  assert.equal(stage.name, 'gopher_quality');
  assert.equal(stage.kind, 'filter');
});

test('clean English and clean Chinese pass', async () => {
  assert.equal(await outcome(gopherQuality(), cleanEnglish()), 'kept');
  assert.equal(await outcome(gopherQuality(), cleanChinese()), 'kept');
  assert.equal(await outcome(gopherQuality(), text(50)), 'kept');
});

test('Chinese needs its own word-length bounds: with the English ones every jieba word is too short', async () => {
  const english = { minAvgWordLength: 3, maxAvgWordLength: 10, minAlphaWordsRatio: 0.8 };
  assert.equal(await outcome(gopherQuality({ byLanguage: { zh: english } }), cleanChinese()), 'gopher_below_avg_threshold');
  // The stop-word rule is English only: Chinese has none of the list and still passes.
  assert.equal(await outcome(gopherQuality({ language: 'zh' }), cleanChinese()), 'kept');
});

test('gopher_short_doc: fewer than 50 non-symbol words (punctuation tokens do not count)', async () => {
  await tripsOnly(text(49), 'gopher_short_doc', 'minDocWords');
  assert.equal(await outcome(gopherQuality(), text(49) + ' . , ; !'), 'gopher_short_doc');
  assert.equal(await outcome(gopherQuality(), text(50)), 'kept');
});

test('gopher_long_doc: more than 100,000 non-symbol words', async () => {
  await tripsOnly(text(100_001), 'gopher_long_doc', 'maxDocWords');
  assert.equal(await outcome(gopherQuality(), text(100_000)), 'kept');
});

test('gopher_below_avg_threshold / gopher_above_avg_threshold: mean word length outside [3, 10]', async () => {
  const short = ['the', 'and', ...Array.from({ length: 58 }, () => 'cat')];
  assert.equal(await outcome(gopherQuality(), short.join(' ')), 'kept', 'mean exactly 3');
  short[5] = 'at';
  await tripsOnly(short.join(' '), 'gopher_below_avg_threshold', 'minAvgWordLength');
  // 2 x 3 + 2 x 17 + 56 x 10 = 600 characters over 60 words: mean exactly 10.
  const long = ['the', 'and', 'a'.repeat(17), 'b'.repeat(17), ...Array.from({ length: 56 }, (_, i) => `wordy${String(i).padStart(2, '0')}xyz`)];
  assert.equal(await outcome(gopherQuality(), long.join(' ')), 'kept', 'mean exactly 10');
  long[2] += 'a';
  await tripsOnly(long.join(' '), 'gopher_above_avg_threshold', 'maxAvgWordLength');
});

test("gopher_too_many_hashes: '#' per word above 0.1", async () => {
  // "#tag" is two words ('#' and 'tag'): 10 tags and 80 words make 100 words and 10 hashes.
  const tags = (h: number) => [...words(80), ...Array.from({ length: h }, () => '#tag')].join(' ');
  assert.equal(await outcome(gopherQuality(), tags(10)), 'kept', 'exactly 0.1');
  await tripsOnly(tags(11), 'gopher_too_many_hashes', 'maxSymbolWordRatio');
});

test("gopher_too_many_ellipsis: '...' and '…' per word above 0.1", async () => {
  const dots = (h: number) => [...words(80), ...Array.from({ length: h }, (_, i) => (i % 2 ? 'so...' : 'so…'))].join(' ') + ' end';
  assert.equal(await outcome(gopherQuality(), dots(10)), 'kept', 'exactly 0.1');
  await tripsOnly(dots(11), 'gopher_too_many_ellipsis', 'maxSymbolWordRatio');
});

test("gopher_too_many_bullets: more than 90% of lines start with '•' or '-'", async () => {
  const lines = (bullets: number, total: number) => Array.from({ length: total }, (_, i) => (i < bullets ? (i % 2 ? '  • ' : '- ') : '') + words(12, i).join(' ')).join('\n');
  assert.equal(await outcome(gopherQuality(), lines(9, 10)), 'kept', 'exactly 0.9');
  await tripsOnly(lines(19, 20), 'gopher_too_many_bullets', 'maxBulletLinesRatio');
});

test("gopher_too_many_end_ellipsis: more than 30% of lines end with '...' or '…'", async () => {
  const lines = (ending: number) => Array.from({ length: 10 }, (_, i) => words(12, i).join(' ') + (i < ending ? (i % 2 ? '...  ' : '…') : '')).join('\n');
  assert.equal(await outcome(gopherQuality(), lines(3)), 'kept', 'exactly 0.3');
  await tripsOnly(lines(4), 'gopher_too_many_end_ellipsis', 'maxEllipsisLinesRatio');
});

test('gopher_below_alpha_threshold: fewer than 80% of words have a letter', async () => {
  const mix = (numbers: number) => [...words(100 - numbers), ...Array.from({ length: numbers }, (_, i) => String(1000 + i))].join(' ');
  assert.equal(await outcome(gopherQuality(), mix(20)), 'kept', 'exactly 0.8');
  await tripsOnly(mix(21), 'gopher_below_alpha_threshold', 'minAlphaWordsRatio');
});

test('gopher_enough_stop_words: fewer than 2 stop words (case-sensitive, as datatrove)', async () => {
  const none = Array.from({ length: 60 }, (_, i) => ['garden', 'flowers', 'trees', 'river'][i % 4]!);
  assert.equal(await outcome(gopherQuality(), ['the', 'of', ...none].join(' ')), 'kept', 'exactly 2');
  await tripsOnly(['the', ...none].join(' '), 'gopher_enough_stop_words', 'minStopWords');
  assert.equal(await outcome(gopherQuality(), ['The', 'Of', ...none].join(' ')), 'gopher_enough_stop_words');
});

test('empty and wordless texts are dropped as short, without dividing by zero', async () => {
  for (const t of ['', '   \n\n \t', '... !!! ???', '\n\n\n']) assert.equal(await outcome(gopherQuality(), t), 'gopher_short_doc', JSON.stringify(t));
  const off = { minDocWords: null };
  assert.equal(await outcome(gopherQuality(off), ''), 'gopher_enough_stop_words');
  assert.equal(await outcome(gopherQuality(off), '\n\n'), 'gopher_enough_stop_words');
  assert.equal(await outcome(gopherQuality(off), '...'), 'gopher_too_many_ellipsis');
});
