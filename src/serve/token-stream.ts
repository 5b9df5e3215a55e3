// A single-consumer async queue of one request's token events: the engine pushes as it samples, the
// HTTP layer iterates; ending (or failing) wakes a waiting reader.
import type { TokenEvent } from './engine-api.js';

export class TokenStream implements AsyncIterable<TokenEvent> {
  private readonly buffered: TokenEvent[] = [];
  private ended = false;
  private error: unknown;
  private wake?: () => void;

  push(e: TokenEvent): void {
    if (this.ended) return;
    this.buffered.push(e);
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
      if (this.buffered.length > 0) {
        yield this.buffered.shift()!;
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
