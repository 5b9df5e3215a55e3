// Model throughput like llama-bench: prompt processing (pp, tokens/s of a batched prefill), text
// generation (tg, tokens/s of single-token decode steps) and batched decode (M tokens per forward
// step, what a serving step over M sequences computes), median of a few repetitions.
import type { YiModel } from '../src/model/model.js';
import { weightTypesLabel } from '../src/model/weight-types.js';
import type { Reporter } from './harness.js';

export interface ModelBenchOptions {
  label: string;
  /** Prompt sizes, one pp case each (default [128]); a single number is one case. */
  promptTokens?: number | readonly number[];
  genTokens?: number;
  /** Tokens per step of the batched-decode cases (e.g. [2, 4, 8, 16]); none by default. */
  decodeBatches?: readonly number[];
  reps?: number;
  /** Kinds of cases to run (default all the options ask for). */
  kinds?: readonly ModelCase['kind'][];
}

/** One case's measurements: tokens/s of each repetition. */
export interface ModelCase {
  /** llama-bench's case name: pp128, tg64; decode M=4 for batched decode. */
  name: string;
  kind: 'pp' | 'tg' | 'decode';
  /** Tokens per case (pp / tg) or per step (decode). */
  tokens: number;
  rates: number[];
  note: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Steps of a batched-decode case of M tokens per step with `gen` generated tokens asked for: at least 4. */
export function decodeSteps(gen: number, m: number): number {
  return Math.max(4, Math.ceil(gen / m));
}

/** Positions a model needs for these options (its contextLength), with room for the warm-up. */
export function contextNeeded(opts: Pick<ModelBenchOptions, 'promptTokens' | 'genTokens' | 'decodeBatches'>): number {
  const prompts = promptList(opts.promptTokens);
  const gen = opts.genTokens ?? 64;
  const decode = (opts.decodeBatches ?? []).map((m) => 1 + decodeSteps(gen, m) * m);
  return Math.max(8, ...prompts, 1 + gen, ...decode) + 8;
}

export function promptList(p: number | readonly number[] | undefined): number[] {
  return p === undefined ? [128] : typeof p === 'number' ? (p > 0 ? [p] : []) : p.filter((n) => n > 0);
}

/** Times every case on `model` and returns the samples (nothing printed). */
export function measureModel(model: YiModel, opts: Omit<ModelBenchOptions, 'label'>): ModelCase[] {
  const prompts = promptList(opts.promptTokens);
  const tg = opts.genTokens ?? 64;
  const reps = opts.reps ?? 3;
  const kinds = new Set(opts.kinds ?? ['pp', 'tg', 'decode']);
  const vocab = model.config.vocabSize;
  const maxPrompt = Math.max(1, ...prompts);
  const tokens = Array.from({ length: maxPrompt }, (_, i) => (i * 7919 + 13) % vocab);
  const out: ModelCase[] = [];
  // One untimed round warms the JIT and the worker threads.
  model.reset();
  model.forward(tokens.slice(0, Math.min(8, tokens.length)));
  model.forward([1]);
  for (const pp of kinds.has('pp') ? prompts : []) {
    // An untimed prompt of the same size first, as llama-bench warms up each pp test.
    model.reset();
    model.forward(tokens.slice(0, pp));
    const rates: number[] = [];
    for (let r = 0; r < reps; r++) {
      model.reset();
      const t0 = performance.now();
      model.forward(tokens.slice(0, pp));
      rates.push(pp / ((performance.now() - t0) / 1e3));
    }
    out.push({ name: `pp${pp}`, kind: 'pp', tokens: pp, rates, note: `prompt processing, batch ${model.batch}` });
  }
  const decodeRates = (m: number, steps: number): number[] => {
    const rates: number[] = [];
    const step = new Array<number>(m);
    for (let r = 0; r < reps; r++) {
      model.reset();
      model.forward([tokens[0]!]);
      let next = tokens[1 % tokens.length]!;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        for (let j = 0; j < m; j++) {
          step[j] = next;
          next = (next * 31 + 7) % vocab;
        }
        model.forward(step);
      }
      rates.push((steps * m) / ((performance.now() - t0) / 1e3));
    }
    return rates;
  };
  if (tg > 0 && kinds.has('tg')) out.push({ name: `tg${tg}`, kind: 'tg', tokens: tg, rates: decodeRates(1, tg), note: 'single-token decode' });
  for (const m of kinds.has('decode') ? (opts.decodeBatches ?? []) : []) {
    if (m < 1) continue;
    const steps = decodeSteps(tg, m);
    out.push({
      name: `decode M=${m}`,
      kind: 'decode',
      tokens: m,
      rates: decodeRates(m, steps),
      // One sequence's M next tokens per forward: the weight reads and matrix shapes of a serving step
      // over M sequences (their attention differs: here each token also sees the step's earlier ones).
      note: `${m} tokens per forward, ${steps} steps, tokens/s over all tokens`,
    });
  }
  model.reset();
  return out;
}

/** The case label used in every figure: "yi-174m Q8_0 pp128". */
export function caseLabel(label: string, model: YiModel, c: Pick<ModelCase, 'name'>): string {
  return `${label} ${weightTypesLabel(model.weights)} ${c.name}`;
}

export function benchModel(rep: Reporter, model: YiModel, opts: ModelBenchOptions): void {
  const cases = measureModel(model, opts);
  const tgRate = cases.find((c) => c.kind === 'tg');
  for (const c of cases) {
    let note = c.note;
    if (c.kind === 'decode' && tgRate) note += `; ${(median(c.rates) / median(tgRate.rates)).toFixed(2)}x the tokens/s of M=1`;
    rep.add({ bench: 'model', case: caseLabel(opts.label, model, c), threads: model.rt.threads, value: median(c.rates), unit: 'tokens/s', note });
  }
}
