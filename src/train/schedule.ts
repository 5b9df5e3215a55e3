// Learning-rate schedules: a function of the optimizer step (0-based) so that a resumed run recomputes
// exactly the rate an uninterrupted one would use.
//
// WSD (warmup-stable-decay): linear warmup, the peak rate held constant, then a linear decay to minLr
// over the last `decayFraction` of the run. Unlike cosine, the stable part does not depend on the run's
// length, so a run whose length is decided while it trains (a time budget, budget.ts) can keep the
// peak rate until it knows when to stop and then decay over the steps that are left.

export type ScheduleKind = 'cosine' | 'constant' | 'wsd';

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** Peak learning rate (Yi-6B pretraining: 3e-4; Yi chat SFT: 1e-5 constant). */
  lr: number;
  /** Steps of linear warmup from lr / warmup to lr (0: none). */
  warmupSteps: number;
  /** Total optimizer steps of the run (cosine and WSD reach minLr at the last step). */
  totalSteps: number;
  /** Floor of the decay (default lr / 10, as in Llama and Chinchilla). */
  minLr?: number;
  /** WSD: share of the steps spent decaying (default 0.2, the last fifth). */
  decayFraction?: number;
}

export const DEFAULT_DECAY_FRACTION = 0.2;

/** The learning rate of optimizer step `step` (0-based). */
export function learningRate(o: ScheduleOptions, step: number): number {
  if (!(o.lr >= 0)) throw new RangeError(`learning rate must be >= 0, got ${o.lr}`);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new RangeError(`warmupSteps must be an integer >= 0, got ${o.warmupSteps}`);
  const minLr = o.minLr ?? o.lr / 10;
  if (o.kind === 'wsd') {
    const start = wsdDecayStart(o.totalSteps, o.warmupSteps, o.decayFraction ?? DEFAULT_DECAY_FRACTION);
    if (step >= start) return decayedRate(o.lr, minLr, Math.min(1, (step - start + 1) / (o.totalSteps - start)));
    return step < o.warmupSteps ? (o.lr * (step + 1)) / o.warmupSteps : o.lr;
  }
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  if (o.kind === 'constant') return o.lr;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / decaySteps);
  return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** WSD with a fixed length: the first step of the decay (after the warmup; the decay has at least one step). */
export function wsdDecayStart(totalSteps: number, warmupSteps: number, decayFraction: number): number {
  if (!(decayFraction > 0 && decayFraction <= 1)) throw new RangeError(`decayFraction must be in (0, 1], got ${decayFraction}`);
  const decaySteps = Math.max(1, Math.round(decayFraction * totalSteps));
  return Math.min(totalSteps - 1, Math.max(warmupSteps, totalSteps - decaySteps));
}

/**
 * The rate at decay progress `p` (0: where the decay starts, at rate `from`; 1: minLr), linear. The
 * time-budgeted planner advances `p` step by step over however many steps the clock leaves.
 */
export function decayedRate(from: number, minLr: number, p: number): number {
  return minLr + (from - minLr) * (1 - p);
}
