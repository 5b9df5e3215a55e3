// Inverted dropout with a seeded mask: out = x * keep / (1 - p), keep drawn per element from the
// project's generator (mulberry32: element i takes its (i + 1)-th draw from the seed). The mask is a
// function of (seed, element index) only, so backward applies the very same mask to the gradient by
// calling this again with the same seed, and nothing is stored. The draws run in a wasm kernel
// (src/kernels/dropout.ts: the generator's state after i draws is seed + i * constant, so threads and
// SIMD lanes take elements independently), with the bits of the JS loop `x * keep` per element.
import { mulberry32 } from '../random.js';
import { expectShape, sameArena, type Tensor } from '../tensor.js';
import { MIN_ELEMENTS_PER_THREAD } from './util.js';

/** The runtime profile's label of dropout's kernel (the LoRA step's breakdown names it). */
export const DROPOUT_PROFILE_LABEL = 'dropout';

/** out = dropout(x) with probability p (0 <= p < 1) and mask `seed`; out may be x itself. f32, same shape. */
export function dropout(x: Tensor, p: number, seed: number, out: Tensor): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  expectShape('dropout', 'out', out, 'f32', x.shape);
  expectShape('dropout', 'x', x, 'f32', out.shape);
  const arena = sameArena('dropout', x, out);
  const n = x.numel;
  const keep = 1 / (1 - p);
  // A draw u (u32) drops its element when u / 2^32 < p, that is u < ceil(p * 2^32) (both scalings exact).
  const threshold = Math.ceil(p * 4294967296);
  if (threshold <= 0xffffffff) {
    x.rt.parallel('dropout_f32', arena, [x.offset, out.offset, seed >>> 0, threshold, keep], n, 4, MIN_ELEMENTS_PER_THREAD, undefined, DROPOUT_PROFILE_LABEL);
    return out;
  }
  // p within 2^-32 of 1: a threshold of 2^32 does not fit the kernel's u32 (every draw but none is below it).
  const f = arena.f32;
  const next = mulberry32(seed);
  for (let i = 0; i < n; i++) f[out.offset / 4 + i] = next() < p ? 0 : f[x.offset / 4 + i]! * keep;
  return out;
}
