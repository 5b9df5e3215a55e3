import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TextClassifier } from '../../../src/data/scorers/classifier-model.js';
import { brownDocuments, chineseReferenceDocuments } from '../../../src/data/scorers/reference-corpus.js';
import { unsafeExamples } from '../../../src/data/scorers/safety-examples.js';
import { readSafetyLists, SafetyMatcher } from '../../../src/data/scorers/safety-lists.js';
import { safetyStage, trainSafetyClassifier } from '../../../src/data/scorers/safety.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-safety-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const safe = [...brownDocuments({ maxFiles: 40, paragraphsPerDocument: 3 }), ...chineseReferenceDocuments(1)];
const trained = trainSafetyClassifier({ safe, bucketBits: 16, seed: 4 });

test('the bundled sample lists have the four categories, in English and Chinese', () => {
  const lists = readSafetyLists();
  assert.deepEqual(Object.keys(lists), ['gambling', 'pornography', 'propaganda', 'violence']);
  for (const [cat, terms] of Object.entries(lists)) {
    assert.ok(terms.some((t) => /\p{Script=Han}/u.test(t)) && terms.some((t) => /^[a-z ]+$/.test(t)), cat);
    assert.ok(!terms.some((t) => t.startsWith('#')), cat);
  }
});

test('matching: whole words and phrases for Latin terms, substrings for Chinese ones, after normalisation', () => {
  const m = new SafetyMatcher({ gambling: ['roulette', 'online casino', '百家乐'], other: ['Café Noir'] });
  assert.deepEqual(m.match('ROULETTE, roulettes, Online  Casino!\nonline\ncasino').hits, { gambling: 3 });
  assert.deepEqual(m.match('玩百家乐百家乐').hits, { gambling: 2 });
  assert.deepEqual(m.match('the cafe noir opened').hits, { other: 1 });
  assert.equal(m.match('two words 和三个字').tokens, 6);
  assert.deepEqual(m.match('nothing here').hits, {});
  assert.throws(() => new SafetyMatcher({ 'Bad Name': ['x'] }), /category 'Bad Name' must match/);
});

test('custom list folders: category from the file name, comments skipped, bad names refused', () => {
  const d = join(dir, 'lists');
  mkdirSync(d);
  writeFileSync(join(d, 'spam.txt'), '# comment\n\nbuy now # inline\nfree money\n');
  assert.deepEqual(readSafetyLists(d), { spam: ['buy now', 'free money'] });
  writeFileSync(join(d, 'Bad-Name.txt'), 'x\n');
  assert.throws(() => readSafetyLists(d), /Bad-Name\.txt: the file name must be a lowercase category name/);
  assert.throws(() => readSafetyLists(join(dir, 'none')), /cannot read folder .*none \(ENOENT\)/);
});

test('synthetic unsafe examples cover every category, a quarter in Chinese', () => {
  const ex = unsafeExamples(200, readSafetyLists(), { seed: 1 });
  const cats = new Set(ex.map((e) => e.category));
  assert.deepEqual([...cats].sort(), ['gambling', 'pornography', 'propaganda', 'violence']);
  const zh = ex.filter((e) => /\p{Script=Han}/u.test(e.text)).length;
  assert.ok(zh > 30 && zh < 70, `${zh} Chinese of 200`);
});

test('the classifier separates unsafe from safe text on held-out examples; the lists travel in the model file', async () => {
  const { model, stats, syntheticUnsafe } = await trained;
  assert.ok(syntheticUnsafe);
  assert.ok(stats.heldOut.accuracy > 0.85 && stats.heldOut.auc > 0.9, JSON.stringify(stats.heldOut));
  const f = join(dir, 's.bin');
  model.save(f);
  const back = TextClassifier.load(f, 'safety');
  assert.deepEqual(back.extra.lists, readSafetyLists());
  assert.equal(back.extra.synthetic_unsafe, true);
});

test('the stage: list categories first (count and density), then the classifier, else metadata', async () => {
  const { model } = await trained;
  const f = join(dir, 'stage.bin');
  model.save(f);
  const stage = safetyStage({ model: f });
  await stage.init!();
  assert.deepEqual(await stage.process({ id: 'g', text: 'Online casino! Free spins, bet now, huge jackpot.', metadata: {} }), { keep: false, reason: 'unsafe_gambling' });
  assert.deepEqual(await stage.process({ id: 'z', text: '网上赌场百家乐，注册送彩金。', metadata: {} }), { keep: false, reason: 'unsafe_gambling' });
  // Two hits are below minHits; density matters too.
  const news = safe[3]! + ' The city council debated whether a new online casino would bring jobs, and whether sports betting should be legal.';
  const kept = await stage.process({ id: 'n', text: news, metadata: {} });
  assert.ok(kept.keep, JSON.stringify(kept));
  if (kept.keep) {
    assert.deepEqual(kept.doc.metadata.safety_hits, { gambling: 2 });
    assert.equal(typeof kept.doc.metadata.safety_score, 'number');
  }
  const strict = safetyStage({ model, minHits: 2, minDensity: 0 });
  assert.deepEqual(await strict.process({ id: 'n', text: news, metadata: {} }), { keep: false, reason: 'unsafe_gambling' });
  const threat = 'I know where you live and I am going to hurt you and your whole family.';
  assert.ok(model.probability(threat)! >= 0.5);
  assert.deepEqual(await stage.process({ id: 't', text: threat, metadata: {} }), { keep: false, reason: 'unsafe_classifier' });
  // Lists only, from the bundled samples.
  const listsOnly = safetyStage({ minHits: 1 });
  assert.deepEqual(await listsOnly.process({ id: 'p', text: 'free porn', metadata: {} }), { keep: false, reason: 'unsafe_pornography' });
  assert.deepEqual(await listsOnly.process({ id: 'q', text: 'a quiet day', metadata: {} }), { keep: true, doc: { id: 'q', text: 'a quiet day', metadata: {} } });
  assert.throws(() => safetyStage({ minHits: 0 }), /safety: option 'minHits' must be a whole number >= 1, got 0$/);
});
