import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FINEWEB_QUALITY_DEFAULTS, fineWebQuality, type FineWebQualityOptions } from '../../../src/data/filters/fineweb-quality.js';
import { brownSentences, cleanChinese, cleanEnglish, outcome } from './helpers.js';

const S = brownSentences(120);

async function tripsOnly(t: string, reason: string, option: keyof FineWebQualityOptions) {
  assert.equal(await outcome(fineWebQuality(), t), reason);
  assert.equal(await outcome(fineWebQuality({ [option]: null }), t), 'kept', `with ${option} off`);
}

test('defaults are datatrove FineWebQualityFilter defaults', () => {
  const d = FINEWEB_QUALITY_DEFAULTS;
  assert.deepEqual([d.linePunctThr, d.linePunctExcludeZero, d.shortLineThr, d.shortLineLength, d.charDuplicatesRatio, d.newLineRatio], [0.12, false, 0.67, 30, 0.01, 0.3]);
  assert.equal(fineWebQuality().name, 'fineweb_quality');
});

test('clean English and clean Chinese pass; Chinese lines count as punctuated through 。', async () => {
  assert.equal(await outcome(fineWebQuality(), cleanEnglish()), 'kept');
  assert.equal(await outcome(fineWebQuality(), cleanChinese()), 'kept');
  assert.equal(await outcome(fineWebQuality({ sentenceTerminals: false }), cleanChinese()), 'line_punct_ratio');
});

test('line_punct_ratio: fewer than 12% of non-empty lines end in terminal punctuation', async () => {
  const doc = (punct: number) => S.slice(0, 100).map((s, i) => (i < punct ? s : `${s.slice(0, -1)} and so on`)).join('\n\n');
  assert.equal(await outcome(fineWebQuality(), doc(12)), 'kept', 'exactly 0.12 (empty lines not counted)');
  await tripsOnly(doc(11), 'line_punct_ratio', 'linePunctThr');
  assert.equal(await outcome(fineWebQuality({ linePunctExcludeZero: true }), doc(0)), 'kept');
});

test('short_line_ratio: more than 67% of lines are 30 characters or shorter', async () => {
  const doc = (short: number) => Array.from({ length: 100 }, (_, i) => (i < short ? `Item number ${i} is here.` : S[i])).join('\n');
  assert.ok(`Item number 99 is here.`.length <= 30);
  assert.equal(await outcome(fineWebQuality(), doc(67)), 'kept', 'exactly 0.67');
  await tripsOnly(doc(68), 'short_line_ratio', 'shortLineThr');
});

test('char_dup_ratio: duplicate lines hold more than 1% of the characters', async () => {
  const x = S[0]!;
  const build = (extra: number) => {
    const lines = [x, ...S.slice(1, 60), x];
    const have = lines.join('').length;
    const pad = 100 * x.length - have - extra;
    assert.ok(pad > 40, `pad ${pad}`);
    lines.push('Pad ' + 'y'.repeat(pad - 5) + '.');
    assert.equal(lines.join('').length, 100 * x.length - extra);
    return lines.join('\n');
  };
  assert.equal(await outcome(fineWebQuality(), build(0)), 'kept', 'exactly 0.01');
  await tripsOnly(build(1), 'char_dup_ratio', 'charDuplicatesRatio');
});

test('list_ratio: more than 0.3 newlines per word', async () => {
  // Each line is 3 words ("Extraordinarily1", "misunderstandings", "."), long enough not to be short.
  const doc = (n: number) => Array.from({ length: n }, (_, i) => `Extraordinarily${i} misunderstandings.`).join('\n');
  assert.equal(await outcome(fineWebQuality(), doc(10)), 'kept', '9 newlines / 30 words: exactly 0.3');
  await tripsOnly(doc(11), 'list_ratio', 'newLineRatio');
});

test('empty: a text with no non-empty line', async () => {
  for (const t of ['', '\n\n', ' \t\n\u3000\n']) assert.equal(await outcome(fineWebQuality(), t), 'empty', JSON.stringify(t));
  assert.equal(await outcome(fineWebQuality(), '...'), 'short_line_ratio');
  assert.equal(await outcome(fineWebQuality({ shortLineThr: null }), '...'), 'kept');
});
