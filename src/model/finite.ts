// Finds NaN and infinite weights in a file's own encoding, before any conversion can hide or spread
// them: a non-finite weight turns every logit downstream into NaN, and a quantized block's f16 scale
// can be Inf while its integer quants look fine. Used by `--check` on load and always by `yi convert`.
import type { SourceDType, SourceTensor } from './source.js';

/** Non-finite values in one tensor: how many, and where the first one is. */
export interface NonFinite {
  count: number;
  /** Row and column of the first (for quantized data: the first column of its 32-weight block). */
  row: number;
  col: number;
}

/** Elements of a row that one unit of scanning covers: 1, or the 32 weights a block's scale multiplies. */
function unitElements(dtype: SourceDType): number {
  return dtype === 'q8_0' || dtype === 'q4_0' ? 32 : 1;
}

/**
 * Counts non-finite values in `bytes`, whole rows of `rowBytes` bytes each in `dtype`'s file encoding,
 * starting at row `firstRow`; adds to `into` (created when undefined) and returns it, or undefined when
 * all are finite.
 */
export function scanNonFinite(dtype: SourceDType, bytes: Uint8Array, rowBytes: number, firstRow: number, into?: NonFinite): NonFinite | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Byte stride between the values checked, and their exponent mask: all ones means Inf or NaN.
  let stride: number;
  let read: (at: number) => boolean;
  switch (dtype) {
    case 'f32':
      stride = 4;
      read = (at) => (dv.getUint32(at, true) & 0x7f800000) === 0x7f800000;
      break;
    case 'f16':
      stride = 2;
      read = (at) => (dv.getUint16(at, true) & 0x7c00) === 0x7c00;
      break;
    case 'bf16':
      stride = 2;
      read = (at) => (dv.getUint16(at, true) & 0x7f80) === 0x7f80;
      break;
    case 'q8_0':
    case 'q4_0':
      // GGUF block: f16 scale, then the quants (small integers, always finite).
      stride = dtype === 'q8_0' ? 34 : 18;
      read = (at) => (dv.getUint16(at, true) & 0x7c00) === 0x7c00;
      break;
  }
  const per = unitElements(dtype);
  let out = into;
  for (let at = 0; at + stride <= bytes.byteLength; at += stride) {
    if (!read(at)) continue;
    if (!out) {
      const row = Math.floor(at / rowBytes);
      out = { count: 0, row: firstRow + row, col: ((at - row * rowBytes) / stride) * per };
    }
    out.count += per;
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
  const what = dtype === 'q8_0' || dtype === 'q4_0' ? `weights with a NaN/Inf block scale (the first block at row ${n.row}, column ${n.col})` : `NaN/Inf values (the first at row ${n.row}, column ${n.col})`;
  return `${n.count} ${what}`;
}
