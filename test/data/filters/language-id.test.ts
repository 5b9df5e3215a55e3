import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identifyLanguage, LANGUAGE_ID_DEFAULTS, languageId, lineChunks, loadEld } from '../../../src/data/filters/language-id.js';
import { StageOptionError } from '../../../src/data/filters/options.js';
import { brownSentences, cleanChinese, cleanEnglish, doc, outcome, run, samples } from './helpers.js';

test('defaults: keep en and zh above 0.65 (CCNet), eld small', () => {
  assert.deepEqual(LANGUAGE_ID_DEFAULTS.languages, ['en', 'zh']);
  assert.equal(LANGUAGE_ID_DEFAULTS.threshold, 0.65);
  assert.equal(LANGUAGE_ID_DEFAULTS.database, 'small');
  const s = languageId();
  assert.equal(s.name, 'language_id');
  assert.equal(s.kind, 'filter');
});

test('clean English and Chinese are kept and labelled with a score near 1', async () => {
  for (const [text, lang] of [
    [cleanEnglish(), 'en'],
    [cleanChinese(), 'zh'],
  ] as const) {
    const r = await run(languageId(), doc(text, { url: 'u' }));
    assert.ok(r.keep, lang);
    assert.equal(r.doc.metadata.language, lang);
    assert.ok((r.doc.metadata.language_score as number) > 0.95, `${lang} score ${r.doc.metadata.language_score}`);
    assert.equal(r.doc.metadata.url, 'u', 'other metadata kept');
  }
});

test('every hand-written sample is identified as its language', async () => {
  const eld = await loadEld('small');
  for (const lang of ['zh', 'ja', 'ko', 'fr', 'de', 'es', 'ru', 'pt', 'it']) {
    for (const t of samples(lang)) assert.equal(identifyLanguage(eld, t).language, lang, t);
  }
});

test('other languages are dropped as not kept, or kept when any language is allowed', async () => {
  const fr = samples('fr').join('\n');
  assert.equal(await outcome(languageId(), fr), 'language_not_kept');
  const any = await run(languageId({ languages: [] }), fr);
  assert.ok(any.keep && any.doc.metadata.language === 'fr');
  const label = await run(languageId({ labelOnly: true }), fr);
  assert.ok(label.keep && label.doc.metadata.language === 'fr');
});

test('score = share of letters in reliably identified chunks; the threshold is strict', async () => {
  const eld = await loadEld('small');
  const en = brownSentences(8).join('\n');
  const mixed = `${en}\n${cleanChinese().slice(0, 900)}`;
  const r = identifyLanguage(eld, mixed);
  assert.ok(r.shares.en! > 0.35 && r.shares.en! < 0.65 && r.shares.zh! > 0.35 && r.shares.zh! < 0.65, JSON.stringify(r.shares));
  assert.ok(Math.abs(r.shares.en! + r.shares.zh! - 1) < 1e-9);
  assert.equal(await outcome(languageId(), mixed), 'language_below_threshold');
  const only = (threshold: number) => languageId({ languages: ['en'], threshold });
  assert.equal(await outcome(only(r.shares.en!), mixed), 'language_below_threshold', 'equal to the threshold drops');
  assert.equal(await outcome(only(r.shares.en! - 1e-9), mixed), 'kept');
});

test('gibberish and empty text score 0 and are dropped, without error', async () => {
  const eld = await loadEld('small');
  const junk = 'qwzx vbnm plkj hgfd zxcv bnmq wrtp sdfg hjkl xcvb '.repeat(3);
  assert.equal(identifyLanguage(eld, junk).score, 0);
  assert.notEqual(await outcome(languageId(), junk), 'kept');
  for (const t of ['', '\n\n', '12345 67890', '!!! ???']) {
    const r = await run(languageId({ labelOnly: true }), t);
    assert.ok(r.keep && r.doc.metadata.language_score === 0, JSON.stringify(t));
    assert.equal(await outcome(languageId(), t), 'language_below_threshold');
  }
});

test('newlines become spaces: one word per line is still a sentence', async () => {
  const text = 'The jury said it did find that many of the registration and election laws are outmoded or inadequate and often ambiguous'.split(' ').join('\n');
  const r = await run(languageId(), text);
  assert.ok(r.keep && r.doc.metadata.language === 'en');
  const chunks = lineChunks(text, 200);
  assert.equal(chunks.length, 1);
  assert.ok(!chunks[0]!.includes('\n'));
  // Long lines are cut under eld's 1000-character window, at spaces.
  const long = lineChunks('word '.repeat(1000), 200);
  assert.ok(long.length >= 5 && long.every((c) => c.length <= 1000));
});

test('bad options are errors that name the option', () => {
  assert.throws(() => languageId({ threshold: 1.5 }), (e: unknown) => e instanceof StageOptionError && /option 'threshold' must be a number from 0 to 1, got 1.5/.test(e.message));
  assert.throws(() => languageId({ database: 'huge' as 'small' }), /'database' must be one of extrasmall, small, medium, large/);
  assert.throws(() => languageId({ languages: ['english'] }), /option 'languages' must be a list of ISO 639 codes such as 'en', but item 0 is "english"/);
});
