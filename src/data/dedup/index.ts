// The deduplication stages by type name, for pipelines declared in files. Each factory takes
// partial options (checked at once) and returns a GlobalStage.
import type { GlobalStage } from '../types.js';
import { exactSubstringDedup } from './exact-substring.js';
import { lineDedup } from './line-dedup.js';
import { minhashDedup } from './minhash-stage.js';

export const dedupFactories: Record<string, (opts?: any) => GlobalStage> = {
  minhash_dedup: minhashDedup,
  line_dedup: lineDedup,
  exact_substring_dedup: exactSubstringDedup,
};

export { EXACT_SUBSTRING_DEFAULTS, exactSubstringDedup, type ExactSubstringOptions } from './exact-substring.js';
export { LINE_DEDUP_DEFAULTS, lineDedup, type LineDedupOptions } from './line-dedup.js';
export { MINHASH_DEDUP_DEFAULTS, minhashDedup, type MinhashDedupOptions } from './minhash-stage.js';
export { loadXxhash, MinHasher, type MinHashConfig } from './minhash.js';
export { ccnetNormalize, simplifyText } from './normalize.js';
export { suffixArray } from './suffix-array.js';
