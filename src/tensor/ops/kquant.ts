// Products, dequantization and embedding lookup for the k-types (src/tensor/dtype.ts: GGUF block
// types kept in GGUF block order in memory; kernels in src/kernels/kquant.ts).
//
// Every k-type lives in a 4-row kx4 layout in memory (Q4_K / Q5_K / Q6_K: kquant-x4*.ts; Q4_1 / Q5_0
// / Q5_1 / Q2_K / Q3_K: kx4-lowbit.ts; kx4Kernels names each one's kernels). One token (decode): x is
// quantized to int8 per block once (quantize_act_k) and each row's blocks are exact integer dot
// products, equal to gemv_k's on the same blocks in GGUF order. Several tokens (prompt, batched
// decode): gemm_kx4 / gemm_kxl, which unpack each 4-row group block once for all the tokens and give
// each token the GEMV's bits; panels of weight rows dequantized to f32 (exactly llama.cpp's
// dequantize_row_* values) on the packed f32 GEMM only when a thread's scratch cannot hold 2 tokens.
//
// Raw-offset helpers (kQuantizeAt, kDequantizeAt) work on GGUF block order, as files hold it;
// tensors of a kx4 type hold the kx4 layout: kFromGGUF / kToGGUF convert at the edges.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { byteSize, ggufByteSize, isKType, isKX4, KTYPES, kRowBytes, QROWS, type KType } from '../dtype.js';
import { expectShape, sameArena, Tensor } from '../tensor.js';
import { gemm } from './matmul.js';
import { arenaOf, expectRank, expectTokenIds, minRowsPerThread, outputTensor } from './util.js';

/** Bytes of one activation record of B values (actRecordBytes in src/kernels/kquant.ts). */
export function actRecordBytes(B: number): number {
  return (3 * B + B / 4 + 4 + 15) & ~15;
}

/** Kernel names for a k-type's kx4 layout: Q4_K / Q5_K / Q6_K (src/kernels/kquant-x4*.ts) or
 *  Q4_1 / Q5_0 / Q5_1 / Q2_K / Q3_K (src/kernels/kx4-lowbit.ts, whose GEMV is its GEMM's one-token case). */
export function kx4Kernels(d: KType): { gemv: string; gemvAdd: string; gemm: string; gemvScratch: string; gemmScratch: string; toX4: string; fromX4: string; rows: string } {
  return KTYPES[d].code < 5
    ? { gemv: 'gemv_kxl', gemvAdd: 'gemv_kxl_add', gemm: 'gemm_kxl', gemvScratch: 'gemv_kxl_scratch_bytes', gemmScratch: 'gemm_kxl_scratch_bytes', toX4: 'repack_kl_to_x4', fromX4: 'repack_kl_from_x4', rows: 'dequantize_rows_kxl' }
    : { gemv: 'gemv_kx4', gemvAdd: 'gemv_kx4_add', gemm: 'gemm_kx4', gemvScratch: 'gemv_kx4_scratch_bytes', gemmScratch: 'gemm_kx4_scratch_bytes', toX4: 'repack_k_to_x4', fromX4: 'repack_k_from_x4', rows: 'dequantize_rows_kx4' };
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
  if (isKX4(d)) {
    checkX4Scratch(op, rt, arena, d, K);
    rt.parallel(kx4Kernels(d).gemv, arena, [w.offset, act, out.offset, N, K, KTYPES[d].code], N, QROWS, minRows(kRowBytes(d, K)));
  } else {
    rt.parallel('gemv_k', arena, [w.offset, act, out.offset, N, K, KTYPES[d].code], N, 4, minRows(kRowBytes(d, K)));
  }
  return out;
}

function checkX4Scratch(op: string, rt: Runtime, arena: Arena, d: KType, K: number): void {
  const need = rt.call(kx4Kernels(d).gemvScratch, arena, K);
  if (need > rt.scratchBytesPerThread) {
    throw new RangeError(`${op}: K = ${K} needs ${need} bytes of scratch per thread, more than the ${rt.scratchBytesPerThread} bytes (Runtime option scratchBytesPerThread)`);
  }
}

/** Rows [r0, r0 + n) of the k-type matrix at byte w ([N, K]) as f32 rows at dst (n * K floats). */
function dequantRows(rt: Runtime, arena: Arena, d: KType, w: number, r0: number, n: number, K: number, dst: number): void {
  if (isKX4(d)) {
    // r0 is a multiple of 4 (panels are multiples of 8 rows): the slice starts a group.
    rt.parallel(kx4Kernels(d).rows, arena, [w + byteSize(d, [r0, K]), n, K, KTYPES[d].code, 0, dst], n, 1, Math.max(1, Math.ceil(16384 / K)));
    return;
  }
  rt.parallel('dequantize_k', arena, [w + r0 * kRowBytes(d, K), dst, KTYPES[d].code], (n * K) / KTYPES[d].block, 1, 64);
}

/** Bytes of f32 a dequantized panel of weight rows may take in kMatmul. */
const PANEL_BYTES = 4 << 20;

/** Tokens up to which kMatmul runs one kMatvec per token (a panel's dequantization costs more). */
const MATVEC_TOKENS = 2;

/** Tokens from which kMatmul takes the batched kx4 product (gemm_kx4 / gemm_kxl) rather than one
 *  kMatvec per token (bench/kgemm.ts, 1 thread CPU time and 2 threads: below these the unpacking
 *  once per group block costs more than it saves; the low-bit types' batched product is cheaper per
 *  token from 2 on; Q5_K's moved from 2 to 6 when its row-pair GEMV got 1.5x faster: per token
 *  against it gemm_kx4 took 1.40x at 2 tokens, 1.04x at 6, 0.98x at 8). Above them it also beats
 *  the f32 panels, which kx4 types no longer take unless the scratch is too small. */
const KX4_BATCH_FROM: Record<KType, number> = { q4_k: 6, q5_k: 6, q6_k: 3, q4_1: 2, q5_0: 2, q5_1: 2, q2_k: 2, q3_k: 2 };

/** Tokens per gemm_kx4 call: longer prompts run in chunks (the weights read once per chunk, the
 *  chunk's activation records in the thread's scratch). */
export const KX4_CHUNK_TOKENS = 64;

/** Whether gemm_kx4 takes M tokens of K inputs within the runtime's scratch per thread. */
export function kx4BatchFits(rt: Runtime, arena: Arena, M: number, K: number, d: KType): boolean {
  return rt.call(kx4Kernels(d).gemmScratch, arena, M, K) <= rt.scratchBytesPerThread;
}

/** The batched kx4 product (gemm_kx4): every token's row equals kMatvec's on it. Exported for the
 *  benchmark that places KX4_BATCH_FROM; arguments checked by kMatmul, scratch by kx4BatchFits. */
export function kMatmulX4Batched(x: Tensor, w: Tensor, out: Tensor): void {
  const rt = w.rt;
  const arena = w.arena;
  const d = w.dtype as KType;
  const [M, K] = x.shape as [number, number];
  const N = w.shape[0]!;
  const B = actBlock(d);
  const act = scratch(rt, arena, 'act', M * (K / B) * actRecordBytes(B));
  rt.call('quantize_act_k', arena, x.offset, act, K, B, 0, M, 0);
  rt.parallel(kx4Kernels(d).gemm, arena, [w.offset, act, out.offset, M, N, K, KTYPES[d].code], N, QROWS, minRows(kRowBytes(d, K)));
}

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
  const rt = w.rt;
  if (isKX4(d) && M >= KX4_BATCH_FROM[d]!) {
    let chunk = KX4_CHUNK_TOKENS;
    while (chunk >= 2 && !kx4BatchFits(rt, arena, chunk, K, d)) chunk >>= 1;
    if (chunk >= 2) {
      for (let m0 = 0; m0 < M; m0 += chunk) {
        const c = Math.min(chunk, M - m0);
        kMatmulX4Batched(x.slice(m0, c), w, out.slice(m0, c));
      }
      return out;
    }
  }
  if (M <= MATVEC_TOKENS || (isKX4(d) && M < KX4_BATCH_FROM[d]!)) {
    for (let m = 0; m < M; m++) kMatvec(w, x.slice(m, 1), out.slice(m, 1));
    return out;
  }
  kMatmulPanels(x, w, out);
  return out;
}

/** kMatmul's path for many tokens: panels of weight rows dequantized to f32, then the f32 GEMM
 *  (exported for the benchmark that compares it with gemm_kx4; arguments checked by kMatmul). */
export function kMatmulPanels(x: Tensor, w: Tensor, out: Tensor): void {
  const rt = w.rt;
  const arena = w.arena;
  const d = w.dtype as KType;
  const [M, K] = x.shape as [number, number];
  const N = w.shape[0]!;
  const panel = Math.min(N, Math.max(8, Math.floor(PANEL_BYTES / (K * 4) / 8) * 8));
  const buf = scratch(rt, arena, 'panel', panel * K * 4);
  for (let r0 = 0; r0 < N; r0 += panel) {
    const n = Math.min(panel, N - r0);
    dequantRows(rt, arena, d, w.offset, r0, n, K, buf);
    gemm(rt, { arena, a: x.offset, lda: K, b: buf, ldb: K, transB: true, c: out.offset + r0 * 4, ldc: N, m: M, n, k: K });
  }
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

/** Quantizes `rows` f32 rows of `cols` at byte `src` into the in-memory layout of `d` at byte `dst`
 *  (its kx4 layout: dst starts a group of 4 rows). */
export function kQuantizeInto(rt: Runtime, arena: Arena, d: KType, src: number, dst: number, rows: number, cols: number): void {
  if (!isKX4(d)) {
    kQuantizeAt(rt, arena, d, src, dst, rows, cols);
    return;
  }
  const tmp = rt.alloc(ggufByteSize(d, [rows, cols]), arena);
  try {
    kQuantizeAt(rt, arena, d, src, tmp.offset, rows, cols);
    kRepackAt(rt, arena, d, tmp.offset, dst, rows, cols);
  } finally {
    rt.release(tmp);
  }
}

/** GGUF-order rows (`rows` of `cols`) of a kx4 type at byte `src` -> its kx4 layout at byte `dst`
 *  (the last group's missing rows written as zero blocks). */
export function kRepackAt(rt: Runtime, arena: Arena, d: KType, src: number, dst: number, rows: number, cols: number): void {
  if (!isKX4(d)) throw new TypeError(`kRepack: ${d} has no kx4 layout`);
  kRowBytes(d, cols);
  const padded = Math.ceil(rows / QROWS) * QROWS;
  rt.parallel(kx4Kernels(d).toX4, arena, [src, dst, rows, cols, KTYPES[d].code], padded, QROWS, Math.max(QROWS, Math.ceil(16384 / cols / QROWS) * QROWS));
}

/** f32 [..., K] -> the k-type `d` in its in-memory layout, exactly as llama.cpp's quantize_row_*_ref. */
export function kQuantize(src: Tensor, d: KType): Tensor {
  if (src.dtype !== 'f32') throw new TypeError(`kQuantize: src must be f32, got ${src.dtype}`);
  const out = Tensor.zeros(src.rt, d, src.shape, src.arena);
  try {
    kQuantizeInto(src.rt, src.arena, d, src.offset, out.offset, src.rows, src.cols);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** A k-type tensor from GGUF-order block bytes (as a .gguf file stores them). */
export function kFromGGUF(rt: Runtime, d: KType, shape: readonly number[], bytes: Uint8Array, arena?: Arena): Tensor {
  if (!isKType(d)) throw new TypeError(`kFromGGUF: dtype must be a k-type, got ${d}`);
  const need = ggufByteSize(d, shape);
  if (bytes.length !== need) throw new RangeError(`kFromGGUF: ${d} [${shape.join(', ')}] needs ${need} bytes, got ${bytes.length}`);
  if (!isKX4(d)) return Tensor.fromBytes(rt, d, shape, bytes, arena);
  const out = Tensor.zeros(rt, d, shape, arena);
  const tmp = rt.alloc(need, out.arena);
  try {
    out.arena.u8.set(bytes, tmp.offset);
    if (need > 0) kRepackAt(rt, out.arena, d, tmp.offset, out.offset, out.rows, out.cols);
  } finally {
    rt.release(tmp);
  }
  return out;
}

/** The GGUF-order block bytes of a k-type tensor (kx4 padding rows dropped). */
export function kToGGUF(t: Tensor): Uint8Array {
  if (!isKType(t.dtype)) throw new TypeError(`kToGGUF: t must be a k-type, got ${t.dtype}`);
  if (!isKX4(t.dtype)) return t.bytes().slice();
  const n = ggufByteSize(t.dtype, t.shape);
  if (n === 0) return new Uint8Array(0);
  const tmp = t.rt.alloc(n, t.arena);
  try {
    t.rt.parallel(kx4Kernels(t.dtype).fromX4, t.arena, [t.offset, tmp.offset, t.cols, KTYPES[t.dtype].code], t.rows, 1, Math.max(1, Math.ceil(16384 / t.cols)));
    return t.arena.u8.slice(tmp.offset, tmp.offset + n);
  } finally {
    t.rt.release(tmp);
  }
}

/** f32 copy of a k-type tensor (same shape, same arena): llama.cpp's dequantize_row_* values. */
export function kDequantize(t: Tensor): Tensor {
  if (!isKType(t.dtype)) throw new TypeError(`kDequantize: t must be a k-type, got ${t.dtype}`);
  const out = Tensor.zeros(t.rt, 'f32', t.shape, t.arena);
  if (t.numel === 0) return out;
  dequantRows(t.rt, t.arena, t.dtype, t.offset, 0, t.rows, t.cols, out.offset);
  return out;
}

/** Dequantizes `count` values of GGUF-order blocks (raw bytes, not a kx4 tensor) of `d` at byte `src` into f32 at `dst` (same arena). */
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
  if (isKX4(d)) {
    table.rt.parallel(kx4Kernels(d).rows, arena, [table.offset, V, H, KTYPES[d].code, ids.offset, o.offset], T, 1, minRowsPerThread(H));
    return o;
  }
  table.rt.parallel('dequantize_rows_k', arena, [table.offset, V, H, KTYPES[d].code, ids.offset, o.offset], T, 1, minRowsPerThread(H));
  return o;
}
