// The live display of a finetuning run on stderr: what the data gave (with the reject summary), a bar
// with the answer loss, held-out loss, tokens/s and ETA on a terminal (else a line every 10 steps or
// 10 seconds), and the held-out evaluations as they finish.
import type { Runtime } from '../runtime/runtime.js';
import type { SftEvent } from '../sft/sft.js';
import { bar, duration, StatusLine } from './status-line.js';

const LINE_EVERY_SECONDS = 10;

export interface SftProgress {
  onEvent: (e: SftEvent) => void;
  stop: () => void;
}

export function sftProgress(rt: Pick<Runtime, 'threads' | 'flavor'>, progress: boolean, line: StatusLine = new StatusLine()): SftProgress {
  const live = progress && line.tty;
  let val = '-';
  let lastLine = line.now();
  // The first step of this process and when it ended: the steps after it time the rest (the held-out
  // evaluation before training is not a step's time).
  let firstStep = -1;
  let firstAt = 0;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const onEvent = (e: SftEvent) => {
    switch (e.type) {
      case 'data': {
        line.log(`data: ${e.trainSamples} training conversations (${e.tokens} tokens, ${e.trainedTokens} of them answers), ${e.heldoutSamples} held out`);
        if (e.rejects.total > 0) line.log(`rejected ${e.rejects.total} training sample(s):\n  ${e.rejects.summary().split('\n').join('\n  ')}`);
        if (e.heldoutRejects.total > 0) line.log(`rejected ${e.heldoutRejects.total} held-out sample(s):\n  ${e.heldoutRejects.summary().split('\n').join('\n  ')}`);
        break;
      }
      case 'start':
        firstStep = -1;
        line.log(
          `${e.resumedFrom ? `resuming from ${e.resumedFrom}` : 'finetuning'}: ${(e.parameters / 1e6).toFixed(2)}M parameters` +
            `${e.trainableParameters !== e.parameters ? ` (${(e.trainableParameters / 1e6).toFixed(3)}M trained)` : ''}, ` +
            `${e.batchRows} sequences per step (${e.microBatches} micro-batch${e.microBatches > 1 ? 'es' : ''}), ${e.steps} steps, ${rt.threads} thread(s), kernels ${rt.flavor}`,
        );
        lastLine = line.now();
        break;
      case 'train': {
        if (firstStep < 0) {
          firstStep = e.step;
          firstAt = line.now();
        }
        const done = e.step - firstStep;
        const eta = done > 0 ? ((e.steps - e.step) * (line.now() - firstAt)) / 1000 / done : NaN;
        if (live) {
          line.update(`step ${e.step}/${e.steps} ${bar(e.step / e.steps)} loss ${e.loss.toFixed(4)} held-out ${val} lr ${e.lr.toExponential(2)} |g| ${e.gradNorm.toFixed(2)} ${Math.round(e.tokensPerSecond)} tok/s eta ${duration(eta)}`, e.step === e.steps);
          break;
        }
        const t = line.now();
        if (e.step % 10 === 0 || e.step === e.steps || t - lastLine >= LINE_EVERY_SECONDS * 1000) {
          lastLine = t;
          line.log(`step ${e.step}/${e.steps} epoch ${e.epoch + 1} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} |g| ${e.gradNorm.toFixed(2)} ${Math.round(e.tokensPerSecond)} tok/s eta ${duration(eta)}`);
        }
        break;
      }
      case 'val':
        val = e.heldoutLoss.toFixed(4);
        if (!live) line.log(`step ${e.step} held-out answer loss ${val}`);
        break;
      case 'generating':
        if (live) line.update(`held-out answers (${whenText(e.when)}) ${bar(e.done / e.total)} ${e.done}/${e.total}`, e.done === e.total);
        break;
      case 'generation':
        line.log(`held-out answers ${whenText(e.when)}: exact match ${pct(e.result.accuracy)} (${e.result.correct}/${e.result.prompts}), ending with <|im_end|> ${pct(e.result.imEndShare)}`);
        break;
      case 'checkpoint':
        if (!live) line.log(`checkpoint ${e.path}`);
        break;
      case 'cleanup':
        e.notes.forEach((n) => line.log(n));
        break;
    }
  };
  return { onEvent, stop: () => line.done() };
}

function whenText(when: 'before' | 'base-few-shot' | 'after'): string {
  return when === 'base-few-shot' ? 'of the base model, few-shot' : `${when} finetuning`;
}
