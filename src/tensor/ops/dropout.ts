// Inverted dropout with a seeded mask: out = x * keep / (1 - p), keep drawn per element from the
// project's generator. The mask is a function of (seed, element index) only, so backward applies the
// very same mask to the gradient by calling this again with the same seed, and nothing is stored; or
// a caller that applies it several times (LoRA: forward, dA, dX) draws it once as bits with
// `dropoutMask` and applies it with `applyDropoutMask`, with the same bits as `dropout`.
import { mulberry32 } from '../random.js';
import { expectShape, sameArena, type Tensor } from '../tensor.js';

/** The runtime profile's label of the time spent drawing and applying masks (JS, not a kernel). */
export const DROPOUT_PROFILE_LABEL = 'dropout (JS)';

/** out = dropout(x) with probability p (0 <= p < 1) and mask `seed`; out may be x itself. f32, same shape. */
export function dropout(x: Tensor, p: number, seed: number, out: Tensor): Tensor {
  checkP(p);
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

/**
 * The elements `dropout(x, p, seed, ...)` zeroes among the first n, as bits (bit i % 32 of word
 * i >> 5 set = dropped): the same draws, one bit per element instead of a tensor.
 */
export function dropoutMask(n: number, p: number, seed: number): Uint32Array {
  checkP(p);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`dropoutMask: n must be a non-negative integer, got ${n}`);
  const bits = new Uint32Array(Math.ceil(n / 32));
  // mulberry32 inlined: next() < p is u / 2^32 < p, that is u < p * 2^32 (both scalings exact).
  const threshold = p * 4294967296;
  let a = seed >>> 0;
  for (let w = 0; w < bits.length; w++) {
    const end = Math.min(32, n - 32 * w);
    let word = 0;
    for (let j = 0; j < end; j++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      if ((t ^ (t >>> 14)) >>> 0 < threshold) word |= 1 << j;
    }
    bits[w] = word;
  }
  return bits;
}

/** out = dropout(x) with the mask `dropoutMask(x.numel, p, seed)` drew: the bits `dropout(x, p, seed)` gives. out may be x. */
export function applyDropoutMask(x: Tensor, mask: Uint32Array, p: number, out: Tensor): Tensor {
  checkP(p);
  expectShape('dropout', 'out', out, 'f32', x.shape);
  expectShape('dropout', 'x', x, 'f32', out.shape);
  const n = x.numel;
  if (mask.length !== Math.ceil(n / 32)) throw new RangeError(`dropout: a mask of ${mask.length} words does not cover ${n} elements`);
  const f = sameArena('dropout', x, out).f32;
  const src = x.offset / 4;
  const dst = out.offset / 4;
  const keep = 1 / (1 - p);
  const profile = x.rt.profile;
  const t0 = profile ? performance.now() : 0;
  for (let w = 0; w < mask.length; w++) {
    const word = mask[w]!;
    const base = 32 * w;
    const end = Math.min(32, n - base);
    for (let j = 0; j < end; j++) f[dst + base + j] = (word >>> j) & 1 ? 0 : f[src + base + j]! * keep;
  }
  profile?.add(DROPOUT_PROFILE_LABEL, performance.now() - t0);
  return out;
}

function checkP(p: number): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
}
