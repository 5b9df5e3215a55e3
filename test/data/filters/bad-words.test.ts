import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { badWords, idFraction } from '../../../src/data/filters/bad-words.js';
import { StageOptionError } from '../../../src/data/filters/options.js';
import { cleanChinese, cleanEnglish, doc, outcome, run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-badwords-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('clean English and clean Chinese pass', async () => {
  assert.equal(await outcome(badWords(), doc(cleanEnglish(), { language: 'en' })), 'kept');
  assert.equal(await outcome(badWords(), doc(cleanChinese(), { language: 'zh' })), 'kept');
  assert.equal(badWords().name, 'bad_words');
});

test('English words match as whole words only, case-insensitively', async () => {
  const s = badWords();
  assert.equal(await outcome(s, 'Free PORN here'), 'document_removed_with_badwords', 'language defaults to en');
  assert.equal(await outcome(s, 'watch porn.'), 'document_removed_with_badwords');
  assert.equal(await outcome(s, '(xxx)'), 'document_removed_with_badwords');
  assert.equal(await outcome(s, 'an anal sex scene'), 'document_removed_with_badwords', 'phrases too');
  for (const t of ['pornographer-ish? no: pornographers', 'xxxl shirts', 'the Whoresby family', 'sextant', 'porn_star']) assert.equal(await outcome(s, t), 'kept', t);
});

test('Chinese words match as substrings; 性 alone is allowed (C4 allowlist)', async () => {
  const s = badWords();
  assert.equal(await outcome(s, doc('这是一个色情网站的广告', { language: 'zh' })), 'document_removed_with_badwords');
  assert.equal(await outcome(s, doc('这款手机性能很好，性价比高。', { language: 'zh' })), 'kept');
  const withXing = badWords({ extraWords: { zh: ['性'] } });
  assert.equal(await outcome(withXing, doc('这款手机性能很好。', { language: 'zh' })), 'kept', 'allowlisted even when listed');
});

test('a language without a list is kept and counted, or an error when asked', async () => {
  const r = await run(badWords(), doc('ポルノ', { language: 'ja' }));
  assert.ok(r.keep);
  assert.deepEqual(r.counts, { missing_badwords_lang: 1 });
  await assert.rejects(async () => run(badWords({ failOnMissingLanguage: true }), doc('x', { language: 'ja' })), /no bad-words list for language 'ja'/);
});

test('user files replace the shipped list; extra words add to it', async () => {
  const f = join(dir, 'en.txt');
  writeFileSync(f, '# my list\nfoobar\n\n  Baz Qux  \n');
  const s = badWords({ files: { en: f } });
  assert.equal(await outcome(s, 'a foobar b'), 'document_removed_with_badwords');
  assert.equal(await outcome(s, 'say baz qux!'), 'document_removed_with_badwords');
  assert.equal(await outcome(s, 'porn'), 'kept', 'the shipped list is replaced');
  assert.equal(await outcome(badWords({ extraWords: { en: ['Widget'] } }), 'a widget'), 'document_removed_with_badwords');
  const ja = badWords({ extraWords: { ja: ['ポルノ'] } });
  assert.equal(await outcome(ja, doc('無料ポルノ動画', { language: 'ja' })), 'document_removed_with_badwords', 'ja matches substrings');
  assert.throws(() => badWords({ files: { en: join(dir, 'missing.txt') } }), (e: unknown) => e instanceof StageOptionError && /cannot read list file .*missing\.txt/.test(e.message));
});

test('keepFraction keeps the same documents on every run, chosen by id', async () => {
  const s = badWords({ keepFraction: 0.5 });
  const kept: string[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await run(s, doc('porn', {}, `doc-${i}`));
    if (r.keep) {
      kept.push(`doc-${i}`);
      assert.deepEqual(r.counts, { documents_with_badwords: 1, document_kept_with_badwords: 1 });
    } else assert.deepEqual(r.counts, { documents_with_badwords: 1 });
  }
  assert.ok(kept.length > 70 && kept.length < 130, `${kept.length} of 200 kept`);
  assert.deepEqual(kept, Array.from({ length: 200 }, (_, i) => `doc-${i}`).filter((id) => idFraction(id) < 0.5));
});
