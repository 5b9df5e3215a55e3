// Float64 references for the training kernels: each forward written from its formula, each backward
// derived by hand, and a central-difference checker that proves the hand-derived backward right.
import assert from 'node:assert/strict';
import { rng } from './helpers.js';

type Vec = ArrayLike<number>;

// ---- finite differences ------------------------------------------------------------------------

/**
 * Checks d(loss)/d(input[i]) = grad[i] at `count` random coordinates by central differences in
 * float64 (h = 1e-6 of the coordinate's scale). `loss` reads the perturbed copy of the input.
 */
export function checkGradient(what: string, input: Vec, grad: Vec, loss: (x: Float64Array) => number, count: number, seed: number, rel = 1e-5): void {
  const x = Float64Array.from(input);
  const r = rng(seed);
  let scale = 0;
  for (let i = 0; i < grad.length; i++) scale = Math.max(scale, Math.abs(grad[i]!));
  for (let c = 0; c < count; c++) {
    const i = Math.floor(r() * x.length);
    const x0 = x[i]!;
    const h = 1e-6 * Math.max(1, Math.abs(x0));
    x[i] = x0 + h;
    const up = loss(x);
    x[i] = x0 - h;
    const down = loss(x);
    x[i] = x0;
    const fd = (up - down) / (2 * h);
    const err = Math.abs(fd - grad[i]!) / Math.max(Math.abs(grad[i]!), 1e-3 * scale, 1e-12);
    assert.ok(err <= rel, `${what}[${i}]: finite difference ${fd}, analytic ${grad[i]} (relative error ${err})`);
  }
}

/** sum_i a[i] * b[i] in float64: the scalar loss L = <dOut, f(x)> whose gradient a backward gives. */
export function dotAll(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Largest |x[i]|: a tensor's scale, for error floors. */
export function maxAbs(x: Vec): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

// ---- RMSNorm -----------------------------------------------------------------------------------

export function rmsnormRstd(x: Vec, rows: number, n: number, eps: number): Float64Array {
  const r = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    for (let j = 0; j < n; j++) ss += x[i * n + j]! ** 2;
    r[i] = 1 / Math.sqrt(ss / n + eps);
  }
  return r;
}

export function rmsnormForward(x: Vec, w: Vec, rows: number, n: number, eps: number): Float64Array {
  const r = rmsnormRstd(x, rows, n, eps);
  const y = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) y[i * n + j] = x[i * n + j]! * r[i]! * w[j]!;
  return y;
}

/** dx = r (dy w) - x r^3 / n * sum_j dy_j w_j x_j; dw_j = sum_rows dy_j x_j r. */
export function rmsnormBackwardRef(dy: Vec, x: Vec, w: Vec, rows: number, n: number, eps: number): { dx: Float64Array; dw: Float64Array } {
  const r = rmsnormRstd(x, rows, n, eps);
  const dx = new Float64Array(rows * n);
  const dw = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    const ri = r[i]!;
    let c = 0;
    for (let j = 0; j < n; j++) c += dy[i * n + j]! * w[j]! * x[i * n + j]!;
    for (let j = 0; j < n; j++) {
      dx[i * n + j] = ri * dy[i * n + j]! * w[j]! - (x[i * n + j]! * ri ** 3 * c) / n;
      dw[j]! += dy[i * n + j]! * x[i * n + j]! * ri;
    }
  }
  return { dx, dw };
}

// ---- attention ---------------------------------------------------------------------------------

export interface AttnShape {
  b: number;
  t: number;
  hq: number;
  hkv: number;
  d: number;
}

/**
 * Softmax probabilities of query row (b, t, h) over keys lo <= s <= t (0 below lo): the forward and
 * backward share it. lo = the row's segment start (packed samples), 0 for a plain causal mask.
 */
function probs(q: Vec, k: Vec, sh: AttnShape, b: number, t: number, h: number, lo = 0): Float64Array {
  const { t: T, hq, hkv, d } = sh;
  const g = Math.floor(h / (hq / hkv));
  const p = new Float64Array(t + 1);
  let m = -Infinity;
  for (let s = lo; s <= t; s++) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += q[((b * T + t) * hq + h) * d + i]! * k[((b * T + s) * hkv + g) * d + i]!;
    p[s] = dot / Math.sqrt(d);
    m = Math.max(m, p[s]!);
  }
  let sum = 0;
  for (let s = lo; s <= t; s++) sum += p[s] = Math.exp(p[s]! - m);
  for (let s = lo; s <= t; s++) p[s]! /= sum;
  return p;
}

/**
 * Causal GQA within each sequence: q, out [B, T, Hq, D]; k, v [B, T, Hkv, D]. starts ([B * T]): each
 * token's segment start (packed samples: a block-diagonal causal mask), default 0.
 */
export function attentionForward(q: Vec, k: Vec, v: Vec, sh: AttnShape, starts?: Vec): Float64Array {
  const { b: B, t: T, hq, hkv, d } = sh;
  const out = new Float64Array(B * T * hq * d);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < hq; h++) {
        const g = Math.floor(h / (hq / hkv));
        const p = probs(q, k, sh, b, t, h, starts ? starts[b * T + t] : 0);
        for (let s = 0; s <= t; s++) {
          for (let i = 0; i < d; i++) out[((b * T + t) * hq + h) * d + i]! += p[s]! * v[((b * T + s) * hkv + g) * d + i]!;
        }
      }
    }
  }
  return out;
}

export function attentionBackwardRef(q: Vec, k: Vec, v: Vec, dOut: Vec, sh: AttnShape, starts?: Vec): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { b: B, t: T, hq, hkv, d } = sh;
  const scale = 1 / Math.sqrt(d);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < hq; h++) {
        const g = Math.floor(h / (hq / hkv));
        const qo = ((b * T + t) * hq + h) * d;
        const p = probs(q, k, sh, b, t, h, starts ? starts[b * T + t] : 0);
        const dp = new Float64Array(t + 1);
        let delta = 0;
        for (let s = 0; s <= t; s++) {
          for (let i = 0; i < d; i++) dp[s]! += dOut[qo + i]! * v[((b * T + s) * hkv + g) * d + i]!;
          delta += p[s]! * dp[s]!;
        }
        for (let s = 0; s <= t; s++) {
          const ds = p[s]! * (dp[s]! - delta);
          const ko = ((b * T + s) * hkv + g) * d;
          for (let i = 0; i < d; i++) {
            dq[qo + i]! += scale * ds * k[ko + i]!;
            dk[ko + i]! += scale * ds * q[qo + i]!;
            dv[ko + i]! += p[s]! * dOut[qo + i]!;
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}

// ---- SwiGLU ------------------------------------------------------------------------------------

export const sigmoid = (g: number): number => 1 / (1 + Math.exp(-g));
export const silu = (g: number): number => g * sigmoid(g);

export function swigluForward(gate: Vec, up: Vec): Float64Array {
  return Float64Array.from({ length: gate.length }, (_, i) => silu(gate[i]!) * up[i]!);
}

export function swigluBackwardRef(gate: Vec, up: Vec, dOut: Vec): { dGate: Float64Array; dUp: Float64Array } {
  const dGate = new Float64Array(gate.length);
  const dUp = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i]!;
    const s = sigmoid(g);
    dGate[i] = dOut[i]! * up[i]! * s * (1 + g * (1 - s));
    dUp[i] = dOut[i]! * silu(g);
  }
  return { dGate, dUp };
}

// ---- cross-entropy -----------------------------------------------------------------------------

/** Per-row loss (0 for target -1) and gradScale * (softmax - onehot) (zeros for target -1). */
export function crossEntropyRef(logits: Vec, targets: Vec, rows: number, n: number, gradScale: number): { losses: Float64Array; grad: Float64Array } {
  const losses = new Float64Array(rows);
  const grad = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const tg = targets[r]!;
    if (tg === -1) continue;
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, logits[r * n + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(logits[r * n + j]! - m);
    losses[r] = m + Math.log(sum) - logits[r * n + tg]!;
    for (let j = 0; j < n; j++) grad[r * n + j] = gradScale * (Math.exp(logits[r * n + j]! - m) / sum - (j === tg ? 1 : 0));
  }
  return { losses, grad };
}

// ---- AdamW -------------------------------------------------------------------------------------

export interface AdamWRefStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  gradScale: number;
}

/** torch.optim.AdamW's single-tensor update in float64, in place on p, m, v. */
export function adamwRef(p: Float64Array, grad: Vec, m: Float64Array, v: Float64Array, o: AdamWRefStep): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i]! * o.gradScale;
    p[i]! *= 1 - o.lr * o.weightDecay;
    m[i] = m[i]! + (g - m[i]!) * (1 - o.beta1);
    v[i] = v[i]! * o.beta2 + (1 - o.beta2) * g * g;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps;
    p[i]! -= (o.lr / bc1) * (m[i]! / denom);
  }
}
