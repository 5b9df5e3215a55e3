import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { clusterFilter } from '../../../src/data/cluster/cluster-stage.js';
import { clusterFactories } from '../../../src/data/cluster/index.js';
import { sphericalKMeans } from '../../../src/data/cluster/kmeans.js';
import { embed, inverseDocumentFrequency } from '../../../src/data/cluster/tfidf.js';
import { dedupFactories } from '../../../src/data/dedup/index.js';
import type { Doc } from '../../../src/data/types.js';
import { chinese, words, vocabulary } from '../dedup/corpus.js';
import { doc, mulberry32, runStage, splitTasks } from '../dedup/run-global.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yi-cluster-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const TOPICS = 4;
/** Documents of 4 topics (each its own vocabulary, plus common words) and Chinese ones. */
function corpus(n: number, seed: number, chineseDocs = 0): { docs: Doc[]; topic: Map<string, number>; vocabs: string[][] } {
  const all = vocabulary(TOPICS * 60 + 40, 3);
  const common = all.slice(TOPICS * 60);
  const vocabs = Array.from({ length: TOPICS }, (_, t) => all.slice(t * 60, (t + 1) * 60));
  const rnd = mulberry32(seed);
  const docs: Doc[] = [];
  const topic = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const t = i % TOPICS;
    const w = words(rnd, vocabs[t]!, 60).map((x) => (rnd() < 0.3 ? common[Math.floor(rnd() * common.length)]! : x));
    const id = `s${seed}-${i}`;
    docs.push(doc(id, `Title ${t} number ${i}\n` + w.join(' ') + '.'));
    topic.set(id, t);
  }
  for (let i = 0; i < chineseDocs; i++) {
    const id = `zh-${seed}-${i}`;
    docs.push(doc(id, chinese(rnd, 300)));
    topic.set(id, TOPICS);
  }
  return { docs, topic, vocabs };
}

/** Clusters are pure when every cluster holds one topic and every topic one cluster. */
function assertPure(kept: Doc[], topic: Map<string, number>): Map<number, number> {
  const clusterOfTopic = new Map<number, number>();
  for (const d of kept) {
    const c = d.metadata.cluster as number;
    const t = topic.get(d.id)!;
    if (!clusterOfTopic.has(t)) clusterOfTopic.set(t, c);
    assert.equal(c, clusterOfTopic.get(t), `${d.id} of topic ${t} in cluster ${c}`);
  }
  assert.equal(new Set(clusterOfTopic.values()).size, clusterOfTopic.size);
  return clusterOfTopic;
}

test('k-means over hashed TF-IDF separates topics; the same clusters with 1 or 3 tasks; the report names each topic', async () => {
  const { docs, topic, vocabs } = corpus(120, 1, 20);
  const dir = tmp();
  const one = await runStage(clusterFilter({ k: 5, sampleSize: 100 }), [docs], dir);
  assert.equal(one.kept[0]!.length, docs.length);
  const clusterOfTopic = assertPure(one.kept[0]!, topic);
  const three = await runStage(clusterFilter({ k: 5, sampleSize: 100 }), splitTasks(docs, 3));
  assert.deepEqual(
    three.kept.flat().map((d) => [d.id, d.metadata.cluster]),
    one.kept[0]!.map((d) => [d.id, d.metadata.cluster]),
  );
  const counts = Object.entries(one.counts).sort();
  assert.deepEqual(counts.map(([, v]) => v).sort((a, b) => b - a), [30, 30, 30, 30, 20]);
  const rep = JSON.parse(readFileSync(join(dir, 'clusters.json'), 'utf8'));
  assert.equal(rep.k, 5);
  assert.equal(rep.documents, docs.length);
  assert.equal(rep.sampled, 100);
  assert.equal(rep.clusters.reduce((s: number, c: { sampleDocs: number }) => s + c.sampleDocs, 0), 100);
  // Numbered largest first; each English cluster's distinctive terms come from its topic.
  const sizes = rep.clusters.map((c: { sampleDocs: number }) => c.sampleDocs);
  assert.deepEqual(sizes, [...sizes].sort((a: number, b: number) => b - a));
  for (let t = 0; t < TOPICS; t++) {
    const c = rep.clusters[clusterOfTopic.get(t)!];
    const first = c.topTerms[0].split(' ');
    assert.ok(first.every((w: string) => vocabs[t]!.includes(w)), `cluster of topic ${t}: ${c.topTerms}`);
    assert.ok(c.examples.length > 0 && c.examples.every((e: { title: string }) => e.title.startsWith(`Title ${t} `)));
  }
});

test('drop clusters by number or by name; names go to metadata; a saved model gives new documents the same numbers', async () => {
  const { docs, topic } = corpus(80, 2);
  const dir = tmp();
  const first = await runStage(clusterFilter({ k: 4, sampleSize: 60 }), [docs], dir);
  const clusterOfTopic = assertPure(first.kept[0]!, topic);
  const c0 = clusterOfTopic.get(0)!;
  const c2 = clusterOfTopic.get(2)!;
  const run = await runStage(clusterFilter({ k: 4, sampleSize: 60, names: { [String(c2)]: 'ads' }, drop: [c0, 'ads'] }), [docs]);
  const dropped = run.dropped[0]!;
  assert.equal(dropped.length, 40);
  for (const d of dropped) assert.equal(d.reason, `cluster_${topic.get(d.id) === 0 ? c0 : c2}`);
  assert.ok(run.kept[0]!.every((d) => d.metadata.cluster_name === undefined));
  const named = await runStage(clusterFilter({ k: 4, sampleSize: 60, names: { [String(c2)]: 'ads' } }), [docs]);
  assert.ok(named.kept[0]!.filter((d) => topic.get(d.id) === 2).every((d) => d.metadata.cluster_name === 'ads'));
  // New documents of the same topics, clustered with the first run's model.
  const fresh = corpus(40, 3).docs;
  const applied = await runStage(clusterFilter({ k: 4, model: join(dir, 'model.bin') }), [fresh]);
  for (const d of applied.kept[0]!) assert.equal(d.metadata.cluster, clusterOfTopic.get(Number(d.text.split(' ')[1])), d.id);
  await assert.rejects(runStage(clusterFilter({ k: 4, drop: ['spam'] }), [docs]), /names cluster 'spam', which 'names' does not define/);
  await assert.rejects(runStage(clusterFilter({ k: 4, dim: 1024, model: join(dir, 'model.bin') }), [fresh]), /a model for dim 16384/);
});

test('k-means: seeded and deterministic; more clusters than distinct points; empty documents get cluster -1', async () => {
  const idf = inverseDocumentFrequency(new Uint32Array(64), 1);
  const cfg = { dim: 64, maxChars: 1000, cjk: 'chars' as const };
  const vecs = ['alpha beta', 'alpha beta', 'alpha beta', 'gamma delta', 'gamma delta'].map((t) => embed(t, cfg, idf));
  const a = sphericalKMeans(vecs, 64, 3, 7, 20);
  const b = sphericalKMeans(vecs, 64, 3, 7, 20);
  assert.deepEqual(a, b);
  assert.equal(a.assign[0], a.assign[1]);
  assert.notEqual(a.assign[0], a.assign[3]);
  assert.throws(() => sphericalKMeans(vecs, 64, 6, 1, 5), /k = 6 needs between 1 and 5 vectors/);
  const run = await runStage(clusterFilter({ k: 2, dim: 64 }), [[doc('a', 'one two three'), doc('b', '!!! ...'), doc('c', 'four five six')]]);
  assert.equal(run.kept[0]!.find((d) => d.id === 'b')!.metadata.cluster, -1);
  assert.equal(run.counts.cluster_none, 1);
});

test('factories are keyed by type name and check their options', () => {
  assert.deepEqual(Object.keys(clusterFactories).sort(), ['cluster_filter', 'topic_mix']);
  assert.deepEqual(Object.keys(dedupFactories).sort(), ['exact_substring_dedup', 'line_dedup', 'minhash_dedup']);
  assert.equal(clusterFactories.cluster_filter!({ k: 3 }).name, 'cluster_filter');
  assert.throws(() => clusterFactories.cluster_filter!({ k: 0 }), /cluster_filter: option 'k' must be a whole number from 1 to 4096, got 0/);
  assert.throws(() => clusterFilter({ names: { ads: '3' } }), /option 'names' must be an object of cluster numbers to names \(\{"3": "ads"\}\), but has key "ads"/);
  assert.throws(() => clusterFilter({ drop: [-1] }), /option 'drop' must be a list of cluster numbers or names, but item 0 is -1/);
  assert.throws(() => clusterFilter({ k: 4096, dim: 1 << 16 }), /too many/);
});
