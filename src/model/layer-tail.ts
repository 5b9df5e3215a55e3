// The part of a decoder layer after attention, shared by the single-sequence forward (model.ts) and
// the serving engine's multi-sequence step (src/serve/batch-step.ts): both must compute the same
// thing, token for token (the engine's exactness tests compare them).
import { add, swiglu } from '../tensor/ops/activation.js';
import { linear, linearShared } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/norm.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LayerWeights } from './weights.js';

/** Buffers of T rows: xb [T, H] (normed input), proj [T, H], gate / up [T, F]. */
export interface TailBuffers {
  xb: Tensor;
  proj: Tensor;
  gate: Tensor;
  up: Tensor;
}

/**
 * x += att Wo^T, then the SwiGLU MLP x += (silu(xn Wgate^T) * (xn Wup^T)) Wdown^T with
 * xn = rmsnorm(x): in place on the residual stream x [T, H]; att is [T, Hq * D].
 */
export function layerTail(x: Tensor, att: Tensor, w: LayerWeights, eps: number, b: TailBuffers): void {
  add(x, linear(att, w.wo, b.proj), x);
  rmsnorm(x, w.ffnNorm, eps, b.xb);
  linearShared(b.xb, [w.wGate, w.wUp], [b.gate, b.up]);
  swiglu(b.gate, b.up, b.gate);
  add(x, linear(b.gate, w.wDown, b.proj), x);
}
