// Model throughput like llama-bench: prompt processing (pp, tokens/s of a batched prefill) and
// text generation (tg, tokens/s of single-token decode steps), median of a few repetitions.
import type { YiModel } from '../src/model/model.js';
import { weightTypesLabel } from '../src/model/weight-types.js';
import type { Reporter } from './harness.js';

export interface ModelBenchOptions {
  label: string;
  promptTokens?: number;
  genTokens?: number;
  reps?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export function benchModel(rep: Reporter, model: YiModel, opts: ModelBenchOptions): void {
  const pp = opts.promptTokens ?? 128;
  const tg = opts.genTokens ?? 64;
  const reps = opts.reps ?? 3;
  const vocab = model.config.vocabSize;
  const tokens = Array.from({ length: Math.max(pp, 1) }, (_, i) => (i * 7919 + 13) % vocab);
  const threads = model.rt.threads;
  const dtype = weightTypesLabel(model.weights);
  // One untimed round warms the JIT and the worker threads.
  model.reset();
  model.forward(tokens.slice(0, Math.min(8, tokens.length)));
  model.forward([1]);
  if (pp > 0) {
    const rates: number[] = [];
    for (let r = 0; r < reps; r++) {
      model.reset();
      const t0 = performance.now();
      model.forward(tokens.slice(0, pp));
      rates.push(pp / ((performance.now() - t0) / 1e3));
    }
    rep.add({ bench: 'model', case: `${opts.label} ${dtype} pp${pp}`, threads, value: median(rates), unit: 'tokens/s', note: `prompt processing, batch ${model.batch}` });
  }
  if (tg > 0) {
    const rates: number[] = [];
    for (let r = 0; r < reps; r++) {
      model.reset();
      model.forward([tokens[0]!]);
      let next = tokens[1 % tokens.length]!;
      const t0 = performance.now();
      for (let i = 0; i < tg; i++) {
        model.forward([next]);
        next = (next * 31 + 7) % vocab;
      }
      rates.push(tg / ((performance.now() - t0) / 1e3));
    }
    rep.add({ bench: 'model', case: `${opts.label} ${dtype} tg${tg}`, threads, value: median(rates), unit: 'tokens/s', note: 'single-token decode' });
  }
  model.reset();
}
