// Backward of the MLP's SwiGLU (out = silu(gate) * up).
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectNoOverlap, MIN_ELEMENTS_PER_THREAD } from './util.js';

/**
 * dGate = dOut * up * silu'(gate), silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g);
 * dUp = dOut * silu(gate) (the forward's overflow-safe silu). All f32 of one shape; dGate and dUp
 * OVERWRITTEN. Every element is read before it is written, so each output may be exactly one of
 * the inputs (e.g. dGate = gate, dUp = up); the outputs must not overlap each other.
 */
export function swigluBackward(gate: Tensor, up: Tensor, dOut: Tensor, dGate: Tensor, dUp: Tensor): void {
  const op = 'swigluBackward';
  expectDType(op, 'gate', gate, ['f32']);
  for (const [name, t] of [['up', up], ['dOut', dOut], ['dGate', dGate], ['dUp', dUp]] as const) expectShape(op, name, t, 'f32', gate.shape);
  const arena = arenaOf(op, { gate, up, dOut, dGate, dUp });
  const inputs = ['gate', 'up', 'dOut'];
  expectNoOverlap(op, { dGate, dUp }, { gate, up, dOut }, { dGate: inputs, dUp: inputs });
  // Split at multiples of 4 so every thread's share starts on a 16-byte boundary.
  gate.rt.parallel('swiglu_backward_f32', arena, [gate.offset, up.offset, dOut.offset, dGate.offset, dUp.offset], gate.numel, 4, MIN_ELEMENTS_PER_THREAD);
}
