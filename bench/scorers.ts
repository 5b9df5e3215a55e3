// The learned scorers on the bundled reference text (Brown corpus + the Chinese sample): training
// speed (tokens/s for the 5-gram model, documents/s for the classifiers), scoring speed
// (documents/s and MB/s, one core), model sizes, and held-out accuracy as a reminder of what the
// speed buys.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCoherenceClassifier } from '../src/data/scorers/coherence.js';
import type { TextClassifier } from '../src/data/scorers/classifier-model.js';
import { PerplexityModel } from '../src/data/scorers/perplexity-model.js';
import { trainPerplexityModel } from '../src/data/scorers/perplexity-train.js';
import { trainQualityClassifier } from '../src/data/scorers/quality.js';
import { brownDocuments, bundledReferenceDocuments, chineseReferenceDocuments } from '../src/data/scorers/reference-corpus.js';
import { safetyStage, trainSafetyClassifier } from '../src/data/scorers/safety.js';
import { webJunkDocuments } from '../src/data/scorers/web-junk.js';
import { timeIt, type Reporter } from './harness.js';

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

export async function benchScorers(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const maxFiles = opts.quick ? 60 : undefined;
  const reference = bundledReferenceDocuments({ maxFiles });
  const junk = webJunkDocuments(reference.length, { seed: 1 });
  // Scoring input: half reference, half junk, as a pipeline would see them.
  const sample = [...reference.filter((_, i) => i % 8 === 0), ...junk.filter((_, i) => i % 8 === 0)];
  const sampleMB = sample.reduce((a, t) => a + Buffer.byteLength(t), 0) / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'yi-bench-scorers-'));
  try {
    for (const prune of [undefined, [0, 0, 1]]) {
      const { model, stats } = await trainPerplexityModel({ input: reference, prune });
      const file = join(dir, 'ppl.kn');
      model.save(file);
      const tag = prune ? 'pruned 0,0,1' : 'unpruned';
      rep.add({ bench: 'scorers', case: `perplexity: train 5-gram KN, ${tag}`, value: stats.tokensPerSecond, unit: 'tokens/s', note: `${stats.tokens} tokens in ${stats.seconds.toFixed(1)} s (counting + estimation ${stats.estimateSeconds.toFixed(1)} s); ${stats.ngrams.join('/')} n-grams; file ${mib(statSync(file).size)}, counts peak ${mib(stats.countBytes)}` });
      const l0 = performance.now();
      const loaded = PerplexityModel.load(file);
      const loadS = (performance.now() - l0) / 1000;
      const sec = timeIt(() => sample.forEach((t) => loaded.perplexity(t)), { warmup: 1, runs: opts.quick ? 1 : 3, minSeconds: 0 });
      rep.add({ bench: 'scorers', case: `perplexity: score documents, ${tag}`, value: sample.length / sec, unit: 'docs/s', note: `${(sampleMB / sec).toFixed(2)} MB/s; load ${loadS.toFixed(2)} s` });
    }

    const classifiers: [string, () => Promise<{ model: TextClassifier; stats: { documentsPerSecond: number; heldOut: { accuracy: number; auc: number; threshold: number } } }>][] = [
      ['quality', () => trainQualityClassifier({ positives: reference })],
      ['coherence', () => trainCoherenceClassifier({ input: [...brownDocuments({ maxFiles }), ...chineseReferenceDocuments(1)] })],
      ['safety', () => trainSafetyClassifier({ safe: reference })],
    ];
    for (const [name, train] of classifiers) {
      const { model, stats } = await train();
      const file = join(dir, `${name}.bin`);
      model.save(file);
      const h = stats.heldOut;
      rep.add({ bench: 'scorers', case: `${name}: train`, value: stats.documentsPerSecond, unit: 'docs/s', note: `held-out accuracy ${(100 * h.accuracy).toFixed(1)}% at p >= ${h.threshold}, AUC ${h.auc.toFixed(4)}; file ${mib(statSync(file).size)}` });
      const sec = timeIt(() => sample.forEach((t) => model.probability(t)), { warmup: 1, runs: opts.quick ? 1 : 3, minSeconds: 0 });
      rep.add({ bench: 'scorers', case: `${name}: score documents`, value: sample.length / sec, unit: 'docs/s', note: `${(sampleMB / sec).toFixed(2)} MB/s` });
    }
    const lists = safetyStage();
    const sec = timeIt(() => sample.forEach((t, i) => lists.process({ id: String(i), text: t, metadata: {} })), { warmup: 1, runs: opts.quick ? 1 : 3, minSeconds: 0 });
    rep.add({ bench: 'scorers', case: 'safety: word lists only', value: sample.length / sec, unit: 'docs/s', note: `${(sampleMB / sec).toFixed(2)} MB/s` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
