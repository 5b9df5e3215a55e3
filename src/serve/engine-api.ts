// The contract between the serving engine (scheduler, paged KV cache, batched model steps) and the
// HTTP layer (OpenAI API, metrics, chat page). The engine speaks token ids only: text, chat
// templates, stop strings and JSON belong to the HTTP layer, so the scheduler can be tested
// without a socket and the API without a model step.

/** Per-request sampling, already validated by the HTTP layer (OpenAI names in comments). */
export interface SamplingParams {
  /** 0 = greedy. `temperature` */
  temperature: number;
  /** 1 = off. `top_p` */
  topP: number;
  /** 0 = off. `top_k` */
  topK: number;
  /** 0 = off. `min_p` */
  minP: number;
  /** OpenAI's additive penalties over the tokens generated so far (0 = off). */
  presencePenalty: number;
  frequencyPenalty: number;
  /** Seed of this request's random stream; the same seed and prompt give the same tokens, alone or batched. */
  seed: number;
  /** Tokens to generate at most (`max_tokens`); the engine also stops at the context length. */
  maxTokens: number;
  /** Token ids that end the answer (not emitted): the tokenizer's end-of-generation ids and any the request adds. */
  stopTokens: readonly number[];
  /** Alternatives to report per generated token (`top_logprobs`); null = no logprobs at all. */
  logprobs: number | null;
}

export interface GenerateRequest {
  /** Unique per request (the HTTP layer's `cmpl-...` id, with a choice suffix for n > 1). */
  id: string;
  promptTokens: readonly number[];
  sampling: SamplingParams;
  /** Aborting cancels the request; its KV blocks are freed within one engine step. */
  signal?: AbortSignal;
}

export interface TokenLogprob {
  token: number;
  logprob: number;
}

export interface TokenEvent {
  token: number;
  /** Present when sampling.logprobs is not null: the chosen token's log-probability (of the
   *  distribution before temperature and filtering, as OpenAI reports) and the top alternatives. */
  logprob?: number;
  topLogprobs?: TokenLogprob[];
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface FinishInfo {
  reason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens whose K/V came from the prefix cache. */
  cachedPromptTokens: number;
  /** Milliseconds from submit to the first generated token (NaN if none). */
  ttftMs: number;
  /** Milliseconds from submit to the end. */
  totalMs: number;
}

/** One submitted request: its tokens as they are sampled, and how it ended. */
export interface RequestHandle {
  /** Generated tokens, in order; the iterator ends when the request finishes (any reason). */
  readonly tokens: AsyncIterable<TokenEvent>;
  /** Resolves once the request has finished and its blocks are released; never rejects for a
   *  cancellation (reason 'cancelled'), rejects only on an engine failure. */
  readonly done: Promise<FinishInfo>;
  /** Same as aborting the request's signal. */
  cancel(): void;
}

/** Refusals at submit time; the HTTP layer maps them to 429 / 400. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}
export class ContextLengthError extends Error {
  override name = 'ContextLengthError';
}
/** A request the engine cannot run (empty prompt, a token id outside the vocabulary, maxTokens < 1);
 *  the HTTP layer validates first, so this names the field for a library caller (400). */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
}
/** submit() after close() began (503 while shutting down). */
export class EngineClosedError extends Error {
  override name = 'EngineClosedError';
}

/** What /metrics and the start-up banner report. */
export interface EngineStats {
  requestsRunning: number;
  requestsWaiting: number;
  kvBlocksTotal: number;
  kvBlocksUsed: number;
  kvBlocksFree: number;
  /** Tokens per KV block. */
  blockTokens: number;
  /** Bytes of K and V per token over all layers. */
  kvBytesPerToken: number;
  prefixCacheHitTokens: number;
  promptTokensTotal: number;
  generationTokensTotal: number;
  preemptionsTotal: number;
}

export interface Engine {
  readonly modelName: string;
  /** Positions one sequence may hold (prompt + generated). */
  readonly contextLength: number;
  readonly vocabSize: number;
  /** Queues a request. Throws ContextLengthError when the prompt plus one token does not fit the
   *  context, QueueFullError when the waiting queue is full. */
  submit(req: GenerateRequest): RequestHandle;
  stats(): EngineStats;
  /** Stops taking requests; graceful: lets running and waiting requests finish, else cancels them.
   *  Resolves when the loop has stopped and every block is free. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

/** Picks one request's next token from its logits; one per request, stateful (its own seeded random
 *  stream), so a request samples the same tokens alone or batched with others. */
export interface TokenSampler {
  /** `logits`: the request's row [V] (may be modified in place, e.g. by penalties);
   *  `generated`: the tokens it has generated so far. */
  sample(logits: Float32Array, generated: readonly number[]): TokenEvent;
}

export type SamplerFactory = (params: SamplingParams) => TokenSampler;
