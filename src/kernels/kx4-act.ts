// Helpers shared by the kx4 GEMV (kquant-x4.ts) and the batched kx4 product (kquant-x4-gemm.ts):
// SIMD constants kept in scratch, the exact fp16 conversion and the compact activation record.
// Not a kernel entry point (index.ts does not re-export it).

// ---------------------------------------------------------------------------------------------
// Constants in scratch (V8 rebuilds a v128.const at every use inside a loop).

export const C_NIB: usize = 0; // 0x0f bytes
export const C_SIX: usize = 16; // 0x3f bytes: Q6_K's 6-bit values
export const C_F16MASK: usize = 32; // 0x8fffe000
export const C_F16MUL: usize = 48; // 2^112
export const C_F16EXP: usize = 64; // 0x0f800000
export const C_INF: usize = 80; // 0x7f800000
export const C_FIVE: usize = 96; // 0x1f bytes: Q5_K's 5-bit values
export const X_AT: usize = 112; // compact activations (after the constants)

export function writeConsts(c: usize): void {
  v128.store(c, i8x16.splat(0x0f), C_NIB);
  v128.store(c, i32x4.splat(<i32>0x8fffe000), C_F16MASK);
  v128.store(c, i32x4.splat(0x77800000), C_F16MUL);
  v128.store(c, i32x4.splat(0x0f800000), C_F16EXP);
  v128.store(c, i32x4.splat(0x7f800000), C_INF);
  v128.store(c, i8x16.splat(0x3f), C_SIX);
  v128.store(c, i8x16.splat(0x1f), C_FIVE);
}

/** 4 fp16 at p -> f32x4, exact (subnormals, inf, NaN): gemv.ts's conversion. */
@inline
export function f16x4(p: usize, c: usize): v128 {
  const t = i32x4.shl(v128.load16x4_s(p), 13);
  const f = f32x4.mul(v128.and(t, v128.load(c, C_F16MASK)), v128.load(c, C_F16MUL));
  const e = v128.load(c, C_F16EXP);
  return v128.or(f, v128.and(i32x4.eq(v128.and(t, e), e), v128.load(c, C_INF)));
}

// Compact activation record per super-block, in scratch: the q operand (relaxed: int8 q[256];
// SIMD128: int16 q[256]), then 16 i32 "pairs" of i16 (Q4_K: sub-block s's two 16-value sums of q in
// pairs 0..7; Q6_K: -16 times each 16-value sum, twice), then f32 d.
export const XQ_BYTES: usize = ASC_FEATURE_RELAXED_SIMD ? 256 : 512;
export const XREC: usize = XQ_BYTES + 64 + 16;
// quantize_act_k's record for B = 256: int16 q at 0, int8 q at 512, i32 sums at 768, f32 d at 832.
export const ACT_REC: usize = 848;


export function compactAct(act: usize, nb: i32, kt: i32, xs: usize): void {
  let ap = act;
  let xp = xs;
  for (let b = 0; b < nb; b++) {
    const q = ap + (ASC_FEATURE_RELAXED_SIMD ? 512 : 0);
    for (let o: usize = 0; o < XQ_BYTES; o += 16) v128.store(xp + o, v128.load(q + o));
    const s = ap + 768;
    const pp = xp + XQ_BYTES;
    if (kt != 7) {
      // i32 sums 0..15 narrowed to i16 in order: i32 lane s holds (sum 2s, sum 2s + 1).
      v128.store(pp, i16x8.narrow_i32x4_s(v128.load(s), v128.load(s, 16)));
      v128.store(pp, i16x8.narrow_i32x4_s(v128.load(s, 32), v128.load(s, 48)), 16);
    } else {
      // (-16 sum, -16 sum) as i16 (|16 sum| <= 16 * 16 * 127 < 2^15): one dot with the scales
      // subtracts 32 sc sum.
      for (let o: usize = 0; o < 64; o += 16) {
        const t = v128.and(i32x4.mul(v128.load(s + o), i32x4.splat(-16)), i32x4.splat(0xffff));
        v128.store(pp + o, v128.or(t, i32x4.shl(t, 16)));
      }
    }
    store<f32>(pp + 64, load<f32>(ap + 832));
    ap += ACT_REC;
    xp += XREC;
  }
}


// The relaxed build's Q6_K GEMV record (compactAct6), per super-block: for each sub-block pair
// (2t, 2t + 1) one 80-byte step: for each of the two sub-blocks the int8 q of its elements 0..7
// twice (16 bytes), then of 8..15 twice (the operands of the 8-byte row-pair interleave,
// kx4-layout.ts); then one i16x8 correction [cE, cO, cE, cO] of 2t, then of 2t + 1, cE = -32 sum(q)
// over the sub-block's elements {0, 1, 4, 5, 8, 9, 12, 13} and cO over the other 8 (the lanes the
// GEMV's fold gives each row). Then f32 d.
export const X6_STEP: usize = 80;
export const X6_D: usize = 640;
export const X6REC: usize = 656;

/** compactAct's Q6_K record for the relaxed build (layout above). */
export function compactAct6(act: usize, nb: i32, xs: usize): void {
  let ap = act;
  let xp = xs;
  const ones = i16x8.splat(1);
  const m32 = i32x4.splat(-32);
  for (let b = 0; b < nb; b++) {
    for (let t: usize = 0; t < 8; t++) {
      const q8 = ap + 512 + (t << 5);
      const o = xp + t * X6_STEP;
      v128.store(o, v128.load64_splat(q8));
      v128.store(o, v128.load64_splat(q8 + 8), 16);
      v128.store(o, v128.load64_splat(q8 + 16), 32);
      v128.store(o, v128.load64_splat(q8 + 24), 48);
      // int16 q of sub-blocks 2t and 2t + 1: elements j and 8 + j added, then pairs: [E, O, E, O] halves.
      const q16 = ap + (t << 6);
      const a = i32x4.dot_i16x8_s(i16x8.add(v128.load(q16), v128.load(q16, 16)), ones);
      const b2 = i32x4.dot_i16x8_s(i16x8.add(v128.load(q16, 32), v128.load(q16, 48)), ones);
      const e0 = i32x4.mul(i32x4.add(a, v128.shuffle<i32>(a, a, 2, 3, 0, 1)), m32);
      const e1 = i32x4.mul(i32x4.add(b2, v128.shuffle<i32>(b2, b2, 2, 3, 0, 1)), m32);
      // |32 sum of 8 q| <= 32512: the narrowing is exact.
      v128.store(o, i16x8.narrow_i32x4_s(e0, e1), 64);
    }
    store<f32>(xp + X6_D, load<f32>(ap + 832));
    ap += ACT_REC;
    xp += X6REC;
  }
}

// The relaxed build's Q5_K GEMV record (compactAct5), per super-block: for each sub-block s and
// k = 0..3 the int8 q of its elements 8k..8k+7 twice (16 bytes at 64s + 16k), 512 bytes; then
// compactAct's 16 i16 pairs (sums of q per 16) at X5_PAIRS; then f32 d.
export const X5_PAIRS: usize = 512;
export const X5_D: usize = 544;
export const X5REC: usize = 560;

/** compactAct's Q5_K record for the relaxed build (layout above). */
export function compactAct5(act: usize, nb: i32, xs: usize): void {
  let ap = act;
  let xp = xs;
  for (let b = 0; b < nb; b++) {
    const q8 = ap + 512;
    for (let o: usize = 0; o < 256; o += 8) v128.store(xp + (o << 1), v128.load64_splat(q8 + o));
    const s = ap + 768;
    v128.store(xp + X5_PAIRS, i16x8.narrow_i32x4_s(v128.load(s), v128.load(s, 16)));
    v128.store(xp + X5_PAIRS, i16x8.narrow_i32x4_s(v128.load(s, 32), v128.load(s, 48)), 16);
    store<f32>(xp + X5_D, load<f32>(ap + 832));
    ap += ACT_REC;
    xp += X5REC;
  }
}

export const XSTEP: usize = ASC_FEATURE_RELAXED_SIMD ? 1 : 2; // operand bytes per element

// ---------------------------------------------------------------------------------------------
// Duplicating i16 lanes.

/** [v0, v0, v1, v1, v2, v2, v3, v3] of the low i16 lanes of v. */
@inline
export function dupLo(v: v128): v128 {
  return v128.shuffle<i16>(v, v, 0, 8, 1, 9, 2, 10, 3, 11);
}

/** [v4, v4, v5, v5, v6, v6, v7, v7]. */
@inline
export function dupHi(v: v128): v128 {
  return v128.shuffle<i16>(v, v, 4, 12, 5, 13, 6, 14, 7, 15);
}

