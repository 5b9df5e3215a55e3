import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TextClassifier } from '../../../src/data/scorers/classifier-model.js';
import { qualityStage, trainQualityClassifier } from '../../../src/data/scorers/quality.js';
import { brownDocuments, chineseReferenceDocuments } from '../../../src/data/scorers/reference-corpus.js';
import { webJunkDocuments } from '../../../src/data/scorers/web-junk.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-quality-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const positives = [...brownDocuments({ maxFiles: 60, paragraphsPerDocument: 3 }), ...chineseReferenceDocuments(1)];
const trained = trainQualityClassifier({ positives, bucketBits: 16, seed: 2 });

test('reference text vs synthetic web junk: held-out accuracy and AUC recorded in the model', async () => {
  const { model, stats, syntheticNegatives } = await trained;
  assert.ok(syntheticNegatives);
  assert.equal(stats.trainPositives + Math.round(positives.length * 0.2), positives.length);
  assert.equal(stats.heldOut.threshold, 0.25);
  assert.ok(stats.heldOut.accuracy > 0.9 && stats.heldOut.auc > 0.97, JSON.stringify(stats.heldOut));
  assert.deepEqual(model.info.metrics, stats.heldOut);
  assert.deepEqual(model.info.labels, { positive: 'reference', negative: 'web' });
});

test('the stage keeps p(reference) >= 0.25 with metadata.quality_score, drops the rest as low_quality', async () => {
  const { model } = await trained;
  const stage = qualityStage({ model });
  assert.equal(stage.name, 'quality_classifier');
  const prose = brownDocuments({ categories: ['learned'], maxFiles: 1, paragraphsPerDocument: 2 })[5]!;
  const kept = await stage.process({ id: 'p', text: prose, metadata: {} });
  assert.ok(kept.keep && (kept.doc.metadata.quality_score as number) >= 0.25);
  const junk = 'Home | About Us | Products | Contact\nCheap shoes, best shoes 2023, shoes for sale, buy shoes online\n© 2023 Shoes Inc. All rights reserved.';
  assert.deepEqual(await stage.process({ id: 'j', text: junk, metadata: {} }), { keep: false, reason: 'low_quality' });
  const p = model.probability(prose)!;
  assert.equal((await qualityStage({ model, threshold: p }).process({ id: 'p', text: prose, metadata: {} })).keep, true);
  assert.equal((await qualityStage({ model, threshold: Math.min(1, p + 1e-6) }).process({ id: 'p', text: prose, metadata: {} })).keep, false);
  assert.throws(() => qualityStage({}), /quality_classifier: option 'model' .* is required/);
  assert.throws(() => qualityStage({ model, threshold: 2 }), /quality_classifier: option 'threshold' must be a number from 0 to 1, got 2$/);
});

test('trained from files with given negatives; saved, reloaded and retrained to the same bytes', async () => {
  const pos = join(dir, 'pos.jsonl');
  const neg = join(dir, 'neg.jsonl');
  writeFileSync(pos, positives.slice(0, 80).map((t) => JSON.stringify({ body: t })).join('\n'));
  writeFileSync(neg, webJunkDocuments(80, { seed: 5 }).map((t) => JSON.stringify({ body: t })).join('\n'));
  const run = () => trainQualityClassifier({ positives: { paths: [pos], field: 'body' }, negatives: { paths: [neg], field: 'body' }, bucketBits: 12, seed: 1 });
  const a = await run();
  assert.equal(a.syntheticNegatives, false);
  assert.equal(a.stats.trainPositives + a.stats.trainNegatives, 128);
  const fa = join(dir, 'a.bin');
  const fb = join(dir, 'b.bin');
  a.model.save(fa);
  (await run()).model.save(fb);
  assert.ok(readFileSync(fa).equals(readFileSync(fb)));
  const back = TextClassifier.load(fa, 'quality');
  for (const t of positives.slice(100, 110)) assert.equal(back.probability(t), a.model.probability(t));
  assert.throws(() => TextClassifier.load(fa, 'safety'), /is a 'quality' scorer model, expected a 'safety' one/);
  const stage = qualityStage({ model: fa });
  await stage.init!();
  assert.equal(stage.kind, 'scorer');
  await assert.rejects(trainQualityClassifier({ positives: [] }), /quality: no reference \(positive\) documents/);
  await assert.rejects(trainQualityClassifier({ positives: ['x'], bucketBits: 40 }), /bucketBits must be an integer from 1 to 28/);
});

test('a classifier file with a non-finite weight or bad features is refused, naming the field', async () => {
  const { model } = await trained;
  const f = join(dir, 'q.bin');
  model.save(f);
  const buf = readFileSync(f);
  const hlen = buf.readUInt32LE(8);
  const data = (12 + hlen + 7) & ~7;
  const nan = Buffer.from(buf);
  nan.writeFloatLE(NaN, data + 4 * 7);
  writeFileSync(f, nan);
  assert.throws(() => TextClassifier.load(f, 'quality'), /array 'weights' element 7 is NaN, not a finite number/);
  writeFileSync(f, buf.toString('latin1').replace('"word_ngrams":2', '"word_ngrams":9'), 'latin1');
  assert.throws(() => TextClassifier.load(f, 'quality'), /word_ngrams must be 1 to 5 \(got 9\)/);
});
