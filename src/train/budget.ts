// Training for a wall-clock budget: the step count follows the clock instead of being fixed up front.
//
// Before every step the planner takes the elapsed time (steps, evaluations and checkpoints included)
// and a moving average of the measured seconds per step, and decides the step's learning rate on a WSD
// schedule (schedule.ts):
//   warmup   the first warmupSteps steps, linear from lr / warmup to lr;
//   stable   the peak rate, for as long as the elapsed time is below (1 - decayFraction) of the time
//            for steps (the budget less the final evaluation and checkpoint), or until the step cap's
//            own decay point;
//   decay    from then on, each step re-counts the steps that still fit in the time left (less the
//            final evaluation and checkpoint, and the periodic ones' share) and moves the decay's
//            progress p by (1 - p) / stepsLeft, linear from the rate at the decay's start to minLr.
//            A slower machine makes stepsLeft smaller and the decay steeper; the run ends at the step
//            where p reaches 1, so it ends on time whatever the throughput did.
// Evaluations and checkpoints are spaced by time too: every budget / evaluations (checkpoints) seconds
// (of the run's expected length, when the step cap or the minimum step count decides it), and further apart when one of them would take more than 10% (5%) of the time between them; the
// steps that fit are counted after the time of those still to come.
//
// Every decision is a function of the planner's state and the elapsed time it is given, and the state
// goes into each checkpoint: a resumed run continues from the decisions recorded there (with a clock
// that replays the same times, bit for bit; see test/train/budget.test.ts).
import { DEFAULT_DECAY_FRACTION, decayedRate } from './schedule.js';

export class BudgetError extends Error {
  override name = 'BudgetError';
}

export interface TimeBudgetOptions {
  /** Seconds of training, evaluations and checkpoints included (the final ones too). */
  seconds: number;
  /** Train at least this many steps even when the budget runs out first (default 1). */
  minSteps?: number;
  /** Stop after this many steps even when time is left (default: no cap). */
  maxSteps?: number;
  /** Share of the budget's time spent decaying the learning rate (default 0.2). */
  decayFraction?: number;
  /** Evaluations spread over the budget, the final one included (default 10). */
  evaluations?: number;
  /** Checkpoints spread over the budget, the final one included (default 10). */
  checkpoints?: number;
  /** Seconds per optimizer step expected before one is measured (e.g. from a short probe). */
  stepSeconds?: number;
}

/** What the planner remembers; saved in every checkpoint (trainer_state.json, field budget). */
export interface BudgetState {
  /** Moving average of the measured seconds per step (forward, backward, update). */
  stepSeconds?: number;
  /** Seconds of the last evaluation and checkpoint. */
  evalSeconds?: number;
  checkpointSeconds: number;
  /** Elapsed seconds at the last evaluation and checkpoint. */
  lastEvalAt: number;
  lastCheckpointAt: number;
  /** The first step of the decay, the elapsed seconds then, the rate it decays from, and its progress (0..1). */
  decayStart?: number;
  decayStartSeconds?: number;
  decayFrom?: number;
  decayProgress: number;
  /** Set when the minimum step count kept the run going although the time was up. */
  minStepsBound: boolean;
}

/** The plan for one step. */
export interface StepPlan {
  lr: number;
  /** This is the run's last step. */
  last: boolean;
  /** The run's expected length in steps (changes as the measured throughput changes). */
  plannedSteps: number;
  /** The decay starts with this step. */
  decayStarts: boolean;
}

/** How a budgeted run went, for logs and reports. */
export interface BudgetSummary {
  seconds: number;
  elapsedSeconds: number;
  steps: number;
  minSteps: number;
  decayStart?: number;
  decayStartSeconds?: number;
  /** Seconds over the budget (0 when within it). */
  overSeconds: number;
  /** Why the run ended past its budget, in words; undefined when it did not. */
  overReason?: string;
}

/** Smoothing of the measured step time: about the last five steps count. */
const STEP_EMA = 0.3;
const MAX_EVAL_SHARE = 0.1;
const MAX_CHECKPOINT_SHARE = 0.05;

export class TimeBudget {
  readonly seconds: number;
  readonly minSteps: number;
  readonly maxSteps: number;
  readonly decayFraction: number;
  readonly evaluations: number;
  readonly checkpoints: number;
  private s: BudgetState;

  /**
   * `schedule`: the peak rate, its floor and the warmup steps. `evalCostInSteps`: an evaluation's
   * expected cost in training steps, until one is measured (forward only over evalTokens: about
   * evalTokens / (3 * batchTokens)).
   */
  constructor(
    o: TimeBudgetOptions,
    private readonly schedule: { lr: number; minLr: number; warmupSteps: number },
    private readonly evalCostInSteps: number,
  ) {
    const positive = (name: string, v: number | undefined, integer: boolean): void => {
      if (v !== undefined && !(v > 0 && (!integer || Number.isInteger(v)) && (integer || Number.isFinite(v)))) {
        throw new BudgetError(`time budget: ${name} must be ${integer ? 'a whole number' : 'a number'} > 0, got ${v}`);
      }
    };
    positive('seconds', o.seconds, false);
    positive('minSteps', o.minSteps, true);
    positive('maxSteps', o.maxSteps, true);
    positive('evaluations', o.evaluations, true);
    positive('checkpoints', o.checkpoints, true);
    positive('stepSeconds', o.stepSeconds, false);
    if (o.decayFraction !== undefined && !(o.decayFraction > 0 && o.decayFraction <= 1)) throw new BudgetError(`time budget: decayFraction must be in (0, 1], got ${o.decayFraction}`);
    this.seconds = o.seconds;
    this.minSteps = o.minSteps ?? 1;
    this.maxSteps = o.maxSteps ?? Infinity;
    if (this.maxSteps < this.minSteps) throw new BudgetError(`time budget: maxSteps (${this.maxSteps}) is below minSteps (${this.minSteps})`);
    this.decayFraction = o.decayFraction ?? DEFAULT_DECAY_FRACTION;
    this.evaluations = o.evaluations ?? 10;
    this.checkpoints = o.checkpoints ?? 10;
    this.s = { stepSeconds: o.stepSeconds, checkpointSeconds: 0, lastEvalAt: 0, lastCheckpointAt: 0, decayProgress: 0, minStepsBound: false };
  }

  /** The state to save with a checkpoint (a copy). */
  state(): BudgetState {
    return { ...this.s };
  }

  /** The last step has been planned (the decay reached its end). */
  get finished(): boolean {
    return this.s.decayProgress >= 1;
  }

  /** Continues from a saved state (read from `file`, named in errors). */
  restore(state: unknown, file: string): void {
    const st = state as Record<string, unknown>;
    if (typeof st !== 'object' || st === null) throw new BudgetError(`${file}: field budget must be an object, got ${JSON.stringify(state)}`);
    const num = (k: keyof BudgetState, optional: boolean, min = 0, max = Infinity): void => {
      const v = st[k];
      if (v === undefined && optional) return;
      if (typeof v !== 'number' || !(v >= min && v <= max)) throw new BudgetError(`${file}: field budget.${k} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    };
    num('stepSeconds', true);
    num('evalSeconds', true);
    num('checkpointSeconds', false);
    num('lastEvalAt', false);
    num('lastCheckpointAt', false);
    num('decayStart', true);
    num('decayStartSeconds', true);
    num('decayFrom', true);
    num('decayProgress', false, 0, 1);
    if (typeof st.minStepsBound !== 'boolean') throw new BudgetError(`${file}: field budget.minStepsBound must be true or false, got ${JSON.stringify(st.minStepsBound)}`);
    if ((st.decayStart === undefined) !== (st.decayFrom === undefined)) throw new BudgetError(`${file}: fields budget.decayStart and budget.decayFrom must be given together`);
    this.s = { ...(st as unknown as BudgetState) };
  }

  private evalEstimate(): number {
    return this.s.evalSeconds ?? this.evalCostInSteps * (this.s.stepSeconds ?? 0);
  }

  /** When the run is expected to end: the budget, sooner when the step cap comes first, later when the minimum steps need longer. */
  private horizon(step: number, elapsed: number): number {
    const tau = this.s.stepSeconds;
    if (tau === undefined) return this.seconds;
    return Math.min(Math.max(this.seconds, elapsed + (this.minSteps - step) * tau), elapsed + (this.maxSteps - step) * tau);
  }

  private evalEvery(step: number, elapsed: number): number {
    return Math.max(this.horizon(step, elapsed) / this.evaluations, this.evalEstimate() / MAX_EVAL_SHARE);
  }

  private checkpointEvery(step: number, elapsed: number): number {
    return Math.max(this.horizon(step, elapsed) / this.checkpoints, this.s.checkpointSeconds / MAX_CHECKPOINT_SHARE);
  }

  /** Steps that still fit after `elapsed` seconds (Infinity before any step time is known). */
  private stepsThatFit(step: number, elapsed: number): number {
    const tau = this.s.stepSeconds;
    if (tau === undefined) return Infinity;
    // The final evaluation and checkpoint come off first, then the periodic ones that fall before the end.
    const evalCost = this.evalEstimate();
    const end = this.stepsEnd();
    const periodic = (last: number, every: number) => {
      const next = last + every;
      return next < end ? Math.floor((end - next) / every) + 1 : 0;
    };
    const left = end - elapsed - periodic(this.s.lastEvalAt, this.evalEvery(step, elapsed)) * evalCost - periodic(this.s.lastCheckpointAt, this.checkpointEvery(step, elapsed)) * this.s.checkpointSeconds;
    return Math.floor(Math.max(0, left) / Math.max(1e-9, tau));
  }

  /**
   * When the last step must end: the budget less the final evaluation and checkpoint (and the model
   * folder, about as costly as a checkpoint).
   */
  private stepsEnd(): number {
    return this.seconds - this.evalEstimate() - 2 * this.s.checkpointSeconds;
  }

  private rampedRate(step: number): number {
    const { lr, warmupSteps } = this.schedule;
    return step < warmupSteps ? (lr * (step + 1)) / warmupSteps : lr;
  }

  /** The plan for step `step` (0-based, the steps done so far) after `elapsed` seconds of the run. */
  plan(step: number, elapsed: number): StepPlan {
    const s = this.s;
    const fit = this.stepsThatFit(step, elapsed);
    let decayStarts = false;
    if (s.decayStart === undefined) {
      const capDecay = Number.isFinite(this.maxSteps) ? this.maxSteps - Math.max(1, Math.round(this.decayFraction * this.maxSteps)) : Infinity;
      if (elapsed >= (1 - this.decayFraction) * this.stepsEnd() || step >= capDecay) {
        s.decayStart = step;
        s.decayStartSeconds = elapsed;
        s.decayFrom = this.rampedRate(step);
        s.decayProgress = 0;
        decayStarts = true;
      } else {
        const planned = Math.min(this.maxSteps, Math.max(this.minSteps, step + 1, Number.isFinite(fit) ? step + fit : this.minSteps));
        return { lr: this.rampedRate(step), last: false, plannedSteps: planned, decayStarts };
      }
    }
    const owed = this.minSteps - step;
    if (owed > Math.max(1, fit)) s.minStepsBound = true;
    const stepsLeft = Math.min(this.maxSteps - step, Math.max(1, owed, Number.isFinite(fit) ? fit : 1));
    s.decayProgress = stepsLeft <= 1 ? 1 : s.decayProgress + (1 - s.decayProgress) / stepsLeft;
    return { lr: decayedRate(s.decayFrom!, this.schedule.minLr, s.decayProgress), last: stepsLeft <= 1, plannedSteps: step + stepsLeft, decayStarts };
  }

  /** A step's measured seconds (compute only). */
  stepDone(seconds: number): void {
    const tau = this.s.stepSeconds;
    this.s.stepSeconds = tau === undefined ? seconds : tau + STEP_EMA * (seconds - tau);
  }

  /** Whether to evaluate after `step` steps, `elapsed` seconds into the run (always after the last). */
  shouldEvaluate(step: number, elapsed: number, last: boolean): boolean {
    return last || elapsed - this.s.lastEvalAt >= this.evalEvery(step, elapsed);
  }

  evaluated(elapsed: number, seconds: number): void {
    this.s.lastEvalAt = elapsed;
    this.s.evalSeconds = seconds;
  }

  shouldCheckpoint(step: number, elapsed: number, last: boolean): boolean {
    return last || elapsed - this.s.lastCheckpointAt >= this.checkpointEvery(step, elapsed);
  }

  /** Called before the checkpoint is written, so that the saved state already counts it. */
  checkpointStarts(elapsed: number): void {
    this.s.lastCheckpointAt = elapsed;
  }

  checkpointed(seconds: number): void {
    this.s.checkpointSeconds = seconds;
  }

  summary(steps: number, elapsedSeconds: number, batchTokens: number): BudgetSummary {
    const overSeconds = Math.max(0, elapsedSeconds - this.seconds);
    // Within a few percent is on time: the last step, evaluation and checkpoint are estimates.
    const over = overSeconds > Math.max(1, 0.03 * this.seconds);
    const tps = this.s.stepSeconds ? Math.round(batchTokens / this.s.stepSeconds) : undefined;
    let overReason: string | undefined;
    if (over) {
      overReason = this.s.minStepsBound
        ? `the minimum of ${this.minSteps} steps did not fit in ${fmt(this.seconds)} at the measured ${tps ?? '?'} tokens/s`
        : `the last step, evaluation and checkpoint took longer than the time left (${tps ?? '?'} tokens/s at the end)`;
    }
    return { seconds: this.seconds, elapsedSeconds, steps, minSteps: this.minSteps, decayStart: this.s.decayStart, decayStartSeconds: this.s.decayStartSeconds, overSeconds: over ? overSeconds : 0, overReason };
  }
}

function fmt(seconds: number): string {
  return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
}
