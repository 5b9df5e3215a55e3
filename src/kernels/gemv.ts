// Matrix-vector products (decode): y[N] = W[N, K] x[K],
// W row-major like a Hugging Face linear weight.
//
// Quantized weights (x4 layout, see quant.ts) are never dequantized: x is quantized once per call
// to int8 per 32-block (quantize_act, run before the parallel product) and the products are integer
// SIMD dot products with one f32 scale multiply per block and row. Integer sums are exact, so the
// baseline SIMD128 and the relaxed-SIMD paths give bit-identical results, and
// qmatmul (qgemm.ts) matches matvec row by row.
//
// Parallel kernels take units = rows split at multiples of 4: each thread owns whole groups of 4
// rows and every row's reduction order is fixed, so results do not depend on the thread count.
import { quantizeBlock } from './actquant';
import { f16ToF32 } from './simd';

// ---------------------------------------------------------------------------------------------
// Activation records: one per 32-block, ACT_BLOCK bytes, written by quantize_act.
//   0   xq8[32]   int8 q (natural order)                         relaxed Q4 path
//   32  xabs[32]  |q| (7-bit: the i7 operand of relaxed dot)       relaxed Q8 path:
//   64  xsgn[32]  0xff where q < 0, else 0                          q.w = |q|.(w ^ sgn) + neg
//   96  xq16[32]  int16 q permuted: even 0..14 | even 16..30 | odd 1..15 | odd 17..31
//                 (matches the lanes that 16-bit shifts and masks give from 16 weight bytes)
//   160 d   f32   scale (amax / 127, kept in f32)
//   164 s8  i32   8 * sum(q)  (Q4_0 nibbles are q + 8: dot(q4 - 8, x) = dot(nibbles, x) - s8)
//   168 neg i32   sum of |q| over q < 0 (for q < 0, q.w = |q|.(~w) + |q|, and ~w never overflows)
const ACT_BLOCK: i32 = 176; // = ACT_BLOCK in src/tensor/ops/gemv.ts

/** Quantizes tokens [start, end) of x [M, K] f32 into activation records at act (stride
 *  (K / 32) * ACT_BLOCK bytes per token). d = amax / 127, q = roundf(x * (1 / d)). */
export function quantize_act(x: usize, act: usize, K: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  for (let t = start; t < end; t++) {
    let xp = x + ((<usize>t * <usize>K) << 2);
    let ap = act + <usize>t * <usize>nb * ACT_BLOCK;
    for (let b = 0; b < nb; b++) {
      quantizeBlock(ap, v128.load(xp), v128.load(xp, 16), v128.load(xp, 32), v128.load(xp, 48), v128.load(xp, 64), v128.load(xp, 80), v128.load(xp, 96), v128.load(xp, 112));
      xp += 128;
      ap += ACT_BLOCK;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** [sum a, sum b, sum c, sum d] of four i32x4 (fixed order: (l0 + l2) + (l1 + l3)). */
@inline
function hsum4i(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

@inline
function hsum4f(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

// V8 rebuilds a v128.const at each use inside a loop (3 instructions: mov, movd, shuffle) and
// sinks loop-invariant splats back into the loop. The constants therefore live in the thread's
// scratch memory, written once per call and read with one load per loop iteration.
const C_F16MASK: u32 = 0; // 0x8fffe000: sign + exponent/mantissa bits after the 3-bit arithmetic shift
const C_F16MUL: u32 = 16; // 2^112: rebias, and f16 subnormals become exact f32 values
const C_F16EXP: u32 = 32; // 0x0f800000: fp16 exponent 31 (inf / NaN)
const C_INF: u32 = 48; // 0x7f800000
const C_ONES: u32 = 64; // i16 1s: pairwise i16 -> i32 sums with i32x4.dot_i16x8_s
const C_NIB8: u32 = 80; // 0x0f bytes
const C_NIB16: u32 = 96; // 0x000f i16 lanes
const C_HI16: u32 = 112; // 0xffff0000
const C_E16: u32 = 128; // 0x7c00 i16 lanes: fp16 exponent bits
const C_HI8: u32 = 144; // 0xff00 i16 lanes
const C_NIB: u32 = ASC_FEATURE_RELAXED_SIMD ? C_NIB8 : C_NIB16;

function writeConsts(c: usize): void {
  v128.store(c, i32x4.splat(<i32>0x8fffe000), C_F16MASK);
  v128.store(c, i32x4.splat(0x77800000), C_F16MUL);
  v128.store(c, i32x4.splat(0x0f800000), C_F16EXP);
  v128.store(c, i32x4.splat(0x7f800000), C_INF);
  v128.store(c, i16x8.splat(1), C_ONES);
  v128.store(c, i8x16.splat(0x0f), C_NIB8);
  v128.store(c, i16x8.splat(0x000f), C_NIB16);
  v128.store(c, i32x4.splat(<i32>0xffff0000), C_HI16);
  v128.store(c, i16x8.splat(0x7c00), C_E16);
  v128.store(c, i16x8.splat(<i16>0xff00), C_HI8);
}

/** Four fp16 values held in bits 28..13 of i32 lanes with the sign copied into bits 31..29
 *  (i.e. sign-extended fp16 << 13) -> f32x4, with subnormals, inf and NaN. */
@inline
function f16s_to_f32(t: v128, cMask: v128, cMul: v128, cExp: v128, cInf: v128): v128 {
  const f = f32x4.mul(v128.and(t, cMask), cMul);
  // Exponent 31 (inf/NaN) became 2^16 * 1.m: set the f32 exponent to all ones, keeping payload.
  return v128.or(f, v128.and(i32x4.eq(v128.and(t, cExp), cExp), cInf));
}

/** The 4 fp16 scales of an x4 block group at p -> f32x4 (c: the constants). */
@inline
function scales4(p: usize, c: usize): v128 {
  return f16s_to_f32(i32x4.shl(v128.load16x4_s(p), 13), v128.load(c, C_F16MASK), v128.load(c, C_F16MUL), v128.load(c, C_F16EXP), v128.load(c, C_INF));
}

// Dot products of one row's 32-block with the activation block.

/** Q8_0, SIMD128, one row block (two 16-byte halves): the even weights of each i16 lane shifted up
 *  (w << 8) and the odd ones masked in place (w & 0xff00) are 256 * w exactly; i32x4.dot_i16x8_s
 *  with x. Returns an i32x4 whose lane sum is 256 * the exact dot product (at most
 *  32 * 128 * 127 * 256 < 2^31). */
@inline
function q8dotB(w0: v128, w1: v128, xe0: v128, xe1: v128, xo0: v128, xo1: v128, hi8: v128): v128 {
  const a = i32x4.dot_i16x8_s(i16x8.shl(w0, 8), xe0);
  const b = i32x4.dot_i16x8_s(v128.and(w0, hi8), xo0);
  const c = i32x4.dot_i16x8_s(i16x8.shl(w1, 8), xe1);
  const d = i32x4.dot_i16x8_s(v128.and(w1, hi8), xo1);
  return i32x4.add(i32x4.add(a, b), i32x4.add(c, d));
}

/** Q8_0, relaxed: |x| in [0, 127] is the i7 operand and w ^ sgn(x) the signed one (w, or ~w =
 *  -w - 1 where x < 0, so x.w = |x|.(w ^ sgn) + |x| there). Each i16 pair sum is at most
 *  2 * 127 * 128 in magnitude: no saturation. Returns an i32x4 whose lane sum is the dot product
 *  minus the record's neg. */
@inline
function q8dotR(w0: v128, w1: v128, a0: v128, a1: v128, s0: v128, s1: v128, ones: v128): v128 {
  const u0 = v128.xor(w0, s0);
  const u1 = v128.xor(w1, s1);
  return i32x4.add(i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(u0, a0), ones), i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(u1, a1), ones));
}

// Q4_0 rows return i16x8 partial sums of nibble * x (nibble = q + 8 in 0..15, |x| <= 127): each
// lane sums 4 products, so |lane| <= 4 * 15 * 127 = 7620 and 4 lanes still fit in i16 (hsum4w).

/** Q4_0, SIMD128: the four nibbles of each 16-bit lane are elements 2i, 2i+16, 2i+1, 2i+17. */
@inline
function q4B(v: v128, xe0: v128, xe1: v128, xo0: v128, xo1: v128, m: v128): v128 {
  const a = i16x8.mul(v128.and(v, m), xe0);
  const b = i16x8.mul(v128.and(i16x8.shr_u(v, 4), m), xe1);
  const c = i16x8.mul(v128.and(i16x8.shr_u(v, 8), m), xo0);
  const d = i16x8.mul(i16x8.shr_u(v, 12), xo1);
  return i16x8.add(i16x8.add(a, b), i16x8.add(c, d));
}

/** Q4_0, relaxed: the nibbles (0..15) are the i7 operand, x the signed one. */
@inline
function q4R(v: v128, xl: v128, xh: v128, m: v128): v128 {
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(xl, v128.and(v, m)), i16x8.relaxed_dot_i8x16_i7x16_s(xh, v128.and(i16x8.shr_u(v, 4), m)));
}

/** [sum a, sum b, sum c, sum d] of four i16x8 whose 4-lane partial sums fit in i16. */
@inline
function hsum4w(a: v128, b: v128, c: v128, d: v128, ones: v128): v128 {
  const ab = i16x8.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i16x8.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  // ab = [a: 2 lanes | b: 2 | a: 2 | b: 2]; fold the 64-bit halves, then add lane pairs in i32.
  return i32x4.dot_i16x8_s(i16x8.add(v128.shuffle<i64>(ab, cd, 0, 2), v128.shuffle<i64>(ab, cd, 1, 3)), ones);
}

/** y[row0 .. row0 + 4) += acc, rows below N only (f32 adds, as add_f32 does them). */
@inline
function storeRowsAdd(y: usize, row0: i32, N: i32, acc: v128): void {
  const o = y + (<usize>row0 << 2);
  if (row0 + 4 <= N) {
    v128.store(o, f32x4.add(v128.load(o), acc));
  } else {
    if (row0 < N) store<f32>(o, load<f32>(o) + f32x4.extract_lane(acc, 0));
    if (row0 + 1 < N) store<f32>(o, load<f32>(o, 4) + f32x4.extract_lane(acc, 1), 4);
    if (row0 + 2 < N) store<f32>(o, load<f32>(o, 8) + f32x4.extract_lane(acc, 2), 8);
  }
}

@inline
function storeRows(y: usize, row0: i32, N: i32, acc: v128): void {
  const o = y + (<usize>row0 << 2);
  if (row0 + 4 <= N) {
    v128.store(o, acc);
  } else {
    if (row0 < N) store<f32>(o, f32x4.extract_lane(acc, 0));
    if (row0 + 1 < N) store<f32>(o, f32x4.extract_lane(acc, 1), 4);
    if (row0 + 2 < N) store<f32>(o, f32x4.extract_lane(acc, 2), 8);
  }
}

// ---------------------------------------------------------------------------------------------
// Quantized GEMV. w: x4 layout [N (padded to 4), K]; act: quantize_act records of x; y: f32 [N].
//
// A GEMV streams each 4-row group's weights once and reads the whole activation vector per group,
// so the activations must stay in L1 while the weights stream past. A record is 176 bytes, of
// which a kernel reads 32 or 64 plus two scalars: at K = 4096 the records span 22 KB, the
// weights evict them, and every group refetches them from L2 (measured: 8 GB/s for a 4096 x 4096
// Q8_0 matrix from DRAM, against 20 GB/s at K = 768). So each call first copies what it reads into
// the thread's scratch: per block the 32 or 64 operand bytes (X_STRIDE apart), and a separate array
// of (d, correction) pairs. Same bytes, same arithmetic, same results.
// Tried and slower here: two row groups per pass sharing the activation loads (two weight
// streams), and tiling K so the activations stay hot (one stream per group tile): the hardware
// prefetcher keeps up with one weight stream per thread, not with several.
//
// Scales: the exact fp16 -> f32 conversion costs 4 more instructions per block (inf / NaN), so the
// loop converts finite scales only and folds every scale's exponent into a flag; a group whose
// flag shows an exponent of 31 (inf / NaN, never written by a quantizer) is recomputed with the
// exact conversion, giving the same bits as before.

const Q8_GROUP: usize = 8 + 4 * 32;
const Q4_GROUP: usize = 8 + 4 * 16;
const X_AT: usize = 256; // compact activations in scratch, after the constants (160 bytes)
const FLAG_AT: usize = 160; // the last group's exponent flag

/** Copies `bytes` (32 or 64) of each record from byte `off`, and (d, record[corr]) pairs, to the
 *  thread's scratch: operands at xs + b * stride, pairs at ds + b * 8. */
@inline
function compactAct(act: usize, nb: i32, off: usize, bytes: i32, corr: usize, xs: usize, ds: usize): void {
  let ap = act;
  let xp = xs;
  for (let b = 0; b < nb; b++) {
    v128.store(xp, v128.load(ap + off));
    v128.store(xp, v128.load(ap + off, 16), 16);
    if (bytes == 64) {
      v128.store(xp, v128.load(ap + off, 32), 32);
      v128.store(xp, v128.load(ap + off, 48), 48);
    }
    store<u32>(ds + (<usize>b << 3), load<u32>(ap, 160));
    store<u32>(ds + (<usize>b << 3), load<u32>(ap + corr), 4);
    ap += ACT_BLOCK;
    xp += <usize>bytes;
  }
}

/** The 4 scales of a group block, exact for finite fp16 values (no inf / NaN handling). */
@inline
function fastScales(p: usize, c: usize): v128 {
  return f32x4.mul(v128.and(i32x4.shl(v128.load16x4_s(p), 13), v128.load(c, C_F16MASK)), v128.load(c, C_F16MUL));
}

/** Bit 15 of a 16-bit lane of the result is set exactly where that fp16 has exponent 31 (inf /
 *  NaN): (h & 0x7c00) + 0x0400 carries into bit 15 only from 0x7c00, never into the next lane.
 *  Computed on the 4 scales as one u64, in general-purpose registers beside the SIMD work. */
@inline
function infNaNBits(p: usize): u64 {
  return (load<u64>(p) & 0x7c007c007c007c00) + 0x0400040004000400;
}

const INF_NAN_LANES: u64 = 0x8000800080008000;

/** One Q8_0 row group over all nb blocks against the compact activations. */
@inline
function q8Group(wp: usize, xs: usize, ds: usize, nb: i32, c: usize, exact: bool): v128 {
  let acc = f32x4.splat(0);
  let flag: u64 = 0;
  let xp = xs;
  let dp = ds;
  for (let b = 0; b < nb; b++) {
    const ones = v128.load(c, C_ONES);
    let isum: v128;
    if (ASC_FEATURE_RELAXED_SIMD) {
      const a0 = v128.load(xp);
      const a1 = v128.load(xp, 16);
      const s0 = v128.load(xp, 32);
      const s1 = v128.load(xp, 48);
      isum = hsum4i(
        q8dotR(v128.load(wp, 8), v128.load(wp, 24), a0, a1, s0, s1, ones),
        q8dotR(v128.load(wp, 40), v128.load(wp, 56), a0, a1, s0, s1, ones),
        q8dotR(v128.load(wp, 72), v128.load(wp, 88), a0, a1, s0, s1, ones),
        q8dotR(v128.load(wp, 104), v128.load(wp, 120), a0, a1, s0, s1, ones),
      );
      isum = i32x4.add(isum, v128.load32_splat(dp, 4));
    } else {
      const hi8 = v128.load(c, C_HI8);
      const xe0 = v128.load(xp);
      const xe1 = v128.load(xp, 16);
      const xo0 = v128.load(xp, 32);
      const xo1 = v128.load(xp, 48);
      isum = hsum4i(
        q8dotB(v128.load(wp, 8), v128.load(wp, 24), xe0, xe1, xo0, xo1, hi8),
        q8dotB(v128.load(wp, 40), v128.load(wp, 56), xe0, xe1, xo0, xo1, hi8),
        q8dotB(v128.load(wp, 72), v128.load(wp, 88), xe0, xe1, xo0, xo1, hi8),
        q8dotB(v128.load(wp, 104), v128.load(wp, 120), xe0, xe1, xo0, xo1, hi8),
      );
      isum = i32x4.shr_s(isum, 8);
    }
    let sw: v128;
    if (exact) {
      sw = scales4(wp, c);
    } else {
      sw = fastScales(wp, c);
      flag |= infNaNBits(wp);
    }
    const scale = f32x4.mul(sw, v128.load32_splat(dp));
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), scale));
    wp += Q8_GROUP;
    xp += 64;
    dp += 8;
  }
  if (!exact) store<u64>(c, flag & INF_NAN_LANES, FLAG_AT);
  return acc;
}

/** One Q4_0 row group over all nb blocks against the compact activations. */
@inline
function q4Group(wp: usize, xs: usize, ds: usize, nb: i32, c: usize, exact: bool): v128 {
  let acc = f32x4.splat(0);
  let flag: u64 = 0;
  let xp = xs;
  let dp = ds;
  for (let b = 0; b < nb; b++) {
    const ones = v128.load(c, C_ONES);
    const m = v128.load(c, C_NIB);
    let isum: v128;
    if (ASC_FEATURE_RELAXED_SIMD) {
      const xl = v128.load(xp);
      const xh = v128.load(xp, 16);
      isum = hsum4w(q4R(v128.load(wp, 8), xl, xh, m), q4R(v128.load(wp, 24), xl, xh, m), q4R(v128.load(wp, 40), xl, xh, m), q4R(v128.load(wp, 56), xl, xh, m), ones);
    } else {
      const xe0 = v128.load(xp);
      const xe1 = v128.load(xp, 16);
      const xo0 = v128.load(xp, 32);
      const xo1 = v128.load(xp, 48);
      isum = hsum4w(q4B(v128.load(wp, 8), xe0, xe1, xo0, xo1, m), q4B(v128.load(wp, 24), xe0, xe1, xo0, xo1, m), q4B(v128.load(wp, 40), xe0, xe1, xo0, xo1, m), q4B(v128.load(wp, 56), xe0, xe1, xo0, xo1, m), ones);
    }
    isum = i32x4.sub(isum, v128.load32_splat(dp, 4));
    let sw: v128;
    if (exact) {
      sw = scales4(wp, c);
    } else {
      sw = fastScales(wp, c);
      flag |= infNaNBits(wp);
    }
    const scale = f32x4.mul(sw, v128.load32_splat(dp));
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), scale));
    wp += Q4_GROUP;
    xp += X_STRIDE_Q4;
    dp += 8;
  }
  if (!exact) store<u64>(c, flag & INF_NAN_LANES, FLAG_AT);
  return acc;
}

// Record bytes each path reads: Q8_0 relaxed |q| and sgn (32..95), SIMD128 xq16 (96..159);
// Q4_0 relaxed xq8 (0..31), SIMD128 xq16. Corrections: Q8_0 relaxed neg (168), Q4_0 s8 (164).
const X_OFF_Q8: usize = ASC_FEATURE_RELAXED_SIMD ? 32 : 96;
const X_OFF_Q4: usize = ASC_FEATURE_RELAXED_SIMD ? 0 : 96;
const X_STRIDE_Q4: usize = ASC_FEATURE_RELAXED_SIMD ? 32 : 64;

/** Scratch bytes a quantized GEMV needs per thread for K inputs. */
export function gemv_q_scratch_bytes(K: i32): i32 {
  return <i32>X_AT + (K >> 5) * (64 + 8);
}

/** y[r] = (W act)[r] for rows [start, end) (split at multiples of 4); `add` != 0 adds to y instead. */
@inline
function gemvQ(w: usize, act: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize, q8: bool, add: bool): void {
  const nb = K >> 5;
  writeConsts(scratch);
  const xs = scratch + X_AT;
  const ds = xs + (<usize>nb << 6);
  if (q8) compactAct(act, nb, X_OFF_Q8, 64, ASC_FEATURE_RELAXED_SIMD ? 168 : 160, xs, ds);
  else compactAct(act, nb, X_OFF_Q4, <i32>X_STRIDE_Q4, 164, xs, ds);
  const gbytes = q8 ? Q8_GROUP : Q4_GROUP;
  for (let g = start >> 2; g < (end + 3) >> 2; g++) {
    const wp = w + <usize>g * <usize>nb * gbytes;
    let acc = q8 ? q8Group(wp, xs, ds, nb, scratch, false) : q4Group(wp, xs, ds, nb, scratch, false);
    if (load<u64>(scratch, FLAG_AT) != 0) acc = q8 ? q8Group(wp, xs, ds, nb, scratch, true) : q4Group(wp, xs, ds, nb, scratch, true);
    if (add) storeRowsAdd(y, g << 2, N, acc);
    else storeRows(y, g << 2, N, acc);
  }
}

export function gemv_q8_0(w: usize, act: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemvQ(w, act, y, N, K, start, end, scratch, true, false);
}

export function gemv_q4_0(w: usize, act: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemvQ(w, act, y, N, K, start, end, scratch, false, false);
}

/** y += W act (the residual stream: the same sum as gemv_q8_0 then add_f32). */
export function gemv_q8_0_add(w: usize, act: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemvQ(w, act, y, N, K, start, end, scratch, true, true);
}

export function gemv_q4_0_add(w: usize, act: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemvQ(w, act, y, N, K, start, end, scratch, false, true);
}

// ---------------------------------------------------------------------------------------------
// Plain-type GEMV: f32, f16, bf16 weights [N, K] row-major, any K; x f32 [K]. Rows past N in the
// last group reuse row N - 1 (computed, not stored), so every row runs the same code.

@inline
function rowPtr(w: usize, r: i32, N: i32, rowBytes: usize): usize {
  return w + <usize>min(r, N - 1) * rowBytes;
}

/** One row's dot product as gemv_f32 always formed it: one 4-lane accumulator over K & ~3, lanes
 *  folded (l0 + l2) + (l1 + l3), then the tail's products added in order. */
@inline
function foldTail(c: v128, p: usize, x: usize, K4: i32, K: i32): f32 {
  let s = (f32x4.extract_lane(c, 0) + f32x4.extract_lane(c, 2)) + (f32x4.extract_lane(c, 1) + f32x4.extract_lane(c, 3));
  for (let k = K4; k < K; k++) s += load<f32>(p + (<usize>k << 2)) * load<f32>(x + (<usize>k << 2));
  return s;
}

/** y[r] = W[r] . x (or y[r] += with add) for rows [start, min(end, N)). The rows are cut into four
 *  quarters walked in step: four long sequential weight streams (the prefetcher keeps up with
 *  those; four neighbouring rows of 3 KB each restart four short streams per group and ran at
 *  half the read bandwidth) and four independent accumulators. */
@inline
function gemvF32(w: usize, x: usize, y: usize, N: i32, K: i32, start: i32, end: i32, add: bool): void {
  const rb = <usize>K << 2;
  const K4 = K & ~3;
  const kb = <usize>K4 << 2;
  const e = min(end, N);
  const q = (e - start) >> 2;
  const qb = <usize>q * rb;
  for (let i = 0; i < q; i++) {
    const r = start + i;
    const pa = w + <usize>r * rb;
    const pb = pa + qb;
    const pc = pb + qb;
    const pd = pc + qb;
    let ca = f32x4.splat(0), cb = f32x4.splat(0), cc = f32x4.splat(0), cd = f32x4.splat(0);
    for (let o: usize = 0; o < kb; o += 16) {
      const xv = v128.load(x + o);
      ca = f32x4.add(ca, f32x4.mul(v128.load(pa + o), xv));
      cb = f32x4.add(cb, f32x4.mul(v128.load(pb + o), xv));
      cc = f32x4.add(cc, f32x4.mul(v128.load(pc + o), xv));
      cd = f32x4.add(cd, f32x4.mul(v128.load(pd + o), xv));
    }
    storeRow(y, r, foldTail(ca, pa, x, K4, K), add);
    storeRow(y, r + q, foldTail(cb, pb, x, K4, K), add);
    storeRow(y, r + 2 * q, foldTail(cc, pc, x, K4, K), add);
    storeRow(y, r + 3 * q, foldTail(cd, pd, x, K4, K), add);
  }
  for (let r = start + 4 * q; r < e; r++) {
    const p = w + <usize>r * rb;
    let c = f32x4.splat(0);
    for (let o: usize = 0; o < kb; o += 16) c = f32x4.add(c, f32x4.mul(v128.load(p + o), v128.load(x + o)));
    storeRow(y, r, foldTail(c, p, x, K4, K), add);
  }
}

@inline
function storeRow(y: usize, r: i32, v: f32, add: bool): void {
  const o = y + (<usize>r << 2);
  store<f32>(o, add ? load<f32>(o) + v : v);
}

export function gemv_f32(w: usize, x: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemvF32(w, x, y, N, K, start, end, false);
}

/** y += W x (the residual stream: the same sum as gemv_f32 then add_f32). */
export function gemv_f32_add(w: usize, x: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemvF32(w, x, y, N, K, start, end, true);
}

/** acc + 8 fp16 weights (one 16-byte load, even/odd halves of each i32 lane) times x (even/odd). */
@inline
function f16acc(acc: v128, v: v128, xe: v128, xo: v128, cMask: v128, cMul: v128, cExp: v128, cInf: v128, special: bool): v128 {
  // (h << 16) >> 3 (arithmetic) puts the fp16 bits at 28..13 with the sign copied above; the odd
  // half is already in the top 16 bits, and the mask drops the even half's bits below it.
  const te = i32x4.shr_s(i32x4.shl(v, 16), 3);
  const to = i32x4.shr_s(v, 3);
  let we: v128, wo: v128;
  if (special) {
    we = f16s_to_f32(te, cMask, cMul, cExp, cInf);
    wo = f16s_to_f32(to, cMask, cMul, cExp, cInf);
  } else {
    we = f32x4.mul(v128.and(te, cMask), cMul);
    wo = f32x4.mul(v128.and(to, cMask), cMul);
  }
  return f32x4.add(f32x4.add(acc, f32x4.mul(we, xe)), f32x4.mul(wo, xo));
}

@inline
function half(p: usize, bf: bool): f32 {
  const h = <u32>load<u16>(p);
  return bf ? reinterpret<f32>(h << 16) : f16ToF32(h);
}

@inline
function gemv16(w: usize, x: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize, bf: bool): void {
  const rb = <usize>K << 1;
  const K8 = K & ~7;
  writeConsts(scratch);
  for (let g = start >> 2; g < (end + 3) >> 2; g++) {
    const r = g << 2;
    const p0 = rowPtr(w, r, N, rb), p1 = rowPtr(w, r + 1, N, rb), p2 = rowPtr(w, r + 2, N, rb), p3 = rowPtr(w, r + 3, N, rb);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (let k = 0; k < K8; k += 8) {
      const cMask = v128.load(scratch, C_F16MASK), cMul = v128.load(scratch, C_F16MUL);
      const cExp = v128.load(scratch, C_F16EXP), cInf = v128.load(scratch, C_INF);
      const hiMask = v128.load(scratch, C_HI16);
      const xa = v128.load(x + (<usize>k << 2));
      const xb = v128.load(x + (<usize>k << 2), 16);
      // 16 bytes of halves = 4 i32 lanes of (even element | odd element << 16).
      const xe = v128.shuffle<i32>(xa, xb, 0, 2, 4, 6);
      const xo = v128.shuffle<i32>(xa, xb, 1, 3, 5, 7);
      const o = <usize>k << 1;
      const v0 = v128.load(p0 + o), v1 = v128.load(p1 + o), v2 = v128.load(p2 + o), v3 = v128.load(p3 + o);
      if (bf) {
        c0 = f32x4.add(f32x4.add(c0, f32x4.mul(i32x4.shl(v0, 16), xe)), f32x4.mul(v128.and(v0, hiMask), xo));
        c1 = f32x4.add(f32x4.add(c1, f32x4.mul(i32x4.shl(v1, 16), xe)), f32x4.mul(v128.and(v1, hiMask), xo));
        c2 = f32x4.add(f32x4.add(c2, f32x4.mul(i32x4.shl(v2, 16), xe)), f32x4.mul(v128.and(v2, hiMask), xo));
        c3 = f32x4.add(f32x4.add(c3, f32x4.mul(i32x4.shl(v3, 16), xe)), f32x4.mul(v128.and(v3, hiMask), xo));
      } else {
        // inf/NaN (exponent 31) are rare: one test for the 4 rows' 32 halves picks the exact but
        // slower conversion; both give the same values for finite halves.
        const e16 = v128.load(scratch, C_E16);
        const sp = v128.or(
          v128.or(i16x8.eq(v128.and(v0, e16), e16), i16x8.eq(v128.and(v1, e16), e16)),
          v128.or(i16x8.eq(v128.and(v2, e16), e16), i16x8.eq(v128.and(v3, e16), e16)),
        );
        if (v128.any_true(sp)) {
          c0 = f16acc(c0, v0, xe, xo, cMask, cMul, cExp, cInf, true);
          c1 = f16acc(c1, v1, xe, xo, cMask, cMul, cExp, cInf, true);
          c2 = f16acc(c2, v2, xe, xo, cMask, cMul, cExp, cInf, true);
          c3 = f16acc(c3, v3, xe, xo, cMask, cMul, cExp, cInf, true);
        } else {
          c0 = f16acc(c0, v0, xe, xo, cMask, cMul, cExp, cInf, false);
          c1 = f16acc(c1, v1, xe, xo, cMask, cMul, cExp, cInf, false);
          c2 = f16acc(c2, v2, xe, xo, cMask, cMul, cExp, cInf, false);
          c3 = f16acc(c3, v3, xe, xo, cMask, cMul, cExp, cInf, false);
        }
      }
    }
    let s = hsum4f(c0, c1, c2, c3);
    for (let k = K8; k < K; k++) {
      const o = <usize>k << 1;
      const xs = load<f32>(x + (<usize>k << 2));
      let t = f32x4.splat(0);
      t = f32x4.replace_lane(t, 0, half(p0 + o, bf) * xs);
      t = f32x4.replace_lane(t, 1, half(p1 + o, bf) * xs);
      t = f32x4.replace_lane(t, 2, half(p2 + o, bf) * xs);
      t = f32x4.replace_lane(t, 3, half(p3 + o, bf) * xs);
      s = f32x4.add(s, t);
    }
    storeRows(y, r, N, s);
  }
}

export function gemv_f16(w: usize, x: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemv16(w, x, y, N, K, start, end, scratch, false);
}

export function gemv_bf16(w: usize, x: usize, y: usize, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  gemv16(w, x, y, N, K, start, end, scratch, true);
}
