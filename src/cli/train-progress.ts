// The live display of a training run on stderr: a bar with loss, validation loss, learning rate,
// gradient norm, tokens/s and ETA on a terminal; a line every 10 steps otherwise.
import { SingleBar } from 'cli-progress';
import type { Runtime } from '../runtime/runtime.js';
import type { TrainEvent } from '../train/pretrain.js';

export function trainProgress(rt: Runtime, progress: boolean): { onEvent: (e: TrainEvent) => void; stop: () => void } {
  const bar = progress && process.stderr.isTTY
    ? new SingleBar({ format: 'step {value}/{total} {bar} loss {loss} val {val} lr {lr} |g| {gnorm} {tps} tok/s eta {eta_formatted}', hideCursor: true, etaBuffer: 20 })
    : undefined;
  let val = '-';
  const onEvent = (e: TrainEvent) => {
    switch (e.type) {
      case 'start':
        console.error(
          `${e.resumedFrom ? `resuming from ${e.resumedFrom}` : 'training from scratch'}: ${(e.parameters / 1e6).toFixed(2)}M parameters, ` +
            `${e.batchTokens} tokens per step (${e.microBatches} micro-batch${e.microBatches > 1 ? 'es' : ''}), ${rt.threads} thread(s), kernels ${rt.flavor}; ` +
            `unigram baseline ${e.unigramLoss.toFixed(3)} nats/token`,
        );
        bar?.start(e.steps, e.step, { loss: '-', val, lr: '-', gnorm: '-', tps: '-' });
        break;
      case 'train':
        if (bar) bar.update(e.step, { loss: e.loss.toFixed(4), val, lr: e.lr.toExponential(2), gnorm: e.gradNorm.toFixed(2), tps: Math.round(e.tokensPerSecond) });
        else if (e.step % 10 === 0 || e.step === e.steps) console.error(`step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} |g| ${e.gradNorm.toFixed(2)} ${Math.round(e.tokensPerSecond)} tok/s`);
        break;
      case 'val':
        val = e.valLoss.toFixed(4);
        if (!bar) console.error(`step ${e.step} validation loss ${val}`);
        break;
      case 'checkpoint':
        if (!bar) console.error(`checkpoint ${e.path}`);
        break;
    }
  };
  return { onEvent, stop: () => bar?.stop() };
}
