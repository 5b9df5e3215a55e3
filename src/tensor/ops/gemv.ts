// Matrix-vector and quantized matrix-matrix products with weights stored like a Hugging Face linear
// layer (W [N, K], y = W x). Quantized weights use integer dot products against x quantized to int8
// per 32-block once per call (src/kernels/gemv.ts).
import type { Arena } from '../../runtime/arena.js';
import { elementBytes, isKType, isQuantized, QK, QROWS, blockBytes } from '../dtype.js';
import { kMatvec } from './kquant.js';
import { sameArena, Tensor } from '../tensor.js';

/** Bytes of one activation record per 32-block (ACT_BLOCK in src/kernels/gemv.ts). */
export const ACT_BLOCK = 176;

/** Activation scratch bytes for M tokens of K values. */
export function actBytes(M: number, K: number): number {
  return M * (K / QK) * ACT_BLOCK;
}

// One growing activation buffer per arena: the hot path (one matvec per layer per token) never
// allocates after the first call of the largest size.
const actCache = new WeakMap<Arena, { offset: number; bytes: number }>();

function actScratch(t: Tensor, bytes: number): number {
  const arena = t.arena;
  const c = actCache.get(arena);
  if (c && c.bytes >= bytes) return c.offset;
  if (c) t.rt.release({ arena, offset: c.offset });
  const place = t.rt.alloc(bytes, arena);
  actCache.set(arena, { offset: place.offset, bytes });
  return place.offset;
}

/** Rows per thread below which a product stays on the calling thread (~64 KiB of weights). */
function minRows(rowBytes: number): number {
  return Math.max(QROWS, Math.ceil(64 * 1024 / Math.max(1, rowBytes) / QROWS) * QROWS);
}

function vecLen(op: string, name: string, t: Tensor, n: number): void {
  if (t.dtype !== 'f32') throw new TypeError(`${op}: ${name} must be f32, got ${t.dtype}`);
  if (t.cols !== n || t.numel !== n) throw new RangeError(`${op}: ${name} must be a vector of ${n} (shape [${n}] or [1, ${n}]), got [${t.shape.join(', ')}]`);
}

function weightShape(op: string, w: Tensor): [number, number] {
  if (w.rank !== 2) throw new RangeError(`${op}: w must be a matrix [N, K], got [${w.shape.join(', ')}]`);
  const [N, K] = w.shape as [number, number];
  if (isQuantized(w.dtype) && K % QK !== 0) throw new RangeError(`${op}: w's K (${K}) must be a multiple of ${QK} for ${w.dtype}`);
  return [N, K];
}

/** Returns out[N] = w[N, K] x[K]. w: f32 | f16 | bf16 | q8_0 | q4_0; x, out: f32 ([N] or [1, N]). */
export function matvec(w: Tensor, x: Tensor, out?: Tensor): Tensor {
  if (isKType(w.dtype)) return kMatvec(w, x, out);
  const op = 'matvec';
  const [N, K] = weightShape(op, w);
  vecLen(op, 'x', x, K);
  out ??= Tensor.zeros(w.rt, 'f32', [N], w.arena);
  vecLen(op, 'out', out, N);
  const arena = sameArena(op, out, w, x);
  const rt = w.rt;
  if (N === 0) return out;
  switch (w.dtype) {
    case 'f32':
    case 'f16':
    case 'bf16':
      rt.parallel(`gemv_${w.dtype}`, arena, [w.offset, x.offset, out.offset, N, K], N, QROWS, minRows(K * elementBytes(w.dtype)));
      return out;
    case 'q8_0':
    case 'q4_0': {
      if (K === 0) {
        out.arena.f32.fill(0, out.offset / 4, out.offset / 4 + N);
        return out;
      }
      const act = actScratch(w, actBytes(1, K));
      rt.call('quantize_act', arena, x.offset, act, K, 0, 1, 0);
      rt.parallel(`gemv_${w.dtype}`, arena, [w.offset, act, out.offset, N, K], N, QROWS, minRows((K / QK) * blockBytes[w.dtype]));
      return out;
    }
    default:
      throw new TypeError(`${op}: w must be f32, f16, bf16, q8_0 or q4_0, got ${w.dtype}`);
  }
}

/** Returns out[M, N] = x[M, K] w[N, K]^T for quantized w (prompt processing). Row m of out equals
 *  matvec(w, x[m]) bit for bit. */
export function qmatmul(x: Tensor, w: Tensor, out?: Tensor): Tensor {
  const op = 'qmatmul';
  if (!isQuantized(w.dtype)) throw new TypeError(`${op}: w must be q8_0 or q4_0, got ${w.dtype}`);
  const [N, K] = weightShape(op, w);
  if (x.dtype !== 'f32') throw new TypeError(`${op}: x must be f32, got ${x.dtype}`);
  if (x.rank !== 2 || x.shape[1] !== K) throw new RangeError(`${op}: x must have shape [M, ${K}], got [${x.shape.join(', ')}]`);
  const M = x.shape[0]!;
  out ??= Tensor.zeros(w.rt, 'f32', [M, N], w.arena);
  if (out.dtype !== 'f32') throw new TypeError(`${op}: out must be f32, got ${out.dtype}`);
  if (out.rank !== 2 || out.shape[0] !== M || out.shape[1] !== N) {
    throw new RangeError(`${op}: out must have shape [${M}, ${N}], got [${out.shape.join(', ')}]`);
  }
  const arena = sameArena(op, out, x, w);
  if (M === 0 || N === 0) return out;
  const rt = w.rt;
  const act = actScratch(w, actBytes(M, K));
  rt.parallel('quantize_act', arena, [x.offset, act, K], M, 1, 8);
  const qb = blockBytes[w.dtype] - 2;
  rt.parallel('gemm_q', arena, [w.offset, act, out.offset, M, N, K, qb], N, QROWS, QROWS);
  return out;
}
