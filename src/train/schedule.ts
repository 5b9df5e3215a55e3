// Learning-rate schedules: a function of the optimizer step (0-based) so that a resumed run recomputes
// exactly the rate an uninterrupted one would use.

export type ScheduleKind = 'cosine' | 'constant';

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** Peak learning rate (Yi-6B pretraining: 3e-4; Yi chat SFT: 1e-5 constant). */
  lr: number;
  /** Steps of linear warmup from lr / warmup to lr (0: none). */
  warmupSteps: number;
  /** Total optimizer steps of the run (cosine decays to minLr at the last step). */
  totalSteps: number;
  /** Floor of the cosine decay (default lr / 10, as in Llama and Chinchilla). */
  minLr?: number;
}

/** The learning rate of optimizer step `step` (0-based). */
export function learningRate(o: ScheduleOptions, step: number): number {
  if (!(o.lr >= 0)) throw new RangeError(`learning rate must be >= 0, got ${o.lr}`);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new RangeError(`warmupSteps must be an integer >= 0, got ${o.warmupSteps}`);
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  if (o.kind === 'constant') return o.lr;
  const minLr = o.minLr ?? o.lr / 10;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / decaySteps);
  return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
