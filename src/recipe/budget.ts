// Whether a recipe run kept its wall-clock budget (--minutes), and if not, why: the stages before
// pretraining took the time it needed, pretraining could not fit its minimum, the samples overran
// their reserve, or the run trained a fixed step count. Printed at the end and written in the report.
import type { RecipeState } from './recipe.js';
import type { RecipeScale } from './scales.js';

export interface RecipeBudget {
  seconds: number;
  usedSeconds: number;
  /** Seconds over the budget; 0 when the run kept it (within 2%, at least 1 s). */
  overSeconds: number;
  /** Why the run went over, in words (empty when it did not). */
  reasons: string[];
}

const BEFORE_PRETRAINING = ['corpus', 'scorers', 'clean', 'tokenizer', 'tokens'] as const;

export function recipeBudget(state: RecipeState, scale: RecipeScale): RecipeBudget {
  const seconds = state.settings.minutes * 60;
  const done = state.done;
  const usedSeconds = Object.values(done).reduce((s, x) => s + x, 0);
  const over = usedSeconds - seconds > Math.max(1, 0.02 * seconds) ? usedSeconds - seconds : 0;
  const reasons: string[] = [];
  if (over > 0) {
    const p = state.pretrain;
    if (p?.shortOf) reasons.push(p.shortOf);
    if (p?.mode !== 'time' && p) reasons.push(`pretraining ran a fixed ${p.steps} steps, whatever the time they took`);
    if (p?.budget?.overReason) reasons.push(`pretraining ran ${secs(p.budget.overSeconds)} past its ${secs(p.budget.seconds)}: ${p.budget.overReason}`);
    if (p?.tokensPerSecond && p.tokensPerSecond < 0.7 * p.probeTokensPerSecond) {
      reasons.push(`training ran at ${Math.round(p.tokensPerSecond)} tokens/s against ${Math.round(p.probeTokensPerSecond)} in the probe before it (a busy machine)`);
    }
    const samples = done.samples ?? 0;
    if (samples > scale.reserveSeconds) reasons.push(`the samples took ${secs(samples)}, more than the ${secs(scale.reserveSeconds)} kept for them and the report`);
    if (reasons.length === 0) {
      const before = BEFORE_PRETRAINING.reduce((s, k) => s + (done[k] ?? 0), 0);
      reasons.push(`the stages before pretraining took ${secs(before)} and pretraining ${secs(done.pretrain ?? 0)}, more than planned`);
    }
  }
  return { seconds, usedSeconds, overSeconds: over, reasons };
}

/** Seconds as '12 s', or minutes past two of them ('3.5 min'). */
export function secs(s: number): string {
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
}
