// A linear layer without bias, as in Llama/Yi: y[..., N] = x[..., K] * W^T, W stored [N, K] (Hugging
// Face layout) in any weight dtype. Picks the kernel family: matrix-vector for one token (decode),
// int8-dot GEMM for quantized weights, packed f32 GEMM otherwise.
import { isKType, isQuantized } from '../dtype.js';
import { expectShape, Tensor } from '../tensor.js';
import { matvec, qmatmul, qmatmulShared } from './gemv.js';
import { kMatmul } from './kquant.js';
import { matmul } from './matmul.js';

/** Returns out = x * w^T. x: f32 [..., K]; w: f32|f16|bf16|q8_0|q4_0 [N, K]; out: f32 [..., N]. */
export function linear(x: Tensor, w: Tensor, out?: Tensor): Tensor {
  if (w.rank !== 2) throw new RangeError(`linear: w must be 2-D [out, in], got [${w.shape.join(', ')}]`);
  const [n, k] = w.shape as [number, number];
  if (x.dtype !== 'f32') throw new TypeError(`linear: x must be f32, got ${x.dtype}`);
  if (x.cols !== k) throw new RangeError(`linear: x has ${x.cols} features, w [${n}, ${k}] expects ${k}`);
  const outShape = [...x.shape.slice(0, -1), n];
  out ??= Tensor.zeros(x.rt, 'f32', outShape, w.arena);
  expectShape('linear', 'out', out, 'f32', outShape);
  const m = x.rows;
  if (m === 1) matvec(w, x.reshape([k]), out.reshape([n]));
  else if (isKType(w.dtype)) kMatmul(x.reshape([m, k]), w, out.reshape([m, n]));
  else if (isQuantized(w.dtype)) qmatmul(x.reshape([m, k]), w, out.reshape([m, n]));
  else matmul(x.reshape([m, k]), w, { transB: true, out: out.reshape([m, n]) });
  return out;
}

/**
 * outs[i] = x * ws[i]^T for weights that read the same x (q, k, v; gate, up). Quantized weights of
 * one type on several tokens share one quantization of x (qmatmulShared); anything else runs
 * `linear` per weight. Each out has the bits `linear` gives it.
 */
export function linearShared(x: Tensor, ws: readonly Tensor[], outs: readonly Tensor[]): void {
  if (ws.length !== outs.length) throw new RangeError(`linear: ${ws.length} weights but ${outs.length} outputs`);
  const m = x.rows;
  const w0 = ws[0];
  if (m > 1 && w0 !== undefined && ws.every((w) => w.rank === 2 && w.dtype === w0.dtype && isQuantized(w.dtype) && w.shape[1] === x.cols)) {
    if (x.dtype !== 'f32') throw new TypeError(`linear: x must be f32, got ${x.dtype}`);
    const k = x.cols;
    for (const [i, w] of ws.entries()) expectShape('linear', 'out', outs[i]!, 'f32', [...x.shape.slice(0, -1), w.shape[0]!]);
    qmatmulShared(x.reshape([m, k]), ws, outs.map((o, i) => o.reshape([m, ws[i]!.shape[0]!])));
    return;
  }
  ws.forEach((w, i) => linear(x, w, outs[i]));
}
