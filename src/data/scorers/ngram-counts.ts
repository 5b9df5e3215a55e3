// Counting n-grams of one order for language-model training: an open-addressing hash table over
// fixed-length keys of token ids, in typed arrays (no per-n-gram objects), grown by doubling.

function hashKey(keys: ArrayLike<number>, at: number, n: number): number {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ keys[at + i]!, 0x9e3779b1);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}

export class NgramCounts {
  /** Slot s holds the key keys[s*order .. s*order+order) when counts[s] > 0 (0 marks an empty slot). */
  keys: Uint32Array;
  counts: Uint32Array;
  size = 0;
  private mask: number;

  constructor(
    readonly order: number,
    initialCapacity = 1 << 12,
  ) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.keys = new Uint32Array(cap * order);
    this.counts = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get capacity(): number {
    return this.counts.length;
  }

  /** Adds `inc` (>= 1) to the count of the n-gram ids[at .. at+order); returns its slot. */
  add(ids: ArrayLike<number>, at: number, inc = 1): number {
    if ((this.size + 1) * 2 > this.capacity) this.grow();
    const n = this.order;
    let s = hashKey(ids, at, n) & this.mask;
    for (;;) {
      if (this.counts[s] === 0) {
        const k = s * n;
        for (let i = 0; i < n; i++) this.keys[k + i] = ids[at + i]!;
        this.counts[s] = inc;
        this.size++;
        return s;
      }
      if (this.sameKey(s, ids, at)) {
        // Counts saturate rather than wrap (a corpus with 4 billion copies of one n-gram).
        this.counts[s] = Math.min(0xffffffff, this.counts[s]! + inc);
        return s;
      }
      s = (s + 1) & this.mask;
    }
  }

  /** The slot of the n-gram ids[at .. at+order), or -1. */
  find(ids: ArrayLike<number>, at: number): number {
    let s = hashKey(ids, at, this.order) & this.mask;
    for (;;) {
      if (this.counts[s] === 0) return -1;
      if (this.sameKey(s, ids, at)) return s;
      s = (s + 1) & this.mask;
    }
  }

  private sameKey(s: number, ids: ArrayLike<number>, at: number): boolean {
    const n = this.order;
    const k = s * n;
    for (let i = 0; i < n; i++) if (this.keys[k + i] !== ids[at + i]) return false;
    return true;
  }

  private grow(): void {
    const n = this.order;
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    const cap = oldCounts.length * 2;
    this.keys = new Uint32Array(cap * n);
    this.counts = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let o = 0; o < oldCounts.length; o++) {
      const c = oldCounts[o]!;
      if (c === 0) continue;
      let s = hashKey(oldKeys, o * n, n) & this.mask;
      while (this.counts[s] !== 0) s = (s + 1) & this.mask;
      this.keys.set(oldKeys.subarray(o * n, o * n + n), s * n);
      this.counts[s] = c;
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.keys.byteLength + this.counts.byteLength;
  }
}
