// AdamW parameter update, elementwise over [start, end).

/**
 * One AdamW step in PyTorch's order (torch.optim.AdamW, single-tensor, non-amsgrad), all in f32 with
 * scalars precomputed in f64 by the caller:
 *   g = grad * gradScale
 *   p = p * decay                                   decay = 1 - lr * weight_decay
 *   m = lerp(m, g, w1)                              w1 = 1 - beta1; PyTorch's two-sided lerp:
 *       w1 < 0.5: m + w1 (g - m), else g - (g - m) (1 - w1)
 *   v = v * beta2 + ((1 - beta2) g) g               (addcmul)
 *   p = p + (negStepSize m) / (sqrt(v) / bc2Sqrt + eps)    negStepSize = -lr / (1 - beta1^step),
 *                                                   bc2Sqrt = sqrt(1 - beta2^step)  (addcdiv)
 * param, grad, m, v: f32 of one length; param, m, v are updated in place.
 */
export function adamw_f32(
  param: usize, grad: usize, m: usize, v: usize,
  decay: f32, w1: f32, beta2: f32, oneMinusBeta2: f32, negStepSize: f32, bc2Sqrt: f32, eps: f32, gradScale: f32,
  start: i32, end: i32, scratch: usize,
): void {
  const small = w1 < 0.5;
  // lerp as base + coeff * (g - m): PyTorch's two branches with one formula each.
  const oneMinusW1: f32 = 1.0 - w1;
  const vDecay = f32x4.splat(decay);
  const vW1 = f32x4.splat(w1);
  const vOneMinusW1 = f32x4.splat(oneMinusW1);
  const vBeta2 = f32x4.splat(beta2);
  const vOneMinusBeta2 = f32x4.splat(oneMinusBeta2);
  const vStep = f32x4.splat(negStepSize);
  const vBc2 = f32x4.splat(bc2Sqrt);
  const vEps = f32x4.splat(eps);
  const vScale = f32x4.splat(gradScale);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const g = f32x4.mul(v128.load(grad + o), vScale);
    const p = f32x4.mul(v128.load(param + o), vDecay);
    const m0 = v128.load(m + o);
    const diff = f32x4.sub(g, m0);
    const m1 = small ? f32x4.add(m0, f32x4.mul(vW1, diff)) : f32x4.sub(g, f32x4.mul(diff, vOneMinusW1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + o), vBeta2), f32x4.mul(f32x4.mul(vOneMinusBeta2, g), g));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v1), vBc2), vEps);
    v128.store(param + o, f32x4.add(p, f32x4.div(f32x4.mul(vStep, m1), denom)));
    v128.store(m + o, m1);
    v128.store(v + o, v1);
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o) * gradScale;
    const p = load<f32>(param + o) * decay;
    const m0 = load<f32>(m + o);
    const diff = g - m0;
    const m1: f32 = small ? m0 + w1 * diff : g - diff * oneMinusW1;
    const v1 = load<f32>(v + o) * beta2 + (oneMinusBeta2 * g) * g;
    const denom = Mathf.sqrt(v1) / bc2Sqrt + eps;
    store<f32>(param + o, p + (negStepSize * m1) / denom);
    store<f32>(m + o, m1);
    store<f32>(v + o, v1);
  }
}
