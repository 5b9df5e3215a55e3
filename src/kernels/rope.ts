// Rotary position embedding, Hugging Face "rotate_half" layout: pair (i, i + D/2) rotates by
// pos * inv_freq_i. The cos/sin tables come from TypeScript (float64 angles, cast once).

/**
 * In place over rows u in [start, end) of x: [T, H, D] (row u = token u / H):
 *   x1 = x[i], x2 = x[i + D/2]; x[i] = x1 cos - x2 sin; x[i + D/2] = x2 cos + x1 sin
 * with cos/sin: [maxPos, D/2] at row pos[u / H] (pos: i32 [T], checked in range by the caller).
 * inverse != 0 rotates by -angle instead (sin negated: exactly R(-angle), the rotation's backward).
 */
export function rope_f32(x: usize, pos: usize, cos: usize, sin: usize, heads: i32, dim: i32, inverse: i32, start: i32, end: i32, scratch: usize): void {
  const half = dim >> 1;
  // Flipping the sign bit negates exactly, so the forward (mask 0) keeps its bits.
  const signBit: u32 = inverse != 0 ? 0x80000000 : 0;
  const vsign = i32x4.splat(signBit);
  const halfBytes = <usize>half << 2;
  for (let u = start; u < end; u++) {
    const p = load<i32>(pos + (<usize>(u / heads) << 2));
    const c = cos + <usize>p * halfBytes;
    const s = sin + <usize>p * halfBytes;
    const a = x + <usize>u * (<usize>dim << 2);
    const b = a + halfBytes;
    let i = 0;
    for (; i + 4 <= half; i += 4) {
      const o = <usize>i << 2;
      const x1 = v128.load(a + o);
      const x2 = v128.load(b + o);
      const vc = v128.load(c + o);
      const vs = v128.xor(v128.load(s + o), vsign);
      v128.store(a + o, f32x4.sub(f32x4.mul(x1, vc), f32x4.mul(x2, vs)));
      v128.store(b + o, f32x4.add(f32x4.mul(x2, vc), f32x4.mul(x1, vs)));
    }
    for (; i < half; i++) {
      const o = <usize>i << 2;
      const x1 = load<f32>(a + o);
      const x2 = load<f32>(b + o);
      const vc = load<f32>(c + o);
      const vs = reinterpret<f32>(load<u32>(s + o) ^ signBit);
      store<f32>(a + o, x1 * vc - x2 * vs);
      store<f32>(b + o, x2 * vc + x1 * vs);
    }
  }
}
