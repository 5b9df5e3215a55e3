// Elementwise kernels of the MLP and the residual stream, over elements [start, end).
import { sigmoid4 } from './simd';

/**
 * silu(g) = g * sigmoid(g), with sigmoid from e = exp(-|g|) so nothing overflows (simd.ts sigmoid4).
 * (The textbook g / (1 + exp(-g)) loses silu(g) for g < -88.7, where exp(-g) overflows f32.)
 * silu(+inf) = inf; silu(-inf) = NaN, as in PyTorch.
 */
// @ts-ignore: decorator
@inline function silu4(g: v128): v128 {
  return f32x4.mul(g, sigmoid4(g));
}

/** out[i] = silu(gate[i]) * up[i]. out may alias gate or up. */
export function swiglu_f32(gate: usize, up: usize, out: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(silu4(v128.load(gate + o)), v128.load(up + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const s = f32x4.extract_lane(silu4(f32x4.splat(load<f32>(gate + o))), 0);
    store<f32>(out + o, s * load<f32>(up + o));
  }
}

/** out[i] = a[i] + b[i]. out may alias a or b. */
export function add_f32(a: usize, b: usize, out: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}
