// Inverted dropout with the project's generator (mulberry32) drawn per element: the draw of element i
// is the generator's (i + 1)-th output from the seed, which depends on i alone (the state advances by
// a constant), so any chunk of elements is computed on its own, four lanes at a time.

const GOLDEN: u32 = 0x6d2b79f5;

/**
 * dst[i] = 0 where element i's draw u (a u32) is below `threshold` (ceil(p * 2^32)), else
 * f32(f64(src[i]) * keep), for i in [start, end): the bits of src/tensor/ops/dropout.ts's JS loop.
 * dst may be src. Scratch: 32 bytes (the lane constants, kept out of the loop's v128.const).
 */
export function dropout_f32(src: usize, dst: usize, seed: u32, threshold: u32, keep: f64, start: i32, end: i32, scratch: usize): void {
  store<i32>(scratch, 1);
  store<i32>(scratch + 4, 61);
  const one = i32x4.splat(load<i32>(scratch));
  const c61 = i32x4.splat(load<i32>(scratch + 4));
  const thr = i32x4.splat(<i32>threshold);
  const kv = f64x2.splat(keep);
  const base = seed + <u32>(start + 1) * GOLDEN;
  let a = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(<i32>base), 1, <i32>(base + GOLDEN)), 2, <i32>(base + 2 * GOLDEN)), 3, <i32>(base + 3 * GOLDEN));
  const stride = i32x4.splat(<i32>(4 * GOLDEN));
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let t = i32x4.mul(v128.xor(a, i32x4.shr_u(a, 15)), v128.or(a, one));
    t = v128.xor(t, i32x4.add(t, i32x4.mul(v128.xor(t, i32x4.shr_u(t, 7)), v128.or(t, c61))));
    const u = v128.xor(t, i32x4.shr_u(t, 14));
    const drop = i32x4.lt_u(u, thr);
    const x = v128.load(src + (<usize>i << 2));
    const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(x), kv));
    const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<i32>(x, x, 2, 3, 0, 1)), kv));
    const y = v128.shuffle<i32>(lo, hi, 0, 1, 4, 5);
    v128.store(dst + (<usize>i << 2), v128.andnot(y, drop));
    a = i32x4.add(a, stride);
  }
  let s = seed + <u32>(i + 1) * GOLDEN;
  for (; i < end; i++) {
    let t = s;
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    const u = t ^ (t >>> 14);
    const o = <usize>i << 2;
    store<f32>(dst + o, u < threshold ? 0 : <f32>(<f64>load<f32>(src + o) * keep));
    s += GOLDEN;
  }
}
