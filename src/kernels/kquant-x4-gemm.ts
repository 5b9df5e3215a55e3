// The batched kx4 product for a few tokens (batched decode, short prompts): Y[M, N] = X[M, K] W^T
// for W of kx4 type Q4_K / Q5_K / Q6_K, each token's row equal bit for bit to gemv_kx4 on it.
//
// Per group block (4 rows, one super-block) the weights are unpacked once, into the thread's
// scratch, to u8 values (Q4_K 0..15, Q5_K 0..31, Q6_K q + 32 in 0..63) with the 4 rows interleaved
// 4 elements at a time (relaxed build: 16 bytes = elements 4k..4k+3 of rows 0..3) or 2 at a time as
// i16 (SIMD128: [r0 e, r0 e+1, r1 e, r1 e+1, ...]), next to the rows' scales duplicated per lane
// pair, the mins, and d / dmin converted to f32. Then every token's compact record (kx4-act.ts)
// is dotted against it: a splat of the token's 4 int8 (2 int16) values times one weight vector
// gives lanes already grouped by row, so a token costs a splat, a dot and an add per 16 (8) weights
// and no folding (the GEMV's per-token unpacking and row folds are paid once per M tokens; the
// weights are read from memory once). Relaxed: i16 lanes summed over at most 8 (Q4_K), 4 (Q5_K) or
// 2 (Q6_K) dots (|lane| <= 30480, 31496, 32004), then one `i32x4.dot_i16x8_s` with the scales;
// SIMD128: `i32x4.dot_i16x8_s` gives i32 per row directly, times the i32 scales.
// All integer sums are exact, and per super-block each token gets gemv_kx4's f32 expression,
// accumulated over super-blocks in the same order: the same bits as gemv_kx4 token by token, in
// both builds and on any thread count.
import { C_FIVE, C_NIB, C_SIX, compactAct, dupHi, dupLo, f16x4, writeConsts, X_AT, XQ_BYTES, XREC } from './kx4-act';
import { groupBytes } from './kx4-layout';

// The unpacked group block, after the constants (X_AT) in scratch.
const U_AT: usize = X_AT;
const U_W: usize = 0; // weights: 1024 bytes (relaxed) or 2048 (SIMD128)
const WBYTES: usize = ASC_FEATURE_RELAXED_SIMD ? 1024 : 2048;
const U_SCD: usize = WBYTES; // per sub-block: scales as i16 [s0, s0, s1, s1, s2, s2, s3, s3] (16 x 16 bytes)
const U_SCI: usize = WBYTES + 256; // SIMD128: per sub-block the scales as i32x4 (16 x 16 bytes)
const U_MIN: usize = WBYTES + 512; // Q4_K / Q5_K: per sub-block the mins as U_SCD (8 x 16 bytes)
const U_D: usize = WBYTES + 640; // d of rows 0..3 as f32x4
const U_DMIN: usize = WBYTES + 656; // dmin
const U_T: usize = WBYTES + 672; // unpacking: Q4_K one transposed 4-row set (64 bytes), Q5_K 2 x 8 operands (256 bytes)
const U_BYTES: usize = WBYTES + 928;
// Then per token an f32x4 accumulator, then the tokens' compact records.
const ACC_AT: usize = U_AT + U_BYTES;

/** Scratch bytes gemm_kx4 needs per thread for M tokens of K inputs. */
export function gemm_kx4_scratch_bytes(M: i32, K: i32): i32 {
  return <i32>(ACC_AT + <usize>M * 16 + <usize>M * <usize>(K >> 8) * XREC);
}

// ---------------------------------------------------------------------------------------------
// Unpacking one group block.

/** Stores the 16 values (u8 lanes) of rows 0..3 at weights a, b, c, d as the element group at
 *  element e0 (a multiple of 16) of the unpacked weights at u. */
@inline
function put16(u: usize, e0: usize, a: v128, b: v128, c: v128, d: v128): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // 4 x 4 transpose of i32 lanes: vector k = elements 4k..4k+3 of rows 0..3.
    const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
    const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
    const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
    const cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
    const p = u + (e0 << 2);
    v128.store(p, v128.shuffle<i64>(ab0, cd0, 0, 2));
    v128.store(p, v128.shuffle<i64>(ab0, cd0, 1, 3), 16);
    v128.store(p, v128.shuffle<i64>(ab1, cd1, 0, 2), 32);
    v128.store(p, v128.shuffle<i64>(ab1, cd1, 1, 3), 48);
  } else {
    // Widened to i16, then the same transpose of i32 lanes (pairs of elements).
    put8i16(u + (e0 << 3), i16x8.extend_low_i8x16_u(a), i16x8.extend_low_i8x16_u(b), i16x8.extend_low_i8x16_u(c), i16x8.extend_low_i8x16_u(d));
    put8i16(u + (e0 << 3) + 64, i16x8.extend_high_i8x16_u(a), i16x8.extend_high_i8x16_u(b), i16x8.extend_high_i8x16_u(c), i16x8.extend_high_i8x16_u(d));
  }
}

@inline
function put8i16(p: usize, a: v128, b: v128, c: v128, d: v128): void {
  const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
  const cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(p, v128.shuffle<i64>(ab0, cd0, 0, 2));
  v128.store(p, v128.shuffle<i64>(ab0, cd0, 1, 3), 16);
  v128.store(p, v128.shuffle<i64>(ab1, cd1, 0, 2), 32);
  v128.store(p, v128.shuffle<i64>(ab1, cd1, 1, 3), 48);
}

/** The 16 bytes of rows 0..3 at p, p + stride, p + 2 stride, p + 3 stride, transposed in 4-byte
 *  units to t (vector k: bytes 4k..4k+3 of rows 0..3): the relaxed build's unpacked order, made
 *  before the values are split out, so one transpose serves every field a byte holds. */
@inline
function tr4(p: usize, stride: usize, t: usize): void {
  const a = v128.load(p);
  const b = v128.load(p + stride);
  const c = v128.load(p + 2 * stride);
  const d = v128.load(p + 3 * stride);
  const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
  const cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(t, v128.shuffle<i64>(ab0, cd0, 0, 2));
  v128.store(t, v128.shuffle<i64>(ab0, cd0, 1, 3), 16);
  v128.store(t, v128.shuffle<i64>(ab1, cd1, 0, 2), 32);
  v128.store(t, v128.shuffle<i64>(ab1, cd1, 1, 3), 48);
}

/** Sub-block s's scale bytes (4 rows at p: u8 or i8) into U_SCD and U_SCI. */
@inline
function putScales(u: usize, s: usize, v: v128): void {
  // v: i16 lanes 0..3 = the rows' scales.
  v128.store(u + U_SCD + (s << 4), dupLo(v));
  if (!ASC_FEATURE_RELAXED_SIMD) v128.store(u + U_SCI + (s << 4), i32x4.extend_low_i16x8_s(v));
}

/** Q4_K group block at g -> unpacked at u. */
function unpackQ4(g: usize, u: usize, c: usize): void {
  const m = v128.load(c, C_NIB);
  for (let s: usize = 0; s < 8; s++) {
    const sm = v128.load8x8_u(g + 16 + (s << 3));
    putScales(u, s, sm);
    v128.store(u + U_MIN + (s << 4), dupHi(sm));
  }
  v128.store(u + U_D, f16x4(g, c));
  v128.store(u + U_DMIN, f16x4(g + 8, c));
  if (ASC_FEATURE_RELAXED_SIMD) {
    const t = u + U_T;
    for (let j: usize = 0; j < 4; j++) {
      for (let h: usize = 0; h < 32; h += 16) {
        // Low nibbles: sub-block 2j's elements h..h + 15, high nibbles 2j + 1's.
        tr4(g + 80 + (j << 7) + h, 32, t);
        const pl = u + U_W + (((j << 6) + h) << 2);
        for (let k: usize = 0; k < 64; k += 16) {
          const v = v128.load(t + k);
          v128.store(pl + k, v128.and(v, m));
          v128.store(pl + k + 128, v128.and(i16x8.shr_u(v, 4), m));
        }
      }
    }
    return;
  }
  for (let j: usize = 0; j < 4; j++) {
    for (let h: usize = 0; h < 32; h += 16) {
      // Rows 0..3's 16 bytes: low nibbles are sub-block 2j's elements h.., high nibbles 2j + 1's.
      const q = g + 80 + (j << 7) + h;
      const v0 = v128.load(q);
      const v1 = v128.load(q, 32);
      const v2 = v128.load(q, 64);
      const v3 = v128.load(q, 96);
      put16(u + U_W, (j << 6) + h, v128.and(v0, m), v128.and(v1, m), v128.and(v2, m), v128.and(v3, m));
      put16(u + U_W, (j << 6) + 32 + h, v128.and(i16x8.shr_u(v0, 4), m), v128.and(i16x8.shr_u(v1, 4), m), v128.and(i16x8.shr_u(v2, 4), m), v128.and(i16x8.shr_u(v3, 4), m));
    }
  }
}

/** Q5_K group block at g -> unpacked at u: the GEMV's operands W0..W7 of both row pairs
 *  (kx4-layout.ts), regrouped as unpackQ6 does. */
function unpackQ5(g: usize, u: usize, c: usize): void {
  const m = v128.load(c, C_FIVE);
  for (let j: usize = 0; j < 4; j++) {
    // Pair block j: [sc(s, r0), sc(s, r1), sc(s', r0), sc(s', r1), same of r2, r3, m(s, r0..r3), m(s', r0..r3)].
    const pb = v128.load(g + 16 + (j << 4));
    const ss = i16x8.extend_low_i8x16_u(v128.shuffle<u8>(pb, pb, 0, 1, 4, 5, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0));
    const st = i16x8.extend_low_i8x16_u(v128.shuffle<u8>(pb, pb, 2, 3, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0));
    putScales(u, j << 1, ss);
    v128.store(u + U_MIN + (j << 5), dupHi(ss));
    putScales(u, (j << 1) + 1, st);
    v128.store(u + U_MIN + (j << 5) + 16, dupHi(st));
    for (let p: usize = 0; p < 2; p++) {
      const q = g + 80 + j * 160 + p * 80;
      const v0 = v128.load(q), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48), v4 = v128.load(q, 64);
      const w0 = v128.and(v0, m), w1 = v128.and(v1, m), w2 = v128.and(v2, m), w3 = v128.and(v3, m), w4 = v128.and(v4, m);
      const t0 = v128.xor(v0, w0), t1 = v128.xor(v1, w1), t2 = v128.xor(v2, w2), t3 = v128.xor(v3, w3), t4 = v128.xor(v4, w4);
      // Operand k of rows 2p, 2p + 1 (elements 64j + 8k..) at 16k, for the regrouping below.
      const t = u + U_T + (p << 7);
      v128.store(t, w0);
      v128.store(t, w1, 16);
      v128.store(t, w2, 32);
      v128.store(t, w3, 48);
      v128.store(t, w4, 64);
      v128.store(t, v128.and(v128.or(i16x8.shr_u(t0, 5), i16x8.shr_u(t1, 2)), m), 80);
      v128.store(t, v128.and(v128.or(v128.or(i16x8.shr_u(t1, 7), i16x8.shr_u(t2, 4)), i16x8.shr_u(t3, 1)), m), 96);
      v128.store(t, v128.and(v128.or(i16x8.shr_u(t3, 6), i16x8.shr_u(t4, 3)), m), 112);
    }
    const t = u + U_T;
    for (let k: usize = 0; k < 8; k += 2) {
      q6quad(u, (j << 6) + (k << 3), v128.load(t + (k << 4)), v128.load(t + (k << 4), 16), v128.load(t + 128 + (k << 4)), v128.load(t + 128 + (k << 4), 16));
    }
  }
  v128.store(u + U_D, f16x4(g, c));
  v128.store(u + U_DMIN, f16x4(g + 8, c));
}

/** Q6_K group block at g -> unpacked at u (values q + 32): the GEMV's operands W0..W3 of both row
 *  pairs (kx4-layout.ts), regrouped by i32 lanes (relaxed) or rows (SIMD128). */
function unpackQ6(g: usize, u: usize, c: usize): void {
  const m = v128.load(c, C_SIX);
  for (let t: usize = 0; t < 8; t++) {
    // Scales of sub-blocks 2t, 2t + 1: i16 [s r0, s r1, s' r0, s' r1, s r2, s r3, s' r2, s' r3].
    const sc = v128.load8x8_s(g + 8 + (t << 3));
    putScales(u, t << 1, v128.shuffle<i16>(sc, sc, 0, 1, 4, 5, 0, 1, 4, 5));
    putScales(u, (t << 1) + 1, v128.shuffle<i16>(sc, sc, 2, 3, 6, 7, 2, 3, 6, 7));
    const p = g + 72 + t * 96;
    const a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32);
    const b0 = v128.load(p, 48), b1 = v128.load(p, 64), b2 = v128.load(p, 80);
    // Rows 0, 1 (a) and 2, 3 (b): elements 0..7 of sub-block 2t, 8..15, then of 2t + 1.
    q6quad(u, t << 5, v128.and(a0, m), v128.and(a1, m), v128.and(b0, m), v128.and(b1, m));
    q6quad(u, (t << 5) + 16, v128.and(a2, m), q6w3(a0, a1, a2, m), v128.and(b2, m), q6w3(b0, b1, b2, m));
  }
  v128.store(u + U_D, f16x4(g, c));
}

/** The fourth operand W3 of a step (kx4-layout.ts). */
@inline
function q6w3(v0: v128, v1: v128, v2: v128, m: v128): v128 {
  return v128.or(v128.or(i16x8.shr_u(v128.andnot(v0, m), 6), i16x8.shr_u(v128.andnot(v1, m), 4)), i16x8.shr_u(v128.andnot(v2, m), 2));
}

/** One sub-block's 16 elements (from e0) of rows 0..3 into the unpacked weights: lo01 = [r0 e0..7,
 *  r1 e0..7], hi01 the same of e8..15, lo23 / hi23 of rows 2, 3. */
@inline
function q6quad(u: usize, e0: usize, lo01: v128, hi01: v128, lo23: v128, hi23: v128): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Vector k: elements 4k..4k+3 of rows 0..3.
    const o = u + U_W + (e0 << 2);
    v128.store(o, v128.shuffle<i32>(lo01, lo23, 0, 2, 4, 6));
    v128.store(o, v128.shuffle<i32>(lo01, lo23, 1, 3, 5, 7), 16);
    v128.store(o, v128.shuffle<i32>(hi01, hi23, 0, 2, 4, 6), 32);
    v128.store(o, v128.shuffle<i32>(hi01, hi23, 1, 3, 5, 7), 48);
  } else {
    put16(u + U_W, e0, v128.shuffle<i64>(lo01, hi01, 0, 2), v128.shuffle<i64>(lo01, hi01, 1, 3), v128.shuffle<i64>(lo23, hi23, 0, 2), v128.shuffle<i64>(lo23, hi23, 1, 3));
  }
}

// ---------------------------------------------------------------------------------------------
// One token against the unpacked block.

// Offsets are immediates of the loads (wasm's i32.add before a load is not folded into the address
// by V8): each helper covers a fixed run of vectors from one base.

/** Relaxed: elements 0..7 of x (int8 at xp) against the 4 rows' vectors at wp, wp + 16: i16 lanes
 *  (2 per row), each a sum of 4 products. */
@inline
function dotsA(wp: usize, xp: usize): v128 {
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp), v128.load(wp)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 4), v128.load(wp, 16)));
}

/** Elements 8..15. */
@inline
function dotsB(wp: usize, xp: usize): v128 {
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 8), v128.load(wp, 32)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 12), v128.load(wp, 48)));
}

/** Elements 16..23. */
@inline
function dotsC(wp: usize, xp: usize): v128 {
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 16), v128.load(wp, 64)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 20), v128.load(wp, 80)));
}

/** Elements 24..31. */
@inline
function dotsD(wp: usize, xp: usize): v128 {
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 24), v128.load(wp, 96)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(xp, 28), v128.load(wp, 112)));
}

/** SIMD128: elements 0..7 of x (int16 at xp) against the rows' i16 pairs at wp: i32 per row. */
@inline
function dots8i(wp: usize, xp: usize): v128 {
  const a = i32x4.add(i32x4.dot_i16x8_s(v128.load(wp), v128.load32_splat(xp)), i32x4.dot_i16x8_s(v128.load(wp, 16), v128.load32_splat(xp, 4)));
  return i32x4.add(a, i32x4.add(i32x4.dot_i16x8_s(v128.load(wp, 32), v128.load32_splat(xp, 8)), i32x4.dot_i16x8_s(v128.load(wp, 48), v128.load32_splat(xp, 12))));
}

/** SIMD128: elements 8..15. */
@inline
function dots8j(wp: usize, xp: usize): v128 {
  const a = i32x4.add(i32x4.dot_i16x8_s(v128.load(wp, 64), v128.load32_splat(xp, 16)), i32x4.dot_i16x8_s(v128.load(wp, 80), v128.load32_splat(xp, 20)));
  return i32x4.add(a, i32x4.add(i32x4.dot_i16x8_s(v128.load(wp, 96), v128.load32_splat(xp, 24)), i32x4.dot_i16x8_s(v128.load(wp, 112), v128.load32_splat(xp, 28))));
}

/** SIMD128: 16 elements. */
@inline
function dots16i(wp: usize, xp: usize): v128 {
  return i32x4.add(dots8i(wp, xp), dots8j(wp, xp));
}

/** One token's record at xr against the unpacked Q4_K (q5 = false) or Q5_K block: gemv_kx4's
 *  f32x4. One 32-element sub-block per loop step, pointers advanced by constants. */
@inline
function tokenQ45(u: usize, xr: usize, q5: bool): v128 {
  let isum = i32x4.splat(0);
  let msum = i32x4.splat(0);
  let wp = u + U_W;
  let xp = xr;
  let sp = u;
  let pp = xr + XQ_BYTES;
  for (let s = 0; s < 8; s++) {
    if (ASC_FEATURE_RELAXED_SIMD) {
      const scd = v128.load(sp, U_SCD);
      if (q5) {
        // Lanes of 8 products reach 31496 (weights <= 31): two runs of 4 vectors.
        isum = i32x4.add(isum, i32x4.add(i32x4.dot_i16x8_s(i16x8.add(dotsA(wp, xp), dotsB(wp, xp)), scd), i32x4.dot_i16x8_s(i16x8.add(dotsC(wp, xp), dotsD(wp, xp)), scd)));
      } else {
        // Lanes of 16 products reach 30480 (weights <= 15): one run of 8 vectors.
        isum = i32x4.add(isum, i32x4.dot_i16x8_s(i16x8.add(i16x8.add(dotsA(wp, xp), dotsB(wp, xp)), i16x8.add(dotsC(wp, xp), dotsD(wp, xp))), scd));
      }
      wp += 128;
      xp += 32;
    } else {
      isum = i32x4.add(isum, i32x4.mul(i32x4.add(dots16i(wp, xp), dots16i(wp + 128, xp + 32)), v128.load(sp, U_SCI)));
      wp += 256;
      xp += 64;
    }
    msum = i32x4.add(msum, i32x4.dot_i16x8_s(v128.load(sp, U_MIN), v128.load32_splat(pp)));
    sp += 16;
    pp += 4;
  }
  const dx = v128.load32_splat(xr + XQ_BYTES + 64);
  const a = f32x4.mul(f32x4.mul(dx, v128.load(u + U_D)), f32x4.convert_i32x4_s(isum));
  const b = f32x4.mul(f32x4.mul(dx, v128.load(u + U_DMIN)), f32x4.convert_i32x4_s(msum));
  return f32x4.sub(a, b);
}

/** Q6_K: sum(sc u x) - 32 sum(sc bsum) (the record's pairs are (-16 bsum, -16 bsum)); one
 *  16-element sub-block per loop step. */
@inline
function tokenQ6(u: usize, xr: usize): v128 {
  let isum = i32x4.splat(0);
  let wp = u + U_W;
  let xp = xr;
  let sp = u;
  let pp = xr + XQ_BYTES;
  for (let s = 0; s < 16; s++) {
    const scd = v128.load(sp, U_SCD);
    if (ASC_FEATURE_RELAXED_SIMD) {
      // Lanes of 4 products reach 32004 (weights <= 63): runs of 2 vectors.
      const t = i32x4.add(i32x4.dot_i16x8_s(dotsA(wp, xp), scd), i32x4.dot_i16x8_s(dotsB(wp, xp), scd));
      isum = i32x4.add(isum, i32x4.add(t, i32x4.dot_i16x8_s(scd, v128.load32_splat(pp))));
      wp += 64;
      xp += 16;
    } else {
      const t = i32x4.mul(dots16i(wp, xp), v128.load(sp, U_SCI));
      isum = i32x4.add(isum, i32x4.add(t, i32x4.dot_i16x8_s(scd, v128.load32_splat(pp))));
      wp += 128;
      xp += 32;
    }
    sp += 16;
    pp += 4;
  }
  const dx = v128.load32_splat(xr + XQ_BYTES + 64);
  return f32x4.mul(f32x4.mul(dx, v128.load(u + U_D)), f32x4.convert_i32x4_s(isum));
}

// ---------------------------------------------------------------------------------------------

/** Y[M, N] = X W^T for W [N, K] of kx4 type kt (5 Q4_K, 6 Q5_K, 7 Q6_K); act: M tokens' quantize_act_k
 *  records (B = 256) back to back; y row-major [M, N]. Units = rows, split at multiples of 4.
 *  Token m's row equals gemv_kx4 on its record. */
export function gemm_kx4(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 8;
  writeConsts(scratch);
  const u = scratch + U_AT;
  const accs = scratch + ACC_AT;
  const xs = accs + (<usize>M << 4);
  const tokenBytes = <usize>nb * XREC;
  for (let m = 0; m < M; m++) compactAct(act + <usize>m * <usize>nb * 848, nb, kt, xs + <usize>m * tokenBytes);
  const gb = groupBytes(kt);
  for (let g = start >> 2; g < (end + 3) >> 2; g++) {
    for (let m: usize = 0; m < <usize>M; m++) v128.store(accs + (m << 4), f32x4.splat(0));
    let wp = w + <usize>g * <usize>nb * gb;
    for (let b = 0; b < nb; b++) {
      if (kt == 7) unpackQ6(wp, u, scratch);
      else if (kt == 6) unpackQ5(wp, u, scratch);
      else unpackQ4(wp, u, scratch);
      let xr = xs + <usize>b * XREC;
      let ap = accs;
      for (let m = 0; m < M; m++) {
        const r = kt == 5 ? tokenQ45(u, xr, false) : kt == 6 ? tokenQ45(u, xr, true) : tokenQ6(u, xr);
        v128.store(ap, f32x4.add(v128.load(ap), r));
        xr += tokenBytes;
        ap += 16;
      }
      wp += gb;
    }
    const row0 = g << 2;
    for (let m = 0; m < M; m++) {
      const acc = v128.load(accs + (<usize>m << 4));
      const o = y + ((<usize>m * <usize>N + <usize>row0) << 2);
      if (row0 + 4 <= N) {
        v128.store(o, acc);
      } else {
        if (row0 < N) store<f32>(o, f32x4.extract_lane(acc, 0));
        if (row0 + 1 < N) store<f32>(o, f32x4.extract_lane(acc, 1), 4);
        if (row0 + 2 < N) store<f32>(o, f32x4.extract_lane(acc, 2), 8);
      }
    }
  }
}
