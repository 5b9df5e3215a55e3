// Products, dequantization and embedding lookup for the k-types (src/tensor/dtype.ts: GGUF block
// types kept in GGUF block order in memory; kernels in src/kernels/kquant.ts).
//
// One token (decode): x is quantized to int8 per block once (quantize_act_k) and each row's blocks
// are exact integer dot products (gemv_k). Several tokens (prompt): panels of weight rows are
// dequantized to f32 (exactly llama.cpp's dequantize_row_* values) and multiplied on the packed f32
// GEMM, which reads the weights once per panel instead of once per token.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { isKType, KTYPES, kRowBytes, type KType } from '../dtype.js';
import { expectShape, sameArena, Tensor } from '../tensor.js';
import { gemm } from './matmul.js';
import { arenaOf, expectRank, expectTokenIds, minRowsPerThread, outputTensor } from './util.js';

/** Bytes of one activation record of B values (actRecordBytes in src/kernels/kquant.ts). */
export function actRecordBytes(B: number): number {
  return (3 * B + B / 4 + 4 + 15) & ~15;
}

/** Values per activation record for a k-type (its block size). */
function actBlock(d: KType): number {
  return KTYPES[d].block;
}

// One growing scratch buffer per arena and purpose: decode allocates nothing after the first call
// of the largest size.
const scratchCache = new Map<string, WeakMap<Arena, { offset: number; bytes: number }>>();

function scratch(rt: Runtime, arena: Arena, what: string, bytes: number): number {
  let m = scratchCache.get(what);
  if (!m) scratchCache.set(what, (m = new WeakMap()));
  const c = m.get(arena);
  if (c && c.bytes >= bytes) return c.offset;
  if (c) rt.release({ arena, offset: c.offset });
  const place = rt.alloc(bytes, arena);
  m.set(arena, { offset: place.offset, bytes });
  return place.offset;
}

function kWeight(op: string, w: Tensor): [KType, number, number] {
  if (!isKType(w.dtype)) throw new TypeError(`${op}: w must be one of ${Object.keys(KTYPES).join(', ')}, got ${w.dtype}`);
  if (w.rank !== 2) throw new RangeError(`${op}: w must be a matrix [N, K], got [${w.shape.join(', ')}]`);
  const [N, K] = w.shape as [number, number];
  kRowBytes(w.dtype, K);
  return [w.dtype, N, K];
}

/** Rows per thread below which a product stays on one thread (~64 KiB of weights). */
function minRows(rowBytes: number): number {
  return Math.max(4, Math.ceil((64 * 1024) / Math.max(1, rowBytes) / 4) * 4);
}

/** out[N] = w[N, K] x[K] for a k-type w; x, out f32 ([K] / [N] or [1, K] / [1, N]). */
export function kMatvec(w: Tensor, x: Tensor, out?: Tensor): Tensor {
  const op = 'kMatvec';
  const [d, N, K] = kWeight(op, w);
  if (x.dtype !== 'f32' || x.numel !== K || x.cols !== K) throw new RangeError(`${op}: x must be an f32 vector of ${K}, got ${x.dtype} [${x.shape.join(', ')}]`);
  out ??= Tensor.zeros(w.rt, 'f32', [N], w.arena);
  if (out.dtype !== 'f32' || out.numel !== N || out.cols !== N) throw new RangeError(`${op}: out must be an f32 vector of ${N}, got ${out.dtype} [${out.shape.join(', ')}]`);
  const arena = sameArena(op, out, w, x);
  if (N === 0) return out;
  const rt = w.rt;
  const B = actBlock(d);
  const act = scratch(rt, arena, 'act', (K / B) * actRecordBytes(B));
  rt.call('quantize_act_k', arena, x.offset, act, K, B, 0, 1, 0);
  rt.parallel('gemv_k', arena, [w.offset, act, out.offset, N, K, KTYPES[d].code], N, 4, minRows(kRowBytes(d, K)));
  return out;
}

/** Bytes of f32 a dequantized panel of weight rows may take in kMatmul. */
const PANEL_BYTES = 4 << 20;

/** Tokens up to which kMatmul runs one kMatvec per token (a panel's dequantization costs more). */
const MATVEC_TOKENS = 2;

/** out[M, N] = x[M, K] w[N, K]^T for a k-type w (prompt processing). */
export function kMatmul(x: Tensor, w: Tensor, out?: Tensor): Tensor {
  const op = 'kMatmul';
  const [d, N, K] = kWeight(op, w);
  expectRank(op, 'x', x, 2);
  const M = x.shape[0]!;
  expectShape(op, 'x', x, 'f32', [M, K]);
  out ??= Tensor.zeros(w.rt, 'f32', [M, N], w.arena);
  expectShape(op, 'out', out, 'f32', [M, N]);
  const arena = sameArena(op, out, x, w);
  if (M === 0 || N === 0) return out;
  if (M <= MATVEC_TOKENS) {
    for (let m = 0; m < M; m++) kMatvec(w, x.slice(m, 1), out.slice(m, 1));
    return out;
  }
  const rt = w.rt;
  const rowBytes = kRowBytes(d, K);
  const panel = Math.min(N, Math.max(8, Math.floor(PANEL_BYTES / (K * 4) / 8) * 8));
  const buf = scratch(rt, arena, 'panel', panel * K * 4);
  const blocksPerRow = K / KTYPES[d].block;
  for (let r0 = 0; r0 < N; r0 += panel) {
    const n = Math.min(panel, N - r0);
    rt.parallel('dequantize_k', arena, [w.offset + r0 * rowBytes, buf, KTYPES[d].code], n * blocksPerRow, 1, 64);
    gemm(rt, { arena, a: x.offset, lda: K, b: buf, ldb: K, transB: true, c: out.offset + r0 * 4, ldc: N, m: M, n, k: K });
  }
  return out;
}

/** The k-types with a quantizer (llama.cpp's reference quantizers, byte-identical). */
export const K_QUANTIZABLE: readonly KType[] = ['q4_1', 'q5_0', 'q5_1', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'];

/** Quantizes `rows` f32 rows of `cols` at byte `src` into GGUF-order blocks of `d` at byte `dst` (same arena). */
export function kQuantizeAt(rt: Runtime, arena: Arena, d: KType, src: number, dst: number, rows: number, cols: number): void {
  if (!K_QUANTIZABLE.includes(d)) throw new TypeError(`kQuantize: no quantizer for ${d} yet (have ${K_QUANTIZABLE.join(', ')})`);
  kRowBytes(d, cols);
  // About 64 KiB of f32 per thread at least: each row costs some microseconds per block.
  rt.parallel('quantize_k', arena, [src, dst, cols, KTYPES[d].code], rows, 1, Math.max(1, Math.ceil(16384 / cols)));
}

/** f32 [..., K] -> the k-type `d` (GGUF block order), exactly as llama.cpp's quantize_row_*_ref. */
export function kQuantize(src: Tensor, d: KType): Tensor {
  if (src.dtype !== 'f32') throw new TypeError(`kQuantize: src must be f32, got ${src.dtype}`);
  const out = Tensor.zeros(src.rt, d, src.shape, src.arena);
  try {
    kQuantizeAt(src.rt, src.arena, d, src.offset, out.offset, src.rows, src.cols);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** f32 copy of a k-type tensor (same shape, same arena): llama.cpp's dequantize_row_* values. */
export function kDequantize(t: Tensor): Tensor {
  if (!isKType(t.dtype)) throw new TypeError(`kDequantize: t must be a k-type, got ${t.dtype}`);
  const out = Tensor.zeros(t.rt, 'f32', t.shape, t.arena);
  kDequantizeAt(t.rt, t.arena, t.dtype, t.offset, out.offset, t.numel);
  return out;
}

/** Dequantizes `count` values of GGUF-order blocks of `d` at byte `src` into f32 at `dst` (same arena). */
export function kDequantizeAt(rt: Runtime, arena: Arena, d: KType, src: number, dst: number, count: number): void {
  const { block, code } = KTYPES[d];
  if (count % block !== 0) throw new RangeError(`kDequantize: ${count} values are not whole ${d} blocks of ${block}`);
  rt.parallel('dequantize_k', arena, [src, dst, code], count / block, 1, 64);
}

/** out[t] = table[ids[t]] as f32 for a k-type table [V, H]; ids i32 [T] (checked by the caller or here). */
export function kEmbedding(table: Tensor, ids: Tensor, out?: Tensor): Tensor {
  const op = 'embedding';
  const [d, V, H] = kWeight(op, table);
  const arena = arenaOf(op, { table, ids });
  const T = expectTokenIds(op, ids, V, arena);
  const o = outputTensor(op, table, out, 'f32', [T, H], arena);
  table.rt.parallel('dequantize_rows_k', arena, [table.offset, V, H, KTYPES[d].code, ids.offset, o.offset], T, 1, minRowsPerThread(H));
  return o;
}
