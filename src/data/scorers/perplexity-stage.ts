// The perplexity stage (CCNet): adds metadata.perplexity (rounded to 0.1, as CCNet stores it) and
// metadata.perplexity_bucket, and drops the buckets it is told to (default: the tail, "documents
// far above the mean" in Yi's words). One model per language, as CCNet has, when `models` is given.
import { optionError } from '../options/resolve.js';
import { list, number, oneOf, path, record, shape, stageName, string, type OptionSchema } from '../options/schema.js';
import type { DocStage, StageResult } from '../types.js';
import { cachedModel } from './model-cache.js';
import { PerplexityModel, type PerplexityBucket, type PerplexityCutoffs } from './perplexity-model.js';

export interface PerplexityStageOptions {
  /** Stage name (stats key). Default 'perplexity'. */
  name: string;
  /** The model for every document: a file from `yi data train-perplexity`, or a loaded model. */
  model?: string | PerplexityModel;
  /** One model per language, chosen by `metadata[languageField]`; `model` (if any) serves the others. */
  models?: Record<string, string | PerplexityModel>;
  /** Metadata field holding the document's language. Default 'language'. */
  languageField: string;
  /** Tokenizer file for tokenizer-based models (default: the path recorded in the model file). */
  tokenizer?: string;
  /** Cutoffs instead of the model's own (e.g. CCNet's English 340 / 520 with CCNet's model). */
  cutoffs?: PerplexityCutoffs;
  /** Buckets to drop, each with reason `perplexity_<bucket>`. Default ['tail']. */
  drop: PerplexityBucket[];
}

const BUCKETS: readonly PerplexityBucket[] = ['head', 'middle', 'tail'];

/** The options a pipeline file can give (models and the tokenizer as file paths). */
export const PERPLEXITY_STAGE_SCHEMA: OptionSchema<PerplexityStageOptions> = {
  name: stageName,
  model: path,
  models: record(path, undefined, 'an object of language codes to model files'),
  languageField: string({ nonEmpty: true }),
  tokenizer: path,
  cutoffs: shape({ head: number(0), middle: number(0) }, 'an object { head, middle } of perplexities'),
  drop: list(oneOf(BUCKETS), 'a list of buckets among head, middle, tail'),
};

export function perplexityStage(options: Partial<PerplexityStageOptions> = {}): DocStage {
  const o: PerplexityStageOptions = { name: 'perplexity', languageField: 'language', drop: ['tail'], ...options };
  const name = o.name;
  if (o.model === undefined && (o.models === undefined || Object.keys(o.models).length === 0)) {
    throw optionError('perplexity', o, 'model', `(a file from \`yi data train-perplexity\`) or 'models' (one per language) is required`);
  }
  if (!Array.isArray(o.drop) || o.drop.some((b) => !BUCKETS.includes(b))) throw optionError('perplexity', o, 'drop', `must list buckets among head, middle, tail, got ${JSON.stringify(o.drop)}`);
  if (o.cutoffs && !(o.cutoffs.head > 0 && o.cutoffs.middle >= o.cutoffs.head)) throw optionError('perplexity', o, 'cutoffs', `must satisfy 0 < head <= middle, got ${JSON.stringify(o.cutoffs)}`);
  const drop = new Set(o.drop);

  const load = (m: string | PerplexityModel): PerplexityModel =>
    typeof m === 'string' ? cachedModel('perplexity', m, (p) => PerplexityModel.load(p, { tokenizer: o.tokenizer }), o.tokenizer ?? '') : m;
  let fallback: PerplexityModel | undefined;
  let byLanguage: Map<string, PerplexityModel> | undefined;
  const ready = (): void => {
    if (byLanguage) return;
    fallback = o.model !== undefined ? load(o.model) : undefined;
    byLanguage = new Map(Object.entries(o.models ?? {}).map(([lang, m]) => [lang, load(m)]));
  };

  return {
    name,
    kind: 'scorer',
    async init() {
      ready();
    },
    process(doc): StageResult {
      ready();
      const lang = doc.metadata[o.languageField];
      const model = (typeof lang === 'string' ? byLanguage!.get(lang) : undefined) ?? fallback;
      if (!model) return { keep: true, doc, counts: { unscored: 1 } };
      const pp = model.perplexity(doc.text);
      if (!Number.isFinite(pp)) return { keep: false, reason: 'perplexity_no_tokens' };
      const bucket = model.bucket(pp, o.cutoffs);
      if (drop.has(bucket)) return { keep: false, reason: `perplexity_${bucket}` };
      return { keep: true, doc: { ...doc, metadata: { ...doc.metadata, perplexity: Math.round(pp * 10) / 10, perplexity_bucket: bucket } } };
    },
  };
}
