// The AdamW update of one parameter tensor.
import type { Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectNoOverlap, MIN_ELEMENTS_PER_THREAD } from './util.js';

/** Hyperparameters of one AdamW step. */
export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count (bias correction). */
  step: number;
  /** Multiplies grad first (gradient clipping, loss-scale or accumulation averaging); 1 for none. */
  gradScale: number;
}

function check(op: string, o: AdamWStep): void {
  const bad = (field: string, want: string, got: number) => new RangeError(`${op}: ${field} must be ${want}, got ${got}`);
  if (!(o.lr >= 0) || !Number.isFinite(o.lr)) throw bad('lr', 'a finite number >= 0', o.lr);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw bad('beta1', 'in [0, 1)', o.beta1);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw bad('beta2', 'in [0, 1)', o.beta2);
  if (!(o.eps > 0) || !Number.isFinite(o.eps)) throw bad('eps', 'a finite number > 0', o.eps);
  if (!(o.weightDecay >= 0) || !Number.isFinite(o.weightDecay)) throw bad('weightDecay', 'a finite number >= 0', o.weightDecay);
  if (!Number.isInteger(o.step) || o.step < 1) throw bad('step', 'an integer >= 1', o.step);
  if (!Number.isFinite(o.gradScale)) throw bad('gradScale', 'a finite number', o.gradScale);
}

/**
 * One AdamW step on param with its moments m and v (all updated in place), following
 * torch.optim.AdamW (single-tensor, non-fused, non-amsgrad, maximize=False) operation by operation:
 *   g = grad * gradScale; p *= 1 - lr * wd; m = lerp(m, g, 1 - beta1); v = v * beta2 + (1 - beta2) g g;
 *   p += (-lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
 * The scalars are computed in float64 and rounded to f32 once. param, grad, m, v: f32 with the same
 * number of elements; param, m and v must not overlap each other or grad. Parallel over elements.
 */
export function adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWStep): void {
  const op = 'adamw';
  for (const [name, t] of [['param', param], ['grad', grad], ['m', m], ['v', v]] as const) {
    expectDType(op, name, t, ['f32']);
    if (t.numel !== param.numel) throw new RangeError(`${op}: ${name} has ${t.numel} elements, param has ${param.numel}`);
  }
  check(op, o);
  const arena = arenaOf(op, { param, grad, m, v });
  expectNoOverlap(op, { param, m, v }, { grad });
  const f = Math.fround;
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  const args = [
    param.offset, grad.offset, m.offset, v.offset,
    f(1 - o.lr * o.weightDecay), // decay
    f(1 - o.beta1), // lerp weight
    f(o.beta2),
    f(1 - o.beta2),
    f(-(o.lr / bc1)), // negative step size
    f(Math.sqrt(bc2)),
    f(o.eps),
    f(o.gradScale),
  ];
  param.rt.parallel('adamw_f32', arena, args, param.numel, 4, MIN_ELEMENTS_PER_THREAD);
}
