// Backward of SwiGLU (out = silu(gate) * up) over elements [start, end).
import { sigmoid4 } from './simd';

/**
 * With s = sigmoid(g) (the forward's overflow-safe one) and silu(g) = g * s:
 *   dGate = (dOut * up) * s (1 + g (1 - s)),  dUp = dOut * silu(g).
 * Both are overwritten; every element is read before it is written, so dGate may be gate (or
 * dOut) and dUp may be up (or dOut); dGate and dUp must differ.
 */
// @ts-ignore: decorator
@inline function swigluBack4(g: v128, u: v128, d: v128, dgate: usize, dup: usize): void {
  const s = sigmoid4(g);
  const one = f32x4.splat(1.0);
  const dsilu = f32x4.mul(s, f32x4.add(one, f32x4.mul(g, f32x4.sub(one, s))));
  v128.store(dgate, f32x4.mul(f32x4.mul(d, u), dsilu));
  v128.store(dup, f32x4.mul(d, f32x4.mul(g, s)));
}

export function swiglu_backward_f32(gate: usize, up: usize, dout: usize, dgate: usize, dup: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    swigluBack4(v128.load(gate + o), v128.load(up + o), v128.load(dout + o), dgate + o, dup + o);
  }
  // The tail goes through the same vector code (lane 0, staged in scratch) so every element sees
  // one function.
  for (; i < end; i++) {
    const o = <usize>i << 2;
    swigluBack4(
      f32x4.splat(load<f32>(gate + o)), f32x4.splat(load<f32>(up + o)), f32x4.splat(load<f32>(dout + o)),
      scratch, scratch + 16,
    );
    store<f32>(dgate + o, load<f32>(scratch));
    store<f32>(dup + o, load<f32>(scratch + 16));
  }
}
