// Finds NaN and infinite weights in a file's own encoding, before any conversion can hide or spread
// them: a non-finite weight turns every logit downstream into NaN, and a quantized block's f16 scale
// can be Inf while its integer quants look fine. Used by `--check` on load and always by `yi convert`.
import { isKType, KTYPES, type KType } from '../tensor/dtype.js';
import { LoadError, type SourceDType, type SourceTensor, type WeightSource } from './source.js';
import { listNames } from './tensor-set.js';

/** Non-finite values in one tensor: how many, and where the first one is. */
export interface NonFinite {
  count: number;
  /** Row and column of the first (for quantized data: the first column of its 32-weight block). */
  row: number;
  col: number;
}

/** Elements of a row that one unit of scanning covers: 1, or the 32 weights a block's scale multiplies. */
function unitElements(dtype: SourceDType): number {
  if (isKType(dtype)) return KTYPES[dtype].block;
  return dtype === 'q8_0' || dtype === 'q4_0' ? 32 : 1;
}

/** Byte offsets of the f16 scales (d, and the min's dmin / m) in one block of each k-type (ggml-common.h). */
const K_SCALES: Readonly<Record<KType, readonly number[]>> = {
  q4_1: [0, 2],
  q5_0: [0],
  q5_1: [0, 2],
  q2_k: [80, 82],
  q3_k: [108],
  q4_k: [0, 2],
  q5_k: [0, 2],
  q6_k: [208],
};

function isBlockScaled(dtype: SourceDType): boolean {
  return dtype === 'q8_0' || dtype === 'q4_0' || isKType(dtype);
}

/**
 * Counts non-finite values in `bytes`, whole rows of `rowBytes` bytes each in `dtype`'s file encoding,
 * starting at row `firstRow`; adds to `into` (created when undefined) and returns it, or undefined when
 * all are finite.
 */
export function scanNonFinite(dtype: SourceDType, bytes: Uint8Array, rowBytes: number, firstRow: number, into?: NonFinite): NonFinite | undefined {
  // Each checked value is a 16- or 32-bit pattern whose exponent bits, all ones, mean Inf or NaN:
  // every element of f32/f16/bf16, or the f16 scale at the start of each GGUF Q8_0/Q4_0 block.
  if (isKType(dtype)) return scanBlocks(dtype, bytes, rowBytes, firstRow, into);
  const wide = dtype === 'f32';
  const mask = wide ? 0x7f800000 : dtype === 'bf16' ? 0x7f80 : 0x7c00;
  const stride = dtype === 'q8_0' ? 34 : dtype === 'q4_0' ? 18 : wide ? 4 : 2;
  const per = unitElements(dtype);
  // Typed arrays read in host order: the readers accept little-endian hosts only, as the files are.
  const aligned = bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0;
  let out = into;
  const hit = (at: number) => {
    if (!out) {
      const row = Math.floor(at / rowBytes);
      out = { count: 0, row: firstRow + row, col: ((at - row * rowBytes) / stride) * per };
    }
    out.count += per;
  };
  if (wide && aligned) {
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (let i = 0; i < u32.length; i++) if ((u32[i]! & mask) === mask) hit(i * 4);
  } else if (stride === 2 && bytes.byteOffset % 2 === 0) {
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
    for (let i = 0; i < u16.length; i++) if ((u16[i]! & mask) === mask) hit(i * 2);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at + stride <= bytes.byteLength; at += stride) {
      const v = wide ? dv.getUint32(at, true) : dv.getUint16(at, true);
      if ((v & mask) === mask) hit(at);
    }
  }
  return out;
}

/** scanNonFinite for the k-types: a block counts (all its weights) when one of its f16 scales is Inf/NaN. */
function scanBlocks(dtype: KType, bytes: Uint8Array, rowBytes: number, firstRow: number, into?: NonFinite): NonFinite | undefined {
  const { block, bytes: stride } = KTYPES[dtype];
  const scales = K_SCALES[dtype];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = into;
  for (let at = 0; at + stride <= bytes.byteLength; at += stride) {
    if (!scales.some((o) => (dv.getUint16(at + o, true) & 0x7c00) === 0x7c00)) continue;
    if (!out) {
      const row = Math.floor(at / rowBytes);
      out = { count: 0, row: firstRow + row, col: ((at - row * rowBytes) / stride) * block };
    }
    out.count += block;
  }
  return out;
}

/** A source tensor whose reads also scan for non-finite values, reported through `found` once per read. */
export function scanningReads(s: SourceTensor, found: (n: NonFinite) => void): SourceTensor {
  let seen: NonFinite | undefined;
  return {
    ...s,
    readRows(row, count, dst) {
      s.readRows(row, count, dst);
      const before = seen?.count ?? 0;
      seen = scanNonFinite(s.dtype, dst.subarray(0, count * s.rowBytes), s.rowBytes, row, seen);
      if (seen && seen.count !== before) found(seen);
    },
  };
}

/** "3 NaN/Inf values (the first at row 0, column 5)". */
export function describeNonFinite(n: NonFinite, dtype: SourceDType): string {
  const what = isBlockScaled(dtype) ? `weights with a NaN/Inf block scale (the first block at row ${n.row}, column ${n.col})` : `NaN/Inf values (the first at row ${n.row}, column ${n.col})`;
  return `${n.count} ${what}`;
}

/** What a scan found in one tensor, with the encoding it was found in. */
export interface TensorNonFinite {
  n: NonFinite;
  dtype: SourceDType;
}

/** The error for a file whose tensors have NaN or infinite weights, naming them (`--check`). */
export function nonFiniteError(src: WeightSource, found: ReadonlyMap<string, TensorNonFinite>): LoadError {
  const list = [...found].map(([name, { n, dtype }]) => `${name}: ${describeNonFinite(n, dtype)}`);
  return new LoadError(src.format, src.path, `${found.size} tensor${found.size > 1 ? 's have' : ' has'} NaN or infinite weights: ${listNames(list, 8)}`);
}
