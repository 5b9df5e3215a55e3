// Which tokens a perplexity run feeds the model and which it scores: llama-perplexity's chunks, or
// Hugging Face's sliding window (https://huggingface.co/docs/transformers/perplexity).
import { EvalError } from './errors.js';

/** One forward pass over tokens[start, start + length) from an empty cache. */
export interface Window {
  start: number;
  length: number;
  /** Logits at window positions first .. length - 2 are scored, each against the next token. */
  first: number;
  /** Whether the window's first token is replaced by BOS before the pass (llama-perplexity's chunks). */
  bos: boolean;
}

export interface WindowOptions {
  /** Tokens per window (the context). */
  ctx: number;
  /** Hugging Face's sliding window with this stride; default: llama-perplexity's chunks. */
  stride?: number;
  /** At most this many windows (default: all that fit). */
  chunks?: number;
  /** Whether the tokenizer adds BOS (then each chunk starts with BOS, as llama-perplexity does). */
  addBos: boolean;
}

/**
 * llama-perplexity's method (tools/perplexity/perplexity.cpp, perplexity()): the tokens are cut into
 * floor(n / ctx) chunks of ctx tokens, each chunk's first token set to BOS when the tokenizer adds
 * one, and only the second half is scored: logits at positions ctx/2 .. ctx - 2 predict tokens
 * ctx/2 + 1 .. ctx - 1, so every scored token has at least ctx/2 tokens of context. It needs two
 * chunks' worth of tokens, as llama-perplexity does.
 *
 * With `stride`, Hugging Face's sliding window: windows of up to ctx tokens start every `stride`
 * tokens, and each scores only the tokens the previous windows did not (the last `end - prevEnd`);
 * with a stride below ctx every token but the first is scored exactly once, with at least
 * ctx - stride tokens of context after the first window (with stride = ctx the windows are disjoint
 * and, as in the guide's loop, each window's first token goes unscored). No BOS is inserted (the text's own leading BOS, if any, stays at 0).
 * (llama-perplexity's --ppl-stride differs: it scores the last `stride` tokens of each window.)
 */
export function perplexityWindows(nTokens: number, o: WindowOptions): Window[] {
  const { ctx } = o;
  if (!Number.isInteger(ctx) || ctx < 4) throw new EvalError(`the context must be an integer of at least 4 tokens, got ${ctx}`);
  if (o.chunks !== undefined && (!Number.isInteger(o.chunks) || o.chunks < 1)) throw new EvalError(`chunks must be a positive integer, got ${o.chunks}`);
  const limit = o.chunks ?? Infinity;
  if (o.stride === undefined) {
    if (nTokens < 2 * ctx) {
      throw new EvalError(`the text is ${nTokens} tokens; perplexity with a context of ${ctx} needs at least ${2 * ctx} (two chunks): give a longer text or a smaller --ctx`);
    }
    const n = Math.min(limit, Math.floor(nTokens / ctx));
    return Array.from({ length: n }, (_, i) => ({ start: i * ctx, length: ctx, first: Math.floor(ctx / 2), bos: o.addBos }));
  }
  const stride = o.stride;
  if (!Number.isInteger(stride) || stride < 1 || stride > ctx) throw new EvalError(`the stride must be an integer from 1 to the context (${ctx}), got ${stride}`);
  if (nTokens <= ctx) {
    throw new EvalError(`the text is ${nTokens} tokens; a sliding window of ${ctx} tokens needs at least ${ctx + 1}: give a longer text or a smaller --ctx`);
  }
  const out: Window[] = [];
  let prevEnd = 0;
  for (let begin = 0; out.length < limit; begin += stride) {
    const end = Math.min(begin + ctx, nTokens);
    const length = end - begin;
    const targets = end - prevEnd; // the tokens no earlier window scored
    out.push({ start: begin, length, first: Math.max(0, length - targets - 1), bos: false });
    prevEnd = end;
    if (end === nTokens) break;
  }
  return out;
}
