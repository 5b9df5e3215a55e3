// Whole-gradient helpers: the sum of squares behind the global gradient norm, and scaling.

/**
 * Units are blocks of `block` elements of x [n]: partials[b] (f64) = sum of x^2 over block b, the
 * squares exact in f64 and summed in a fixed order (two f64x2 lanes pairs, then the tail), so the
 * caller's in-order sum of the partials is the same on any thread count.
 */
export function sum_squares_f32(x: usize, n: i32, block: i32, partials: usize, start: i32, end: i32, scratch: usize): void {
  for (let b = start; b < end; b++) {
    const lo = b * block;
    const hi = min(n, lo + block);
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let i = lo;
    for (; i + 4 <= hi; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const l = f64x2.promote_low_f32x4(v);
      const h = f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1));
      a0 = f64x2.add(a0, f64x2.mul(l, l));
      a1 = f64x2.add(a1, f64x2.mul(h, h));
    }
    const a = f64x2.add(a0, a1);
    let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
    for (; i < hi; i++) {
      const v = <f64>load<f32>(x + (<usize>i << 2));
      s += v * v;
    }
    store<f64>(partials + (<usize>b << 3), s);
  }
}

/** x[i] *= s for i in [start, end). */
export function scale_f32(x: usize, s: f32, start: i32, end: i32, scratch: usize): void {
  const vs = f32x4.splat(s);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), vs));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}
