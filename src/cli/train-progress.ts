// The live display of a training run on stderr: a bar with loss, validation loss, learning rate,
// gradient norm, tokens/s and ETA on a terminal; without one (or with --no-progress), a line every 10
// steps or every 10 seconds, whichever comes first, so that slow steps still show signs of life.
import type { Runtime } from '../runtime/runtime.js';
import type { ResumedTime, TrainEvent } from '../train/pretrain.js';
import { bar, duration, StatusLine } from './status-line.js';

/** Seconds between log lines when steps are slow. */
const LINE_EVERY_SECONDS = 10;

export interface TrainProgress {
  onEvent: (e: TrainEvent) => void;
  /** Ends the display, leaving the bar's last state on screen. */
  stop: () => void;
}

export function trainProgress(rt: Pick<Runtime, 'threads' | 'flavor'>, progress: boolean, line: StatusLine = new StatusLine()): TrainProgress {
  const live = progress && line.tty;
  let val = '-';
  let batchTokens = 0;
  let lastLine = line.now();
  const onEvent = (e: TrainEvent) => {
    switch (e.type) {
      case 'start': {
        const budget = e.budgetSeconds !== undefined ? `; time budget ${duration(e.budgetSeconds)} (about ${e.steps} steps, re-planned as it runs)` : '';
        const from = e.resumedFrom ? `resuming from ${e.resumedFrom}` : e.resumedSeconds ? 'starting over (the run stopped before its first checkpoint)' : 'training from scratch';
        line.log(
          `${from}${resumedTime(e.resumedSeconds)}: ${(e.parameters / 1e6).toFixed(2)}M parameters, ` +
            `${e.batchTokens} tokens per step (${e.microBatches} micro-batch${e.microBatches > 1 ? 'es' : ''}), ${rt.threads} thread(s), kernels ${rt.flavor}; ` +
            `unigram baseline ${e.unigramLoss.toFixed(3)} nats/token${budget}`,
        );
        batchTokens = e.batchTokens;
        lastLine = line.now();
        break;
      }
      case 'train': {
        if (live) {
          const eta = e.tokensPerSecond > 0 ? ((e.steps - e.step) * batchTokens) / e.tokensPerSecond : NaN;
          line.update(
            `step ${e.step}/${e.steps} ${bar(e.step / e.steps)} loss ${e.loss.toFixed(4)} val ${val} lr ${e.lr.toExponential(2)} |g| ${e.gradNorm.toFixed(2)} ${Math.round(e.tokensPerSecond)} tok/s eta ${duration(eta)}`,
            e.step === e.steps,
          );
          break;
        }
        const t = line.now();
        if (e.step % 10 === 0 || e.step === e.steps || t - lastLine >= LINE_EVERY_SECONDS * 1000) {
          lastLine = t;
          line.log(`step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} |g| ${e.gradNorm.toFixed(2)} ${Math.round(e.tokensPerSecond)} tok/s`);
        }
        break;
      }
      case 'val':
        val = e.valLoss.toFixed(4);
        if (!live) line.log(`step ${e.step} validation loss ${val}`);
        break;
      case 'decay':
        line.log(`step ${e.step + 1}: learning-rate decay starts, ${duration(e.elapsedSeconds)} into the ${duration(e.budgetSeconds)} budget (about ${e.plannedSteps} steps in all)`);
        break;
      case 'checkpoint':
        if (!live) line.log(`checkpoint ${e.path}`);
        break;
    }
  };
  return { onEvent, stop: () => line.done() };
}

/** The time a resume counts as spent, and where it came from: " (12s of training spent: ...)". */
export function resumedTime(t: ResumedTime | undefined): string {
  if (!t) return '';
  const after = t.heartbeatSeconds !== undefined && t.heartbeatSeconds > t.checkpointSeconds;
  const why = after
    ? `${t.checkpointSeconds > 0 ? `${duration(t.checkpointSeconds)} at the checkpoint and ` : ''}${duration(t.heartbeatSeconds! - t.checkpointSeconds)} trained after it before the run stopped (${t.heartbeatFile})`
    : 'as at the checkpoint';
  return ` (${duration(t.seconds)} of training counted as spent: ${why})`;
}
