// Perplexity of a model on a text: exp of the mean negative log-likelihood of its tokens, each
// predicted from the tokens before it, over the windows of windows.ts (llama-perplexity's chunks by
// default, Hugging Face's sliding window with a stride). Logits come from YiModel.forwardAll; the
// log-softmax is taken in float64 as llama-perplexity does (max in f32, sum of exponentials in f64).
import type { YiModel } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { EvalError } from './errors.js';
import { perplexityWindows, type Window } from './windows.js';

export interface PerplexityOptions {
  /** Tokens per window (default: the model's context length). */
  ctx?: number;
  /** Hugging Face's sliding window with this stride instead of llama-perplexity's chunks. */
  stride?: number;
  /** At most this many windows. */
  chunks?: number;
  /** The id put at the start of each chunk (llama-perplexity's method; ignored with a stride); default none. */
  bos?: number;
  /** Stops between forward steps (Ctrl-C); the result then covers the windows done. */
  signal?: AbortSignal;
  /** After each window: its 1-based number and the perplexity over all windows so far. */
  onWindow?: (w: { index: number; windows: number; ppl: number }) => void;
  /** After each forward step: tokens run so far of the total the windows hold. */
  onProgress?: (done: number, total: number) => void;
}

export interface PerplexityResult {
  /** exp(mean negative log-likelihood). */
  ppl: number;
  /** llama-perplexity's +/-: ppl times the standard error of the mean NLL. */
  error: number;
  /** Mean negative log-likelihood per scored token (nats). */
  nll: number;
  /** Tokens scored. */
  scored: number;
  /** Tokens of the text (with its BOS, if the tokenizer adds one). */
  tokens: number;
  /** Windows run, and how many there were to run. */
  windows: number;
  totalWindows: number;
  /** The running perplexity after each window ([1], [2] ... of llama-perplexity's output). */
  running: number[];
  method: 'chunks' | 'stride';
  ctx: number;
  stride?: number;
  /** Tokens run through the model per second (all positions, scored or not). */
  tokensPerSecond: number;
  seconds: number;
  /** Whether the signal stopped it before the last window. */
  aborted: boolean;
}

/** -log softmax(logits)[target] in float64, as llama-perplexity's log_softmax computes it. */
export function tokenNll(logits: Float32Array, target: number): number {
  let max = logits[0]!;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum) - logits[target]!;
}

/** Accumulates negative log-likelihoods as llama-perplexity does (sum and sum of squares). */
class NllSum {
  sum = 0;
  sum2 = 0;
  count = 0;
  add(v: number): void {
    this.sum += v;
    this.sum2 += v * v;
    this.count++;
  }
  merge(o: NllSum): void {
    this.sum += o.sum;
    this.sum2 += o.sum2;
    this.count += o.count;
  }
  get ppl(): number {
    return Math.exp(this.sum / this.count);
  }
  /** ppl * sqrt(var / (count - 1)), llama-perplexity's "Final estimate" +/-. */
  get error(): number {
    const mean = this.sum / this.count;
    const variance = this.sum2 / this.count - mean * mean;
    return variance > 0 && this.count > 1 ? Math.sqrt(variance / (this.count - 1)) * this.ppl : 0;
  }
}

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** Perplexity of `model` on `tokens` (already tokenized, BOS included if the tokenizer adds one). */
export async function perplexity(model: YiModel, tokens: readonly number[], opts: PerplexityOptions = {}): Promise<PerplexityResult> {
  const ctx = opts.ctx ?? model.contextLength;
  if (ctx > model.contextLength) throw new EvalError(`a context of ${ctx} tokens is more than the model was loaded with (${model.contextLength}); load it with a context of at least ${ctx}`);
  const windows = perplexityWindows(tokens.length, { ctx, stride: opts.stride, chunks: opts.chunks, addBos: opts.bos !== undefined });
  const total = windows.reduce((s, w) => s + w.length, 0);
  const acc = new NllSum();
  const running: number[] = [];
  const t0 = performance.now();
  let done = 0;
  let aborted = false;
  for (const [wi, w] of windows.entries()) {
    if (opts.signal?.aborted) {
      aborted = true;
      break;
    }
    const ids = windowTokens(tokens, w, opts.bos);
    const part = new NllSum(); // added to the total only once the window is complete
    model.reset();
    // One batch per call, yielding between them so that Ctrl-C is seen within a window.
    for (let off = 0; off < w.length; off += model.batch) {
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      const piece = ids.subarray(off, Math.min(w.length, off + model.batch));
      model.forwardAll(
        piece,
        (i, logits) => {
          const pos = off + i;
          if (pos <= w.length - 2) part.add(tokenNll(logits, ids[pos + 1]!));
        },
        w.first - off,
      );
      done += piece.length;
      opts.onProgress?.(done, total);
      await yieldToEvents();
    }
    if (aborted) break;
    acc.merge(part);
    running.push(acc.ppl);
    opts.onWindow?.({ index: wi + 1, windows: windows.length, ppl: acc.ppl });
  }
  model.reset();
  const seconds = (performance.now() - t0) / 1000;
  // With no complete window (Ctrl-C during the first), the figures are NaN.
  return {
    ppl: acc.ppl,
    error: acc.count > 0 ? acc.error : NaN,
    nll: acc.sum / acc.count,
    scored: acc.count,
    tokens: tokens.length,
    windows: running.length,
    totalWindows: windows.length,
    running,
    method: opts.stride === undefined ? 'chunks' : 'stride',
    ctx,
    ...(opts.stride === undefined ? {} : { stride: opts.stride }),
    tokensPerSecond: done / Math.max(seconds, 1e-9),
    seconds,
    aborted,
  };
}

/** The window's token ids, its first set to `bos` where the window asks for it. */
export function windowTokens(tokens: readonly number[], w: Window, bos: number | undefined): Int32Array {
  const ids = Int32Array.from(tokens.slice(w.start, w.start + w.length));
  if (w.bos && bos !== undefined) ids[0] = bos;
  return ids;
}

/**
 * Tokenizes `text` as llama-perplexity does (the tokenizer's BOS rule, special-token text read as
 * plain text) and measures the model's perplexity on it; each chunk starts with BOS when the
 * tokenizer adds one. `source` names the text in errors.
 */
export async function perplexityOfText(model: YiModel, tokenizer: Tokenizer, text: string, opts: Omit<PerplexityOptions, 'bos'> & { source?: string } = {}): Promise<PerplexityResult> {
  const { tokens, bos } = evalTokens(tokenizer, text, { ...opts, ctx: opts.ctx ?? model.contextLength });
  return perplexity(model, tokens, { ...opts, bos });
}

/**
 * The text's tokens as llama-perplexity makes them, and the BOS id its chunks start with (none when
 * the tokenizer adds no BOS), checked against the windows asked for: an empty or too short text
 * fails here, naming `source`, before any model work.
 */
export function evalTokens(tokenizer: Tokenizer, text: string, o: { ctx: number; stride?: number; chunks?: number; source?: string }): { tokens: number[]; bos: number | undefined } {
  const source = o.source ?? 'the text';
  if (text.trim().length === 0) throw new EvalError(`${source} is empty: perplexity needs text to score`);
  const tokens = tokenizer.encode(text);
  const bos = tokenizer.spec.addBos && tokenizer.specials.bos >= 0 ? tokenizer.specials.bos : undefined;
  try {
    perplexityWindows(tokens.length, { ctx: o.ctx, stride: o.stride, chunks: o.chunks, addBos: bos !== undefined });
  } catch (e) {
    if (e instanceof EvalError) throw new EvalError(`${source}: ${e.message}`);
    throw e;
  }
  return { tokens, bos };
}
