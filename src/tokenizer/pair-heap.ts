// Max-heap of candidate merges ("the agenda" in sentencepiece's bpe_model.cc): best score first, ties to
// the leftmost pair. Entries live in growable typed arrays and the heap holds slot numbers, so a long
// text costs a few reallocations rather than an object per pair.

export class PairHeap {
  score = new Float64Array(256);
  left = new Int32Array(256);
  right = new Int32Array(256);
  size = new Int32Array(256);
  merged = new Int32Array(256);
  private heap = new Int32Array(256);
  private slots = 0;
  length = 0;

  clear(): void {
    this.slots = 0;
    this.length = 0;
  }

  push(score: number, left: number, right: number, size: number, merged: number): void {
    if (this.slots === this.score.length) this.grow();
    const s = this.slots++;
    this.score[s] = score;
    this.left[s] = left;
    this.right[s] = right;
    this.size[s] = size;
    this.merged[s] = merged;
    // Sift up.
    const h = this.heap;
    let i = this.length++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(s, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = s;
  }

  /** Removes the best entry and returns its slot (valid until the next clear()). */
  pop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h[--this.length]!;
    const n = this.length;
    let i = 0;
    // Sift down.
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.better(h[c + 1]!, h[c]!)) c++;
      if (!this.better(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }

  private better(a: number, b: number): boolean {
    const sa = this.score[a]!;
    const sb = this.score[b]!;
    return sa > sb || (sa === sb && this.left[a]! < this.left[b]!);
  }

  private grow(): void {
    const n = this.score.length * 2;
    const g = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.score = g(this.score, (k) => new Float64Array(k));
    this.left = g(this.left, (k) => new Int32Array(k));
    this.right = g(this.right, (k) => new Int32Array(k));
    this.size = g(this.size, (k) => new Int32Array(k));
    this.merged = g(this.merged, (k) => new Int32Array(k));
    this.heap = g(this.heap, (k) => new Int32Array(k));
  }
}
