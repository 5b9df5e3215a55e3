// Matrix-vector and quantized matrix-matrix products with weights stored like a Hugging Face linear
// layer (W [N, K], y = W x). Quantized weights use integer dot products against x quantized to int8
// per 32-block once per call: matvec runs src/kernels/gemv.ts, qmatmul src/kernels/qgemm.ts (its
// README section says which path takes which M).
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
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
      const need = rt.call('gemv_q_scratch_bytes', arena, K);
      if (need > rt.scratchBytesPerThread) {
        throw new RangeError(`${op}: K = ${K} needs ${need} bytes of scratch per thread, more than the ${rt.scratchBytesPerThread} bytes (Runtime option scratchBytesPerThread)`);
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

/** Target bytes of the activation panel (tokens x blocks of K) that every row group re-reads:
 *  well inside a core's L2, next to the packed weights and the output tile. */
const PANEL_TARGET = 384 * 1024;

/** Work (multiply-adds) per thread below which a product stays on the calling thread. */
const MIN_MACS_PER_THREAD = 1 << 17;

/** How qgemm cuts a product: token splits, K blocks per panel, units per thread at least. */
export interface QgemmPlan {
  splits: number;
  kb: number;
  minUnits: number;
  recordBytes: number;
}

/** Token splits keep both threads busy when W has few row groups; the K panel keeps one split's
 *  activations in cache; everything fits the thread's scratch. */
export function qgemmPlan(rt: Runtime, arena: Arena, dtype: 'q8_0' | 'q4_0', M: number, N: number, K: number): QgemmPlan {
  const q4 = dtype === 'q4_0' ? 1 : 0;
  const call = (name: string, ...a: number[]): number => rt.call(name, arena, ...a);
  const recordBytes = call('qgemm_record_bytes', q4);
  const groups = Math.ceil(N / QROWS);
  const nb = K / QK;
  const want = 4 * rt.threads;
  let splits = groups >= want ? 1 : Math.min(Math.ceil(want / groups), Math.ceil(M / 6));
  const budget = rt.scratchBytesPerThread;
  const tokensPer = (n: number): number => Math.ceil(Math.ceil(M / n) / TILE) * TILE;
  // The partial-group tile takes 16 bytes per token of a split, the panel at least one block.
  while (call('qgemm_scratch_bytes', tokensPer(splits), 1, q4) > budget) {
    if (tokensPer(splits) <= TILE) {
      throw new RangeError(`qmatmul: the runtime's scratchBytesPerThread (${budget}) is too small for a quantized GEMM (needs ${call('qgemm_scratch_bytes', TILE, 1, q4)} bytes)`);
    }
    splits *= 2;
  }
  const mc = tokensPer(splits);
  let kb = Math.max(1, Math.min(nb, Math.floor(PANEL_TARGET / (mc * recordBytes))));
  while (kb > 1 && call('qgemm_scratch_bytes', mc, kb, q4) > budget) kb = Math.max(1, kb >> 1);
  return { splits, kb, minUnits: Math.max(1, Math.ceil(MIN_MACS_PER_THREAD / (QROWS * mc * K))), recordBytes };
}

/** Returns out[M, N] = x[M, K] w[N, K]^T for quantized w (prompt processing, batched decode).
 *  Row m of out equals matvec(w, x[m]) bit for bit, at any thread count. */
export function qmatmul(x: Tensor, w: Tensor, out?: Tensor): Tensor {
  const [M, N] = productShape('qmatmul', x, w);
  out ??= Tensor.zeros(w.rt, 'f32', [M, N], w.arena);
  qmatmulShared(x, [w], [out]);
  return out;
}

/** Checks x [M, K] against a quantized w [N, K]; returns [M, N, K]. */
function productShape(op: string, x: Tensor, w: Tensor): [number, number, number] {
  if (!isQuantized(w.dtype)) throw new TypeError(`${op}: w must be q8_0 or q4_0, got ${w.dtype}`);
  const [N, K] = weightShape(op, w);
  if (x.dtype !== 'f32') throw new TypeError(`${op}: x must be f32, got ${x.dtype}`);
  if (x.rank !== 2 || x.shape[1] !== K) throw new RangeError(`${op}: x must have shape [M, ${K}], got [${x.shape.join(', ')}]`);
  return [x.shape[0]!, N, K];
}

/**
 * outs[i][M, N_i] = x[M, K] ws[i][N_i, K]^T for quantized weights of one type that read the same x
 * (q, k, v; gate, up): x is quantized once for all the products. Each out has the bits of
 * qmatmul(x, ws[i]). Weights of different types are multiplied one by one.
 */
export function qmatmulShared(x: Tensor, ws: readonly Tensor[], outs: readonly Tensor[]): void {
  const op = 'qmatmul';
  if (ws.length !== outs.length) throw new RangeError(`${op}: ${ws.length} weights but ${outs.length} outputs`);
  for (const [i, w] of ws.entries()) {
    const [M, N] = productShape(op, x, w);
    const out = outs[i]!;
    if (out.dtype !== 'f32') throw new TypeError(`${op}: out must be f32, got ${out.dtype}`);
    if (out.rank !== 2 || out.shape[0] !== M || out.shape[1] !== N) {
      throw new RangeError(`${op}: out must have shape [${M}, ${N}], got [${out.shape.join(', ')}]`);
    }
    sameArena(op, out, x, w);
  }
  if (ws.length === 0) return;
  const M = x.shape[0]!;
  if (ws.some((w) => w.dtype !== ws[0]!.dtype)) {
    ws.forEach((w, i) => qmatmulShared(x, [w], [outs[i]!]));
    return;
  }
  const arena = x.arena;
  const K = x.shape[1]!;
  if (M === 0) return;
  if (K === 0) {
    for (const out of outs) out.arena.f32.fill(0, out.offset / 4, out.offset / 4 + out.numel);
    return;
  }
  const w0 = ws[0]!;
  const rt = w0.rt;
  const dtype = w0.dtype as 'q8_0' | 'q4_0';
  const q8Batch = dtype === 'q8_0' && M <= BATCH_TOKENS_Q8 && rt.call('qgemm_batch_scratch_bytes', arena, M, K) <= rt.scratchBytesPerThread;
  if (q8Batch || (dtype === 'q4_0' && M <= FEW_TOKENS_Q4)) {
    // Batched decode: gemv's dots on quantize_act records, each weight block read once for all tokens.
    const act = actScratch(w0, actBytes(M, K));
    rt.parallel('quantize_act', arena, [x.offset, act, K], M, 1, 8);
    const minUnits = Math.max(1, Math.ceil(MIN_MACS_PER_THREAD / (QROWS * M * K)));
    const kernel = q8Batch ? 'qgemm_batch_q8_0' : 'qgemm_few_q4_0';
    for (const [i, w] of ws.entries()) {
      const N = w.shape[0]!;
      if (N > 0) rt.parallel(kernel, arena, [w.offset, act, outs[i]!.offset, M, N, K], Math.ceil(N / QROWS), 1, minUnits);
    }
    return;
  }
  // The record layout depends on the weight type only: one quantization serves every product.
  const recordBytes = rt.call('qgemm_record_bytes', arena, dtype === 'q4_0' ? 1 : 0);
  const act = actScratch(w0, Math.ceil(M / TILE) * TILE * (K / QK) * recordBytes);
  rt.parallel('qgemm_quantize', arena, [x.offset, act, M, K, recordBytes === ACT_WIDE ? 1 : 0], M, 1, 8);
  for (const [i, w] of ws.entries()) {
    const N = w.shape[0]!;
    if (N === 0) continue;
    const plan = qgemmPlan(rt, arena, dtype, M, N, K);
    const units = Math.ceil(N / QROWS) * plan.splits;
    rt.parallel(`qgemm_${dtype}`, arena, [w.offset, act, outs[i]!.offset, M, N, K, plan.splits, plan.kb], units, 1, plan.minUnits);
  }
}

/** Up to this many tokens qmatmul reads Q4_0 weights in place (qgemm_few_q4_0); above, it packs
 *  them (qgemm_q4_0's register tile costs half of gemv's dots per token, packing about two tokens'). */
const FEW_TOKENS_Q4 = 4;

/** Up to this many tokens qmatmul runs Q8_0 as a multi-token GEMV (qgemm_batch_q8_0): the packed
 *  tile's dots cost as much per token as gemv's (both bound by the int8 multiplies) and its packing
 *  is saved; each row group re-reads all tokens' activations from cache, even with the tile from
 *  about 32 to 64 tokens (src/kernels/README.md). */
const BATCH_TOKENS_Q8 = 32;

/** Tokens per activation tile of qgemm (NT_MAX in src/kernels/qgemm.ts). */
const TILE = 6;

/** Bytes of qgemm's wide activation record (i16 q, f32 d; see src/kernels/qgemm.ts). */
const ACT_WIDE = 68;
