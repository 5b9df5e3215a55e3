// The stage types every pipeline can name: one registration per type. Imported by every worker
// before it builds a pipeline. The stages' own folders (src/data/filters, dedup, cluster,
// scorers) export the factories.
import { clusterFactories, clusterSchemas } from '../cluster/index.js';
import { dedupFactories, dedupSchemas } from '../dedup/index.js';
import { filterFactories, filterSchemas } from '../filters/index.js';
import type { OptionRule } from '../options/schema.js';
import { cachedDefaultScorers, defaultScorerOptions } from '../scorers/defaults.js';
import { scorerFactories, scorerSchemas } from '../scorers/index.js';
import type { Stage } from '../types.js';
import { registerStage, type StageContext } from './registry.js';

/** Registers a built-in type: its factory gets the checked options (paths already absolute) and the pipeline's name. */
function register(type: string, factory: (opts?: any) => Stage, description: string, options: Record<string, OptionRule>): void {
  registerStage(type, (opts: Record<string, unknown>, ctx: StageContext) => factory({ ...opts, name: ctx.name }), { description, options });
}

const FILTERS: Record<string, string> = {
  language_id: 'language identification (eld), keeps listed languages above a score (CCNet: 0.65)',
  url_blocklist: 'URL / domain block lists and banned URL words (datatrove URLFilter)',
  bad_words: 'bad-words lists: substring match for zh/ja/th, word-boundary match otherwise (C4)',
  gopher_quality: 'Gopher quality rules (DATA-RULES.md)',
  gopher_repetition: 'Gopher repetition rules: duplicate lines, paragraphs and n-grams',
  c4_quality: 'C4 line cleaning then document rules (transform)',
  fineweb_quality: 'FineWeb line-statistics rules',
  yi_text_metrics: "Yi's text metrics: special symbols, short / repeated / incomplete lines, garbled text, length",
  pii: 'replaces emails, phone numbers and public IPs with <EMAIL>, <PHONE>, <IP> (transform)',
};
for (const [type, description] of Object.entries(FILTERS)) register(type, filterFactories[type]!, description, filterSchemas[type]!);

const SCORERS: Record<string, string> = {
  perplexity: '5-gram Kneser-Ney perplexity (CCNet): head / middle / tail buckets, drops the tail (model from `yi data train-perplexity`)',
  quality_classifier: 'linear classifier over hashed n-grams, reference vs web text; keeps p(reference) >= 0.25 (`yi data train-quality`)',
  coherence: 'classifier of lexical cohesion across sentences; flags spliced unrelated sentences (`yi data train-coherence`)',
  safety: 'safety word lists per category plus an optional classifier (`yi data train-safety`)',
};
// A scorer stage without a model uses the default one (bundled reference text, trained once into the
// cache), so that the default pipeline runs as it is.
for (const [type, description] of Object.entries(SCORERS)) {
  registerStage(
    type,
    async (given: Record<string, unknown>, ctx: StageContext) => {
      const defaults = given.model === undefined && given.models === undefined ? defaultScorerOptions(await cachedDefaultScorers({ notice: ctx.notice }))[type] : {};
      return scorerFactories[type]!({ ...defaults, ...given, name: ctx.name });
    },
    { description: `${description}; without a model: the default one, trained on the bundled reference text into ${'$'}YI_CACHE or ~/.cache/yi-ts`, options: scorerSchemas[type]! },
  );
}

const GLOBAL: Record<string, [(opts?: any) => Stage, string]> = {
  line_dedup: [dedupFactories.line_dedup!, 'paragraph / line dedup (CCNet): a normalised line stays only in the first document that has it'],
  minhash_dedup: [dedupFactories.minhash_dedup!, 'MinHash LSH (datatrove defaults: word 5-grams, 14 bands x 8 rows, 64-bit hashes), one document per cluster'],
  exact_substring_dedup: [dedupFactories.exact_substring_dedup!, 'exact substring dedup (Lee et al.): suffix array, spans of >= 100 bytes seen earlier are cut'],
  cluster_filter: [clusterFactories.cluster_filter!, 'hashed TF-IDF + k-means topics; drops or labels named clusters, statistics for the report'],
  topic_mix: [clusterFactories.topic_mix!, 'per-topic sampling weights (keep with probability w; w > 1 duplicates documents)'],
};
const GLOBAL_SCHEMAS = { ...dedupSchemas, ...clusterSchemas };
for (const [type, [factory, description]] of Object.entries(GLOBAL)) register(type, factory, description, GLOBAL_SCHEMAS[type]!);
