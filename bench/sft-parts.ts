// Sorts a profiled LoRA step's kernels into the parts a reader asks about: the frozen base's forward
// GEMMs, the adapters' GEMMs, the input gradient through the frozen base, the adapters' dropout, the
// optimizer, the other kernels, and what is left (JS outside kernels: the tape, NEFTune's noise).
import type { KernelProfile } from '../src/runtime/profile.js';
import { DROPOUT_PROFILE_LABEL } from '../src/tensor/ops/dropout.js';

export type StepParts = { part: string; ms: number }[];

export const PARTS = {
  baseForward: 'base forward GEMMs (x W^T, lm_head)',
  adapter: 'adapter GEMMs (A, B: forward, dA, dB, dX)',
  baseDx: 'backward dX = dY W through the frozen base',
  dequant: 'dequantizing the Q4_0 base for dX (tiles)',
  baseDw: 'weight gradients dW = dY^T x (full finetuning)',
  dropout: 'LoRA dropout (mask draws and scaling)',
  optimizer: 'optimizer (gradient norm, AdamW)',
  other: 'other kernels (attention, norms, SwiGLU, loss, embedding, adds)',
  outside: 'outside kernels (JS: tape, NEFTune noise, zeroing)',
  whole: 'whole step',
} as const;

/** The part a profile label belongs to, `r` the adapters' rank (a GEMM with r as a dimension is an adapter's). */
export function partOf(label: string, r: number): string {
  const g = /^gemm (A\^TB|AB\^T|AB) (\d+)x(\d+)x(\d+)$/.exec(label);
  if (g) {
    const [m, n, k] = [Number(g[2]), Number(g[3]), Number(g[4])];
    if (m === r || n === r || k === r) return PARTS.adapter;
    return g[1] === 'AB^T' ? PARTS.baseForward : g[1] === 'AB' ? PARTS.baseDx : PARTS.baseDw;
  }
  if (label.startsWith('qgemm_') || label.startsWith('gemv_') || label === 'quantize_act') return PARTS.baseForward;
  if (label === 'dequantize_x4') return PARTS.dequant;
  if (label === DROPOUT_PROFILE_LABEL) return PARTS.dropout;
  if (label === 'adamw_f32' || label === 'sum_squares_f32') return PARTS.optimizer;
  return PARTS.other;
}

/** Milliseconds per step of each part (the profile covers `steps` steps of `stepMs` each on average). */
export function loraStepParts(profile: KernelProfile, stepMs: number, steps: number, r: number): StepParts {
  const sums = new Map<string, number>();
  let timed = 0;
  for (const [label, row] of profile.rows) {
    const part = partOf(label, r);
    sums.set(part, (sums.get(part) ?? 0) + row.ms / steps);
    timed += row.ms / steps;
  }
  const order = Object.values(PARTS).filter((p) => sums.has(p));
  return [...order.map((part) => ({ part, ms: sums.get(part)! })), { part: PARTS.outside, ms: Math.max(0, stepMs - timed) }, { part: PARTS.whole, ms: stepMs }];
}
