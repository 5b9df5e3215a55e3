// Row normalizations: RMSNorm and softmax over the last dimension.
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectNoOverlap, minRowsPerThread, outputTensor } from './util.js';

/**
 * Llama RMSNorm over the last dimension: out = x / sqrt(mean(x^2) + eps) * weight.
 * x: f32 [..., H]; weight: f32 [H]; out (optional, may be x): f32 like x. Sum of squares in f32,
 * in a fixed order (bit-identical on any thread count).
 */
export function rmsnorm(x: Tensor, weight: Tensor, eps: number, out?: Tensor): Tensor {
  const op = 'rmsnorm';
  expectDType(op, 'x', x, ['f32']);
  if (x.rank < 1) throw new RangeError(`${op}: x must have at least one dimension`);
  const h = x.cols;
  expectShape(op, 'weight', weight, 'f32', [h]);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`${op}: eps must be a finite number >= 0, got ${eps}`);
  const arena = arenaOf(op, { x, weight });
  const o = outputTensor(op, x, out, 'f32', x.shape, arena);
  x.rt.parallel('rmsnorm_f32', arena, [x.offset, weight.offset, o.offset, h, eps], x.rows, 1, minRowsPerThread(h));
  return o;
}

/**
 * rmsnorm for training: writes out (f32 like x, may be x) with exactly rmsnorm's arithmetic, so the
 * same bits, and rstd: f32 [N] (N = rows of x) = 1 / sqrt(mean(x^2) + eps) per row, which
 * rmsnormBackward needs. x: f32 [..., H]; weight: f32 [H]. Returns out.
 */
export function rmsnormTrain(x: Tensor, weight: Tensor, eps: number, out: Tensor, rstd: Tensor): Tensor {
  const op = 'rmsnormTrain';
  expectDType(op, 'x', x, ['f32']);
  if (x.rank < 1) throw new RangeError(`${op}: x must have at least one dimension`);
  const h = x.cols;
  expectShape(op, 'weight', weight, 'f32', [h]);
  expectShape(op, 'out', out, 'f32', x.shape);
  expectShape(op, 'rstd', rstd, 'f32', [x.rows]);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`${op}: eps must be a finite number >= 0, got ${eps}`);
  const arena = arenaOf(op, { x, weight, out, rstd });
  expectNoOverlap(op, { out, rstd }, { x, weight }, { out: ['x'] });
  x.rt.parallel('rmsnorm_train_f32', arena, [x.offset, weight.offset, out.offset, rstd.offset, h, eps], x.rows, 1, minRowsPerThread(h));
  return out;
}

/** Softmax over the last dimension (max-subtracted, f32). x: f32 [..., N]; out (optional, may be x). */
export function softmax(x: Tensor, out?: Tensor): Tensor {
  const op = 'softmax';
  expectDType(op, 'x', x, ['f32']);
  if (x.rank < 1) throw new RangeError(`${op}: x must have at least one dimension`);
  const arena = x.arena;
  const o = outputTensor(op, x, out, 'f32', x.shape, arena);
  x.rt.parallel('softmax_f32', arena, [x.offset, o.offset, x.cols], x.rows, 1, minRowsPerThread(x.cols));
  return o;
}
