// The default models of the learned scorers, trained on the reference text bundled through npm: the
// Brown corpus (a sample spread over every genre) and the Chinese reference paragraphs, with generated
// web junk as the negative class. `yi data run default` uses them when a pipeline names no model, and
// `yi recipe` trains them into its run folder; a few seconds at the default size.
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { trainCoherenceClassifier } from './coherence.js';
import { trainPerplexityModel } from './perplexity-train.js';
import { trainQualityClassifier } from './quality.js';
import { brownDocuments, chineseReferenceDocuments } from './reference-corpus.js';
import { trainSafetyClassifier } from './safety.js';

export interface DefaultScorerOptions {
  /** English reference documents (4 Brown paragraphs each) to train on. Default 2000. */
  englishDocuments?: number;
  seed?: number;
}

/** Where each default model lives in a folder, and the stage options that use them. */
export interface DefaultScorerFiles {
  perplexityEn: string;
  perplexityZh: string;
  quality: string;
  coherence: string;
  safety: string;
}

export function defaultScorerFiles(dir: string): DefaultScorerFiles {
  return {
    perplexityEn: join(dir, 'perplexity-en.bin'),
    perplexityZh: join(dir, 'perplexity-zh.bin'),
    quality: join(dir, 'quality.bin'),
    coherence: join(dir, 'coherence.bin'),
    safety: join(dir, 'safety.bin'),
  };
}

/** Stage options (by stage type) that point the scorer stages at the models in `files`. */
export function defaultScorerOptions(files: DefaultScorerFiles): Record<string, Record<string, unknown>> {
  return {
    perplexity: { models: { en: files.perplexityEn, zh: files.perplexityZh } },
    quality_classifier: { model: files.quality },
    coherence: { model: files.coherence },
    safety: { model: files.safety },
  };
}

/**
 * Trains the five default models into `dir` (each written atomically). Returns the files and each
 * model's training statistics. The Chinese text has a perplexity model of its own (an English model
 * puts all Chinese in the tail) and is repeated in the classifiers' positive class so that they do
 * not learn "Chinese = junk" from a reference set that is 95% English.
 */
export async function trainDefaultScorers(dir: string, o: DefaultScorerOptions = {}): Promise<{ files: DefaultScorerFiles; stats: Record<string, unknown>; english: number; chinese: number }> {
  const seed = o.seed ?? 1;
  const want = o.englishDocuments ?? 2000;
  mkdirSync(dir, { recursive: true });
  const english = brownDocuments({ paragraphsPerDocument: 4 });
  const every = Math.max(1, english.length / want);
  const en = Array.from({ length: Math.min(english.length, want) }, (_, i) => english[Math.floor(i * every)]!);
  const zh = chineseReferenceDocuments(2);
  const zhWeighted = Array.from({ length: Math.max(1, Math.round((0.2 * en.length) / Math.max(1, zh.length))) }, () => zh).flat();
  const reference = [...en, ...zhWeighted];
  const files = defaultScorerFiles(dir);
  // Tail = above the 99th percentile of held-out reference perplexity: Yi drops only documents far
  // above the mean (CCNet's 60th percentile would drop 40% of good text by construction).
  const pplEn = await trainPerplexityModel({ input: en, percentiles: [50, 99], seed });
  pplEn.model.save(files.perplexityEn);
  const pplZh = await trainPerplexityModel({ input: zh, percentiles: [50, 99], seed });
  pplZh.model.save(files.perplexityZh);
  const quality = await trainQualityClassifier({ positives: reference, seed });
  quality.model.save(files.quality);
  const coherence = await trainCoherenceClassifier({ input: reference, seed });
  coherence.model.save(files.coherence);
  const safety = await trainSafetyClassifier({ safe: reference, seed });
  safety.model.save(files.safety);
  const stats = { perplexity_en: pplEn.stats, perplexity_zh: pplZh.stats, quality: quality.stats, coherence: coherence.stats, safety: safety.stats };
  return { files, stats, english: en.length, chinese: zh.length };
}

/** The cache of default models: $YI_CACHE, else ~/.cache/yi-ts; one folder per model version. */
export function defaultScorerCacheDir(): string {
  return join(process.env.YI_CACHE ?? join(homedir(), '.cache', 'yi-ts'), 'scorers-v1');
}

let cached: Promise<DefaultScorerFiles> | undefined;

/**
 * The default models, trained into the cache on first use (a few seconds; atomic, so processes that
 * race train the same bytes and the last rename wins). `notice` hears when that training starts and
 * ends: it writes to the user's home folder and takes seconds, so the user should know.
 */
export function cachedDefaultScorers(o: { notice?: (line: string) => void } = {}): Promise<DefaultScorerFiles> {
  cached ??= (async () => {
    const dir = defaultScorerCacheDir();
    const files = defaultScorerFiles(dir);
    if (Object.values(files).every((f) => existsSync(f))) return files;
    o.notice?.(`training the default scorer models (perplexity, quality, coherence, safety) on the bundled reference text into ${dir}: once, a few seconds`);
    const t0 = performance.now();
    const r = await trainDefaultScorers(dir);
    o.notice?.(`default scorer models ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r.files;
  })();
  return cached;
}
