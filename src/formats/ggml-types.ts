// ggml tensor type ids and their block layouts, as in llama.cpp's ggml.h and
// gguf-py/gguf/constants.py (GGML_QUANT_SIZES: elements per block, bytes per block).
// Every id is listed so that an unsupported tensor is named in errors rather than shown as a number.

export const GGMLType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  // 4 and 5 were Q4_2 and Q4_3, removed from ggml.
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ2_XXS: 16,
  IQ2_XS: 17,
  IQ3_XXS: 18,
  IQ1_S: 19,
  IQ4_NL: 20,
  IQ3_S: 21,
  IQ2_S: 22,
  IQ4_XS: 23,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  IQ1_M: 29,
  BF16: 30,
  // 31..33 and 36..38 were the repacked Q4_0_4_4 / IQ4_NL_4_4 families, removed from ggml.
  TQ1_0: 34,
  TQ2_0: 35,
  MXFP4: 39,
} as const;
export type GGMLType = number;

import type { DType } from '../tensor/dtype.js';

const QK_K = 256;

/** [elements per block, bytes per block] for each known type id. */
const LAYOUT: ReadonlyMap<number, readonly [number, number]> = new Map([
  [GGMLType.F32, [1, 4]],
  [GGMLType.F16, [1, 2]],
  [GGMLType.Q4_0, [32, 2 + 16]],
  [GGMLType.Q4_1, [32, 2 + 2 + 16]],
  [GGMLType.Q5_0, [32, 2 + 4 + 16]],
  [GGMLType.Q5_1, [32, 2 + 2 + 4 + 16]],
  [GGMLType.Q8_0, [32, 2 + 32]],
  [GGMLType.Q8_1, [32, 4 + 4 + 32]],
  [GGMLType.Q2_K, [QK_K, 2 + 2 + QK_K / 16 + QK_K / 4]],
  [GGMLType.Q3_K, [QK_K, 2 + QK_K / 4 + QK_K / 8 + 12]],
  [GGMLType.Q4_K, [QK_K, 2 + 2 + QK_K / 2 + 12]],
  [GGMLType.Q5_K, [QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12]],
  [GGMLType.Q6_K, [QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16]],
  [GGMLType.Q8_K, [QK_K, 4 + QK_K + QK_K / 8]],
  [GGMLType.IQ2_XXS, [QK_K, 2 + QK_K / 4]],
  [GGMLType.IQ2_XS, [QK_K, 2 + QK_K / 4 + QK_K / 32]],
  [GGMLType.IQ3_XXS, [QK_K, 2 + QK_K / 4 + QK_K / 8]],
  [GGMLType.IQ1_S, [QK_K, 2 + QK_K / 8 + QK_K / 16]],
  [GGMLType.IQ4_NL, [32, 2 + 16]],
  [GGMLType.IQ3_S, [QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4]],
  [GGMLType.IQ2_S, [QK_K, 2 + QK_K / 4 + QK_K / 16]],
  [GGMLType.IQ4_XS, [QK_K, 2 + 2 + QK_K / 2 + QK_K / 64]],
  [GGMLType.I8, [1, 1]],
  [GGMLType.I16, [1, 2]],
  [GGMLType.I32, [1, 4]],
  [GGMLType.I64, [1, 8]],
  [GGMLType.F64, [1, 8]],
  [GGMLType.IQ1_M, [QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32]],
  [GGMLType.BF16, [1, 2]],
  [GGMLType.TQ1_0, [QK_K, 2 + 4 * 13]],
  [GGMLType.TQ2_0, [QK_K, 2 + 64]],
  [GGMLType.MXFP4, [32, 1 + 16]],
]);

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(GGMLType).map(([k, v]) => [v, k]));

/** 'Q8_0' for 8; 'unknown type 31' for ids ggml does not (or no longer) define. */
export function ggmlTypeName(type: number): string {
  return NAMES.get(type) ?? `unknown type ${type}`;
}

export function isKnownGGMLType(type: number): boolean {
  return LAYOUT.has(type);
}

/** Elements per block and bytes per block; throws RangeError for an unknown id. */
export function ggmlBlock(type: number): { blockSize: number; typeSize: number } {
  const l = LAYOUT.get(type);
  if (!l) throw new RangeError(`ggml type ${type} is not a known type`);
  return { blockSize: l[0], typeSize: l[1] };
}

/**
 * Bytes of a tensor of this type and (row-major) shape in GGUF's on-disk order.
 * Throws RangeError when the row length is not a whole number of blocks.
 */
export function ggmlByteLength(type: number, shape: readonly number[]): number {
  const { blockSize, typeSize } = ggmlBlock(type);
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  if (cols % blockSize !== 0) {
    throw new RangeError(`${ggmlTypeName(type)} rows must be a multiple of ${blockSize} elements, got a last dimension of ${cols}`);
  }
  let n = 1;
  for (const d of shape) n *= d;
  return (n / blockSize) * typeSize;
}

/** The ggml type id for one of our own dtypes. */
export function ggmlTypeOfDType(d: DType): number {
  switch (d) {
    case 'f32':
      return GGMLType.F32;
    case 'f16':
      return GGMLType.F16;
    case 'bf16':
      return GGMLType.BF16;
    case 'q8_0':
      return GGMLType.Q8_0;
    case 'q4_0':
      return GGMLType.Q4_0;
    case 'q4_1':
      return GGMLType.Q4_1;
    case 'q5_0':
      return GGMLType.Q5_0;
    case 'q5_1':
      return GGMLType.Q5_1;
    case 'q2_k':
      return GGMLType.Q2_K;
    case 'q3_k':
      return GGMLType.Q3_K;
    case 'q4_k':
      return GGMLType.Q4_K;
    case 'q5_k':
      return GGMLType.Q5_K;
    case 'q6_k':
      return GGMLType.Q6_K;
    case 'i32':
      return GGMLType.I32;
    case 'i8':
      return GGMLType.I8;
  }
}

/** Our dtype for a ggml type id, or undefined for types we cannot compute with. */
export function dtypeOfGGMLType(type: number): DType | undefined {
  switch (type) {
    case GGMLType.F32:
      return 'f32';
    case GGMLType.F16:
      return 'f16';
    case GGMLType.BF16:
      return 'bf16';
    case GGMLType.Q8_0:
      return 'q8_0';
    case GGMLType.Q4_0:
      return 'q4_0';
    case GGMLType.Q4_1:
      return 'q4_1';
    case GGMLType.Q5_0:
      return 'q5_0';
    case GGMLType.Q5_1:
      return 'q5_1';
    case GGMLType.Q2_K:
      return 'q2_k';
    case GGMLType.Q3_K:
      return 'q3_k';
    case GGMLType.Q4_K:
      return 'q4_k';
    case GGMLType.Q5_K:
      return 'q5_k';
    case GGMLType.Q6_K:
      return 'q6_k';
    case GGMLType.I32:
      return 'i32';
    case GGMLType.I8:
      return 'i8';
    default:
      return undefined;
  }
}
