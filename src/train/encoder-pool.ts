// Encodes document batches on worker threads (or in-process with one thread) and hands results
// back in submission order, so the output does not depend on which worker finished first.
import { Worker } from 'node:worker_threads';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { encodeBatch, type DocumentIds, type EncodedBatch } from './encode-batch.js';

export class EncoderPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: EncodedBatch) => void; reject: (e: Error) => void }>();
  private readonly tok?: Tokenizer;
  private nextId = 0;
  private failed?: Error;

  /** `tok` is the main thread's tokenizer (used with threads = 1); workers load `tokenizerPath` themselves. */
  constructor(tok: Tokenizer, tokenizerPath: string, readonly threads: number, private readonly marks: DocumentIds) {
    if (threads <= 1) {
      this.tok = tok;
      return;
    }
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./tokenize-worker.js', import.meta.url), { workerData: { tokenizer: tokenizerPath, marks } });
      w.on('message', (m: { id: number } & EncodedBatch) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve({ ids: m.ids, lengths: m.lengths });
      });
      w.on('error', (e) => this.fail(new Error(`tokenizer worker: ${e.message}`)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`tokenizer worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
  }

  /** Ids of `texts`; batches are spread over the workers round-robin. */
  encode(texts: string[]): Promise<EncodedBatch> {
    if (this.tok) return Promise.resolve(encodeBatch(this.tok, texts, this.marks));
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    const p = new Promise<EncodedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length]!.postMessage({ id, texts });
    });
    // The caller awaits batches in order; a failure seen first on a later batch must not count as unhandled.
    p.catch(() => {});
    return p;
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    for (const w of ws) w.removeAllListeners('exit');
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
