import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TextClassifier } from '../../../src/data/scorers/classifier-model.js';
import { coherenceExamples, coherenceStage, trainCoherenceClassifier } from '../../../src/data/scorers/coherence.js';
import { coherenceStatistics, contentTerms } from '../../../src/data/scorers/coherence-features.js';
import { brownDocuments } from '../../../src/data/scorers/reference-corpus.js';
import { splitSentences } from '../../../src/data/scorers/text.js';
import { mulberry32 } from '../../../src/tensor/random.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-coherence-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const docs = brownDocuments({ maxFiles: 120 });
const trained = trainCoherenceClassifier({ input: docs, seed: 1 });

const coherent = 'The river rises in the mountains and flows east. The river floods the plain every spring. Farmers on the plain plant rice after the river floods. The rice harvest depends on the spring floods.';
const spliced = 'The river rises in the mountains and flows east. Her violin teacher praised the sonata. Interest rates fell sharply in the third quarter. The goalkeeper saved a penalty in extra time.';

test('content terms skip stop words, strip common suffixes, and use Han bigrams', () => {
  assert.deepEqual([...contentTerms('The farmers are planting rivers of rice')].sort(), ['farmer', 'plant', 'rice', 'river']);
  assert.deepEqual([...contentTerms('长江流域')].sort(), ['江流', '流域', '长江']);
});

test('cohesion statistics: sentences of one topic share terms, spliced ones do not', () => {
  const a = coherenceStatistics(coherent);
  const b = coherenceStatistics(spliced);
  assert.equal(a.sentences, 4);
  assert.ok(a.adjacent > 0.2 && b.adjacent === 0, `${a.adjacent} ${b.adjacent}`);
  assert.equal(b.adjacentZero, 1);
  assert.ok(a.recurrence > b.recurrence && a.isolated < b.isolated);
});

test('spliced windows have the same lengths as the coherent ones and no sentence of the source document', () => {
  const sdocs = docs.slice(0, 20).map(splitSentences);
  const r = mulberry32(3);
  const { coherent: pos, spliced: neg } = coherenceExamples(sdocs, r, { min: 3, max: 6, perDoc: 2 });
  assert.equal(pos.length, neg.length);
  // Each Brown sample has far more than 2 x 6 sentences: two windows per document, in order.
  assert.equal(pos.length, 40);
  for (let i = 0; i < pos.length; i++) {
    const source = sdocs[i >> 1]!;
    assert.ok(source.some((s) => pos[i]!.includes(s)));
    for (const s of source) if (s.length > 40) assert.ok(!neg[i]!.includes(s), `spliced window ${i} has a sentence of its own document`);
  }
});

test('trained on real vs spliced windows: held-out accuracy and AUC well above chance', async () => {
  const { model, stats } = await trained;
  assert.ok(stats.heldOut.accuracy > 0.7 && stats.heldOut.auc > 0.8, JSON.stringify(stats.heldOut));
  assert.ok(model.probability(coherent)! > model.probability(spliced)!);
  const f = join(dir, 'c.bin');
  model.save(f);
  const back = TextClassifier.load(f, 'coherence');
  assert.equal(back.probability(coherent), model.probability(coherent));
  assert.equal(back.features.kind, 'coherence');
});

test('the stage scores documents of enough sentences, keeps shorter ones unscored, drops below the threshold', async () => {
  const { model } = await trained;
  const stage = coherenceStage({ model, threshold: 0.5 });
  assert.deepEqual(await stage.process({ id: 's', text: 'Too short. Two sentences.', metadata: {} }), { keep: true, doc: { id: 's', text: 'Too short. Two sentences.', metadata: {} }, counts: { unscored: 1 } });
  const p = model.probability(coherent)!;
  const kept = await coherenceStage({ model, threshold: p }).process({ id: 'c', text: coherent, metadata: {} });
  assert.ok(kept.keep && kept.doc.metadata.coherence_score === Math.round(p * 1e4) / 1e4);
  assert.deepEqual(await coherenceStage({ model, threshold: Math.min(1, p + 1e-6) }).process({ id: 'c', text: coherent, metadata: {} }), { keep: false, reason: 'incoherent' });
  assert.throws(() => coherenceStage({}), /coherence: option 'model' .* is required/);
  await assert.rejects(trainCoherenceClassifier({ input: ['One. Two. Three.'] }), /at least 4 documents of 3\+ sentences \(got 1 of 1\)/);
});
