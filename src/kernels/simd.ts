// Shared inline helpers for the kernels: half-precision codecs, a table-free exp and reductions.
// Not re-exported from index.ts: these take v128 values, which JavaScript cannot pass.
// Everything here is branch-free per lane and uses no lookup tables (kernels have no static data).

// ---- half precision --------------------------------------------------------------------------

/** 4 f16 bit patterns (u16 in i32 lanes) -> 4 f32 (as v128). Exact for every input. */
// @ts-ignore: decorator
@inline export function f16x4ToF32(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const em = v128.and(h, i32x4.splat(0x7fff));
  // Normal numbers: move exponent+mantissa into place and rebias the exponent (127 - 15).
  const shifted = i32x4.shl(em, 13);
  const normal = i32x4.add(shifted, i32x4.splat(112 << 23));
  // Inf/NaN: rebias once more so the exponent saturates to 255 (payload keeps its place).
  const infnan = i32x4.add(normal, i32x4.splat(112 << 23));
  // Subnormal (and zero): m * 2^-24, computed exactly as (2^-14 * (1 + m/1024)) - 2^-14.
  const sub = f32x4.sub(i32x4.add(shifted, i32x4.splat(113 << 23)), i32x4.splat(113 << 23));
  let r = v128.bitselect(infnan, normal, i32x4.ge_s(em, i32x4.splat(0x7c00)));
  r = v128.bitselect(sub, r, i32x4.lt_s(em, i32x4.splat(0x0400)));
  return v128.or(r, sign);
}

/**
 * 4 f32 -> 4 f16 bit patterns (in i32 lanes), round to nearest even. Overflow gives inf; NaN
 * stays NaN with its sign, quiet bit set and the top 9 payload bits kept (what x86 F16C does).
 */
// @ts-ignore: decorator
@inline export function f32x4ToF16(x: v128): v128 {
  const sign = i32x4.shr_u(v128.and(x, i32x4.splat(0x80000000)), 16);
  const a = v128.and(x, i32x4.splat(0x7fffffff));
  // NaN/inf and anything >= 65536: inf, or a quiet NaN.
  const nan = v128.or(i32x4.splat(0x7e00), i32x4.shr_u(v128.and(a, i32x4.splat(0x007fffff)), 13));
  const big = v128.bitselect(nan, i32x4.splat(0x7c00), i32x4.gt_s(a, i32x4.splat(0x7f800000)));
  // Below 2^-14 (f16 subnormal range): adding 0.5 lets the FPU round to the 2^-24 grid (RNE),
  // the result's low mantissa bits are then the f16 bits.
  const magic = i32x4.splat(((127 - 15) + (23 - 10) + 1) << 23);
  const sub = i32x4.sub(f32x4.add(a, magic), magic);
  // Normal range: rebias, add 0xfff plus the lowest kept bit (ties to even), then shift.
  const odd = v128.and(i32x4.shr_u(a, 13), i32x4.splat(1));
  const norm = i32x4.shr_u(i32x4.add(i32x4.add(a, i32x4.splat(((15 - 127) << 23) + 0xfff)), odd), 13);
  let r = v128.bitselect(sub, norm, i32x4.lt_s(a, i32x4.splat(113 << 23)));
  r = v128.bitselect(big, r, i32x4.ge_s(a, i32x4.splat((127 + 16) << 23)));
  return v128.or(r, sign);
}

/** 4 bf16 bit patterns (u16 in i32 lanes) -> 4 f32. */
// @ts-ignore: decorator
@inline export function bf16x4ToF32(h: v128): v128 {
  return i32x4.shl(h, 16);
}

/** 4 f32 -> 4 bf16 bit patterns, round to nearest even; NaN stays NaN (quiet bit forced). */
// @ts-ignore: decorator
@inline export function f32x4ToBf16(x: v128): v128 {
  const odd = v128.and(i32x4.shr_u(x, 16), i32x4.splat(1));
  const rounded = i32x4.shr_u(i32x4.add(i32x4.add(x, i32x4.splat(0x7fff)), odd), 16);
  const nan = v128.or(i32x4.shr_u(x, 16), i32x4.splat(0x0040));
  const isNan = i32x4.gt_s(v128.and(x, i32x4.splat(0x7fffffff)), i32x4.splat(0x7f800000));
  return v128.bitselect(nan, rounded, isNan);
}

/** Loads 4 u16 into i32 lanes. */
// @ts-ignore: decorator
@inline export function load4u16(p: usize): v128 {
  return v128.load16x4_u(p);
}

/** Stores the low 16 bits of 4 i32 lanes (values are 0..0xffff) as 4 u16. */
// @ts-ignore: decorator
@inline export function store4u16(p: usize, v: v128): void {
  v128.store64_lane(p, i16x8.narrow_i32x4_u(v, v), 0);
}

// Scalar versions (loop tails, per-block scales). They agree with the lane functions bit for bit
// (test/tensor/ops/convert.test.ts checks all 65536 halves and the rounding cases through both).

/** 2^112: rebiases a binary16 exponent placed in an f32 (and makes f16 subnormals exact f32 values). */
const F16_REBIAS: f32 = reinterpret<f32>(<u32>0x77800000);

// @ts-ignore: decorator
@inline export function f16ToF32(h: u32): f32 {
  const e = (h & 0x7fff) << 13;
  let f = reinterpret<f32>(e) * F16_REBIAS;
  if (e >= 0x0f800000) f = reinterpret<f32>(e | 0x7f800000); // inf / NaN keep their payload
  return reinterpret<f32>(reinterpret<u32>(f) | ((h & 0x8000) << 16));
}

/** f32 -> fp16 bits, round to nearest even (what F16C's vcvtps2ph and ggml's fallback do). */
// @ts-ignore: decorator
@inline export function f32ToF16(f: f32): u32 {
  const x = reinterpret<u32>(f);
  const sign = (x >> 16) & 0x8000;
  const ax = x & 0x7fffffff;
  if (ax >= 0x47800000) {
    // >= 65536 (or inf/NaN): inf, or a quiet NaN keeping the top payload bits.
    if (ax > 0x7f800000) return sign | 0x7e00 | ((ax >> 13) & 0x3ff);
    return sign | 0x7c00;
  }
  if (ax < 0x38800000) {
    // Below the smallest normal half: adding 0.5 aligns the mantissa so the FPU's own
    // round-to-nearest-even does the rounding to a multiple of 2^-24.
    const magic: u32 = 0x3f000000; // 0.5f: ((127 - 15) + (23 - 10) + 1) << 23
    const r = reinterpret<f32>(ax) + reinterpret<f32>(magic);
    return sign | (reinterpret<u32>(r) - magic);
  }
  const odd = (ax >> 13) & 1;
  // Rebias the exponent and round: + 0xfff + odd rounds half to even; a carry out of the
  // mantissa bumps the exponent (and 65520..65535 become inf), which is the right answer.
  return sign | ((ax - (<u32>(127 - 15) << 23) + 0xfff + odd) >> 13);
}
// @ts-ignore: decorator
@inline export function bf16ToF32(h: u32): f32 {
  return reinterpret<f32>(h << 16);
}
// @ts-ignore: decorator
@inline export function f32ToBf16(x: f32): u32 {
  return <u32>i32x4.extract_lane(f32x4ToBf16(f32x4.splat(x)), 0);
}

// ---- exp ---------------------------------------------------------------------------------------

/**
 * exp of 4 f32 lanes, within about 2 ulp (Cephes expf polynomial, Cody-Waite reduction).
 * Correct down to the subnormal range and up to overflow (inf); NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function expf4(x0: v128): v128 {
  // Outside [-104, 89] the result is 0 or inf anyway; clamping keeps 2^n representable below.
  // pmax / pmin (one maxps / minps each) clamp like max / min here (the bounds are not zeros) and
  // keep NaN, which is the first operand; V8 expands max / min into NaN-propagating sequences.
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const nf = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  // r = x - n*ln2 in two steps: 0.693359375 has few mantissa bits, so n*C1 is exact.
  let r = f32x4.sub(x, f32x4.mul(nf, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(nf, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  const e = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0));
  // 2^n as two factors so n in [-150, 129] never leaves the normal exponent range of one factor.
  // nf is an integer in [-151, 129]: adding 1.5 * 2^23 puts it in the low mantissa bits exactly
  // (cheaper than trunc_sat, which V8 expands into a saturating sequence).
  const n = i32x4.sub(f32x4.add(nf, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(e, s1), s2);
}

// @ts-ignore: decorator
@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

// ---- reductions --------------------------------------------------------------------------------

/** Lane sum in a fixed order: (l0 + l1) + (l2 + l3). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Largest lane (NaN lanes propagate). */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * Dot product of n f32 from a and b: two lane accumulators over blocks of 8 (two dependency chains
 * hide the add latency), then blocks of 4, lanes summed, then a scalar tail. A fixed order.
 */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, n: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

// ---- row helpers (softmax, attention) ---------------------------------------------------------

/** Largest of n f32 (n >= 1); NaN if any value is NaN. */
// @ts-ignore: decorator
@inline export function rowMax(p: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.max(m, v128.load(p + (<usize>i << 2)));
  let s = hmax(m);
  for (; i < n; i++) s = max(s, load<f32>(p + (<usize>i << 2)));
  return s;
}

/** dst[i] = exp(src[i] - m), returns the sum of dst in a fixed order. dst may be src. */
// @ts-ignore: decorator
@inline export function expShifted(src: usize, dst: usize, n: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  // Compensated (Kahan) lane sums: rows of 64000 logits or 200k cached positions would otherwise
  // lose ~1e-5 relative in a plain f32 running sum.
  let acc = f32x4.splat(0);
  let comp = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e = expf4(f32x4.sub(v128.load(src + o), vm));
    v128.store(dst + o, e);
    const y = f32x4.sub(e, comp);
    const t = f32x4.add(acc, y);
    comp = f32x4.sub(f32x4.sub(t, acc), y);
    acc = t;
  }
  let s = hsum(acc);
  // The tail goes through the same vector exp (lane 0) so every element sees one function.
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = f32x4.extract_lane(expf4(f32x4.splat(load<f32>(src + o) - m)), 0);
    store<f32>(dst + o, e);
    s += e;
  }
  return s;
}

/** p[i] /= sum for n f32. */
// @ts-ignore: decorator
@inline export function divideBy(p: usize, n: i32, sum: f32): void {
  const vs = f32x4.splat(sum);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(p + o, f32x4.div(v128.load(p + o), vs));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, load<f32>(p + o) / sum);
  }
}

/**
 * sc[s] = softmax_s(q . k_s * scale) for s in [0, len): one query row against `len` key rows
 * `kStride` bytes apart starting at kr. The forward (attention) and the backward kernels share it,
 * so the backward recomputes exactly the probabilities the forward used.
 */
// @ts-ignore: decorator
@inline export function attentionProbs(qr: usize, kr: usize, kStride: usize, len: i32, dim: i32, scale: f32, sc: usize): void {
  for (let s = 0; s < len; s++) {
    store<f32>(sc + (<usize>s << 2), dot(qr, kr, dim) * scale);
    kr += kStride;
  }
  const sum = expShifted(sc, sc, len, rowMax(sc, len));
  divideBy(sc, len, sum);
}

// ---- activations -------------------------------------------------------------------------------

/**
 * sigmoid(g) from e = exp(-|g|), so nothing overflows: g >= 0 gives 1 / (1 + e), g < 0 gives
 * e / (1 + e). silu(g) = g * sigmoid4(g) (the forward swiglu and its backward use this one function).
 */
// @ts-ignore: decorator
@inline export function sigmoid4(g: v128): v128 {
  const e = expf4(f32x4.neg(f32x4.abs(g)));
  const num = v128.bitselect(f32x4.splat(1.0), e, f32x4.ge(g, f32x4.splat(0)));
  return f32x4.div(num, f32x4.add(f32x4.splat(1.0), e));
}

// ---- logarithm ---------------------------------------------------------------------------------

/**
 * Natural log of a positive normal f64 to about 1 ulp, without lookup tables (kernels have no
 * static data; the standard library's Math.log uses tables): x = 2^e * m with m in
 * [sqrt(1/2), sqrt(2)), log m = 2 atanh(f), f = (m - 1) / (m + 1), |f| < 0.172, by its odd series.
 */
// @ts-ignore: decorator
@inline export function log64(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const f = (m - 1.0) / (m + 1.0);
  const f2 = f * f;
  // Terms f^(2k+1) / (2k+1) up to k = 11: the next one is below 2^-60 of the sum.
  let p = 1.0 / 23.0;
  p = p * f2 + 1.0 / 21.0;
  p = p * f2 + 1.0 / 19.0;
  p = p * f2 + 1.0 / 17.0;
  p = p * f2 + 1.0 / 15.0;
  p = p * f2 + 1.0 / 13.0;
  p = p * f2 + 1.0 / 11.0;
  p = p * f2 + 1.0 / 9.0;
  p = p * f2 + 1.0 / 7.0;
  p = p * f2 + 1.0 / 5.0;
  p = p * f2 + 1.0 / 3.0;
  const logm = 2.0 * f + 2.0 * f * f2 * p;
  return <f64>e * 0.6931471805599453 + logm;
}

// ---- RMSNorm (norm.ts and the fused decode kernels in decode.ts share the arithmetic) ------------

/** Sum of squares of n f32 in a fixed order (4 lanes, then lanes summed, then the tail). */
// @ts-ignore: decorator
@inline export function sumSquares(p: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    acc = f32x4.add(acc, f32x4.mul(v, v));
  }
  let s = hsum(acc);
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** rsqrt(mean(x^2) + eps) of one row, in f32. */
// @ts-ignore: decorator
@inline export function rmsScale(xr: usize, n: i32, eps: f32): f32 {
  return 1.0 / Mathf.sqrt(sumSquares(xr, n) / <f32>n + eps);
}

// ---- rounding ---------------------------------------------------------------------------------

/** roundf on 4 lanes (halves away from zero), as llama.cpp's quantizers round: trunc, then a step
 *  away from zero when the (exact) remainder is >= 0.5. Every int8 activation quantizer uses it, so
 *  they all give the same q. */
// @ts-ignore: decorator
@inline export function roundAway(v: v128): v128 {
  const t = f32x4.trunc(v);
  const r = f32x4.sub(v, t);
  const one = v128.or(f32x4.splat(1), v128.and(v, i32x4.splat(0x80000000)));
  return f32x4.add(t, v128.and(f32x4.ge(f32x4.abs(r), f32x4.splat(0.5)), one));
}
