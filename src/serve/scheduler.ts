// The scheduler, in the style of vLLM v1: one token budget per step; every running request catches
// its computed tokens up to its known tokens (a decode is one token, a prompt a chunk of whatever the
// budget leaves), then waiting requests are admitted while the budget, the sequence limit and the
// free blocks allow. When a running request needs a block and none is free, the most recently
// admitted request is preempted by recompute: its blocks are freed and it returns to the head of the
// queue (its prefix cache entries usually bring most of it back).
//
// Progress is guaranteed: the oldest running request is preempted only when it is alone, and alone
// it always fits (the engine caps the context at the pool's capacity).
import type { KVCacheManager, PrefixHit } from './kv-cache-manager.js';
import type { EngineRequest } from './request.js';

/** One request's share of a step: tokens pos0 .. pos0 + n - 1 of its known tokens. */
export interface ScheduledSeq {
  req: EngineRequest;
  pos0: number;
  n: number;
  /** The chunk reaches the last known token: the step's logits pick its next token. */
  sample: boolean;
}

export interface SchedulerLimits {
  /** Requests running at once (--max-seqs). */
  maxSeqs: number;
  /** Tokens computed per step, over all requests (--max-batched-tokens). */
  maxBatchedTokens: number;
}

export class Scheduler {
  readonly waiting: EngineRequest[] = [];
  readonly running: EngineRequest[] = [];
  preemptions = 0;
  prefixHitTokens = 0;

  constructor(
    readonly kv: KVCacheManager,
    readonly limits: SchedulerLimits,
  ) {}

  add(req: EngineRequest): void {
    req.status = 'waiting';
    this.waiting.push(req);
  }

  get hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  /** The next step's work; empty only when there is none. */
  schedule(): ScheduledSeq[] {
    let budget = this.limits.maxBatchedTokens;
    const out: ScheduledSeq[] = [];
    let preempted = false;
    for (let i = 0; i < this.running.length && budget > 0; ) {
      const req = this.running[i]!;
      const n = Math.min(req.tokens.length - req.numComputed, budget);
      let fits = this.kv.allocateSlots(req, req.numComputed, n);
      while (!fits) {
        const victim = this.running.pop()!;
        this.preempt(victim);
        preempted = true;
        if (victim === req) break;
        fits = this.kv.allocateSlots(req, req.numComputed, n);
      }
      if (!fits) break;
      out.push({ req, pos0: req.numComputed, n, sample: req.numComputed + n === req.tokens.length });
      budget -= n;
      i++;
    }
    // A step that had to preempt admits nobody: the freed blocks go to the running requests first.
    while (!preempted && budget > 0 && this.waiting.length > 0 && this.running.length < this.limits.maxSeqs) {
      const req = this.waiting[0]!;
      const hit: PrefixHit = this.kv.prefixHit(req);
      const n = Math.min(req.tokens.length - hit.tokens, budget);
      if (!this.kv.allocateSlots(req, hit.tokens, n, hit)) break;
      this.waiting.shift();
      req.status = 'running';
      req.numComputed = hit.tokens;
      this.prefixHitTokens += hit.tokens;
      if (!req.admitted) {
        req.admitted = true;
        req.cachedPromptTokens = Math.min(hit.tokens, req.promptLength);
      }
      this.running.push(req);
      out.push({ req, pos0: hit.tokens, n, sample: hit.tokens + n === req.tokens.length });
      budget -= n;
    }
    return out;
  }

  /** After a step computed `seqs`: their K/V are in the cache; full blocks join the prefix cache. */
  commit(seqs: readonly ScheduledSeq[]): void {
    for (const s of seqs) {
      s.req.numComputed = s.pos0 + s.n;
      this.kv.cacheComputed(s.req);
    }
  }

  /** Takes a request out of the queues and frees its blocks (finished, cancelled, failed). */
  remove(req: EngineRequest): void {
    const w = this.waiting.indexOf(req);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.indexOf(req);
    if (r >= 0) this.running.splice(r, 1);
    this.kv.free(req);
  }

  private preempt(req: EngineRequest): void {
    this.kv.free(req);
    req.numComputed = 0;
    req.status = 'waiting';
    this.waiting.unshift(req);
    this.preemptions++;
  }
}
