// A linear layer whose weight is frozen (f32, f16, bf16, or Q8_0 / Q4_0 for a QLoRA-style base) and may
// carry a LoRA adapter: y = x W^T + scale * dropout(x) A^T B^T. Only A and B (and x) get gradients;
// W gets no gradient buffer at all. Shapes: N tokens, in, out, r = the adapter's rank.
import { isQuantized } from '../dtype.js';
import { add } from '../ops/activation.js';
import { dropout } from '../ops/dropout.js';
import { linearInputGrad } from '../ops/linear-backward.js';
import { linear as linearKernel } from '../ops/linear.js';
import { matmul } from '../ops/matmul.js';
import type { Tensor } from '../tensor.js';
import { linear as trainableLinear } from './ops.js';
import { type Tape, Var } from './tape.js';

/** A LoRA adapter on the tape: A [r, in], B [out, r] (parameters), its scale and this step's dropout. */
export interface LoraAdapterVars {
  a: Var;
  b: Var;
  /** alpha / r (or alpha / sqrt(r)). */
  scale: number;
  /** Dropout probability on the adapter's input: 0 outside training. */
  dropout: number;
  /** The dropout mask's seed (the same in a recomputed block). */
  seed: number;
}

/** A weight that gets no gradient, with the adapter trained beside it, if any. */
export class FrozenWeight extends Var {
  constructor(
    value: Tensor,
    readonly adapter?: LoraAdapterVars,
  ) {
    super(value, false);
  }
}

/** y = x W^T for any weight on the tape: a FrozenWeight (with or without adapter) or a trainable f32 one. */
export function linear(tape: Tape, x: Var, w: Var): Var {
  return w instanceof FrozenWeight ? frozenLinear(tape, x, w.value, w.adapter) : trainableLinear(tape, x, w);
}

/** y = x W^T + scale * dropout(x) A^T B^T: x [N, in], w [out, in] frozen -> [N, out]. */
export function frozenLinear(tape: Tape, x: Var, w: Tensor, adapter?: LoraAdapterVars): Var {
  const [n, k] = [x.value.rows, x.value.cols];
  const x2 = x.value.reshape([n, k]);
  // y = x W^T             [N, out]: the trainable layer's f32 GEMM (same bits), or the int8-dot GEMM on a quantized base
  const yOut = tape.blank([n, w.shape[0]!]);
  const y = isQuantized(w.dtype) ? linearKernel(x2, w, yOut) : matmul(x2, w, { transB: true, out: yOut });
  if (!adapter) {
    const out = tape.output(y, x);
    // dx = dy W           [N, out] x [out, in]
    return tape.record(out, (dOut) => tape.accumulateGrad(x, (dst, beta) => linearInputGrad(dOut, w, dst.reshape([n, k]), beta)));
  }
  const { a, b, scale, dropout: p, seed } = adapter;
  const r = a.value.shape[0]!;
  // The dropped input is recomputed from x and the seed where it is needed, never kept.
  const dropped = () => (p > 0 ? dropout(x2, p, seed, tape.blank([n, k])) : x2);
  const release = (t: Tensor) => {
    if (t !== x2) tape.free(t);
  };
  // u = dropout(x) A^T    [N, in] x [in, r] -> [N, r]
  const xd = dropped();
  const u = matmul(xd, a.value, { transB: true, out: tape.blank([n, r]) });
  release(xd);
  // y += scale u B^T      [N, r] x [r, out]
  matmul(u, b.value, { transB: true, alpha: scale, beta: 1, out: y });
  const out = tape.output(y, x, a, b);
  return tape.record(out, (dOut) => {
    // dB += scale dY^T u   [out, N] x [N, r]
    tape.accumulateGrad(b, (dst, beta) => matmul(dOut, u, { transA: true, alpha: scale, out: dst, beta }));
    if (!a.requiresGrad && !x.requiresGrad) return;
    // du = scale dY B      [N, out] x [out, r]
    const du = matmul(dOut, b.value, { alpha: scale, out: tape.blank([n, r]) });
    // dA += du^T dropout(x)   [r, N] x [N, in]
    if (a.requiresGrad) {
      const xd = dropped();
      tape.accumulateGrad(a, (dst, beta) => matmul(du, xd, { transA: true, out: dst, beta }));
      release(xd);
    }
    // dX = dY W + dropout'(du A): dropout's backward is the same mask and scale on the gradient
    tape.accumulateGrad(x, (dst, beta) => {
      const dx = dst.reshape([n, k]);
      linearInputGrad(dOut, w, dx, beta);
      if (p === 0) {
        matmul(du, a.value, { out: dx, beta: 1 });
        return;
      }
      const t = matmul(du, a.value, { out: tape.blank([n, k]) });
      add(dx, dropout(t, p, seed, t), dx);
      tape.free(t);
    });
    tape.free(du);
  }, [x.value, u]);
}
