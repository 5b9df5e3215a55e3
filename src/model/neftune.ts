// NEFTune (Jain et al. 2023, "NEFTune: Noisy Embeddings Improve Instruction Finetuning"): uniform
// noise on the input embeddings while finetuning. Additive, so the embedding table's gradient is the
// one without noise; the noise only changes what the layers above see.
//
// Scale: alpha / sqrt(L * d), d = hidden size, L = the token count of the token's own sample (its
// unpadded length; the whole row T when the batch has no segments), and no noise on padding. TRL's
// neftune_post_forward_hook (and the paper's reference code) use one L for the whole batch: the
// padded length output.size(1), padding included. We follow the issue and use each sample's own
// unpadded length: with packing the padded length is that of a row holding several samples and
// padding, so TRL's scale would shrink a sample's noise by what it happens to be packed with; ours
// depends on the sample alone, packed or not. (For an unpadded, unpacked batch the two agree.)
import { mulberry32 } from '../tensor/random.js';
import { StepOptionsError } from './packing.js';

export interface NeftuneOptions {
  /** The paper's alpha (Yi's SFT uses 5); 0 adds nothing. */
  alpha: number;
  /** Seeds the noise: the same seed gives the same noise (the caller passes a new one each step). */
  seed: number;
}

/** Largest |noise| a token of a sample of L tokens gets: alpha / sqrt(L * hidden). */
export function neftuneBound(alpha: number, L: number, hidden: number): number {
  return alpha / Math.sqrt(L * hidden);
}

/**
 * Adds NEFTune noise to x (row-major [N, hidden] embeddings, in place): element j of token i gets
 * u * alpha / sqrt(lengths[i] * hidden) with u uniform in [-1, 1) from mulberry32(seed), drawn for every
 * element in order (padding too, lengths[i] = 0 there and nothing is added), so a token's noise depends
 * on the seed and its index only, not on the layout of the rest of the batch.
 */
export function addNeftuneNoise(x: Float32Array, hidden: number, lengths: Int32Array, opts: NeftuneOptions): void {
  checkNeftune(opts);
  if (x.length !== lengths.length * hidden) throw new RangeError(`neftune: ${x.length} embedding values for ${lengths.length} tokens of ${hidden}`);
  const next = mulberry32(opts.seed);
  for (let i = 0; i < lengths.length; i++) {
    const L = lengths[i]!;
    const mag = L > 0 ? neftuneBound(opts.alpha, L, hidden) : 0;
    const row = i * hidden;
    for (let j = 0; j < hidden; j++) {
      const u = 2 * next() - 1;
      if (mag > 0) x[row + j] = x[row + j]! + u * mag;
    }
  }
}

/** Refuses an alpha that is not a finite number >= 0 or a seed that is not a 32-bit integer. */
export function checkNeftune(opts: NeftuneOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new StepOptionsError(`neftune must be { alpha, seed }, got ${String(opts)}`);
  if (typeof opts.alpha !== 'number' || !Number.isFinite(opts.alpha) || opts.alpha < 0) throw new StepOptionsError(`neftune.alpha must be a finite number >= 0, got ${String(opts.alpha)}`);
  if (!Number.isInteger(opts.seed) || opts.seed < -(2 ** 31) || opts.seed >= 2 ** 32) throw new StepOptionsError(`neftune.seed must be a 32-bit integer, got ${String(opts.seed)}`);
}
