// Q8_0 / Q4_0 tensors: quantize f32 (llama.cpp's reference algorithm, bit-exact), load from and save
// to GGUF block order, dequantize, and embedding lookup. Quantized tensors live in the x4 layout
// (src/tensor/dtype.ts); GGUF order exists only at the edges (files).
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { blockBytes, ggufByteSize, isQuantized, QK, QROWS, type DType } from '../dtype.js';
import { copyTo, Tensor } from '../tensor.js';

export type QType = 'q8_0' | 'q4_0';

/** Quant bytes per block (the kernels' `qb` argument). */
export function quantBytes(d: QType): number {
  return blockBytes[d] - 2;
}

function checkQType(op: string, d: DType): asserts d is QType {
  if (!isQuantized(d)) throw new TypeError(`${op}: dtype must be q8_0 or q4_0, got ${d}`);
}

function checkCols(op: string, what: string, shape: readonly number[]): { rows: number; cols: number } {
  if (shape.length === 0) throw new RangeError(`${op}: ${what} needs at least one dimension`);
  const cols = shape[shape.length - 1]!;
  if (cols % QK !== 0 || cols === 0) {
    throw new RangeError(`${op}: ${what} last dimension (K) must be a positive multiple of ${QK}, got ${cols} in [${shape.join(', ')}]`);
  }
  return { rows: shape.reduce((a, b) => a * b, 1) / cols, cols };
}

/** Rows of work per thread below which a kernel stays on one thread (dispatch costs microseconds). */
function minRows(rowBytes: number): number {
  return Math.max(QROWS, Math.ceil(64 * 1024 / Math.max(1, rowBytes) / QROWS) * QROWS);
}

/** f32 [..., K] -> q8_0 | q4_0 [..., K] in the x4 layout, exactly as llama.cpp's quantize_row_*_ref. */
export function quantize(src: Tensor, dtype: QType, arena?: Arena): Tensor {
  checkQType('quantize', dtype);
  if (src.dtype !== 'f32') throw new TypeError(`quantize: src must be f32, got ${src.dtype}`);
  const { rows, cols } = checkCols('quantize', 'src', src.shape);
  const rt = src.rt;
  const target = arena ?? src.arena;
  const out = Tensor.zeros(rt, dtype, src.shape, target);
  const s = src.arena === target ? src : copyTo(src, target);
  try {
    const padded = Math.ceil(rows / QROWS) * QROWS;
    rt.parallel('quantize_x4', target, [s.offset, out.offset, rows, cols, quantBytes(dtype)], padded, QROWS, minRows(cols * 4));
  } finally {
    if (s !== src) s.dispose();
  }
  return out;
}

/** A q8_0 | q4_0 tensor from GGUF-order block bytes (as stored in a .gguf file), repacked to x4. */
export function fromGGUF(rt: Runtime, dtype: QType, shape: readonly number[], bytes: Uint8Array, arena?: Arena): Tensor {
  checkQType('fromGGUF', dtype);
  const { rows, cols } = checkCols('fromGGUF', 'shape', shape);
  const need = ggufByteSize(dtype, shape);
  if (bytes.length !== need) {
    throw new RangeError(`fromGGUF: bytes must hold ${need} bytes for ${dtype} [${shape.join(', ')}], got ${bytes.length}`);
  }
  const out = Tensor.zeros(rt, dtype, shape, arena);
  const tmp = rt.alloc(need, out.arena);
  try {
    out.arena.u8.set(bytes, tmp.offset);
    const padded = Math.ceil(rows / QROWS) * QROWS;
    rt.parallel('repack_to_x4', out.arena, [tmp.offset, out.offset, rows, cols, quantBytes(dtype)], padded, QROWS, minRows(need / rows));
  } finally {
    rt.release(tmp);
  }
  return out;
}

/** The GGUF-order block bytes of a q8_0 | q4_0 tensor (padding rows dropped). */
export function toGGUF(t: Tensor): Uint8Array {
  checkQType('toGGUF', t.dtype);
  const { rows, cols } = checkCols('toGGUF', 't', t.shape);
  const n = ggufByteSize(t.dtype, t.shape);
  const tmp = t.rt.alloc(n, t.arena);
  try {
    t.rt.parallel('repack_from_x4', t.arena, [t.offset, tmp.offset, cols, quantBytes(t.dtype)], rows, QROWS, minRows(n / rows));
    return t.arena.u8.slice(tmp.offset, tmp.offset + n);
  } finally {
    t.rt.release(tmp);
  }
}

/** f32 copy of a q8_0 | q4_0 tensor (same shape, same arena). */
export function dequantize(t: Tensor): Tensor {
  checkQType('dequantize', t.dtype);
  const { rows, cols } = checkCols('dequantize', 't', t.shape);
  const out = Tensor.zeros(t.rt, 'f32', t.shape, t.arena);
  t.rt.parallel('dequantize_x4', t.arena, [t.offset, out.offset, cols, quantBytes(t.dtype)], rows, 1, minRows(cols * 4));
  return out;
}
