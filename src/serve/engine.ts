// The serving engine: requests in, token events out. A loop runs one step at a time while there is
// work (schedule, run the model over every scheduled token at once, sample, commit), yielding to the
// event loop between steps so that the HTTP server keeps accepting, streaming and cancelling.
// The model is behind ModelRunner (batch-step.ts runs a YiModel; tests may pass a fake), so the
// scheduling and block bookkeeping can be tested on their own.
import {
  ContextLengthError,
  EngineClosedError,
  InvalidRequestError,
  QueueFullError,
  type Engine,
  type EngineStats,
  type FinishInfo,
  type FinishReason,
  type GenerateRequest,
  type RequestHandle,
  type SamplerFactory,
} from './engine-api.js';
import { checkInt } from './engine-options.js';
import { KVCacheManager } from './kv-cache-manager.js';
import { EngineRequest } from './request.js';
import { Scheduler, type ScheduledSeq } from './scheduler.js';

/** One sequence's share of a model step. */
export interface StepInput {
  /** Tokens of this step, at positions pos0 .. pos0 + tokens.length - 1. */
  tokens: readonly number[];
  pos0: number;
  /** Block ids of positions 0 .. pos0 + tokens.length - 1 (block i holds positions i * blockTokens ..). */
  blockTable: readonly number[];
  /** Whether the step returns the logits of this sequence's last token. */
  logits: boolean;
}

/** What runs the model: one batched step over several sequences' tokens. */
export interface ModelRunner {
  readonly vocabSize: number;
  /** Writes every token's K/V into its slot and returns the logits [V] of each sequence with
   *  `logits` set, in order (views the next run overwrites; the sampler may modify them). */
  run(seqs: readonly StepInput[]): Float32Array[];
  /** Frees the runner's buffers (the engine is closed). */
  dispose(): void;
}

/** What one step did and where its time went (LLMEngine.onStep; benchmarks and profiling). */
export interface StepReport {
  /** Sequences in the step and their tokens (decodes count one each). */
  seqs: number;
  tokens: number;
  /** Sequences that decoded one token / tokens of prompt chunks. */
  decodes: number;
  promptTokens: number;
  scheduleMs: number;
  /** The model step (ModelRunner.run). */
  runMs: number;
  /** Sampling and emitting the step's tokens. */
  sampleMs: number;
}

/** The engine's settings once defaults are applied (createEngine computes them for a model). */
export interface EngineSettings {
  modelName: string;
  contextLength: number;
  maxSeqs: number;
  maxBatchedTokens: number;
  maxWaiting: number;
  numBlocks: number;
  blockTokens: number;
  kvBytesPerToken: number;
  prefixCaching: boolean;
  sampler: SamplerFactory;
}

export class LLMEngine implements Engine {
  readonly modelName: string;
  readonly contextLength: number;
  readonly vocabSize: number;
  /** Block tables and the pool's bookkeeping (read by tests and /metrics through stats()). */
  readonly kv: KVCacheManager;
  private readonly scheduler: Scheduler;
  private loopQueued = false;
  private closing = false;
  private closed?: Promise<void>;
  private idleWaiters: (() => void)[] = [];
  private promptTokensTotal = 0;
  private generationTokensTotal = 0;
  private steps = 0;
  private computedTokens = 0;
  /** Called after every step with its timings (off when undefined; costs a few performance.now()). */
  onStep: ((r: StepReport) => void) | undefined;

  constructor(
    private readonly runner: ModelRunner,
    readonly settings: EngineSettings,
  ) {
    const s = settings;
    checkInt('--max-seqs', s.maxSeqs, 1);
    checkInt('--max-batched-tokens', s.maxBatchedTokens, 1);
    checkInt('--max-waiting', s.maxWaiting, 0);
    checkInt('--block-tokens', s.blockTokens, 1, 4096);
    checkInt('KV pool blocks', s.numBlocks, 1);
    // A request alone must always fit, or the scheduler could preempt it forever.
    checkInt('context length', s.contextLength, 2, s.numBlocks * s.blockTokens);
    this.modelName = s.modelName;
    this.contextLength = s.contextLength;
    this.vocabSize = runner.vocabSize;
    this.kv = new KVCacheManager(s.numBlocks, s.blockTokens, s.prefixCaching);
    this.scheduler = new Scheduler(this.kv, { maxSeqs: s.maxSeqs, maxBatchedTokens: s.maxBatchedTokens });
  }

  submit(req: GenerateRequest): RequestHandle {
    if (this.closing) throw new EngineClosedError(`request ${req.id}: the engine is shutting down`);
    const prompt = req.promptTokens;
    if (prompt.length === 0) throw new InvalidRequestError(`request ${req.id}: promptTokens is empty; expected at least one token`);
    for (let i = 0; i < prompt.length; i++) {
      const t = prompt[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) throw new InvalidRequestError(`request ${req.id}: promptTokens[${i}] = ${t} is not a token id in [0, ${this.vocabSize})`);
    }
    const maxTokens = req.sampling.maxTokens;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new InvalidRequestError(`request ${req.id}: sampling.maxTokens must be an integer >= 1, got ${maxTokens}`);
    if (prompt.length + 1 > this.contextLength) {
      throw new ContextLengthError(`request ${req.id}: the prompt has ${prompt.length} tokens; with one generated token that exceeds the context length of ${this.contextLength}`);
    }
    // Requests that the next step will admit to free running slots are not waiting for one: only
    // those beyond the slots count against the queue (so --max-queue 0 still serves --max-seqs at once).
    const freeSlots = Math.max(0, this.settings.maxSeqs - this.scheduler.running.length);
    const queued = Math.max(0, this.scheduler.waiting.length - freeSlots);
    if (queued >= this.settings.maxWaiting && this.scheduler.waiting.length >= freeSlots) {
      throw new QueueFullError(`request ${req.id}: the queue is full: all ${this.settings.maxSeqs} slots are taken and ${queued} requests wait (--max-queue ${this.settings.maxWaiting})`);
    }
    const sampler = this.settings.sampler(req.sampling);
    let resolve!: (f: FinishInfo) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<FinishInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that only streams must not see an unhandled rejection take the process down.
    done.catch(() => {});
    const r = new EngineRequest(req.id, prompt, maxTokens, req.sampling.stopTokens, sampler, resolve, reject);
    const cancel = (): void => this.finish(r, 'cancelled');
    if (req.signal?.aborted) {
      r.end('cancelled');
    } else {
      req.signal?.addEventListener('abort', cancel, { once: true });
      void done.finally(() => req.signal?.removeEventListener('abort', cancel)).catch(() => {});
      this.scheduler.add(r);
      this.wake();
    }
    return { tokens: r.channel, done, cancel };
  }

  stats(): EngineStats {
    const pool = this.kv.pool;
    return {
      requestsRunning: this.scheduler.running.length,
      requestsWaiting: this.scheduler.waiting.length,
      kvBlocksTotal: pool.numBlocks,
      kvBlocksUsed: pool.numUsed,
      kvBlocksFree: pool.numFree,
      blockTokens: this.settings.blockTokens,
      kvBytesPerToken: this.settings.kvBytesPerToken,
      prefixCacheHitTokens: this.scheduler.prefixHitTokens,
      promptTokensTotal: this.promptTokensTotal,
      generationTokensTotal: this.generationTokensTotal,
      preemptionsTotal: this.scheduler.preemptions,
    };
  }

  /** Steps run so far (tests: "within one step"). */
  get stepCount(): number {
    return this.steps;
  }

  /** Tokens the model has computed so far (prefix-cache hits are not computed). */
  get computedTokensTotal(): number {
    return this.computedTokens;
  }

  close(opts: { graceful?: boolean } = {}): Promise<void> {
    this.closing = true;
    if (!opts.graceful) {
      for (const r of [...this.scheduler.running, ...this.scheduler.waiting]) this.finish(r, 'cancelled');
    }
    this.closed ??= this.idle().then(() => this.runner.dispose());
    return this.closed;
  }

  /** Resolves once no request is queued or running and no step is pending. */
  private idle(): Promise<void> {
    if (!this.scheduler.hasWork && !this.loopQueued) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wake(): void {
    if (this.loopQueued) return;
    if (!this.scheduler.hasWork) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
      return;
    }
    this.loopQueued = true;
    setImmediate(() => {
      this.loopQueued = false;
      this.step();
      this.wake();
    });
  }

  /** One engine step: schedule, run the model, sample, commit. */
  private step(): void {
    const report = this.onStep;
    const t0 = report ? performance.now() : 0;
    const seqs = this.scheduler.schedule();
    if (seqs.length === 0) return;
    this.steps++;
    const t1 = report ? performance.now() : 0;
    let logits: Float32Array[];
    try {
      logits = this.runner.run(seqs.map((s) => this.stepInput(s)));
    } catch (e) {
      // The step's requests fail (their blocks hold partial rows, never registered in the prefix
      // cache); the others carry on.
      const err = e instanceof Error ? e : new Error(String(e));
      for (const s of seqs) this.finish(s.req, 'stop', err);
      return;
    }
    this.scheduler.commit(seqs);
    for (const s of seqs) this.computedTokens += s.n;
    const t2 = report ? performance.now() : 0;
    let row = 0;
    for (const s of seqs) if (s.sample) this.accept(s.req, logits[row++]!);
    if (report) {
      let tokens = 0;
      let decodes = 0;
      for (const s of seqs) {
        tokens += s.n;
        if (s.n === 1 && s.pos0 >= s.req.promptLength) decodes++;
      }
      report({ seqs: seqs.length, tokens, decodes, promptTokens: tokens - decodes, scheduleMs: t1 - t0, runMs: t2 - t1, sampleMs: performance.now() - t2 });
    }
  }

  private stepInput(s: ScheduledSeq): StepInput {
    return { tokens: s.req.tokens.slice(s.pos0, s.pos0 + s.n), pos0: s.pos0, blockTable: this.kv.table(s.req), logits: s.sample };
  }

  /** Samples the request's next token from its logits and emits it, or ends the request. */
  private accept(r: EngineRequest, logits: Float32Array): void {
    let event;
    try {
      event = r.sampler.sample(logits, r.generated);
      if (!Number.isInteger(event.token) || event.token < 0 || event.token >= this.vocabSize) {
        throw new InvalidRequestError(`request ${r.id}: the sampler returned token ${event.token}, not an id in [0, ${this.vocabSize})`);
      }
    } catch (e) {
      this.finish(r, 'stop', e);
      return;
    }
    if (r.generated.length === 0) this.promptTokensTotal += r.promptLength;
    if (r.stopTokens.has(event.token)) {
      this.finish(r, 'stop');
      return;
    }
    if (Number.isNaN(r.firstTokenAt)) r.firstTokenAt = performance.now();
    r.tokens.push(event.token);
    r.generated.push(event.token);
    this.generationTokensTotal++;
    r.channel.push(event);
    if (r.generated.length >= r.maxTokens || r.tokens.length >= this.contextLength) this.finish(r, 'length');
  }

  /** Ends a request and frees its blocks at once (cancellation lands between steps, never inside one). */
  private finish(r: EngineRequest, reason: FinishReason, error?: unknown): void {
    if (r.status === 'finished') return;
    this.scheduler.remove(r);
    r.end(reason, error);
    if (!this.scheduler.hasWork) this.wake();
  }
}
