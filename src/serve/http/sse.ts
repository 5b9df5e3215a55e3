// Server-sent events as OpenAI streams them: `data: {json}\n\n` per chunk, `data: [DONE]\n\n` last.
import type { ServerResponse } from 'node:http';

export class SseWriter {
  constructor(private readonly res: ServerResponse) {}

  start(): void {
    this.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    this.res.flushHeaders();
  }

  get started(): boolean {
    return this.res.headersSent;
  }

  send(chunk: unknown): void {
    // A client that went away: its request is being cancelled; nothing more to write.
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  done(): void {
    if (this.res.writableEnded) return;
    if (!this.res.destroyed) this.res.write('data: [DONE]\n\n');
    this.res.end();
  }
}
