// Elementwise ops of the MLP (SwiGLU) and the residual stream (add).
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, MIN_ELEMENTS_PER_THREAD, outputTensor } from './util.js';

function binary(op: string, kernel: string, a: Tensor, b: Tensor, names: [string, string], out?: Tensor): Tensor {
  expectDType(op, names[0], a, ['f32']);
  expectShape(op, names[1], b, 'f32', a.shape);
  const arena = arenaOf(op, { [names[0]]: a, [names[1]]: b });
  const o = outputTensor(op, a, out, 'f32', a.shape, arena);
  // Split at multiples of 4 so every thread's share starts on a 16-byte boundary.
  a.rt.parallel(kernel, arena, [a.offset, b.offset, o.offset], a.numel, 4, MIN_ELEMENTS_PER_THREAD);
  return o;
}

/** out = silu(gate) * up, silu(g) = g / (1 + exp(-g)). gate, up, out: f32, same shape; out may alias either. */
export function swiglu(gate: Tensor, up: Tensor, out?: Tensor): Tensor {
  return binary('swiglu', 'swiglu_f32', gate, up, ['gate', 'up'], out);
}

/** out = a + b (residual connection). a, b, out: f32, same shape; out may alias either. */
export function add(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  return binary('add', 'add_f32', a, b, ['a', 'b'], out);
}
