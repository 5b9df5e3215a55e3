// Backward of RMSNorm: the gradients of x and of the weight from what rmsnormTrain saved (rstd).
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectNoOverlap, MIN_ELEMENTS_PER_THREAD, minRowsPerThread } from './util.js';

/**
 * For y = x * r * w (r = rstd of each row, from rmsnormTrain), given dy:
 *   dx = r (dy * w) - x * (r^3 / H) * sum_j dy_j w_j x_j        OVERWRITTEN (dx may be dy itself)
 *   dWeight_j += sum over rows of dy_j x_j r                   ACCUMULATED
 * x, dy, dx: f32 [..., H] (N rows); weight, dWeight: f32 [H]; rstd: f32 [N].
 * dx is parallel over rows, dWeight over column ranges (each column summed over rows in order):
 * bit-identical on any thread count.
 */
export function rmsnormBackward(dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor, dx: Tensor, dWeight: Tensor): void {
  const op = 'rmsnormBackward';
  expectDType(op, 'x', x, ['f32']);
  if (x.rank < 1) throw new RangeError(`${op}: x must have at least one dimension`);
  const h = x.cols;
  const n = x.rows;
  expectShape(op, 'dy', dy, 'f32', x.shape);
  expectShape(op, 'weight', weight, 'f32', [h]);
  expectShape(op, 'rstd', rstd, 'f32', [n]);
  expectShape(op, 'dx', dx, 'f32', x.shape);
  expectShape(op, 'dWeight', dWeight, 'f32', [h]);
  const arena = arenaOf(op, { dy, x, weight, rstd, dx, dWeight });
  expectNoOverlap(op, { dx, dWeight }, { dy, x, weight, rstd }, { dx: ['dy'] });
  const rt = x.rt;
  // The weight gradient's column sums run in the thread's scratch.
  if (h * 4 > rt.scratchBytesPerThread) {
    throw new RangeError(`${op}: H = ${h} needs ${h * 4} bytes of scratch per thread, more than the ${rt.scratchBytesPerThread} configured (Runtime option scratchBytesPerThread)`);
  }
  if (n === 0) return;
  // dWeight first: it reads dy, which dx may overwrite.
  const colsPerThread = Math.max(4, Math.ceil(MIN_ELEMENTS_PER_THREAD / n));
  // One chunk per thread: every chunk walks all n rows for its columns.
  rt.parallel('rmsnorm_backward_dw_f32', arena, [dy.offset, x.offset, rstd.offset, dWeight.offset, n, h], h, 4, colsPerThread, 1);
  rt.parallel('rmsnorm_backward_dx_f32', arena, [dy.offset, x.offset, weight.offset, rstd.offset, dx.offset, h], n, 1, minRowsPerThread(h));
}
