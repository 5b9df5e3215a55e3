// The parts of a decoder layer before and after attention, shared by the single-sequence forward
// (model.ts) and the serving engine's multi-sequence step (src/serve/batch-step.ts): both must compute
// the same thing, token for token (the engine's exactness tests compare them); only where K/V live and
// how attention reads them differ.
import { add, swiglu } from '../tensor/ops/activation.js';
import { linear, linearShared } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/norm.js';
import { applyRope, type RopeTable } from '../tensor/ops/rope.js';
import type { YiConfig } from './config.js';
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

/** Buffers of T rows: xb [T, H] (normed input), q [T, Hq * D], k / v [T, Hkv * D]. */
export interface HeadBuffers {
  xb: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

/**
 * xb = rmsnorm(x); q, k, v = xb Wq^T, xb Wk^T, xb Wv^T (one quantization of xb serves the three);
 * RoPE on q and k at `positions` (i32 [T]). Returns q [T, Hq, D], k and v [T, Hkv, D], and xb.
 */
export function layerHead(x: Tensor, w: LayerWeights, c: YiConfig, positions: Tensor, rope: RopeTable, b: HeadBuffers): { xb: Tensor; q: Tensor; k: Tensor; v: Tensor } {
  const T = x.shape[0]!;
  const xb = rmsnorm(x, w.attnNorm, c.rmsEps, b.xb);
  linearShared(xb, [w.wq, w.wk, w.wv], [b.q, b.k, b.v]);
  const q = b.q.reshape([T, c.heads, c.headDim]);
  const k = b.k.reshape([T, c.kvHeads, c.headDim]);
  const v = b.v.reshape([T, c.kvHeads, c.headDim]);
  applyRope(q, positions, rope);
  applyRope(k, positions, rope);
  return { xb, q, k, v };
}
