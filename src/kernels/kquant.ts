// GGUF block types kept in GGUF's own block order in memory ("k-types"): the k-quants Q2_K, Q3_K,
// Q4_K, Q5_K, Q6_K (256-weight super-blocks) and the 32-weight Q4_1, Q5_0, Q5_1. Block layouts are
// llama.cpp's (ggml-common.h); dequantization follows its dequantize_row_* float operation order,
// so values equal llama.cpp's own.
//
// Products never dequantize: x is quantized once per call to int8 per block of B values (B = 256
// for the k-quants, 32 for the others: quantize_act_k), and each weight block's integer dot
// products with it are exact i32 sums; one f32 expression per block and row combines them with the
// block's scales. Integer sums are exact and every row's block order is fixed, so results are the
// same in the SIMD128 and relaxed builds and on any thread count.
//
// Kernel type codes (`kt`, KTYPE_CODE in src/tensor/dtype.ts):
//   0 Q4_1, 1 Q5_0, 2 Q5_1, 3 Q2_K, 4 Q3_K, 5 Q4_K, 6 Q5_K, 7 Q6_K.
import { gatherBlock, groupAt } from './kx4-layout';
import { f16ToF32, roundAway } from './simd';

@inline
function blockElems(kt: i32): i32 {
  return kt < 3 ? 32 : 256;
}

@inline
function blockBytesK(kt: i32): i32 {
  switch (kt) {
    case 0: return 20;
    case 1: return 22;
    case 2: return 24;
    case 3: return 84;
    case 4: return 110;
    case 5: return 144;
    case 6: return 176;
    default: return 210;
  }
}

@inline
function h2f(p: usize): f32 {
  return f16ToF32(<u32>load<u16>(p));
}

/** get_scale_min_k4: 6-bit scale (j < 8) of a Q4_K / Q5_K block's 12 scale bytes at q. */
@inline
function k4scale(j: i32, q: usize): i32 {
  if (j < 4) return <i32>load<u8>(q + j) & 63;
  return (<i32>load<u8>(q + j + 4) & 0xf) | ((<i32>load<u8>(q + j - 4) >> 6) << 4);
}

/** get_scale_min_k4: 6-bit min (j < 8). */
@inline
function k4min(j: i32, q: usize): i32 {
  if (j < 4) return <i32>load<u8>(q + j + 4) & 63;
  return (<i32>load<u8>(q + j + 4) >> 4) | ((<i32>load<u8>(q + j) >> 6) << 4);
}

/** Q3_K: the 16 6-bit scales (minus 32) of the 12 bytes at q, written as i8 to dst. */
@inline
function q3scales(q: usize, dst: usize): void {
  const a0 = load<u32>(q);
  const a1 = load<u32>(q, 4);
  const tmp = load<u32>(q, 8);
  const m1: u32 = 0x03030303;
  const m2: u32 = 0x0f0f0f0f;
  store<u32>(dst, (a0 & m2) | (((tmp >> 0) & m1) << 4));
  store<u32>(dst, (a1 & m2) | (((tmp >> 2) & m1) << 4), 4);
  store<u32>(dst, ((a0 >> 4) & m2) | (((tmp >> 4) & m1) << 4), 8);
  store<u32>(dst, ((a1 >> 4) & m2) | (((tmp >> 6) & m1) << 4), 12);
  v128.store(dst, i8x16.sub(v128.load(dst), i8x16.splat(32)));
}

// ---------------------------------------------------------------------------------------------
// Dequantize one block at b into f32 at y (scratch: 16 bytes for Q3_K's scales).

@inline
function fstore(y: usize, i: i32, v: f32): void {
  store<f32>(y + (<usize>i << 2), v);
}

export function dequantBlockK(kt: i32, b: usize, y: usize, scratch: usize): void {
  if (kt == 0) {
    const d = h2f(b);
    const m = h2f(b + 2);
    for (let j = 0; j < 16; j++) {
      const v = <i32>load<u8>(b + 4 + j);
      fstore(y, j, <f32>(v & 15) * d + m);
      fstore(y, j + 16, <f32>(v >> 4) * d + m);
    }
  } else if (kt == 1 || kt == 2) {
    const d = h2f(b);
    const m: f32 = kt == 2 ? h2f(b + 2) : 0;
    const hp = b + (kt == 2 ? 4 : 2);
    const qh = load<u32>(hp);
    const qs = hp + 4;
    for (let j = 0; j < 16; j++) {
      const v = <i32>load<u8>(qs + j);
      const h0 = <i32>(((qh >> <u32>j) << 4) & 0x10);
      const h1 = <i32>((qh >> <u32>(j + 12)) & 0x10);
      if (kt == 1) {
        fstore(y, j, <f32>(((v & 15) | h0) - 16) * d);
        fstore(y, j + 16, <f32>(((v >> 4) | h1) - 16) * d);
      } else {
        fstore(y, j, <f32>((v & 15) | h0) * d + m);
        fstore(y, j + 16, <f32>((v >> 4) | h1) * d + m);
      }
    }
  } else if (kt == 3) {
    const d = h2f(b + 80);
    const dmin = h2f(b + 82);
    let e = 0;
    for (let n = 0; n < 2; n++) {
      const q = b + 16 + (<usize>n << 5);
      for (let j = 0; j < 4; j++) {
        for (let hh = 0; hh < 2; hh++) {
          const sc = <i32>load<u8>(b + (e >> 4));
          const dl = d * <f32>(sc & 15);
          const ml = dmin * <f32>(sc >> 4);
          for (let l = 0; l < 16; l++) fstore(y, e + l, dl * <f32>((<i32>load<u8>(q + (hh << 4) + l) >> (j << 1)) & 3) - ml);
          e += 16;
        }
      }
    }
  } else if (kt == 4) {
    const d = h2f(b + 108);
    q3scales(b + 96, scratch);
    let e = 0;
    for (let n = 0; n < 2; n++) {
      const q = b + 32 + (<usize>n << 5);
      for (let j = 0; j < 4; j++) {
        const bit = (n << 2) + j;
        for (let hh = 0; hh < 2; hh++) {
          const dl = d * <f32>load<i8>(scratch + (e >> 4));
          for (let l = 0; l < 16; l++) {
            const i = (hh << 4) + l;
            const lo = (<i32>load<u8>(q + i) >> (j << 1)) & 3;
            const hi = (<i32>load<u8>(b + i) >> bit) & 1;
            fstore(y, e + l, dl * <f32>(lo - (hi != 0 ? 0 : 4)));
          }
          e += 16;
        }
      }
    }
  } else if (kt == 5 || kt == 6) {
    const d = h2f(b);
    const dmin = h2f(b + 2);
    const sc = b + 4;
    const qh = b + 16;
    const ql = b + (kt == 6 ? 48 : 16);
    for (let j = 0; j < 4; j++) {
      const d1 = d * <f32>k4scale(2 * j, sc);
      const m1 = dmin * <f32>k4min(2 * j, sc);
      const d2 = d * <f32>k4scale(2 * j + 1, sc);
      const m2 = dmin * <f32>k4min(2 * j + 1, sc);
      for (let l = 0; l < 32; l++) {
        const v = <i32>load<u8>(ql + (j << 5) + l);
        let h0 = 0, h1 = 0;
        if (kt == 6) {
          const h = <i32>load<u8>(qh + l);
          h0 = ((h >> (2 * j)) & 1) << 4;
          h1 = ((h >> (2 * j + 1)) & 1) << 4;
        }
        fstore(y, (j << 6) + l, d1 * <f32>((v & 15) + h0) - m1);
        fstore(y, (j << 6) + 32 + l, d2 * <f32>((v >> 4) + h1) - m2);
      }
    }
  } else {
    const d = h2f(b + 208);
    for (let n = 0; n < 2; n++) {
      const ql = b + (<usize>n << 6);
      const qh = b + 128 + (<usize>n << 5);
      const sc = b + 192 + (<usize>n << 3);
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const a = <i32>load<u8>(ql + l);
        const c = <i32>load<u8>(ql + 32 + l);
        const h = <i32>load<u8>(qh + l);
        const o = (n << 7) + l;
        fstore(y, o, d * <f32>load<i8>(sc + is) * <f32>(((a & 15) | ((h & 3) << 4)) - 32));
        fstore(y, o + 32, d * <f32>load<i8>(sc + is + 2) * <f32>(((c & 15) | (((h >> 2) & 3) << 4)) - 32));
        fstore(y, o + 64, d * <f32>load<i8>(sc + is + 4) * <f32>(((a >> 4) | (((h >> 4) & 3) << 4)) - 32));
        fstore(y, o + 96, d * <f32>load<i8>(sc + is + 6) * <f32>(((c >> 4) | (((h >> 6) & 3) << 4)) - 32));
      }
    }
  }
}

/** GGUF-order blocks of type kt at src -> f32 at dst; units = blocks. */
export function dequantize_k(src: usize, dst: usize, kt: i32, start: i32, end: i32, scratch: usize): void {
  const bb = <usize>blockBytesK(kt);
  const be = <usize>blockElems(kt);
  for (let i = start; i < end; i++) dequantBlockK(kt, src + <usize>i * bb, dst + ((<usize>i * be) << 2), scratch);
}

/** Embedding lookup: out[t, :] = row ids[t] of the table [N, K] of type kt; units = t. Ids outside
 *  [0, N) trap rather than read another tensor's bytes. */
export function dequantize_rows_k(src: usize, N: i32, K: i32, kt: i32, ids: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  const be = blockElems(kt);
  const nb = K / be;
  const rowBytes = <usize>nb * <usize>blockBytesK(kt);
  for (let t = start; t < end; t++) {
    const r = load<i32>(ids + (<usize>t << 2));
    if (r < 0 || r >= N) unreachable();
    const row = src + <usize>r * rowBytes;
    const out = dst + ((<usize>t * <usize>K) << 2);
    for (let b = 0; b < nb; b++) dequantBlockK(kt, row + <usize>b * <usize>blockBytesK(kt), out + ((<usize>(b * be)) << 2), scratch);
  }
}

/** Rows of a kx4-layout table (Q4_K, Q6_K: kx4-layout.ts) [N, K] of type kt as f32: out[t, :] =
 *  row ids[t], or row t where ids is 0 (a whole dequantization); units = t. Each block is gathered
 *  back into GGUF order in scratch (16 + 210 bytes) and dequantized as above. */
export function dequantize_rows_kx4(src: usize, N: i32, K: i32, kt: i32, ids: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 8;
  const blk = scratch + 16;
  for (let t = start; t < end; t++) {
    const r = ids != 0 ? load<i32>(ids + (<usize>t << 2)) : t;
    if (r < 0 || r >= N) unreachable();
    const out = dst + ((<usize>t * <usize>K) << 2);
    for (let b = 0; b < nb; b++) {
      gatherBlock(kt, groupAt(src, r, b, nb, kt), r & 3, blk);
      dequantBlockK(kt, blk, out + (<usize>b << 10), scratch);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Activation records, one per block of B values (B = 32 or 256), actRecordBytes(B) bytes:
//   0        i16 q[B]         q = roundf(x / d), |q| <= 127 (SIMD128 build)
//   2B       i8 q[B]          the same q (relaxed build: the signed operand of the int8 dot)
//   3B       i32 bsum[B / 16] sums of q over each 16 values
//   3B + B/4 f32 d            amax / 127
// (actRecordBytes in src/tensor/ops/kquant.ts mirrors this.)

@inline
function actRecordBytes(B: i32): usize {
  return <usize>((3 * B + B / 4 + 4 + 15) & ~15);
}

/** Quantizes tokens [start, end) of x [M, K] f32 into records of B values at act (stride
 *  (K / B) * actRecordBytes(B) per token). */
export function quantize_act_k(x: usize, act: usize, K: i32, B: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K / B;
  const rec = actRecordBytes(B);
  for (let t = start; t < end; t++) {
    let xp = x + ((<usize>t * <usize>K) << 2);
    let ap = act + <usize>t * <usize>nb * rec;
    for (let b = 0; b < nb; b++) {
      let m = f32x4.splat(0);
      for (let i = 0; i < B; i += 4) m = f32x4.max(m, f32x4.abs(v128.load(xp + (<usize>i << 2))));
      const amax = Mathf.max(Mathf.max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), Mathf.max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
      const d: f32 = amax / 127;
      const idv = f32x4.splat(d != 0 ? <f32>1 / d : 0);
      const bs = ap + <usize>(3 * B);
      for (let g = 0; g < B; g += 16) {
        const p = xp + (<usize>g << 2);
        const q0 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(p), idv)));
        const q1 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(p, 16), idv)));
        const q2 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(p, 32), idv)));
        const q3 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(p, 48), idv)));
        const h0 = i16x8.narrow_i32x4_s(q0, q1);
        const h1 = i16x8.narrow_i32x4_s(q2, q3);
        v128.store(ap + (<usize>g << 1), h0);
        v128.store(ap + (<usize>g << 1), h1, 16);
        v128.store(ap + <usize>(2 * B + g), i8x16.narrow_i16x8_s(h0, h1));
        const s4 = i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3));
        store<i32>(bs + (<usize>(g >> 4) << 2), i32x4.extract_lane(s4, 0) + i32x4.extract_lane(s4, 1) + i32x4.extract_lane(s4, 2) + i32x4.extract_lane(s4, 3));
      }
      store<f32>(bs + (<usize>(B >> 4) << 2), d);
      xp += <usize>B << 2;
      ap += rec;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dot products of one weight block with one activation record.

/** i32x4 whose lane sum is dot(16 weights w (u8 lanes in 0..127), the record's q[e .. e + 16)).
 *  Relaxed: one int8 dot (w is its 7-bit operand); SIMD128: widened to i16, two i16 dots. Both sums
 *  are exact, so the builds agree. */
@inline
function dot16(w: v128, a: usize, e: i32, B: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(a + <usize>(2 * B + e)), w));
  }
  const p = a + (<usize>e << 1);
  return i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(w), v128.load(p)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(w), v128.load(p, 16)));
}

/** i32x4 whose lane sum is sc * dot(16 weights w, q[e .. e + 16)) (relaxed: the scale multiplies
 *  the i16 pair sums inside one i32x4.dot_i16x8_s; |pair| <= 2 * 127 * 63). */
@inline
function dot16s(w: v128, a: usize, e: i32, B: i32, sc: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(a + <usize>(2 * B + e)), w), i16x8.splat(<i16>sc));
  }
  return i32x4.mul(dot16(w, a, e, B), i32x4.splat(sc));
}

/** As dot16s for 32 weights in two halves w0, w1 (q[e .. e + 32)); weights at most 31, so the two
 *  halves' i16 pair sums add without overflow (2 * 2 * 127 * 31). */
@inline
function dot32s(w0: v128, w1: v128, a: usize, e: i32, sc: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const p = a + <usize>(512 + e);
    const s = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(p), w0), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(p, 16), w1));
    return i32x4.dot_i16x8_s(s, i16x8.splat(<i16>sc));
  }
  return i32x4.mul(i32x4.add(dot16(w0, a, e, 256), dot16(w1, a, e + 16, 256)), i32x4.splat(sc));
}

@inline
function hsum(v: v128): i32 {
  return (i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 2)) + (i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 3));
}

@inline
function bsum(a: usize, B: i32, g: i32): i32 {
  return load<i32>(a + <usize>(3 * B) + (<usize>g << 2));
}

@inline
function actScale(a: usize, B: i32): f32 {
  return load<f32>(a + <usize>(3 * B + B / 4));
}

/** Q5_0 / Q5_1: 16 lanes of 0x10 where bit `first + lane` of qh is set. */
@inline
function q5high(qh: u32, first: i32): v128 {
  const bytes = i8x16.swizzle(i32x4.splat(<i32>(qh >> <u32>first)), i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const bits = v128.and(bytes, i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128));
  return v128.and(i8x16.ne(bits, i8x16.splat(0)), i8x16.splat(0x10));
}

function blockDot(kt: i32, b: usize, a: usize, scratch: usize): f32 {
  const lo4 = i8x16.splat(15);
  if (kt < 3) {
    const dx = actScale(a, 32);
    const d = h2f(b);
    let lo = v128.and(v128.load(kt == 1 ? b + 6 : b + (kt == 2 ? 8 : 4)), lo4);
    let hi = i8x16.shr_u(v128.load(kt == 1 ? b + 6 : b + (kt == 2 ? 8 : 4)), 4);
    if (kt != 0) {
      const qh = load<u32>(b + (kt == 1 ? 2 : 4));
      lo = v128.or(lo, q5high(qh, 0));
      hi = v128.or(hi, q5high(qh, 16));
    }
    let sumi = hsum(i32x4.add(dot16(lo, a, 0, 32), dot16(hi, a, 16, 32)));
    const dd = d * dx;
    // Q5_0 stores q + 16: sum((u - 16) qx) = sum(u qx) - 16 sum(qx).
    if (kt == 1) return dd * <f32>(sumi - 16 * (bsum(a, 32, 0) + bsum(a, 32, 1)));
    // Q4_1 / Q5_1: w = d q + m, so sum w x = d dx sum(q qx) + m dx sum(qx).
    return dd * <f32>sumi + h2f(b + 2) * dx * <f32>(bsum(a, 32, 0) + bsum(a, 32, 1));
  }
  const dx = actScale(a, 256);
  let acc = i32x4.splat(0);
  if (kt == 3) {
    // Q2_K: scales[16] (scale | min << 4), qs[64], d, dmin.
    let e = 0;
    let summ = 0;
    for (let g = 0; g < 16; g++) summ += (<i32>load<u8>(b + g) >> 4) * bsum(a, 256, g);
    for (let n = 0; n < 2; n++) {
      const v0 = v128.load(b + 16 + (<usize>n << 5));
      const v1 = v128.load(b + 16 + (<usize>n << 5), 16);
      for (let j = 0; j < 4; j++) {
        const s = j << 1;
        const w0 = v128.and(i8x16.shr_u(v0, s), i8x16.splat(3));
        const w1 = v128.and(i8x16.shr_u(v1, s), i8x16.splat(3));
        acc = i32x4.add(acc, dot16s(w0, a, e, 256, <i32>load<u8>(b + (e >> 4)) & 15));
        acc = i32x4.add(acc, dot16s(w1, a, e + 16, 256, <i32>load<u8>(b + ((e + 16) >> 4)) & 15));
        e += 32;
      }
    }
    return dx * h2f(b + 80) * <f32>hsum(acc) - dx * h2f(b + 82) * <f32>summ;
  }
  if (kt == 4) {
    // Q3_K: hmask[32], qs[64], scales[12], d; w = (2 low bits - (high bit ? 0 : 4)) * (scale - 32).
    q3scales(b + 96, scratch);
    // Weights held as u = w + 4 in 0..7: sum(w qx) = sum(u qx) - 4 sum(qx) per scale group.
    let corr = 0;
    for (let g = 0; g < 16; g++) corr += <i32>load<i8>(scratch + g) * bsum(a, 256, g);
    const hm0 = v128.load(b);
    const hm1 = v128.load(b, 16);
    let e = 0;
    for (let n = 0; n < 2; n++) {
      const v0 = v128.load(b + 32 + (<usize>n << 5));
      const v1 = v128.load(b + 32 + (<usize>n << 5), 16);
      for (let j = 0; j < 4; j++) {
        const s = j << 1;
        const bit = (n << 2) + j;
        const h0 = i8x16.shl(v128.and(i8x16.shr_u(hm0, bit), i8x16.splat(1)), 2);
        const h1 = i8x16.shl(v128.and(i8x16.shr_u(hm1, bit), i8x16.splat(1)), 2);
        const w0 = v128.or(v128.and(i8x16.shr_u(v0, s), i8x16.splat(3)), h0);
        const w1 = v128.or(v128.and(i8x16.shr_u(v1, s), i8x16.splat(3)), h1);
        acc = i32x4.add(acc, dot16s(w0, a, e, 256, <i32>load<i8>(scratch + (e >> 4))));
        acc = i32x4.add(acc, dot16s(w1, a, e + 16, 256, <i32>load<i8>(scratch + ((e + 16) >> 4))));
        e += 32;
      }
    }
    return dx * h2f(b + 108) * <f32>(hsum(acc) - 4 * corr);
  }
  if (kt == 5 || kt == 6) {
    // Q4_K / Q5_K: d, dmin, scales[12], (Q5_K: qh[32]), qs[128]; sub-block s of 32 has a 6-bit
    // scale and min: w = d sc q - dmin m.
    const sc = b + 4;
    const ql = b + (kt == 6 ? 48 : 16);
    let summ = 0;
    for (let s = 0; s < 8; s++) summ += k4min(s, sc) * (bsum(a, 256, 2 * s) + bsum(a, 256, 2 * s + 1));
    for (let j = 0; j < 4; j++) {
      // Bytes l of the 32: low nibbles are sub-block 2j's element l, high nibbles sub-block 2j + 1's.
      const v0 = v128.load(ql + (<usize>j << 5));
      const v1 = v128.load(ql + (<usize>j << 5), 16);
      let a0 = v128.and(v0, lo4);
      let a1 = v128.and(v1, lo4);
      let b0 = i8x16.shr_u(v0, 4);
      let b1 = i8x16.shr_u(v1, 4);
      if (kt == 6) {
        const h0 = v128.load(b + 16);
        const h1 = v128.load(b + 32);
        const bit = i8x16.splat(0x10);
        a0 = v128.or(a0, v128.and(i8x16.shl(i8x16.shr_u(h0, 2 * j), 4), bit));
        a1 = v128.or(a1, v128.and(i8x16.shl(i8x16.shr_u(h1, 2 * j), 4), bit));
        b0 = v128.or(b0, v128.and(i8x16.shl(i8x16.shr_u(h0, 2 * j + 1), 4), bit));
        b1 = v128.or(b1, v128.and(i8x16.shl(i8x16.shr_u(h1, 2 * j + 1), 4), bit));
      }
      acc = i32x4.add(acc, dot32s(a0, a1, a, j << 6, k4scale(2 * j, sc)));
      acc = i32x4.add(acc, dot32s(b0, b1, a, (j << 6) + 32, k4scale(2 * j + 1, sc)));
    }
    return dx * h2f(b) * <f32>hsum(acc) - dx * h2f(b + 2) * <f32>summ;
  }
  // Q6_K: ql[128], qh[64], scales[16] (i8), d; w = d sc (u - 32) with u in 0..63:
  // sum(sc (u - 32) qx) = sum(sc u qx) - 32 sum(sc bsum).
  let corr = 0;
  for (let g = 0; g < 16; g++) corr += <i32>load<i8>(b + 192 + g) * bsum(a, 256, g);
  for (let n = 0; n < 2; n++) {
    const ql = b + (<usize>n << 6);
    const qh = b + 128 + (<usize>n << 5);
    for (let l = 0; l < 32; l += 16) {
      const v1 = v128.load(ql + l);
      const v2 = v128.load(ql + 32 + l);
      const h = v128.load(qh + l);
      const e = (n << 7) + l;
      const m3 = i8x16.splat(0x30);
      const w1 = v128.or(v128.and(v1, lo4), v128.and(i8x16.shl(h, 4), m3));
      const w2 = v128.or(v128.and(v2, lo4), v128.and(i8x16.shl(h, 2), m3));
      const w3 = v128.or(i8x16.shr_u(v1, 4), v128.and(h, m3));
      const w4 = v128.or(i8x16.shr_u(v2, 4), v128.and(i8x16.shr_u(h, 2), m3));
      acc = i32x4.add(acc, dot16s(w1, a, e, 256, <i32>load<i8>(b + 192 + (e >> 4))));
      acc = i32x4.add(acc, dot16s(w2, a, e + 32, 256, <i32>load<i8>(b + 192 + ((e + 32) >> 4))));
      acc = i32x4.add(acc, dot16s(w3, a, e + 64, 256, <i32>load<i8>(b + 192 + ((e + 64) >> 4))));
      acc = i32x4.add(acc, dot16s(w4, a, e + 96, 256, <i32>load<i8>(b + 192 + ((e + 96) >> 4))));
    }
  }
  return dx * h2f(b + 208) * <f32>(hsum(acc) - 32 * corr);
}

/** y[N] = W[N, K] x for W of type kt in GGUF block order; act: quantize_act_k records of x with
 *  B = 32 (kt < 3) or 256. Units = rows; each row sums its blocks in order in f32. */
export function gemv_k(w: usize, act: usize, y: usize, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const B = blockElems(kt);
  const nb = K / B;
  const bb = <usize>blockBytesK(kt);
  const rec = actRecordBytes(B);
  for (let r = start; r < min(end, N); r++) {
    let wp = w + <usize>r * <usize>nb * bb;
    let ap = act;
    let s: f32 = 0;
    for (let b = 0; b < nb; b++) {
      s += blockDot(kt, wp, ap, scratch);
      wp += bb;
      ap += rec;
    }
    store<f32>(y + (<usize>r << 2), s);
  }
}
