// Whole-tensor helpers of the training step: the sum of squares behind the global gradient norm
// (clipping), scaling and accumulation.
import type { Tensor } from '../tensor.js';
import { add } from './activation.js';
import { expectDType, MIN_ELEMENTS_PER_THREAD } from './util.js';

/** Elements per partial sum of sumSquares: the unit of work, fixed so results never depend on threads. */
export const SUM_SQUARES_BLOCK = 4096;

/**
 * sum of x^2 over an f32 tensor, as a float64 number: each block of SUM_SQUARES_BLOCK elements is
 * summed by one thread in f64 (the squares are exact) into a partial, and the partials are added in
 * order here, so the result is the same on any thread count.
 */
export function sumSquares(x: Tensor): number {
  const op = 'sumSquares';
  expectDType(op, 'x', x, ['f32']);
  const n = x.numel;
  if (n === 0) return 0;
  const blocks = Math.ceil(n / SUM_SQUARES_BLOCK);
  const rt = x.rt;
  const arena = x.arena;
  const partials = rt.alloc(blocks * 8, arena);
  try {
    rt.parallel('sum_squares_f32', arena, [x.offset, n, SUM_SQUARES_BLOCK, partials.offset], blocks, 1, Math.max(1, MIN_ELEMENTS_PER_THREAD / SUM_SQUARES_BLOCK));
    const p = new Float64Array(arena.memory.buffer, partials.offset, blocks);
    let s = 0;
    for (let i = 0; i < blocks; i++) s += p[i]!;
    return s;
  } finally {
    rt.release(partials);
  }
}

/** x *= s elementwise (f32, in place; s rounded to f32), e.g. clipping or averaging gradients. */
export function scaleInPlace(x: Tensor, s: number): void {
  const op = 'scaleInPlace';
  expectDType(op, 'x', x, ['f32']);
  if (!Number.isFinite(s)) throw new RangeError(`${op}: s must be a finite number, got ${s}`);
  // Split at multiples of 4 so every thread's share starts on a 16-byte boundary.
  x.rt.parallel('scale_f32', x.arena, [x.offset, s], x.numel, 4, MIN_ELEMENTS_PER_THREAD);
}

/** acc += x elementwise (f32, same shape), for gradient accumulation: exactly add(acc, x, acc). */
export function addInPlace(acc: Tensor, x: Tensor): void {
  add(acc, x, acc);
}
