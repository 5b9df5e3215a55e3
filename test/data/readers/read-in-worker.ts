// Reads a slice in a worker thread, so that a reader that never ends (even in a synchronous loop
// or a loop of resolved promises, which no timer in the same thread can interrupt) fails the test
// after a generous bound instead of stalling the suite.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { readSlice, type ReadItem, type Slice } from '../../../src/data/readers/index.js';

export function readInWorker(slice: Slice, skip = 0, timeoutMs = 30_000): Promise<ReadItem[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { slice, skip } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${slice.source}: the reader did not end within ${timeoutMs} ms (a hang)`));
    }, timeoutMs);
    worker.once('message', (m: { items?: ReadItem[]; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.items) resolve(m.items);
      else reject(new Error(m.error));
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// Compiled into dist/test/ where the test runner also loads it as a (test-less) file: only act in a worker.
if (!isMainThread && workerData?.slice) {
  const { slice, skip } = workerData as { slice: Slice; skip: number };
  try {
    const items: ReadItem[] = [];
    for await (const it of readSlice(slice, {}, skip)) items.push(it);
    parentPort!.postMessage({ items });
  } catch (e) {
    parentPort!.postMessage({ error: `${(e as Error).constructor.name}: ${(e as Error).message}` });
  }
}
