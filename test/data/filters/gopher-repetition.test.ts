import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GOPHER_REPETITION_DEFAULTS, gopherRepetition, gopherRepetitionReason, type GopherRepetitionOptions } from '../../../src/data/filters/gopher-repetition.js';
import { splitWords } from '../../../src/data/text/words.js';
import { refDuplicatedNGramChars, refTopNGramChars } from '../text/ngram-reference.js';
import { brownSentences, cleanChinese, cleanEnglish, doc, outcome } from './helpers.js';

const S = brownSentences(80);
let next = 0;
/** A fresh Brown sentence each call (the pool is large enough for every test). */
const sentence = () => S[next++ % S.length]!;
const paragraph = (lines: number) => Array.from({ length: lines }, sentence).join('\n');

/** Distinct filler words (letters only, no stop words), `chars` characters in all with spaces. */
function filler(chars: number, tag: string): string {
  const out: string[] = [];
  let len = -1;
  for (let i = 0; len < chars - 8; i++) {
    const w = `${tag}${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26) % 26)}q`;
    out.push(w);
    len += w.length + 1;
  }
  return out.join(' ');
}

async function tripsOnly(t: string, reason: string, off: Partial<GopherRepetitionOptions>) {
  assert.equal(await outcome(gopherRepetition(), t), reason);
  assert.equal(await outcome(gopherRepetition(off), t), 'kept', `kept with ${JSON.stringify(off)}`);
}

test('defaults are datatrove GopherRepetitionFilter defaults (Gopher table A1)', () => {
  const d = GOPHER_REPETITION_DEFAULTS;
  assert.deepEqual([d.dupLineFrac, d.dupParaFrac, d.dupLineCharFrac, d.dupParaCharFrac], [0.3, 0.3, 0.2, 0.2]);
  assert.deepEqual(d.topNGrams, [[2, 0.2], [3, 0.18], [4, 0.16]]);
  assert.deepEqual(d.dupNGrams, [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]]);
  assert.equal(gopherRepetition().name, 'gopher_repetition');
});

test('clean English and clean Chinese pass', async () => {
  assert.equal(await outcome(gopherRepetition(), cleanEnglish()), 'kept');
  assert.equal(await outcome(gopherRepetition(), cleanEnglish('cg01')), 'kept');
  assert.equal(await outcome(gopherRepetition(), cleanChinese()), 'kept');
});

test('dup_para_frac: more than 30% of paragraphs repeat an earlier one', async () => {
  const doc = (copies: number) => [...Array.from({ length: 6 }, () => paragraph(3)), ...Array.from({ length: copies }, () => 'Yes.')].join('\n\n');
  assert.equal(await outcome(gopherRepetition(), doc(4)), 'kept', '3 of 10: exactly 0.3');
  await tripsOnly(doc(5), 'dup_para_frac', { dupParaFrac: null });
});

// A repeated paragraph or line repeats its n-grams too, and over 20% of the text that is over the
// 5-gram share (0.15): the n-gram rules are off where these tests check that nothing else trips.
const NO_NGRAMS = { topNGrams: [], dupNGrams: [] };

test('dup_para_char_frac: repeated paragraphs hold more than 20% of the characters', async () => {
  const a = paragraph(3);
  // [A, unique paragraphs..., A, pad]: the pad makes the text exactly 5 x len(A) long.
  const build = (extra: number) => {
    const parts = [a, paragraph(2), paragraph(2), a];
    let t = parts.join('\n\n');
    const need = 5 * a.length - t.length - 2 - extra;
    assert.ok(need > 10, `pad ${need}`);
    t += '\n\n' + 'Pad ' + 'x'.repeat(need - 5) + '.';
    assert.equal(t.length, 5 * a.length - extra);
    return t;
  };
  assert.equal(await outcome(gopherRepetition(NO_NGRAMS), build(0)), 'kept', 'exactly 0.2');
  await tripsOnly(build(1), 'dup_para_char_frac', { dupParaCharFrac: null, ...NO_NGRAMS });
});

test('dup_line_frac: more than 30% of lines repeat an earlier one', async () => {
  // p paragraphs of [unique line, "Yes."] and q of one unique line: (p - 1) / (2p + q) duplicates.
  const doc = (p: number, q: number) => [...Array.from({ length: p }, () => `${sentence()}\nYes.`), ...Array.from({ length: q }, sentence)].join('\n\n');
  assert.equal(await outcome(gopherRepetition(), doc(7, 6)), 'kept', '6 of 20: exactly 0.3');
  await tripsOnly(doc(8, 6), 'dup_line_frac', { dupLineFrac: null });
});

test('dup_line_char_frac: repeated lines hold more than 20% of the characters', async () => {
  const x = sentence() + ' ' + sentence();
  const build = (extra: number) => {
    let t = [`${sentence()}\n${x}`, `${x}\n${sentence()}`].join('\n\n');
    const need = 5 * x.length - t.length - 2 - extra;
    assert.ok(need > 10, `pad ${need}`);
    t += '\n\nPad ' + 'x'.repeat(need - 5) + '.';
    return t;
  };
  assert.equal(await outcome(gopherRepetition(NO_NGRAMS), build(0)), 'kept', 'exactly 0.2');
  await tripsOnly(build(1), 'dup_line_char_frac', { dupLineCharFrac: null, ...NO_NGRAMS });
});

/** Units of [repeated n-gram, unique filler of `fill` characters], on one line. */
const units = (gram: string, count: number, fill: number) => Array.from({ length: count }, (_, i) => `${gram} ${filler(fill, 'f' + String.fromCharCode(97 + i))}`).join(' ');

test('top_2_gram / top_3_gram / top_4_gram: the most frequent n-gram covers too much of the text', async () => {
  await tripsOnly(units('foo bar', 12, 10), 'top_2_gram', { topNGrams: [[3, 0.18], [4, 0.16]] });
  await tripsOnly(units('aaaa bbbb cccc', 12, 45), 'top_3_gram', { topNGrams: [[2, 0.2], [4, 0.16]] });
  await tripsOnly(units('aaaa bbbb cccc dddd', 12, 80), 'top_4_gram', { topNGrams: [[2, 0.2], [3, 0.18]] });
});

test('top n-gram boundary: a share equal to the threshold keeps, a hair above drops', () => {
  const t = units('aaaa bbbb cccc', 12, 45);
  const share = refTopNGramChars(splitWords(t, 'en'), 3) / t.length;
  const rules = { ...GOPHER_REPETITION_DEFAULTS, topNGrams: [[3, share]] as [number, number][], dupNGrams: [] };
  assert.equal(gopherRepetitionReason(t, 'en', rules), undefined);
  rules.topNGrams = [[3, share * (1 - 1e-12)]];
  assert.equal(gopherRepetitionReason(t, 'en', rules), 'top_3_gram');
});

test('duplicated_<n>_n_grams: characters in repeated n-grams above the share for n', async () => {
  const phrase = 'pone ptwo pthr pfou pfiv psix psev peig pnin pten';
  const doc = (fill: number) => `${filler(fill, 'a')} ${phrase} ${filler(fill, 'b')} ${phrase} ${filler(fill, 'c')}`;
  // 264 characters: 40 repeated in 5-grams (0.152 > 0.15), top 4-gram 0.144 (<= 0.16).
  await tripsOnly(doc(60), 'duplicated_5_n_grams', { dupNGrams: [] });
  // 354 characters: only the 10-gram share (0.113 > 0.10) is over its threshold.
  await tripsOnly(doc(88), 'duplicated_10_n_grams', { dupNGrams: [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11]] });
  const t = doc(88);
  const share = refDuplicatedNGramChars(splitWords(t, 'en'), 10) / t.length;
  const rules = { ...GOPHER_REPETITION_DEFAULTS, topNGrams: [], dupNGrams: [[10, share]] as [number, number][] };
  assert.equal(gopherRepetitionReason(t, 'en', rules), undefined, 'equal to the threshold keeps');
  rules.dupNGrams = [[10, share * (1 - 1e-12)]];
  assert.equal(gopherRepetitionReason(t, 'en', rules), 'duplicated_10_n_grams');
});

test('Chinese n-grams are jieba words, with the Chinese thresholds', async () => {
  const zh = cleanChinese();
  const ad = zh + '\n' + Array.from({ length: 40 }, () => '点击这里免费领取大礼包').join('，') + '。';
  assert.equal(await outcome(gopherRepetition(), ad), 'top_4_gram');
  // Documents labelled zh get byLanguage.zh, the others the base thresholds.
  const strict = gopherRepetition({ byLanguage: { zh: { topNGrams: [[2, 0.001]] } } });
  assert.equal(await outcome(strict, doc(zh, { language: 'zh' })), 'top_2_gram');
  assert.equal(await outcome(strict, doc(cleanEnglish(), { language: 'en' })), 'kept');
});

test('empty and wordless texts do not divide by zero', async () => {
  assert.equal(await outcome(gopherRepetition(), ''), 'kept');
  assert.equal(await outcome(gopherRepetition(), '...'), 'kept');
  // re.split("\n+", "\n\n\n") is ['', '']: one duplicate line of two, as in datatrove.
  assert.equal(await outcome(gopherRepetition(), '\n\n\n'), 'dup_line_frac');
});
