// Q4_1, Q5_0, Q5_1, Q2_K and Q3_K in their 4-row kx4 layout (kx4-lowbit-layout.ts): repacking from /
// to GGUF block order, the embedding lookup, and the products (GEMV and the batched GEMM are one
// routine, `product`; the relaxed build's one-token case extracts and dots the weights in registers
// instead of unpacking them, with the same integer sums and f32 expressions).
//
// Several tokens, and SIMD128's one token: per group block (4 rows; the 32-weight types 8 blocks at a time) the weights are unpacked once
// into the thread's scratch: relaxed build as u8 vectors of 4 elements x 4 rows (the layout's
// transposed quant bytes give them with one shift and mask per field, no shuffles), SIMD128 as the
// same widened to i16 (rows 0-1, rows 2-3); next to them the scales (i16 duplicated per lane pair
// for the relaxed dot, i32 for SIMD128), the mins and d / dmin / m converted to f32. Every token
// then costs per 16 bytes of unpacked weights a 4-byte broadcast of its int8 activations, one
// `i16x8.relaxed_dot_i8x16_i7x16_s` (weights the 7-bit operand, always in 0..31) and an add,
// lanes already grouped by row (SIMD128: a broadcast of 4 int16 activations and two
// `i32x4.dot_i16x8_s`). Per 16-weight sub-block (k-quants) one `i32x4.dot_i16x8_s` with the rows'
// scales; per 32-weight block an i16 pair sum. i16 lanes stay below 2^15: Q3_K 4 dots of weights
// <= 7 (7112), Q4_1 8 dots of <= 15 (30480), Q5_0 / Q5_1 4 dots of <= 31 (31496), Q2_K 4 of <= 3.
// Integer sums are exact and the f32 expression per block and row is gemv_k's (kquant.ts) in its
// order, accumulated over blocks in order: the results equal gemv_k on the same GGUF blocks bit for
// bit, in both builds, on any thread count, and per token whatever M.
import { dequantBlockK } from './kquant';
import { C_F16MASK, C_F16MUL, C_NIB, dupLo, f16x4, writeConsts, X_AT } from './kx4-act';
import { lowBlockBytes, lowBlockElems, lowGather, lowGroupAt, lowGroupBytes, lowScatter } from './kx4-lowbit-layout';

// Constants after kx4-act's (X_AT), then the unpacked block.
const C_3: usize = X_AT; // 0x03 bytes
const C_33: usize = X_AT + 16; // 0x33 bytes: Q3_K's two-bit planes 0 and 2 (or 1 and 3) of a byte
const C_10: usize = X_AT + 32; // 0x10 bytes
const C_44: usize = X_AT + 48; // 0x44 bytes: their third bits
const U_AT: usize = X_AT + 64;
const U_W: usize = 0;
const WB: usize = ASC_FEATURE_RELAXED_SIMD ? 1024 : 2048; // 256 weights x 4 rows
const U_SCD: usize = WB; // per sub-block: scales as i16 [s0, s0, s1, s1, s2, s2, s3, s3] (16 x 16)
const U_SCI: usize = WB + 256; // per sub-block: scales as i32x4
const U_MIN: usize = WB + 512; // per sub-block: Q2_K's mins, Q3_K's scales, as i32x4 (i16 pairs (c, 0))
const U_D: usize = WB + 768; // per block (up to 8): d of rows 0..3 as f32x4
const U_M: usize = WB + 896; // per block: m (Q4_1, Q5_1) or dmin (Q2_K)
const U_T: usize = WB + 1024; // Q3_K: decoded scales, 4 rows x 16, then transposed (128 bytes)
const U_BYTES: usize = WB + 1152;
const ACC_AT: usize = U_AT + U_BYTES; // then per token an f32x4 accumulator

/** Blocks of a 32-weight type unpacked at a time (256 weights, as one super-block). */
const CHUNK32: i32 = 8;

/** Bytes of one quantize_act_k record of B values (kquant.ts). */
@inline
function recBytes(B: i32): usize {
  return <usize>((3 * B + B / 4 + 4 + 15) & ~15);
}

// ---------------------------------------------------------------------------------------------
// Repacking and the embedding lookup.

/** GGUF-order rows [0, rows) of cols values at src -> kx4 at dst; units = padded rows (split at
 *  multiples of 4). Rows at or past `rows` in the last group are written as zero blocks. */
export function repack_kl_to_x4(src: usize, dst: usize, rows: i32, cols: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const nb = cols / lowBlockElems(kt);
  const bb = lowBlockBytes(kt);
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const g = lowGroupAt(dst, r, b, nb, kt);
      if (r < rows) {
        lowScatter(kt, src + (<usize>r * <usize>nb + <usize>b) * bb, g, r & 3);
      } else {
        memory.fill(scratch, 0, bb);
        lowScatter(kt, scratch, g, r & 3);
      }
    }
  }
}

/** kx4 rows [start, end) at src -> GGUF block order at dst; units = rows. */
export function repack_kl_from_x4(src: usize, dst: usize, cols: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const nb = cols / lowBlockElems(kt);
  const bb = lowBlockBytes(kt);
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) lowGather(kt, lowGroupAt(src, r, b, nb, kt), r & 3, dst + (<usize>r * <usize>nb + <usize>b) * bb);
  }
}

/** Rows of a kx4 table [N, K] of kt 0..4 as f32: out[t, :] = row ids[t], or row t where ids is 0;
 *  units = t. Each block is gathered back into GGUF order in scratch and dequantized by
 *  kquant.ts (llama.cpp's values). */
export function dequantize_rows_kxl(src: usize, N: i32, K: i32, kt: i32, ids: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  const be = lowBlockElems(kt);
  const nb = K / be;
  const blk = scratch + 16;
  for (let t = start; t < end; t++) {
    const r = ids != 0 ? load<i32>(ids + (<usize>t << 2)) : t;
    if (r < 0 || r >= N) unreachable();
    const out = dst + ((<usize>t * <usize>K) << 2);
    for (let b = 0; b < nb; b++) {
      lowGather(kt, lowGroupAt(src, r, b, nb, kt), r & 3, blk);
      dequantBlockK(kt, blk, out + ((<usize>b * <usize>be) << 2), scratch);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Unpacking.

/** Stores the u8 weights w (elements e..e+3 of rows 0..3, 4 per row) as the unpacked group at e. */
@inline
function put(u: usize, e: usize, w: v128): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    v128.store(u + (e << 2), w);
  } else {
    v128.store(u + (e << 3), i16x8.extend_low_i8x16_u(w));
    v128.store(u + (e << 3), i16x8.extend_high_i8x16_u(w), 16);
  }
}

/** A 16-bit lane shift by a constant: left for s > 0, right for s < 0. */
@inline
function shiftC(v: v128, s: i32): v128 {
  if (s > 0) return i16x8.shl(v, s);
  if (s < 0) return i16x8.shr_u(v, -s);
  return v;
}

/** Sub-blocks 4i..4i+3's scales (sc: u8 [sub-block][row]) and mins into the tables from sp. */
@inline
function scales4(sp: usize, sc: v128, mn: v128): void {
  const z = i32x4.splat(0);
  if (ASC_FEATURE_RELAXED_SIMD) {
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 0, 16, 0, 16, 1, 16, 1, 16, 2, 16, 2, 16, 3, 16, 3, 16));
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 4, 16, 4, 16, 5, 16, 5, 16, 6, 16, 6, 16, 7, 16, 7, 16), 16);
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 8, 16, 8, 16, 9, 16, 9, 16, 10, 16, 10, 16, 11, 16, 11, 16), 32);
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 12, 16, 12, 16, 13, 16, 13, 16, 14, 16, 14, 16, 15, 16, 15, 16), 48);
  } else {
    v128.store(sp + U_SCI, v128.shuffle<u8>(sc, z, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16));
    v128.store(sp + U_SCI, v128.shuffle<u8>(sc, z, 4, 16, 16, 16, 5, 16, 16, 16, 6, 16, 16, 16, 7, 16, 16, 16), 16);
    v128.store(sp + U_SCI, v128.shuffle<u8>(sc, z, 8, 16, 16, 16, 9, 16, 16, 16, 10, 16, 16, 16, 11, 16, 16, 16), 32);
    v128.store(sp + U_SCI, v128.shuffle<u8>(sc, z, 12, 16, 16, 16, 13, 16, 16, 16, 14, 16, 16, 16, 15, 16, 16, 16), 48);
  }
  v128.store(sp + U_MIN, v128.shuffle<u8>(mn, z, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16));
  v128.store(sp + U_MIN, v128.shuffle<u8>(mn, z, 4, 16, 16, 16, 5, 16, 16, 16, 6, 16, 16, 16, 7, 16, 16, 16), 16);
  v128.store(sp + U_MIN, v128.shuffle<u8>(mn, z, 8, 16, 16, 16, 9, 16, 16, 16, 10, 16, 16, 16, 11, 16, 16, 16), 32);
  v128.store(sp + U_MIN, v128.shuffle<u8>(mn, z, 12, 16, 16, 16, 13, 16, 16, 16, 14, 16, 16, 16, 15, 16, 16, 16), 48);
}

/** Q2_K group block at g -> u (scales, mins, d, dmin; then the weights). Weights 0..3: element
 *  128n + 32j + l is bits 2j of qs byte 32n + l. */
function unpackQ2Scales(g: usize, u: usize, c: usize): void {
  const nib = v128.load(c, C_NIB);
  // 4 sub-blocks x 4 rows per vector; one byte shuffle per sub-block widens and places its 4 rows.
  let sp = u;
  for (let i: usize = 0; i < 4; i++) {
    const v = v128.load(g + 16 + (i << 4));
    const sc = v128.and(v, nib);
    const mn = v128.and(i16x8.shr_u(v, 4), nib);
    scales4(sp, sc, mn);
    sp += 64;
  }
  v128.store(u + U_D, f16x4(g, c));
  v128.store(u + U_M, f16x4(g + 8, c));
}

/** unpackQ2Scales for the one-token path (relaxed): the duplicated scales, and the mins of
 *  sub-blocks (2p, 2p + 1) as i16 [m r0 2p, m r0 2p+1, m r1 2p, ...] in U_SCI + 16p (one
 *  i32x4.dot_i16x8_s with a pair of the token's sums covers two sub-blocks). */
function unpackQ2ScalesFused(g: usize, u: usize, c: usize): void {
  const nib = v128.load(c, C_NIB);
  const z = i32x4.splat(0);
  let sp = u;
  let mp = u + U_SCI;
  for (let i: usize = 0; i < 4; i++) {
    const v = v128.load(g + 16 + (i << 4));
    const sc = v128.and(v, nib);
    const mn = v128.and(i16x8.shr_u(v, 4), nib);
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 0, 16, 0, 16, 1, 16, 1, 16, 2, 16, 2, 16, 3, 16, 3, 16));
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 4, 16, 4, 16, 5, 16, 5, 16, 6, 16, 6, 16, 7, 16, 7, 16), 16);
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 8, 16, 8, 16, 9, 16, 9, 16, 10, 16, 10, 16, 11, 16, 11, 16), 32);
    v128.store(sp + U_SCD, v128.shuffle<u8>(sc, z, 12, 16, 12, 16, 13, 16, 13, 16, 14, 16, 14, 16, 15, 16, 15, 16), 48);
    v128.store(mp, v128.shuffle<u8>(mn, z, 0, 16, 4, 16, 1, 16, 5, 16, 2, 16, 6, 16, 3, 16, 7, 16));
    v128.store(mp, v128.shuffle<u8>(mn, z, 8, 16, 12, 16, 9, 16, 13, 16, 10, 16, 14, 16, 11, 16, 15, 16), 16);
    sp += 64;
    mp += 32;
  }
  v128.store(u + U_D, f16x4(g, c));
  v128.store(u + U_M, f16x4(g + 8, c));
}

function unpackQ2(g: usize, u: usize, c: usize): void {
  unpackQ2Scales(g, u, c);
  const m3 = v128.load(c, C_3);
  let q = g + 80;
  for (let k: usize = 0; k < 16; k++) {
    const v = v128.load(q);
    const e = ((k >> 3) << 7) + ((k & 7) << 2);
    put(u, e, v128.and(v, m3));
    put(u, e + 32, v128.and(i16x8.shr_u(v, 2), m3));
    put(u, e + 64, v128.and(i16x8.shr_u(v, 4), m3));
    put(u, e + 96, v128.and(i16x8.shr_u(v, 6), m3));
    q += 16;
  }
}

// Q3_K: a transposed qs vector v holds 4 two-bit planes (plane j at bits 2j); the transposed hmask
// vector hm (kx4-lowbit-layout.ts's permuted bits) the third bits of planes j of half n: n = 0 at
// bits 2, 3, 6, 7, n = 1 at bits 0, 1, 4, 5. Planes 0 and 2 then make one byte of two nibbles (values
// q + 4 in 0..7) with a mask, a shift and a mask of hm and an or; planes 1 and 3 likewise.

/** Planes 0 (low nibble) and 2 (high nibble) of half n (a constant) with their third bits. */
@inline
function q3u02(v: v128, hm: v128, n: i32, m33: v128, m44: v128): v128 {
  return v128.or(v128.and(v, m33), v128.and(n == 0 ? hm : i16x8.shl(hm, 2), m44));
}

/** Planes 1 and 3. */
@inline
function q3u13(v: v128, hm: v128, n: i32, m33: v128, m44: v128): v128 {
  return v128.or(v128.and(i16x8.shr_u(v, 2), m33), v128.and(n == 0 ? i16x8.shr_u(hm, 1) : i16x8.shl(hm, 1), m44));
}

/** Q3_K: elements 128n .. 128n + 127 (n a constant) of the group block at g, u = q + 4 in 0..7. */
@inline
function unpackQ3Half(g: usize, u: usize, n: i32, nib: v128, m33: v128, m44: v128): void {
  let q = g + 184 + (<usize>n << 7);
  let h = g + 56;
  let e = <usize>n << 7;
  for (let k = 0; k < 8; k++) {
    const v = v128.load(q);
    const hm = v128.load(h);
    const a = q3u02(v, hm, n, m33, m44);
    const b = q3u13(v, hm, n, m33, m44);
    put(u, e, v128.and(a, nib));
    put(u, e + 32, v128.and(b, nib));
    put(u, e + 64, v128.and(i16x8.shr_u(a, 4), nib));
    put(u, e + 96, v128.and(i16x8.shr_u(b, 4), nib));
    q += 16;
    h += 16;
    e += 4;
  }
}

/** Q3_K's 16 6-bit scales minus 32 of the 12 bytes at q as i8 lanes (kquant.ts's q3scales), built
 *  in registers (four u32 stores read back as one vector would miss store-to-load forwarding). */
@inline
function q3scales(q: usize): v128 {
  const a0 = load<u32>(q);
  const a1 = load<u32>(q, 4);
  const tmp = load<u32>(q, 8);
  const m1: u32 = 0x03030303;
  const m2: u32 = 0x0f0f0f0f;
  let v = i32x4.splat(<i32>((a0 & m2) | ((tmp & m1) << 4)));
  v = i32x4.replace_lane(v, 1, <i32>((a1 & m2) | (((tmp >> 2) & m1) << 4)));
  v = i32x4.replace_lane(v, 2, <i32>(((a0 >> 4) & m2) | (((tmp >> 4) & m1) << 4)));
  v = i32x4.replace_lane(v, 3, <i32>(((a1 >> 4) & m2) | (((tmp >> 6) & m1) << 4)));
  return i8x16.sub(v, i8x16.splat(32));
}

@inline
function unpackQ3Scales(g: usize, u: usize, c: usize, fused: bool): void {
  const t = u + U_T;
  // 4 x 16 bytes (row r, sub-block s) -> vector i: sub-blocks 4i..4i+3 of rows 0..3.
  const a = q3scales(g + 8);
  const b = q3scales(g + 20);
  const cc = q3scales(g + 32);
  const d = q3scales(g + 44);
  const ab0 = v128.shuffle<u8>(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const ab1 = v128.shuffle<u8>(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const cd0 = v128.shuffle<u8>(cc, d, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const cd1 = v128.shuffle<u8>(cc, d, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128.store(t + 64, v128.shuffle<i16>(ab0, cd0, 0, 8, 1, 9, 2, 10, 3, 11));
  v128.store(t + 80, v128.shuffle<i16>(ab0, cd0, 4, 12, 5, 13, 6, 14, 7, 15));
  v128.store(t + 96, v128.shuffle<i16>(ab1, cd1, 0, 8, 1, 9, 2, 10, 3, 11));
  v128.store(t + 112, v128.shuffle<i16>(ab1, cd1, 4, 12, 5, 13, 6, 14, 7, 15));
  // Per sub-block: the relaxed dot's duplicated i16 scales (or SIMD128's i32), and (sc, 0) i16
  // pairs for the correction (one i32x4.dot_i16x8_s with the record's i32 sum, which fits i16).
  let sp = u;
  let tp = t + 64;
  for (let i = 0; i < 4; i++) {
    const v = v128.load(tp);
    const z = i32x4.splat(0);
    if (ASC_FEATURE_RELAXED_SIMD) {
      v128.store(sp + U_SCD, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0)));
      v128.store(sp + U_SCD, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 4, 4, 5, 5, 6, 6, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0)), 16);
      v128.store(sp + U_SCD, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 8, 8, 9, 9, 10, 10, 11, 11, 0, 0, 0, 0, 0, 0, 0, 0)), 32);
      v128.store(sp + U_SCD, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 12, 12, 13, 13, 14, 14, 15, 15, 0, 0, 0, 0, 0, 0, 0, 0)), 48);
    } else {
      v128.store(sp + U_SCI, i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v)));
      v128.store(sp + U_SCI, i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))), 16);
      v128.store(sp + U_SCI, i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))), 32);
      v128.store(sp + U_SCI, i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, v, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))), 48);
    }
    if (!fused) {
      v128.store(sp + U_MIN, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, z, 0, 16, 1, 16, 2, 16, 3, 16, 0, 0, 0, 0, 0, 0, 0, 0)));
      v128.store(sp + U_MIN, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, z, 4, 16, 5, 16, 6, 16, 7, 16, 0, 0, 0, 0, 0, 0, 0, 0)), 16);
      v128.store(sp + U_MIN, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, z, 8, 16, 9, 16, 10, 16, 11, 16, 0, 0, 0, 0, 0, 0, 0, 0)), 32);
      v128.store(sp + U_MIN, i16x8.extend_low_i8x16_s(v128.shuffle<u8>(v, z, 12, 16, 13, 16, 14, 16, 15, 16, 0, 0, 0, 0, 0, 0, 0, 0)), 48);
    }
    sp += 64;
    tp += 16;
  }
  v128.store(u + U_D, f16x4(g, c));
}

function unpackQ3(g: usize, u: usize, c: usize): void {
  unpackQ3Scales(g, u, c, false);
  const nib = v128.load(c, C_NIB);
  const m33 = v128.load(c, C_33);
  const m44 = v128.load(c, C_44);
  unpackQ3Half(g, u, 0, nib, m33, m44);
  unpackQ3Half(g, u, 1, nib, m33, m44);
}

/** qs^T vector k (a constant) of a 32-weight block: low nibbles elements 4k.., high 16 + 4k..;
 *  fifth bits (kt 1, 2) from qh' (bit 2k of its bytes for the low nibbles, 2k + 1 for the high). */
@inline
function unpackNib(kt: i32, qs: usize, qh: usize, u: usize, e0: usize, k: i32, nib: v128, b5: v128): void {
  const v = v128.load(qs + (<usize>k << 4));
  let lo = v128.and(v, nib);
  let hi = v128.and(i16x8.shr_u(v, 4), nib);
  if (kt != 0) {
    const h = v128.load(qh);
    lo = v128.or(lo, v128.and(shiftC(h, 4 - 2 * k), b5));
    hi = v128.or(hi, v128.and(shiftC(h, 3 - 2 * k), b5));
  }
  put(u, e0 + (<usize>k << 2), lo);
  put(u, e0 + 16 + (<usize>k << 2), hi);
}

/** `n` consecutive group blocks of a 32-weight type from g -> u (block i's weights at element 32i). */
@inline
function unpack32(kt: i32, g: usize, n: i32, u: usize, c: usize): void {
  const nib = v128.load(c, C_NIB);
  const b5 = v128.load(c, C_10);
  const gb = lowGroupBytes(kt);
  const qsAt: usize = kt == 0 ? 16 : kt == 1 ? 24 : 32;
  const qhAt: usize = kt == 1 ? 8 : 16;
  let p = g;
  for (let i = 0; i < n; i++) {
    const iu = <usize>i;
    v128.store(u + U_D + (iu << 4), f16x4(p, c));
    if (kt != 1) v128.store(u + U_M + (iu << 4), f16x4(p + 8, c));
    const e0 = iu << 5;
    unpackNib(kt, p + qsAt, p + qhAt, u, e0, 0, nib, b5);
    unpackNib(kt, p + qsAt, p + qhAt, u, e0, 1, nib, b5);
    unpackNib(kt, p + qsAt, p + qhAt, u, e0, 2, nib, b5);
    unpackNib(kt, p + qsAt, p + qhAt, u, e0, 3, nib, b5);
    p += gb;
  }
}

// ---------------------------------------------------------------------------------------------
// One token against the unpacked weights.

/** 16 elements of the 4 rows (unpacked at wp) against x at xp (relaxed: int8; SIMD128: int16).
 *  Relaxed: i16 lanes [r0, r0, r1, r1, r2, r2, r3, r3], each a sum of 8 products; SIMD128: i32
 *  [r0, r1, r2, r3]. */
@inline
function sub16(wp: usize, xp: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const a = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp), v128.load(wp)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 4), v128.load(wp, 16)));
    const b = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 8), v128.load(wp, 32)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 12), v128.load(wp, 48)));
    return i16x8.add(a, b);
  }
  const x0 = v128.load64_splat(xp);
  const x1 = v128.load64_splat(xp, 8);
  const x2 = v128.load64_splat(xp, 16);
  const x3 = v128.load64_splat(xp, 24);
  const a = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(wp), x0), i32x4.dot_i16x8_s(v128.load(wp, 32), x1)), i32x4.add(i32x4.dot_i16x8_s(v128.load(wp, 64), x2), i32x4.dot_i16x8_s(v128.load(wp, 96), x3)));
  const b = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(wp, 16), x0), i32x4.dot_i16x8_s(v128.load(wp, 48), x1)), i32x4.add(i32x4.dot_i16x8_s(v128.load(wp, 80), x2), i32x4.dot_i16x8_s(v128.load(wp, 112), x3)));
  return i32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
}

/** Q2_K (kt 3) or Q3_K (kt 4): one token's record at ap against the unpacked super-block: gemv_k's
 *  f32x4. One 16-weight sub-block per loop step, pointers advanced by constants. */
@inline
function tokenK(kt: i32, u: usize, ap: usize): v128 {
  let isum = i32x4.splat(0);
  let wp = u;
  let xp = ap + (ASC_FEATURE_RELAXED_SIMD ? 512 : 0);
  let sp = u + (ASC_FEATURE_RELAXED_SIMD ? U_SCD : U_SCI);
  for (let s = 0; s < 16; s++) {
    if (ASC_FEATURE_RELAXED_SIMD) {
      isum = i32x4.add(isum, i32x4.dot_i16x8_s(sub16(wp, xp), v128.load(sp)));
      wp += 64;
      xp += 16;
    } else {
      isum = i32x4.add(isum, i32x4.mul(sub16(wp, xp), v128.load(sp)));
      wp += 128;
      xp += 32;
    }
    sp += 16;
  }
  // Q2_K: sum(m bsum); Q3_K: sum(sc bsum) (the stored u = q + 4).
  return finishK(kt, u, ap, isum);
}

/** A 32-weight type: one token's records from ap (one per block) against the n unpacked blocks,
 *  each block's f32x4 added to acc in block order (gemv_k's per-block sum). */
@inline
function token32(kt: i32, u: usize, ap: usize, n: i32, acc: v128): v128 {
  let wp = u;
  let a = ap;
  for (let i = 0; i < n; i++) {
    let isum: v128;
    if (ASC_FEATURE_RELAXED_SIMD) {
      const xp = a + 64;
      if (kt == 0) isum = i32x4.extadd_pairwise_i16x8_s(i16x8.add(sub16(wp, xp), sub16(wp + 64, xp + 16)));
      else isum = i32x4.add(i32x4.extadd_pairwise_i16x8_s(sub16(wp, xp)), i32x4.extadd_pairwise_i16x8_s(sub16(wp + 64, xp + 16)));
      wp += 128;
    } else {
      isum = i32x4.add(sub16(wp, a), sub16(wp + 128, a + 32));
      wp += 256;
    }
    const bs = load<i32>(a + 96) + load<i32>(a + 100);
    const dx = v128.load32_splat(a + 104);
    const iu = <usize>i << 4;
    const dd = f32x4.mul(v128.load(u + U_D + iu), dx);
    let r: v128;
    // gemv_k: Q5_0 (d dx) (sumi - 16 bs); Q4_1 / Q5_1 (d dx) sumi + (m dx) bs.
    if (kt == 1) r = f32x4.mul(dd, f32x4.convert_i32x4_s(i32x4.sub(isum, i32x4.splat(16 * bs))));
    else r = f32x4.add(f32x4.mul(dd, f32x4.convert_i32x4_s(isum)), f32x4.mul(f32x4.mul(v128.load(u + U_M + iu), dx), f32x4.splat(<f32>bs)));
    acc = f32x4.add(acc, r);
    a += 112;
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------
// One token, relaxed build: the weights extracted and dotted in registers (no unpacked copy).

/** Q2_K: plane j (constant) of one transposed qs vector v. */
@inline
function plane2(v: v128, j: i32, m3: v128): v128 {
  return v128.and(j == 0 ? v : i16x8.shr_u(v, 2 * j), m3);
}

/** Elements 128n .. 128n + 127 (n a constant): per half (16 elements of each plane) the 4 planes'
 *  i16 sums in registers, then each times its sub-block's scales. */
@inline
function halfK(g: usize, u: usize, xq: usize, tab: usize, n: i32, q3: bool, m3: v128, m33: v128, m44: v128): v128 {
  let isum = i32x4.splat(0);
  // Q3_K: sub-block s's -4 bsum as an i16 (then 0) at tab + 4s, added to the row's pair of lanes.
  let cp = tab + (<usize>(8 * n) << 2);
  let q = g + (q3 ? 184 : 80) + (<usize>n << 7);
  let h = g + 56;
  let xp = xq + (<usize>n << 7);
  let sp = u + U_SCD + (<usize>(8 * n) << 4);
  for (let half = 0; half < 2; half++) {
    let p0 = i16x8.splat(0);
    let p1 = i16x8.splat(0);
    let p2 = i16x8.splat(0);
    let p3 = i16x8.splat(0);
    for (let kk = 0; kk < 4; kk++) {
      const v = v128.load(q);
      let w0: v128, w1: v128, w2: v128, w3: v128;
      if (q3) {
        const hm = v128.load(h);
        const a = q3u02(v, hm, n, m33, m44);
        const b = q3u13(v, hm, n, m33, m44);
        w0 = v128.and(a, m3);
        w1 = v128.and(b, m3);
        w2 = v128.and(i16x8.shr_u(a, 4), m3);
        w3 = v128.and(i16x8.shr_u(b, 4), m3);
      } else {
        w0 = plane2(v, 0, m3);
        w1 = plane2(v, 1, m3);
        w2 = plane2(v, 2, m3);
        w3 = plane2(v, 3, m3);
      }
      p0 = i16x8.add(p0, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp), w0));
      p1 = i16x8.add(p1, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 32), w1));
      p2 = i16x8.add(p2, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 64), w2));
      p3 = i16x8.add(p3, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 96), w3));
      q += 16;
      h += 16;
      xp += 4;
    }
    // Sub-blocks 8n + 2j + half.
    if (q3) {
      p0 = i16x8.add(p0, v128.load32_splat(cp));
      p1 = i16x8.add(p1, v128.load32_splat(cp, 8));
      p2 = i16x8.add(p2, v128.load32_splat(cp, 16));
      p3 = i16x8.add(p3, v128.load32_splat(cp, 24));
      cp += 4;
    }
    isum = i32x4.add(isum, i32x4.add(i32x4.dot_i16x8_s(p0, v128.load(sp)), i32x4.dot_i16x8_s(p1, v128.load(sp, 32))));
    isum = i32x4.add(isum, i32x4.add(i32x4.dot_i16x8_s(p2, v128.load(sp, 64)), i32x4.dot_i16x8_s(p3, v128.load(sp, 96))));
    sp += 16;
  }
  return isum;
}

/** Q2_K / Q3_K against one token (record at ap), the scales already in u: tokenK's value. */
@inline
function fusedK(kt: i32, g: usize, u: usize, ap: usize, tab: usize, c: usize): v128 {
  const q3 = kt == 4;
  // Q2_K's plane mask, or Q3_K's nibble mask.
  const m3 = q3 ? v128.load(c, C_NIB) : v128.load(c, C_3);
  const m33 = v128.load(c, C_33);
  const m44 = v128.load(c, C_44);
  const xq = ap + 512;
  const isum = i32x4.add(halfK(g, u, xq, tab, 0, q3, m3, m33, m44), halfK(g, u, xq, tab, 1, q3, m3, m33, m44));
  const dx = v128.load32_splat(ap + 832);
  const d = f32x4.mul(dx, v128.load(u + U_D));
  // Q3_K: isum already holds sum(sc (u qx - 4 bsum)) = sum(sc q qx) - 4 sum(sc bsum) (finishK's).
  if (q3) return f32x4.mul(d, f32x4.convert_i32x4_s(isum));
  let corr = i32x4.splat(0);
  let mp = u + U_SCI;
  let bp = tab;
  for (let p = 0; p < 8; p++) {
    corr = i32x4.add(corr, i32x4.dot_i16x8_s(v128.load(mp), v128.load32_splat(bp)));
    mp += 16;
    bp += 4;
  }
  return f32x4.sub(f32x4.mul(d, f32x4.convert_i32x4_s(isum)), f32x4.mul(f32x4.mul(dx, v128.load(u + U_M)), f32x4.convert_i32x4_s(corr)));
}

/** The one-token path's per-block table of the token's sums (64 bytes per block): Q2_K the 16
 *  sums as i16 (pairs for the mins' dot), Q3_K -4 sum as an i16 then 0 (u32 each). */
function sumsTable(act: usize, nb: i32, kt: i32, tab: usize): void {
  let a = act + 768;
  let t = tab;
  for (let b = 0; b < nb; b++) {
    for (let s: usize = 0; s < 16; s++) {
      const v = load<i32>(a + (s << 2));
      if (kt == 3) store<i16>(t + (s << 1), <i16>v);
      else store<u32>(t + (s << 2), <u32>(-4 * v) & 0xffff);
    }
    a += 848;
    t += 64;
  }
}

/** Q2_K / Q3_K: gemv_k's f32 expression from the exact sum of sc q x and the record's sums. */
@inline
function finishK(kt: i32, u: usize, ap: usize, isum: v128): v128 {
  // U_MIN holds (c, 0) i16 pairs (Q2_K's mins, Q3_K's scales); the record's i32 sums fit i16.
  let corr = i32x4.splat(0);
  let cp = u + U_MIN;
  let bp = ap + 768;
  for (let s = 0; s < 16; s++) {
    corr = i32x4.add(corr, i32x4.dot_i16x8_s(v128.load(cp), v128.load32_splat(bp)));
    cp += 16;
    bp += 4;
  }
  const dx = v128.load32_splat(ap + 832);
  const d = f32x4.mul(dx, v128.load(u + U_D));
  // gemv_k: Q2_K dx * d * isum - dx * dmin * summ; Q3_K dx * d * (isum - 4 corr).
  if (kt == 3) return f32x4.sub(f32x4.mul(d, f32x4.convert_i32x4_s(isum)), f32x4.mul(f32x4.mul(dx, v128.load(u + U_M)), f32x4.convert_i32x4_s(corr)));
  return f32x4.mul(d, f32x4.convert_i32x4_s(i32x4.sub(isum, i32x4.shl(corr, 2))));
}

/** A 32-weight block at g against one token's record at a: the block's f32x4 (token32's value). */
@inline
function fused32(kt: i32, g: usize, a: usize, c: usize): v128 {
  const nib = v128.load(c, C_NIB);
  const b5 = v128.load(c, C_10);
  const qs = g + (kt == 0 ? 16 : kt == 1 ? 24 : 32);
  const xp = a + 64;
  let lo = i16x8.splat(0);
  let hi = i16x8.splat(0);
  let h = i16x8.splat(0);
  if (kt != 0) h = v128.load(g + (kt == 1 ? 8 : 16));
  lo = fusedNib(kt, qs, h, xp, 0, nib, b5, lo, false);
  lo = fusedNib(kt, qs, h, xp, 1, nib, b5, lo, false);
  lo = fusedNib(kt, qs, h, xp, 2, nib, b5, lo, false);
  lo = fusedNib(kt, qs, h, xp, 3, nib, b5, lo, false);
  hi = fusedNib(kt, qs, h, xp, 0, nib, b5, hi, true);
  hi = fusedNib(kt, qs, h, xp, 1, nib, b5, hi, true);
  hi = fusedNib(kt, qs, h, xp, 2, nib, b5, hi, true);
  hi = fusedNib(kt, qs, h, xp, 3, nib, b5, hi, true);
  const isum = kt == 0 ? i32x4.extadd_pairwise_i16x8_s(i16x8.add(lo, hi)) : i32x4.add(i32x4.extadd_pairwise_i16x8_s(lo), i32x4.extadd_pairwise_i16x8_s(hi));
  const bs = load<i32>(a + 96) + load<i32>(a + 100);
  const dx = v128.load32_splat(a + 104);
  // fp16 d (and m) without the inf/NaN steps unless a scale has exponent 31 (a flag in
  // general-purpose registers): the same values either way.
  const e = kt == 1 ? infLanes(load<u64>(g)) : infLanes(load<u64>(g)) | infLanes(load<u64>(g, 8));
  const dd = f32x4.mul(e != 0 ? f16x4(g, c) : f16x4Finite(g, c), dx);
  if (kt == 1) return f32x4.mul(dd, f32x4.convert_i32x4_s(i32x4.sub(isum, i32x4.splat(16 * bs))));
  return f32x4.add(f32x4.mul(dd, f32x4.convert_i32x4_s(isum)), f32x4.mul(f32x4.mul(e != 0 ? f16x4(g + 8, c) : f16x4Finite(g + 8, c), dx), f32x4.splat(<f32>bs)));
}

/** Non-zero when one of 4 fp16 (a u64) has exponent 31 (inf or NaN). */
@inline
function infLanes(x: u64): u64 {
  return ((x & 0x7c007c007c007c00) + 0x0400040004000400) & 0x8000800080008000;
}

/** f16x4 for finite fp16 (subnormals included): the rebiasing multiply alone. */
@inline
function f16x4Finite(p: usize, c: usize): v128 {
  return f32x4.mul(v128.and(i32x4.shl(v128.load16x4_s(p), 13), v128.load(c, C_F16MASK)), v128.load(c, C_F16MUL));
}

/** qs^T vector k (a constant): its low (hi = false) or high nibbles with their fifth bits, dotted
 *  with x's elements 4k.. (or 16 + 4k..) and added to acc. */
@inline
function fusedNib(kt: i32, qs: usize, h: v128, xp: usize, k: i32, nib: v128, b5: v128, acc: v128, hi: bool): v128 {
  const v = v128.load(qs + (<usize>k << 4));
  let w = hi ? v128.and(i16x8.shr_u(v, 4), nib) : v128.and(v, nib);
  if (kt != 0) w = v128.or(w, v128.and(shiftC(h, (hi ? 3 : 4) - 2 * k), b5));
  return i16x8.add(acc, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp + (hi ? 16 : 0) + (<usize>k << 2)), w));
}

// ---------------------------------------------------------------------------------------------

/** Scratch bytes gemm_kxl needs per thread for M tokens (K: for the interface's symmetry). */
export function gemm_kxl_scratch_bytes(M: i32, K: i32): i32 {
  return <i32>(ACC_AT + (<usize>M << 4) + <usize>((K + 255) >> 8) * 64);
}

/** Scratch bytes gemv_kxl needs per thread. */
export function gemv_kxl_scratch_bytes(K: i32): i32 {
  return gemm_kxl_scratch_bytes(1, K);
}

@inline
function product(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize, add: bool): void {
  writeConsts(scratch);
  v128.store(scratch, i8x16.splat(3), C_3);
  v128.store(scratch, i8x16.splat(0x33), C_33);
  v128.store(scratch, i8x16.splat(0x44), C_44);
  v128.store(scratch, i8x16.splat(0x10), C_10);
  const B = lowBlockElems(kt);
  const nb = K / B;
  const rec = recBytes(B);
  const tokenBytes = <usize>nb * rec;
  const gb = lowGroupBytes(kt);
  const u = scratch + U_AT;
  const accs = scratch + ACC_AT;
  const step = kt < 3 ? CHUNK32 : 1;
  const tab = accs + (<usize>M << 4);
  if (ASC_FEATURE_RELAXED_SIMD && M == 1 && kt >= 3) sumsTable(act, nb, kt, tab);
  for (let g = start >> 2; g < (end + 3) >> 2; g++) {
    for (let m: usize = 0; m < <usize>M; m++) v128.store(accs + (m << 4), f32x4.splat(0));
    let wp = w + <usize>g * <usize>nb * gb;
    if (ASC_FEATURE_RELAXED_SIMD && M == 1) {
      // One token: no unpacked copy of the weights (only the k-quants' scales).
      let acc = f32x4.splat(0);
      let ap = act;
      let tp = tab;
      for (let b = 0; b < nb; b++) {
        if (kt == 3) {
          unpackQ2ScalesFused(wp, u, scratch);
          acc = f32x4.add(acc, fusedK(3, wp, u, ap, tp, scratch));
        } else if (kt == 4) {
          unpackQ3Scales(wp, u, scratch, true);
          acc = f32x4.add(acc, fusedK(4, wp, u, ap, tp, scratch));
        } else if (kt == 0) {
          acc = f32x4.add(acc, fused32(0, wp, ap, scratch));
        } else if (kt == 1) {
          acc = f32x4.add(acc, fused32(1, wp, ap, scratch));
        } else {
          acc = f32x4.add(acc, fused32(2, wp, ap, scratch));
        }
        wp += gb;
        ap += rec;
        tp += 64;
      }
      v128.store(accs, acc);
    } else for (let b = 0; b < nb; b += step) {
      const n = min(step, nb - b);
      if (kt == 3) unpackQ2(wp, u, scratch);
      else if (kt == 4) unpackQ3(wp, u, scratch);
      else if (kt == 0) unpack32(0, wp, n, u, scratch);
      else if (kt == 1) unpack32(1, wp, n, u, scratch);
      else unpack32(2, wp, n, u, scratch);
      let ap = act + <usize>b * rec;
      let acp = accs;
      for (let m = 0; m < M; m++) {
        const acc = v128.load(acp);
        let r: v128;
        if (kt == 3) r = f32x4.add(acc, tokenK(3, u, ap));
        else if (kt == 4) r = f32x4.add(acc, tokenK(4, u, ap));
        else if (kt == 0) r = token32(0, u, ap, n, acc);
        else if (kt == 1) r = token32(1, u, ap, n, acc);
        else r = token32(2, u, ap, n, acc);
        v128.store(acp, r);
        ap += tokenBytes;
        acp += 16;
      }
      wp += <usize>n * gb;
    }
    const row0 = g << 2;
    for (let m = 0; m < M; m++) {
      const acc = v128.load(accs + (<usize>m << 4));
      const o = y + ((<usize>m * <usize>N + <usize>row0) << 2);
      if (row0 + 4 <= N) {
        v128.store(o, add ? f32x4.add(v128.load(o), acc) : acc);
      } else {
        if (row0 < N) store<f32>(o, add ? load<f32>(o) + f32x4.extract_lane(acc, 0) : f32x4.extract_lane(acc, 0));
        if (row0 + 1 < N) store<f32>(o, add ? load<f32>(o, 4) + f32x4.extract_lane(acc, 1) : f32x4.extract_lane(acc, 1), 4);
        if (row0 + 2 < N) store<f32>(o, add ? load<f32>(o, 8) + f32x4.extract_lane(acc, 2) : f32x4.extract_lane(acc, 2), 8);
      }
    }
  }
}

/** Y[M, N] = X W^T for W [N, K] of kt 0..4 (Q4_1, Q5_0, Q5_1, Q2_K, Q3_K) in the kx4 layout; act: M
 *  tokens' quantize_act_k records (B = 32 for kt < 3, else 256) back to back; y row-major [M, N].
 *  Units = rows, split at multiples of 4. Each row equals gemv_k on the GGUF blocks. */
export function gemm_kxl(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  product(w, act, y, M, N, K, kt, start, end, scratch, false);
}

/** y[N] = W x: gemm_kxl's one-token case. */
export function gemv_kxl(w: usize, act: usize, y: usize, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  product(w, act, y, 1, N, K, kt, start, end, scratch, false);
}

/** y += W x (the product's bits, then one f32 add as add_f32 does it). */
export function gemv_kxl_add(w: usize, act: usize, y: usize, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  product(w, act, y, 1, N, K, kt, start, end, scratch, true);
}
