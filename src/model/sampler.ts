// Picks the next token from logits: greedy, or temperature with top-k / top-p / min-p filtering,
// after a repetition penalty; seeded, so the same seed gives the same text.
import { argmax, topK } from '../tensor/ops/sample.js';
import { mulberry32 } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export interface SamplerOptions {
  /** 0 = greedy (argmax). Default 0.8. */
  temperature?: number;
  /** Keep the k most likely tokens (0 = all). Default 40. */
  topK?: number;
  /** Keep the smallest set of tokens whose probability sums to at least p (1 = all). Default 0.95. */
  topP?: number;
  /** Drop tokens less likely than minP x the most likely one (0 = off). Default 0.05. */
  minP?: number;
  /** > 1 discourages tokens already in the context (Hugging Face's rule: divide positive logits,
   *  multiply negative ones). Default 1 (off). */
  repetitionPenalty?: number;
  /** How many recent tokens the penalty looks at. Default 64. */
  penaltyWindow?: number;
  /** Seed of the random generator. Default: from the clock. */
  seed?: number;
}

function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v <= hi)) throw new RangeError(`sampler: ${name} must be between ${lo} and ${hi}, got ${v}`);
}

export class Sampler {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
  readonly repetitionPenalty: number;
  readonly penaltyWindow: number;
  readonly seed: number;
  private readonly random: () => number;
  // Reused probability buffer: the softmax over candidates allocates nothing per token.
  private probs = new Float64Array(0);

  constructor(opts: SamplerOptions = {}) {
    this.temperature = opts.temperature ?? 0.8;
    this.topK = opts.topK ?? 40;
    this.topP = opts.topP ?? 0.95;
    this.minP = opts.minP ?? 0.05;
    this.repetitionPenalty = opts.repetitionPenalty ?? 1;
    this.penaltyWindow = opts.penaltyWindow ?? 64;
    this.seed = opts.seed ?? (Date.now() ^ (process.pid << 16)) >>> 0;
    checkRange('temperature', this.temperature, 0, 100);
    checkRange('topP', this.topP, 0, 1);
    checkRange('minP', this.minP, 0, 1);
    checkRange('repetitionPenalty', this.repetitionPenalty, 0.01, 100);
    if (!Number.isInteger(this.topK) || this.topK < 0) throw new RangeError(`sampler: topK must be an integer >= 0, got ${this.topK}`);
    if (!Number.isInteger(this.penaltyWindow) || this.penaltyWindow < 0) throw new RangeError(`sampler: penaltyWindow must be an integer >= 0, got ${this.penaltyWindow}`);
    this.random = mulberry32(this.seed);
  }

  /** The next token. `logits` (f32 [V] or [1, V]) is modified in place by the penalty.
   *  `history`: the tokens so far (prompt and generated). */
  sample(logits: Tensor, history: ArrayLike<number> = []): number {
    if (this.repetitionPenalty !== 1) this.penalize(logits, history);
    if (this.temperature === 0) return argmax(logits);
    const { indices: ids, values } = topK(logits, this.topK > 0 ? this.topK : logits.numel);
    const n = ids.length;
    if (n === 0) throw new RangeError('sampler: every logit is NaN');
    if (this.probs.length < n) this.probs = new Float64Array(n);
    // Softmax over the candidates at this temperature (they come sorted, the largest first).
    const probs = this.probs;
    const max = values[0]!;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const p = Math.exp((values[i]! - max) / this.temperature);
      probs[i] = p;
      sum += p;
    }
    // Candidates are sorted by probability: min-p and top-p each cut a suffix.
    let keep = n;
    if (this.minP > 0) {
      const floor = this.minP * probs[0]!;
      while (keep > 1 && probs[keep - 1]! < floor) keep--;
    }
    if (this.topP < 1) {
      let acc = 0;
      for (let i = 0; i < keep; i++) {
        acc += probs[i]! / sum;
        if (acc >= this.topP) {
          keep = i + 1;
          break;
        }
      }
    }
    let total = 0;
    for (let i = 0; i < keep; i++) total += probs[i]!;
    let r = this.random() * total;
    for (let i = 0; i < keep; i++) {
      r -= probs[i]!;
      if (r < 0) return ids[i]!;
    }
    return ids[keep - 1]!;
  }

  private penalize(logits: Tensor, history: ArrayLike<number>): void {
    const f = logits.arena.f32;
    const o = logits.offset / 4;
    const seen = new Set<number>();
    for (let i = Math.max(0, history.length - this.penaltyWindow); i < history.length; i++) seen.add(history[i]!);
    for (const id of seen) {
      if (!(id >= 0 && id < logits.numel)) continue;
      const l = f[o + id]!;
      f[o + id] = l > 0 ? l / this.repetitionPenalty : l * this.repetitionPenalty;
    }
  }
}
