// Shared by the engine tests: a greedy sampler, request parameters, and collecting a request's output.
import type { YiModel } from '../../src/model/model.js';
import type { FinishInfo, RequestHandle, SamplerFactory, SamplingParams, TokenSampler } from '../../src/serve/engine-api.js';

/** Index of the largest logit (the first of equal ones). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Greedy sampling, whatever the parameters say (the real sampler is the HTTP layer's). */
export const greedy: SamplerFactory = (): TokenSampler => ({ sample: (logits) => ({ token: argmax(logits) }) });

export function params(maxTokens: number, stopTokens: number[] = []): SamplingParams {
  return { temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, seed: 0, maxTokens, stopTokens, logprobs: null };
}

/** Every token the request streams, and how it ended. */
export async function collect(h: RequestHandle): Promise<{ tokens: number[]; finish: FinishInfo }> {
  const tokens: number[] = [];
  for await (const e of h.tokens) tokens.push(e.token);
  return { tokens, finish: await h.done };
}

/** The single-sequence reference: YiModel.forward on the prompt, then one token at a time, greedy,
 *  stopping as the engine does (a stop token, maxTokens, or prompt + generated = contextLength). */
export function generateAlone(model: YiModel, prompt: readonly number[], maxTokens: number, contextLength: number, stop: readonly number[] = []): number[] {
  model.reset();
  let logits = model.forward(prompt).toArray();
  const out: number[] = [];
  for (;;) {
    const t = argmax(logits);
    if (stop.includes(t)) break;
    out.push(t);
    if (out.length >= maxTokens || prompt.length + out.length >= contextLength) break;
    logits = model.forward([t]).toArray();
  }
  return out;
}

/** A prompt of n token ids from a seed (ids in [3, vocab), away from bos/eos/pad). */
export function prompt(n: number, seed: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => 3 + ((i * 7919 + seed * 104729 + ((i * i * seed) % 13)) % (vocab - 3)));
}
