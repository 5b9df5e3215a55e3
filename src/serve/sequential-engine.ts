// The simplest real Engine: one request at a time through YiModel's single-sequence KV cache, in
// FIFO order. The batched engine is tested against it ("each request run alone" gives the same
// tokens), and it serves where batching does not pay (one user). The cache keeps the previous
// request's tokens, so a request that shares its start (a system prompt, a conversation resent with
// one more turn) runs only its new tokens, as generate() does. Between prompt chunks and between
// tokens the loop hands the event loop a turn, so sockets, cancellations and /metrics stay live.
import type { YiModel } from '../model/model.js';
import { ContextLengthError, QueueFullError, type Engine, type EngineStats, type FinishInfo, type FinishReason, type GenerateRequest, type RequestHandle, type SamplerFactory } from './engine-api.js';
import { createSampler } from './sampling.js';
import { TokenStream } from './token-stream.js';

export interface SequentialEngineOptions {
  model: YiModel;
  /** The name /v1/models reports and requests must use. */
  modelName: string;
  /** Requests allowed to wait (beyond the running one); more are refused with QueueFullError. Default 64. */
  maxQueue?: number;
  /** Default: the OpenAI-semantics sampler of sampling.ts. */
  samplerFactory?: SamplerFactory;
  /** Tokens per reported KV block (the cache is contiguous; blocks only make the stats comparable). Default 16. */
  blockTokens?: number;
}

interface Job {
  req: GenerateRequest;
  stream: TokenStream;
  submitted: number;
  cancel: AbortController;
  resolve: (f: FinishInfo) => void;
  reject: (e: unknown) => void;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SequentialEngine implements Engine {
  readonly modelName: string;
  readonly contextLength: number;
  readonly vocabSize: number;
  private readonly model: YiModel;
  private readonly maxQueue: number;
  private readonly samplerFactory: SamplerFactory;
  private readonly blockTokens: number;
  private readonly waiting: Job[] = [];
  private running?: Job;
  private loop?: Promise<void>;
  private closing = false;
  private totals = { prefixHit: 0, prompt: 0, generated: 0 };

  constructor(o: SequentialEngineOptions) {
    this.model = o.model;
    this.modelName = o.modelName;
    this.contextLength = o.model.contextLength;
    this.vocabSize = o.model.config.vocabSize;
    this.maxQueue = o.maxQueue ?? 64;
    this.samplerFactory = o.samplerFactory ?? createSampler;
    this.blockTokens = o.blockTokens ?? 16;
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new RangeError(`SequentialEngine: maxQueue must be an integer >= 0, got ${this.maxQueue}`);
  }

  submit(req: GenerateRequest): RequestHandle {
    if (this.closing) throw new QueueFullError('the server is shutting down');
    const n = req.promptTokens.length;
    if (n === 0) throw new ContextLengthError('the prompt has no tokens');
    if (n + 1 > this.contextLength) {
      throw new ContextLengthError(`the prompt has ${n} tokens; with one generated token that is more than the context length of ${this.contextLength}`);
    }
    for (const [i, t] of req.promptTokens.entries()) {
      if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) throw new RangeError(`prompt token ${i} is ${t}, outside the vocabulary [0, ${this.vocabSize})`);
    }
    // The running request plus maxQueue waiting ones; the first waiting one runs as soon as the loop turns.
    if (this.waiting.length + (this.running ? 1 : 0) > this.maxQueue) {
      throw new QueueFullError(`the queue is full (${this.waiting.length} requests waiting, at most ${this.maxQueue})`);
    }
    const stream = new TokenStream();
    const cancel = new AbortController();
    if (req.signal) {
      if (req.signal.aborted) cancel.abort();
      else req.signal.addEventListener('abort', () => cancel.abort(), { once: true });
    }
    let resolve!: (f: FinishInfo) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<FinishInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {}); // a failure is also delivered through the token stream
    this.waiting.push({ req, stream, submitted: performance.now(), cancel, resolve, reject });
    this.loop ??= this.run().finally(() => (this.loop = undefined));
    return { tokens: stream, done, cancel: () => cancel.abort() };
  }

  stats(): EngineStats {
    const total = Math.ceil(this.contextLength / this.blockTokens);
    const used = this.running ? Math.min(total, Math.ceil(this.model.position / this.blockTokens)) : 0;
    const c = this.model.config;
    return {
      requestsRunning: this.running ? 1 : 0,
      requestsWaiting: this.waiting.length,
      kvBlocksTotal: total,
      kvBlocksUsed: used,
      kvBlocksFree: total - used,
      blockTokens: this.blockTokens,
      kvBytesPerToken: 2 * c.layers * c.kvHeads * c.headDim * 4,
      prefixCacheHitTokens: this.totals.prefixHit,
      promptTokensTotal: this.totals.prompt,
      generationTokensTotal: this.totals.generated,
      preemptionsTotal: 0,
    };
  }

  async close(opts: { graceful?: boolean } = {}): Promise<void> {
    this.closing = true;
    if (!opts.graceful) {
      for (const j of this.waiting) j.cancel.abort();
      this.running?.cancel.abort();
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    await turn(); // submit() returns before any model step runs
    while (this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running = job;
      try {
        const info = await this.serve(job);
        job.stream.end();
        job.resolve(info);
      } catch (e) {
        // The cache may hold half a step: forget it rather than reuse it.
        this.model.reset();
        job.stream.end(e);
        job.reject(e);
      } finally {
        this.running = undefined;
      }
      await turn();
    }
  }

  private async serve(job: Job): Promise<FinishInfo> {
    const { model } = this;
    const { promptTokens: ids, sampling } = job.req;
    const signal = job.cancel.signal;
    const finish = (reason: FinishReason, generated: number, cached: number, firstAt: number): FinishInfo => {
      const now = performance.now();
      return { reason, promptTokens: ids.length, completionTokens: generated, cachedPromptTokens: cached, ttftMs: Number.isNaN(firstAt) ? NaN : firstAt - job.submitted, totalMs: now - job.submitted };
    };
    if (signal.aborted) return finish('cancelled', 0, 0, NaN);

    // Keep the common prefix of the cache, but always run the last prompt token for fresh logits.
    let common = 0;
    const cached = model.tokens;
    while (common < cached.length && common < ids.length - 1 && cached[common] === ids[common]) common++;
    model.truncate(common);
    this.totals.prefixHit += common;
    this.totals.prompt += ids.length;

    let logits!: ReturnType<YiModel['forward']>;
    for (let at = common; at < ids.length; at += model.batch) {
      logits = model.forward(ids.slice(at, Math.min(at + model.batch, ids.length)));
      await turn();
      if (signal.aborted) return finish('cancelled', 0, common, NaN);
    }

    const sampler = this.samplerFactory(sampling);
    const stops = new Set(sampling.stopTokens);
    const generated: number[] = [];
    let firstAt = NaN;
    for (;;) {
      const row = logits.arena.f32.subarray(logits.offset / 4, logits.offset / 4 + this.vocabSize);
      const ev = sampler.sample(row, generated);
      if (Number.isNaN(firstAt)) firstAt = performance.now();
      if (stops.has(ev.token)) return finish('stop', generated.length, common, firstAt);
      generated.push(ev.token);
      this.totals.generated++;
      job.stream.push(ev);
      if (generated.length >= sampling.maxTokens || model.position >= this.contextLength) return finish('length', generated.length, common, firstAt);
      logits = model.forward([ev.token]);
      await turn();
      if (signal.aborted) return finish('cancelled', generated.length, common, firstAt);
    }
  }
}
