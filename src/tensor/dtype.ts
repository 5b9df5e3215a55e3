// Element types and their byte sizes.
//
// Quantized types keep GGUF's block encoding (32 weights per block, fp16 scale) but, in memory,
// interleave the blocks of 4 consecutive rows ("x4 layout", see src/kernels/README.md): for each group
// of 4 rows and each block index b: the 4 fp16 scales (8 bytes), then the 4 rows' quants
// (Q8_0: 4 x 32 int8; Q4_0: 4 x 16 bytes of nibbles). Rows are padded to a multiple of 4 with zero
// blocks. Files keep GGUF's own order; loaders repack once on the way in.
//
// The other GGUF block types ("k-types": the k-quants Q2_K..Q6_K with 256-weight super-blocks, and
// the 32-weight Q4_1, Q5_0, Q5_1) stay in GGUF's own block order in memory, rows back to back
// (src/kernels/kquant.ts) only in files: in memory they live in 4-row "kx4" layouts
// (src/kernels/kx4-layout.ts for Q4_K, Q5_K, Q6_K; kx4-lowbit-layout.ts for the others) that group 4
// rows per block with like fields side by side, rows padded to a multiple of 4 with zero blocks. Files keep GGUF's order (kFromGGUF / kToGGUF).

/** GGUF block types beyond Q8_0 / Q4_0 (in GGUF block order in memory, or kx4: isKX4). */
export type KType = 'q4_1' | 'q5_0' | 'q5_1' | 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k';

export type DType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | KType | 'i32' | 'i8';

/** Per k-type: the kernels' type code, weights per block, bytes per block (llama.cpp's ggml-common.h). */
export const KTYPES: Readonly<Record<KType, { code: number; block: number; bytes: number }>> = {
  q4_1: { code: 0, block: 32, bytes: 20 },
  q5_0: { code: 1, block: 32, bytes: 22 },
  q5_1: { code: 2, block: 32, bytes: 24 },
  q2_k: { code: 3, block: 256, bytes: 84 },
  q3_k: { code: 4, block: 256, bytes: 110 },
  q4_k: { code: 5, block: 256, bytes: 144 },
  q5_k: { code: 6, block: 256, bytes: 176 },
  q6_k: { code: 7, block: 256, bytes: 210 },
};

/** Bytes of one kx4 group block (4 rows of one super-block) of the k-types with that layout. */
const KX4_GROUP_BYTES: Partial<Record<KType, number>> = { q4_1: 80, q5_0: 88, q5_1: 96, q2_k: 336, q3_k: 440, q4_k: 592, q5_k: 720, q6_k: 840 };

/** Whether a k-type lives in a 4-row kx4 layout in memory (all of them: Q4_K, Q5_K, Q6_K in
 *  src/kernels/kx4-layout.ts, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K in src/kernels/kx4-lowbit-layout.ts). */
export function isKX4(d: DType): boolean {
  return isKType(d) && KX4_GROUP_BYTES[d] !== undefined;
}

export function isKType(d: DType): d is KType {
  return Object.prototype.hasOwnProperty.call(KTYPES, d);
}

/** Bytes of one row of `cols` values of a k-type; RangeError unless cols is a whole number of blocks. */
export function kRowBytes(d: KType, cols: number): number {
  const { block, bytes } = KTYPES[d];
  if (cols % block !== 0) throw new RangeError(`${d} rows must be a multiple of ${block} values, got ${cols}`);
  return (cols / block) * bytes;
}

/** Weights per quantization block (GGUF's QK8_0 and QK4_0). */
export const QK = 32;
/** Rows interleaved in the in-memory quantized layout. */
export const QROWS = 4;

/** Bytes of one GGUF block: fp16 scale + quants. */
export const blockBytes: Record<'q8_0' | 'q4_0', number> = { q8_0: 2 + QK, q4_0: 2 + QK / 2 };

export function isQuantized(d: DType): d is 'q8_0' | 'q4_0' {
  return d === 'q8_0' || d === 'q4_0';
}

/** Bytes per element of the plain types. */
export function elementBytes(d: DType): number {
  switch (d) {
    case 'f32':
    case 'i32':
      return 4;
    case 'f16':
    case 'bf16':
      return 2;
    case 'i8':
      return 1;
    default:
      throw new TypeError(`${d} has no per-element size (it is block-quantized)`);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes a tensor of this dtype and shape takes in an arena (quantized and kx4: 4-row layouts, rows padded). */
export function byteSize(d: DType, shape: readonly number[]): number {
  if (isKType(d) && isKX4(d)) {
    const cols = shape[shape.length - 1] ?? 1;
    if (cols === 0) return 0;
    kRowBytes(d, cols);
    return Math.ceil(numel(shape) / cols / QROWS) * (cols / KTYPES[d].block) * KX4_GROUP_BYTES[d]!;
  }
  if (isKType(d)) return ggufByteSize(d, shape);
  if (!isQuantized(d)) return numel(shape) * elementBytes(d);
  const cols = shape[shape.length - 1] ?? 1;
  if (cols % QK !== 0) throw new RangeError(`${d} tensor needs a last dimension divisible by ${QK}, got [${shape.join(', ')}]`);
  const rows = numel(shape) / cols;
  return Math.ceil(rows / QROWS) * QROWS * (cols / QK) * blockBytes[d];
}

/** Bytes of the same tensor in GGUF's on-disk order (no padding). */
export function ggufByteSize(d: DType, shape: readonly number[]): number {
  if (isKType(d)) {
    const cols = shape[shape.length - 1] ?? 1;
    return cols === 0 ? 0 : (numel(shape) / cols) * kRowBytes(d, cols);
  }
  if (!isQuantized(d)) return numel(shape) * elementBytes(d);
  return (numel(shape) / QK) * blockBytes[d];
}
