// cluster_filter's training sample: the documents with the smallest hashes of (seed, id), a
// bottom-k sketch. Each task keeps its own k smallest; the k smallest of their union are the k
// smallest of the whole corpus, so the sample does not depend on how the input is split.
import type { Doc } from '../types.js';

/** A sampled document: its hash (hi, lo), id, title and embedded opening. */
export interface Sampled {
  h: [number, number];
  id: string;
  title: string;
  text: string;
}

const before = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const byHash = (a: Sampled, b: Sampled) => (before(a.h, b.h) ? -1 : before(b.h, a.h) ? 1 : 0);

/** The `k` items with the smallest hashes offered so far (a max-heap on the hash). */
export class BottomK {
  private readonly heap: Sampled[] = [];

  constructor(private readonly k: number) {}

  /** Offers an item; `make` runs only when it enters the sample. */
  offer(hi: number, lo: number, make: () => Omit<Sampled, 'h'>): void {
    const heap = this.heap;
    const key: [number, number] = [hi, lo];
    if (heap.length === this.k && !before(key, heap[0]!.h)) return;
    const item: Sampled = { h: key, ...make() };
    if (heap.length < this.k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!before(heap[p]!.h, heap[i]!.h)) break;
        [heap[p], heap[i]] = [heap[i]!, heap[p]!];
        i = p;
      }
      return;
    }
    heap[0] = item;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const m = l + 1 < heap.length && before(heap[l]!.h, heap[l + 1]!.h) ? l + 1 : l;
      if (!before(heap[i]!.h, heap[m]!.h)) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }

  /** The sample, smallest hash first. */
  sorted(): Sampled[] {
    return [...this.heap].sort(byHash);
  }
}

/** The `k` smallest hashes of several tasks' samples, smallest first. */
export function smallestHashes(items: Sampled[], k: number): Sampled[] {
  return [...items].sort(byHash).slice(0, k);
}

/** metadata.title, else the first non-empty line (120 characters at most). */
export function titleOf(doc: Doc): string {
  const t = doc.metadata.title;
  if (typeof t === 'string' && t.trim()) return t.trim().slice(0, 120);
  const line = doc.text.split('\n').find((l) => l.trim()) ?? '';
  return line.trim().slice(0, 120);
}
