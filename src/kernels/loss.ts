// Fused cross-entropy: loss and gradient of softmax + negative log-likelihood, rows [start, end).
// Rows are long (a vocabulary), so the passes below keep several independent accumulators to hide
// add latency; each row still reduces in one fixed order.
import { expf4, hmax, hsum, log64 } from './simd';

/** Largest of n f32 (n >= 1), NaN if any is NaN: four lane maxima over blocks of 16, then the tail. */
// @ts-ignore: decorator
@inline function rowMax16(p: usize, n: i32): f32 {
  let m0 = f32x4.splat(-Infinity);
  let m1 = m0;
  let m2 = m0;
  let m3 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    m0 = f32x4.max(m0, v128.load(q));
    m1 = f32x4.max(m1, v128.load(q, 16));
    m2 = f32x4.max(m2, v128.load(q, 32));
    m3 = f32x4.max(m3, v128.load(q, 48));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.max(m0, v128.load(p + (<usize>i << 2)));
  let s = hmax(f32x4.max(f32x4.max(m0, m1), f32x4.max(m2, m3)));
  for (; i < n; i++) s = max(s, load<f32>(p + (<usize>i << 2)));
  return s;
}

/**
 * p[i] = exp(p[i] - m) in place; returns their sum from two compensated (Kahan) lane accumulators
 * over blocks of 8 (a 64000-entry row would lose ~1e-5 relative in a plain f32 running sum).
 */
// @ts-ignore: decorator
@inline function expSum(p: usize, n: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  let acc0 = f32x4.splat(0);
  let acc1 = acc0;
  let comp0 = acc0;
  let comp1 = acc0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + (<usize>i << 2);
    const e0 = expf4(f32x4.sub(v128.load(q), vm));
    const e1 = expf4(f32x4.sub(v128.load(q, 16), vm));
    v128.store(q, e0);
    v128.store(q, e1, 16);
    const y0 = f32x4.sub(e0, comp0);
    const t0 = f32x4.add(acc0, y0);
    comp0 = f32x4.sub(f32x4.sub(t0, acc0), y0);
    acc0 = t0;
    const y1 = f32x4.sub(e1, comp1);
    const t1 = f32x4.add(acc1, y1);
    comp1 = f32x4.sub(f32x4.sub(t1, acc1), y1);
    acc1 = t1;
  }
  let s = hsum(acc0) + hsum(acc1);
  // The tail goes through the same vector exp (lane 0) so every element sees one function.
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    const e = f32x4.extract_lane(expf4(f32x4.splat(load<f32>(q) - m)), 0);
    store<f32>(q, e);
    s += e;
  }
  return s;
}

/**
 * For each row r of logits [rows, n] (overwritten) with target id tg = targets[r] (i32, -1 = ignore,
 * others checked in [0, n) by the caller):
 *   losses[r] = logsumexp(logits[r]) - logits[r][tg]   (max-subtracted; the exp sum compensated;
 *               the final log and sum in f64, rounded once to f32),
 *   logits[r] = gradScale * (softmax(logits[r]) - onehot(tg)), as exp(x - max) * (gradScale / sum).
 * An ignored row gets loss 0 and an all-zero gradient.
 */
export function cross_entropy_f32(logits: usize, targets: usize, losses: usize, n: i32, gradScale: f32, start: i32, end: i32, scratch: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = start; r < end; r++) {
    const row = logits + <usize>r * rowBytes;
    const tg = load<i32>(targets + (<usize>r << 2));
    if (tg < 0) {
      memory.fill(row, 0, rowBytes);
      store<f32>(losses + (<usize>r << 2), 0);
      continue;
    }
    const at = row + (<usize>tg << 2);
    const xt = load<f32>(at);
    const m = rowMax16(row, n);
    const sum = expSum(row, n, m);
    store<f32>(losses + (<usize>r << 2), <f32>((<f64>m - <f64>xt) + log64(<f64>sum)));
    const k: f32 = gradScale / sum;
    const pt = load<f32>(at) / sum;
    const vk = f32x4.splat(k);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(row + o, f32x4.mul(v128.load(row + o), vk));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(row + o, load<f32>(row + o) * k);
    }
    store<f32>(at, (pt - 1.0) * gradScale);
  }
}
