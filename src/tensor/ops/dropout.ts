// Inverted dropout with a seeded mask: out = x * keep / (1 - p), keep drawn per element from the
// project's generator. The mask is a function of (seed, element index) only, so backward applies the
// very same mask to the gradient by calling this again with the same seed, and nothing is stored.
import { mulberry32 } from '../random.js';
import { expectShape, sameArena, type Tensor } from '../tensor.js';

/** The runtime profile's label of the time spent drawing and applying masks (JS, not a kernel). */
export const DROPOUT_PROFILE_LABEL = 'dropout (JS)';

/** out = dropout(x) with probability p (0 <= p < 1) and mask `seed`; out may be x itself. f32, same shape. */
export function dropout(x: Tensor, p: number, seed: number, out: Tensor): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  expectShape('dropout', 'out', out, 'f32', x.shape);
  expectShape('dropout', 'x', x, 'f32', out.shape);
  const f = sameArena('dropout', x, out).f32;
  const src = x.offset / 4;
  const dst = out.offset / 4;
  const n = x.numel;
  const keep = 1 / (1 - p);
  const profile = x.rt.profile;
  const t0 = profile ? performance.now() : 0;
  const next = mulberry32(seed);
  for (let i = 0; i < n; i++) f[dst + i] = next() < p ? 0 : f[src + i]! * keep;
  profile?.add(DROPOUT_PROFILE_LABEL, performance.now() - t0);
  return out;
}
