// The deduplication stages by type name, for pipelines declared in files. Each factory takes
// partial options (checked at once) and returns a GlobalStage.
import type { OptionRule } from '../options/schema.js';
import type { GlobalStage } from '../types.js';
import { EXACT_SUBSTRING_SCHEMA, exactSubstringDedup } from './exact-substring.js';
import { LINE_DEDUP_SCHEMA, lineDedup } from './line-dedup.js';
import { MINHASH_DEDUP_SCHEMA, minhashDedup } from './minhash-stage.js';

export const dedupFactories: Record<string, (opts?: any) => GlobalStage> = {
  minhash_dedup: minhashDedup,
  line_dedup: lineDedup,
  exact_substring_dedup: exactSubstringDedup,
};

/** Each type's option schema (what a pipeline file may set). */
export const dedupSchemas: Record<string, Record<string, OptionRule>> = {
  minhash_dedup: MINHASH_DEDUP_SCHEMA,
  line_dedup: LINE_DEDUP_SCHEMA,
  exact_substring_dedup: EXACT_SUBSTRING_SCHEMA,
};

export { EXACT_SUBSTRING_DEFAULTS, exactSubstringDedup, type ExactSubstringOptions } from './exact-substring.js';
export { LINE_DEDUP_DEFAULTS, lineDedup, type LineDedupOptions } from './line-dedup.js';
export { MINHASH_DEDUP_DEFAULTS, minhashDedup, type MinhashDedupOptions } from './minhash-stage.js';
export { loadXxhash, MinHasher, type MinHashConfig } from './minhash.js';
export { ccnetNormalize, simplifyText } from './normalize.js';
export { suffixArray } from './suffix-array.js';
