// Q8_0 / Q4_0 block quantization (bit-exact with llama.cpp's quantize_row_q8_0_ref and
// quantize_row_q4_0_ref), dequantization, and repacking between GGUF's block order and the
// in-memory "x4 layout" (src/tensor/dtype.ts): per group of 4 rows and block b, 4 fp16 scales
// (8 bytes) then the 4 rows' quants, each row's quants exactly as in its GGUF block
// (Q8_0: 32 int8; Q4_0: 16 bytes, byte j = element j in the low nibble, j + 16 in the high one).
//
// Units of the parallel kernels are rows (or blocks for the flat GGUF kernels); threads write
// disjoint bytes, so any split gives the same bytes.

import { f16ToF32, f32ToF16 } from './simd';

// ---------------------------------------------------------------------------------------------
// One block

/** roundf: round half away from zero, exact for every f32 (no `x + 0.5` double rounding). */
@inline
function roundf(v: f32): f32 {
  const t = Mathf.trunc(v);
  const r = v - t; // exact
  if (r >= 0.5) return t + 1;
  if (r <= -0.5) return t - 1;
  return t;
}

/** quantize_row_q8_0_ref on one block of 32 floats at x: fp16 scale to sp, 32 int8 to qp. */
@inline
function quantBlockQ8(x: usize, sp: usize, qp: usize): void {
  let amax: f32 = 0;
  for (let j = 0; j < 32; j++) amax = Mathf.max(amax, Mathf.abs(load<f32>(x + (<usize>j << 2))));
  const d: f32 = amax / 127;
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(sp, <u16>f32ToF16(d));
  for (let j = 0; j < 32; j++) {
    store<i8>(qp + j, <i8>(<i32>roundf(load<f32>(x + (<usize>j << 2)) * id)));
  }
}

/** quantize_row_q4_0_ref on one block: d = (value of largest magnitude) / -8. */
@inline
function quantBlockQ4(x: usize, sp: usize, qp: usize): void {
  let amax: f32 = 0;
  let max: f32 = 0;
  for (let j = 0; j < 32; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    // Strict `<` keeps the first of equal magnitudes, as the reference does.
    if (amax < Mathf.abs(v)) {
      amax = Mathf.abs(v);
      max = v;
    }
  }
  const d: f32 = max / -8;
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(sp, <u16>f32ToF16(d));
  for (let j = 0; j < 16; j++) {
    const x0: f32 = load<f32>(x + (<usize>j << 2)) * id;
    const x1: f32 = load<f32>(x + (<usize>(j + 16) << 2)) * id;
    // (int8_t)(x + 8.5f) truncates toward zero; the reference then clamps to 15 only.
    const q0 = min<i32>(15, <i32>(<i8>(<i32>(x0 + 8.5))));
    const q1 = min<i32>(15, <i32>(<i8>(<i32>(x1 + 8.5))));
    store<u8>(qp + j, <u8>((q0 & 0xff) | (q1 << 4)));
  }
}

// The x4 layout, in one place: block b of row r lives in the group of rows r & ~3, whose block b holds
// the 4 rows' fp16 scales (8 bytes), then their quants (qb bytes each).

/** Start of block b of row r's 4-row group (nb blocks per row, qb quant bytes per block). */
@inline
function x4Group(p: usize, r: i32, b: i32, nb: i32, qb: i32): usize {
  return p + (<usize>(r >> 2) * <usize>nb + <usize>b) * <usize>(8 + 4 * qb);
}

/** Row r's fp16 scale in its group block. */
@inline
function x4Scale(group: usize, r: i32): usize {
  return group + (<usize>(r & 3) << 1);
}

/** Row r's quants in its group block. */
@inline
function x4Quants(group: usize, r: i32, qb: i32): usize {
  return group + 8 + <usize>((r & 3) * qb);
}

/** A padding row's block: zero scale, zero quants. */
@inline
function zeroBlock(sp: usize, qp: usize, qb: i32): void {
  store<u16>(sp, 0);
  memory.fill(qp, 0, <usize>qb);
}

// ---------------------------------------------------------------------------------------------
// Quantize f32 rows [N, K]

/** f32 [N, K] at src -> GGUF-order Q8_0 (qb = 32) or Q4_0 (qb = 16) blocks at dst; units = rows. */
export function quantize_gguf(src: usize, dst: usize, K: i32, qb: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  const bb = 2 + qb;
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const x = src + ((<usize>r * <usize>K + <usize>(b << 5)) << 2);
      const o = dst + (<usize>r * <usize>nb + <usize>b) * <usize>bb;
      if (qb == 32) quantBlockQ8(x, o, o + 2);
      else quantBlockQ4(x, o, o + 2);
    }
  }
}

/** f32 [N, K] -> x4 layout (rows padded to a multiple of 4: units run to that, padding rows get zero
 *  blocks). */
export function quantize_x4(src: usize, dst: usize, N: i32, K: i32, qb: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const group = x4Group(dst, r, b, nb, qb);
      const sp = x4Scale(group, r);
      const qp = x4Quants(group, r, qb);
      if (r >= N) {
        zeroBlock(sp, qp, qb);
        continue;
      }
      const x = src + ((<usize>r * <usize>K + <usize>(b << 5)) << 2);
      if (qb == 32) quantBlockQ8(x, sp, qp);
      else quantBlockQ4(x, sp, qp);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dequantize

@inline
function dequantBlock(sp: usize, qp: usize, qb: i32, out: usize): void {
  const d = f16ToF32(load<u16>(sp));
  if (qb == 32) {
    for (let j = 0; j < 32; j++) store<f32>(out + (<usize>j << 2), d * <f32>load<i8>(qp + j));
  } else {
    for (let j = 0; j < 16; j++) {
      const v = <i32>load<u8>(qp + j);
      store<f32>(out + (<usize>j << 2), d * <f32>((v & 15) - 8));
      store<f32>(out + (<usize>(j + 16) << 2), d * <f32>((v >> 4) - 8));
    }
  }
}

/** GGUF-order blocks -> f32; units = blocks. */
export function dequantize_gguf(src: usize, dst: usize, qb: i32, start: i32, end: i32, scratch: usize): void {
  const bb = 2 + qb;
  for (let b = start; b < end; b++) {
    const o = src + <usize>b * <usize>bb;
    dequantBlock(o, o + 2, qb, dst + (<usize>b << 7));
  }
}

@inline
function dequantRowX4(src: usize, nb: i32, qb: i32, r: i32, out: usize): void {
  for (let b = 0; b < nb; b++) {
    const group = x4Group(src, r, b, nb, qb);
    dequantBlock(x4Scale(group, r), x4Quants(group, r, qb), qb, out + (<usize>b << 7));
  }
}

/** x4 tensor [N, K] -> f32 [N, K]; units = rows (< N). */
export function dequantize_x4(src: usize, dst: usize, K: i32, qb: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  for (let r = start; r < end; r++) dequantRowX4(src, nb, qb, r, dst + ((<usize>r * <usize>K) << 2));
}

/** Embedding lookup: out[t, :] = row ids[t] of the x4 table [N, K]; units = t. Ids outside [0, N)
 *  trap (abort) rather than read another tensor's bytes. */
export function dequantize_rows_x4(src: usize, N: i32, K: i32, qb: i32, ids: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  for (let t = start; t < end; t++) {
    const r = load<i32>(ids + (<usize>t << 2));
    if (r < 0 || r >= N) unreachable();
    dequantRowX4(src, nb, qb, r, dst + ((<usize>t * <usize>K) << 2));
  }
}

// ---------------------------------------------------------------------------------------------
// Repack GGUF order <-> x4 layout (bytes only)

/** GGUF-order [N, K] -> x4; units = rows up to N rounded up to 4 (padding rows are zeroed). */
export function repack_to_x4(src: usize, dst: usize, N: i32, K: i32, qb: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  const bb = 2 + qb;
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const group = x4Group(dst, r, b, nb, qb);
      const sp = x4Scale(group, r);
      const qp = x4Quants(group, r, qb);
      if (r >= N) {
        zeroBlock(sp, qp, qb);
      } else {
        const o = src + (<usize>r * <usize>nb + <usize>b) * <usize>bb;
        store<u16>(sp, load<u16>(o));
        memory.copy(qp, o + 2, <usize>qb);
      }
    }
  }
}

/** x4 [N, K] -> GGUF order (padding rows dropped); units = rows (< N). */
export function repack_from_x4(src: usize, dst: usize, K: i32, qb: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  const bb = 2 + qb;
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const group = x4Group(src, r, b, nb, qb);
      const o = dst + (<usize>r * <usize>nb + <usize>b) * <usize>bb;
      store<u16>(o, load<u16>(x4Scale(group, r)));
      memory.copy(o + 2, x4Quants(group, r, qb), <usize>qb);
    }
  }
}
