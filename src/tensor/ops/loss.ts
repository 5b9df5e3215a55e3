// Fused cross-entropy loss and its gradient, in place over the logits.
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectNoOverlap, expectRank, minRowsPerThread } from './util.js';

/** The target id that marks a row as ignored (loss 0, zero gradient), as PyTorch's ignore_index. */
export const IGNORE_INDEX = -1;

/**
 * logits: f32 [..., V] (N rows), overwritten with the gradient; targets: i32 [N], each in [0, V)
 * or -1 (ignore); losses: f32 [N] (overwritten). Per row r:
 *   losses[r] = logsumexp(logits[r]) - logits[r][targets[r]]   (max-subtracted, compensated exp sum)
 *   logits[r] = gradScale * (softmax(logits[r]) - onehot(targets[r]))
 * An ignored row gets loss 0 and an all-zero gradient row. Parallel over rows.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, losses: Tensor, gradScale: number): void {
  const op = 'crossEntropy';
  expectDType(op, 'logits', logits, ['f32']);
  if (logits.rank < 1) throw new RangeError(`${op}: logits must have at least one dimension`);
  const v = logits.cols;
  const n = logits.rows;
  expectRank(op, 'targets', targets, 1);
  expectShape(op, 'targets', targets, 'i32', [n]);
  expectShape(op, 'losses', losses, 'f32', [n]);
  if (!Number.isFinite(gradScale)) throw new RangeError(`${op}: gradScale must be a finite number, got ${gradScale}`);
  const arena = arenaOf(op, { logits, targets, losses });
  expectNoOverlap(op, { logits, losses }, { targets });
  const tv = arena.i32.subarray(targets.offset / 4, targets.offset / 4 + n);
  for (let i = 0; i < n; i++) {
    const t = tv[i]!;
    if (t !== IGNORE_INDEX && (t < 0 || t >= v)) {
      throw new RangeError(`${op}: targets[${i}] = ${t} is outside the vocabulary [0, ${v}) and is not ${IGNORE_INDEX} (ignore)`);
    }
  }
  logits.rt.parallel('cross_entropy_f32', arena, [logits.offset, targets.offset, losses.offset, v, gradScale], n, 1, minRowsPerThread(v));
}
