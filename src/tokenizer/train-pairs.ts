// The trainer's pair bookkeeping: where each adjacent symbol pair occurs and how often, in flat typed
// arrays so a corpus with millions of distinct pairs allocates no object per pair.

/**
 * Positions of pairs: one singly linked list of (left, right) entries per pair, all in three shared typed
 * arrays (no per-pair objects: millions of pairs on a large corpus).
 */
export class PosStore {
  l = new Int32Array(1 << 20);
  r = new Int32Array(1 << 20);
  next = new Int32Array(1 << 20);
  head = new Int32Array(1 << 16).fill(-1);
  n = 0;
  /** Scratch for sorted reads. */
  tl = new Int32Array(1024);
  tr = new Int32Array(1024);

  ensurePairs(nPairs: number): void {
    if (nPairs <= this.head.length) return;
    const h = new Int32Array(Math.max(nPairs, this.head.length * 2)).fill(-1);
    h.set(this.head);
    this.head = h;
  }
  push(id: number, l: number, r: number): void {
    if (this.n === this.l.length) {
      const cap = this.n * 2;
      const grow = (x: Int32Array) => {
        const y = new Int32Array(cap);
        y.set(x);
        return y;
      };
      this.l = grow(this.l);
      this.r = grow(this.r);
      this.next = grow(this.next);
    }
    const e = this.n++;
    this.l[e] = l;
    this.r[e] = r;
    this.next[e] = this.head[id]!;
    this.head[id] = e;
  }
  /** Copies the entries of `id` into tl/tr sorted by left (lefts are distinct within a list); returns the count. */
  sorted(id: number): number {
    let m = 0;
    for (let e = this.head[id]!; e >= 0; e = this.next[e]!) m++;
    if (m > this.tl.length) {
      this.tl = new Int32Array(m * 2);
      this.tr = new Int32Array(m * 2);
    }
    const idx = new Float64Array(m);
    let k = 0;
    // Sort entry indices by left: pack (left, entry) into one double (left < 2^31, entry < 2^31... use
    // left * 2^22 + rank-free trick is unsafe), so sort lefts and look rights up by a map.
    const rightOf = new Map<number, number>();
    for (let e = this.head[id]!; e >= 0; e = this.next[e]!) {
      idx[k++] = this.l[e]!;
      rightOf.set(this.l[e]!, this.r[e]!);
    }
    idx.sort();
    for (let i = 0; i < m; i++) {
      this.tl[i] = idx[i]!;
      this.tr[i] = rightOf.get(idx[i]!)!;
    }
    return m;
  }
  /**
   * Copies every list into fresh arrays keeping the entries `keep(id, l, r)` accepts (merged pairs'
   * lists and stale entries are garbage otherwise; without this the arrays grow with every merge).
   */
  compact(nPairs: number, keep: (id: number, l: number, r: number) => boolean): void {
    let live = 0;
    for (let id = 0; id < nPairs; id++) for (let e = this.head[id]!; e >= 0; e = this.next[e]!) if (keep(id, this.l[e]!, this.r[e]!)) live++;
    const cap = Math.max(1 << 20, live * 2);
    const l = new Int32Array(cap);
    const r = new Int32Array(cap);
    const next = new Int32Array(cap);
    let n = 0;
    for (let id = 0; id < nPairs; id++) {
      let h = -1;
      for (let e = this.head[id]!; e >= 0; e = this.next[e]!) {
        if (!keep(id, this.l[e]!, this.r[e]!)) continue;
        l[n] = this.l[e]!;
        r[n] = this.r[e]!;
        next[n] = h;
        h = n++;
      }
      this.head[id] = h;
    }
    this.l = l;
    this.r = r;
    this.next = next;
    this.n = n;
    this.liveAfterCompact = n;
  }
  liveAfterCompact = 0;
  /** Replaces the list of `id` by tl/tr[0..m) (entries are appended anew; old ones become garbage). */
  setFromScratch(id: number, m: number): void {
    this.head[id] = -1;
    for (let i = m - 1; i >= 0; i--) this.push(id, this.tl[i]!, this.tr[i]!);
  }
}

/** Open-addressing map (left symbol, right symbol) -> pair id (-1: not a valid piece). */
export class PairTable {
  ka: Int32Array;
  kb: Int32Array;
  v: Int32Array;
  size = 0;
  constructor(cap = 1 << 16) {
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.v = new Int32Array(cap);
  }
  private slot(a: number, b: number): number {
    const mask = this.ka.length - 1;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & mask;
    while (this.ka[h] !== -1 && (this.ka[h] !== a || this.kb[h] !== b)) h = (h + 1) & mask;
    return h;
  }
  /** The value, or -2 when absent. */
  get(a: number, b: number): number {
    const h = this.slot(a, b);
    return this.ka[h] === -1 ? -2 : this.v[h]!;
  }
  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.ka.length) this.grow();
    const h = this.slot(a, b);
    if (this.ka[h] === -1) this.size++;
    this.ka[h] = a;
    this.kb[h] = b;
    this.v[h] = v;
  }
  private grow(): void {
    const { ka, kb, v } = this;
    this.ka = new Int32Array(ka.length * 2).fill(-1);
    this.kb = new Int32Array(ka.length * 2);
    this.v = new Int32Array(ka.length * 2);
    this.size = 0;
    for (let i = 0; i < ka.length; i++) if (ka[i] !== -1) this.set(ka[i]!, kb[i]!, v[i]!);
  }
}
