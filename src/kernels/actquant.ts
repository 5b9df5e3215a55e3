// The activation record of one 32-block (see the layout in gemv.ts), written from the block's 8
// f32x4 vectors: quantize_act loads them from memory, the fused decode kernels (decode.ts) compute
// them (normalized or gated) and quantize in the same pass. One function, so every writer gives the
// same bytes. Not re-exported from index.ts (v128 parameters).
import { roundAway } from './simd';

/** Writes the 176-byte record of elements v0..v7 (4 each, in order) at ap: d = amax / 127,
 *  q = roundf(x * (1 / d)). */
// @ts-ignore: decorator
@inline export function quantizeBlock(ap: usize, v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128): void {
  let m = f32x4.max(f32x4.abs(v0), f32x4.abs(v1));
  m = f32x4.max(m, f32x4.max(f32x4.abs(v2), f32x4.abs(v3)));
  m = f32x4.max(m, f32x4.max(f32x4.abs(v4), f32x4.abs(v5)));
  m = f32x4.max(m, f32x4.max(f32x4.abs(v6), f32x4.abs(v7)));
  const amax = Mathf.max(
    Mathf.max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
    Mathf.max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)),
  );
  const d: f32 = amax / 127;
  const idv = f32x4.splat(d != 0 ? <f32>1 / d : 0);
  const q0 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v0, idv)));
  const q1 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v1, idv)));
  const q2 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v2, idv)));
  const q3 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v3, idv)));
  const q4 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v4, idv)));
  const q5 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v5, idv)));
  const q6 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v6, idv)));
  const q7 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v7, idv)));
  const h0 = i16x8.narrow_i32x4_s(q0, q1); // elements 0..7
  const h1 = i16x8.narrow_i32x4_s(q2, q3); // 8..15
  const h2 = i16x8.narrow_i32x4_s(q4, q5); // 16..23
  const h3 = i16x8.narrow_i32x4_s(q6, q7); // 24..31
  const lo = i8x16.narrow_i16x8_s(h0, h1);
  const hi = i8x16.narrow_i16x8_s(h2, h3);
  const zero = i8x16.splat(0);
  v128.store(ap, lo);
  v128.store(ap, hi, 16);
  v128.store(ap, i8x16.abs(lo), 32);
  v128.store(ap, i8x16.abs(hi), 48);
  v128.store(ap, i8x16.lt_s(lo, zero), 64);
  v128.store(ap, i8x16.lt_s(hi, zero), 80);
  v128.store(ap, v128.shuffle<i16>(h0, h1, 0, 2, 4, 6, 8, 10, 12, 14), 96);
  v128.store(ap, v128.shuffle<i16>(h2, h3, 0, 2, 4, 6, 8, 10, 12, 14), 112);
  v128.store(ap, v128.shuffle<i16>(h0, h1, 1, 3, 5, 7, 9, 11, 13, 15), 128);
  v128.store(ap, v128.shuffle<i16>(h2, h3, 1, 3, 5, 7, 9, 11, 13, 15), 144);
  const s4 = i32x4.extadd_pairwise_i16x8_s(i16x8.add(i16x8.add(h0, h1), i16x8.add(h2, h3)));
  const s = i32x4.extract_lane(s4, 0) + i32x4.extract_lane(s4, 1) + i32x4.extract_lane(s4, 2) + i32x4.extract_lane(s4, 3);
  // sum over q < 0 of |q| = (sum |q| - sum q) / 2
  const a4 = i32x4.extadd_pairwise_i16x8_s(i16x8.add(i16x8.add(i16x8.abs(h0), i16x8.abs(h1)), i16x8.add(i16x8.abs(h2), i16x8.abs(h3))));
  const sa = i32x4.extract_lane(a4, 0) + i32x4.extract_lane(a4, 1) + i32x4.extract_lane(a4, 2) + i32x4.extract_lane(a4, 3);
  store<f32>(ap, d, 160);
  store<i32>(ap, s << 3, 164);
  store<i32>(ap, (sa - s) >> 1, 168);
  store<i32>(ap, 0, 172);
}
