import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandCopies, topicMix } from '../../../src/data/cluster/topic-mix.js';
import type { Doc } from '../../../src/data/types.js';
import { doc, runStage } from '../dedup/run-global.js';

const docs: Doc[] = [];
for (let i = 0; i < 4000; i++) docs.push(doc(`d${i}`, 'text', i % 4 === 3 ? {} : { cluster: i % 4 }));

test('each topic is kept with probability = its weight; weights above 1 ask for copies; per document, not per order', async () => {
  const stage = topicMix({ weights: { '0': 0, '1': 0.25, '2': 2.5 }, defaultWeight: 1 });
  const run = await runStage(stage, [docs]);
  const kept = run.kept[0]!;
  const byTopic = (t: string) => kept.filter((d) => String(d.metadata.cluster ?? 'none') === t);
  assert.equal(byTopic('0').length, 0);
  // 1000 documents per topic: binomial(1000, 0.25) within 5 standard deviations.
  assert.ok(Math.abs(byTopic('1').length - 250) < 5 * Math.sqrt(1000 * 0.25 * 0.75), `${byTopic('1').length}`);
  const copies = byTopic('2').map((d) => d.metadata.copies as number);
  assert.equal(copies.length, 1000);
  assert.ok(copies.every((c) => c === 2 || c === 3));
  const mean = copies.reduce((a, b) => a + b, 0) / 1000;
  assert.ok(Math.abs(mean - 2.5) < 5 * Math.sqrt(0.25 / 1000), `${mean}`);
  assert.equal(byTopic('none').length, 1000);
  assert.ok(byTopic('none').every((d) => d.metadata.copies === undefined));
  assert.equal(run.counts.topic_2, copies.reduce((a, b) => a + b, 0));
  assert.equal(run.counts.topic_1, byTopic('1').length);
  assert.ok(run.dropped[0]!.every((d) => d.reason === 'topic_downsampled'));
  // The same decisions for the same ids in another order; another seed changes them.
  const reversed = await runStage(stage, [[...docs].reverse()]);
  assert.deepEqual(reversed.kept[0]!.map((d) => d.id).sort(), kept.map((d) => d.id).sort());
  const other = await runStage(topicMix({ weights: { '1': 0.25 }, seed: 2 }), [docs]);
  assert.notDeepEqual(other.kept[0]!.filter((d) => d.metadata.cluster === 1).map((d) => d.id), byTopic('1').map((d) => d.id));
});

test('expandCopies makes the copies with suffixed ids; another field can hold the topic', async () => {
  assert.deepEqual(expandCopies(doc('a', 't', { cluster: 2, copies: 3 })), [
    doc('a', 't', { cluster: 2 }),
    doc('a#2', 't', { cluster: 2, copy_of: 'a' }),
    doc('a#3', 't', { cluster: 2, copy_of: 'a' }),
  ]);
  assert.deepEqual(expandCopies(doc('b', 't', { copies: 1 })), [doc('b', 't', { copies: 1 })]);
  const run = await runStage(topicMix({ field: 'source', weights: { ads: 0 } }), [[doc('x', '', { source: 'ads' }), doc('y', '', { source: 'news' })]]);
  assert.deepEqual(run.kept[0]!.map((d) => d.id), ['y']);
  assert.throws(() => topicMix({ weights: { a: -1 } }), /topic_mix: option 'weights.a' must be a number from 0 to 1000, got -1/);
  assert.throws(() => topicMix({ defaultWeight: Infinity }), /option 'defaultWeight' must be a number/);
  assert.throws(() => topicMix({ weight: {} } as never), /option 'weight' is unknown; did you mean 'weights'\?/);
});
