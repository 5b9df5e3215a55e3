// Text generation: prompt -> tokens, prefill (reusing the KV cache's common prefix), then one
// token at a time until a stop token, a stop string or the token limit; text is streamed without
// ever cutting a UTF-8 character or showing the start of a stop string. The prompt runs in chunks of
// the model's batch. generateAsync is the same loop, handing the event loop a turn between prompt
// chunks and between tokens: the forward pass is synchronous, so only there can a signal (Ctrl-C in
// `yi chat` and `yi generate`) be seen, even during a prompt of thousands of tokens.
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { YiModel } from './model.js';
import { StopStringFilter } from '../tokenizer/stop-strings.js';
import { Sampler, type SamplerOptions } from './sampler.js';

export interface GenerateOptions extends SamplerOptions {
  /** Most tokens to generate. Default 256. */
  maxTokens?: number;
  /** Strings that end the answer (not included in it). */
  stop?: string[];
  /** Token ids that end the answer. Default: the tokenizer's end-of-generation ids (eos and
   *  <|im_end|> for Yi chat models, so chat never runs on). */
  stopTokens?: number[];
  /** Receives the answer's text as it grows. */
  onText?: (text: string) => void;
  /** Add the tokenizer's BOS before a text prompt (default: the tokenizer's own setting). */
  addBos?: boolean;
  /** Stops the answer where it is (finish reason 'aborted'); looked at before every prompt chunk and
   *  every token. Stopped during the prompt, the cache is rolled back to what it held before the call. */
  signal?: AbortSignal;
}

export interface GenerateResult {
  text: string;
  tokens: number[];
  promptTokens: number;
  /** Prompt tokens that had been run (reused ones included) when generation ended: promptTokens, or
   *  fewer when the signal stopped it during the prompt (then no token was generated). */
  promptDone: number;
  /** Prompt tokens whose cached keys/values were reused from the previous call. */
  reusedTokens: number;
  finishReason: 'stop' | 'length' | 'context' | 'aborted';
  promptSeconds: number;
  generateSeconds: number;
}

export function generate(model: YiModel, tokenizer: Tokenizer, prompt: string | readonly number[], opts: GenerateOptions = {}): GenerateResult {
  const steps = generationSteps(model, tokenizer, prompt, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** generate(), yielding to the event loop after every prompt chunk and every token (so `opts.signal` can be aborted meanwhile). */
export async function generateAsync(model: YiModel, tokenizer: Tokenizer, prompt: string | readonly number[], opts: GenerateOptions = {}): Promise<GenerateResult> {
  const steps = generationSteps(model, tokenizer, prompt, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The generation loop; it yields after each prompt chunk but the last and after each generated token. */
function* generationSteps(model: YiModel, tokenizer: Tokenizer, prompt: string | readonly number[], opts: GenerateOptions): Generator<void, GenerateResult> {
  const maxTokens = opts.maxTokens ?? 256;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`generate: maxTokens must be an integer >= 0, got ${maxTokens}`);
  const stopTokens = new Set(opts.stopTokens ?? tokenizer.endOfGenerationIds);
  const ids = typeof prompt === 'string' ? tokenizer.encode(prompt, { addBos: opts.addBos, parseSpecial: true }) : [...prompt];
  if (ids.length === 0) throw new RangeError('generate: the prompt has no tokens');
  if (ids.length >= model.contextLength) {
    throw new RangeError(`generate: the prompt has ${ids.length} tokens; the context holds ${model.contextLength}`);
  }
  const sampler = new Sampler(opts);

  // Reuse the cached prefix (multi-turn chat re-sends the conversation): keep the common tokens,
  // but always run at least the last prompt token to get fresh logits.
  let common = 0;
  const cached = model.tokens;
  while (common < cached.length && common < ids.length - 1 && cached[common] === ids[common]) common++;
  model.truncate(common);

  const t0 = performance.now();
  const stoppedInPrompt = (done: number): GenerateResult => {
    model.truncate(common);
    const t = (performance.now() - t0) / 1e3;
    return { text: '', tokens: [], promptTokens: ids.length, promptDone: done, reusedTokens: common, finishReason: 'aborted', promptSeconds: t, generateSeconds: 0 };
  };
  // One forward() per batch-sized chunk: the same steps forward() takes inside, with a turn between them.
  let logits!: ReturnType<YiModel['forward']>;
  for (let at = common; at < ids.length; at += model.batch) {
    if (opts.signal?.aborted) return stoppedInPrompt(at);
    logits = model.forward(ids.slice(at, Math.min(at + model.batch, ids.length)));
    if (at + model.batch < ids.length) yield;
  }
  const t1 = performance.now();

  const out: number[] = [];
  const decoder = tokenizer.createStreamDecoder();
  const stops = new StopStringFilter(opts.stop);
  let finishReason: GenerateResult['finishReason'] = 'length';
  const history = [...ids];
  while (out.length < maxTokens) {
    if (opts.signal?.aborted) {
      finishReason = 'aborted';
      break;
    }
    const next = sampler.sample(logits, history);
    if (stopTokens.has(next)) {
      finishReason = 'stop';
      break;
    }
    out.push(next);
    history.push(next);
    const shown = stops.push(decoder.push(next));
    if (shown) opts.onText?.(shown);
    if (stops.stopped) {
      finishReason = 'stop';
      break;
    }
    if (out.length >= maxTokens) break;
    if (model.position >= model.contextLength) {
      finishReason = 'context';
      break;
    }
    logits = model.forward([next]);
    yield;
  }
  // Bytes of an unfinished character before a stop token are dropped, not shown as U+FFFD.
  const rest = stops.finish(finishReason === 'stop' ? '' : decoder.flush());
  if (rest) opts.onText?.(rest);
  const text = stops.text;
  const t2 = performance.now();
  return {
    text,
    tokens: out,
    promptTokens: ids.length,
    promptDone: ids.length,
    reusedTokens: common,
    finishReason,
    promptSeconds: (t1 - t0) / 1e3,
    generateSeconds: (t2 - t1) / 1e3,
  };
}
