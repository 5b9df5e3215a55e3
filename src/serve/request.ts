// One request's state inside the engine: its known tokens (prompt, then generated), how many of them
// have K/V in the cache (vLLM's num_computed_tokens), its prefix hashes, and the stream of events
// its caller reads.
import { createHash } from 'node:crypto';
import type { FinishInfo, FinishReason, TokenEvent, TokenSampler } from './engine-api.js';

export type RequestStatus = 'waiting' | 'running' | 'finished';

/** Hash of a full block given its parent block's hash: the key of the prefix cache. Collisions
 *  would share wrong K/V, so a cryptographic hash over the parent's hash and the token ids. */
export function blockHash(parent: string, tokens: ArrayLike<number>): string {
  const ids = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) ids[i] = tokens[i]!;
  return createHash('sha256').update(parent).update(new Uint8Array(ids.buffer)).digest('base64');
}

/** A queue with one reader: events pushed by the engine, pulled by `for await`. */
export class TokenChannel implements AsyncIterable<TokenEvent> {
  private readonly items: TokenEvent[] = [];
  private ended = false;
  private error: unknown;
  private wake?: () => void;

  push(e: TokenEvent): void {
    this.items.push(e);
    this.notify();
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TokenEvent> {
    for (;;) {
      const e = this.items.shift();
      if (e !== undefined) {
        yield e;
        continue;
      }
      if (this.ended) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

export class EngineRequest {
  status: RequestStatus = 'waiting';
  /** Prompt, then the generated tokens (a stop token is not added). */
  readonly tokens: number[];
  readonly generated: number[] = [];
  /** Leading tokens whose K/V are in this request's blocks. */
  numComputed = 0;
  /** Prompt tokens served by the prefix cache at first admission. */
  cachedPromptTokens = 0;
  admitted = false;
  /** Hashes of the full blocks of `tokens`, computed as they fill. */
  readonly blockHashes: string[] = [];
  readonly channel = new TokenChannel();
  readonly submittedAt = performance.now();
  firstTokenAt = NaN;
  readonly stopTokens: ReadonlySet<number>;
  finish?: FinishInfo;

  constructor(
    readonly id: string,
    prompt: readonly number[],
    readonly maxTokens: number,
    stopTokens: readonly number[],
    readonly sampler: TokenSampler,
    readonly resolve: (f: FinishInfo) => void,
    readonly reject: (e: unknown) => void,
  ) {
    this.tokens = [...prompt];
    this.stopTokens = new Set(stopTokens);
  }

  get promptLength(): number {
    return this.tokens.length - this.generated.length;
  }

  /** The hashes of the first n full blocks (n <= tokens / blockTokens), extending the list as needed. */
  hashes(n: number, blockTokens: number): readonly string[] {
    for (let b = this.blockHashes.length; b < n; b++) {
      const parent = b === 0 ? '' : this.blockHashes[b - 1]!;
      this.blockHashes.push(blockHash(parent, this.tokens.slice(b * blockTokens, (b + 1) * blockTokens)));
    }
    return this.blockHashes;
  }

  /** Ends the request: the stream ends, `done` settles (rejects when `error` is given). */
  end(reason: FinishReason, error?: unknown): void {
    if (this.status === 'finished') return;
    this.status = 'finished';
    const now = performance.now();
    this.finish = {
      reason,
      promptTokens: this.promptLength,
      completionTokens: this.generated.length,
      cachedPromptTokens: this.cachedPromptTokens,
      ttftMs: this.firstTokenAt - this.submittedAt,
      totalMs: now - this.submittedAt,
    };
    this.channel.end(error);
    if (error !== undefined) this.reject(error);
    else this.resolve(this.finish);
  }
}
