// 64-bit keys (hashes) as pairs of uint32 (hi, lo): JavaScript numbers hold 53 bits and BigInt is
// slow, so keys live in parallel Uint32Arrays, sorted by an LSD radix sort and searched by binary
// search, both in plain number arithmetic.

/**
 * Sorts the first `n` records (hi[i], lo[i], payload[i]) by (hi, lo), ascending. Stable: records
 * with equal keys keep their order (so a payload pushed in increasing order stays increasing).
 */
export function sortU64(hi: Uint32Array, lo: Uint32Array, payload: Uint32Array | null, n = hi.length): void {
  if (n < 2) return;
  const origin: Uint32Array = hi.subarray(0, n);
  let kh: Uint32Array = origin;
  let kl: Uint32Array = lo.subarray(0, n);
  let pv: Uint32Array | null = payload ? payload.subarray(0, n) : null;
  let th: Uint32Array = new Uint32Array(n);
  let tl: Uint32Array = new Uint32Array(n);
  let tp: Uint32Array | null = pv ? new Uint32Array(n) : null;
  const count = new Uint32Array(256);
  for (let pass = 0; pass < 8; pass++) {
    const src = pass < 4 ? kl : kh;
    const shift = (pass & 3) * 8;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & 255]!++;
    // A pass in which every key has the same digit changes nothing.
    if (count[(src[0]! >>> shift) & 255] === n) continue;
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(src[i]! >>> shift) & 255]!++;
      th[at] = kh[i]!;
      tl[at] = kl[i]!;
      if (tp) tp[at] = pv![i]!;
    }
    [kh, th] = [th, kh];
    [kl, tl] = [tl, kl];
    if (tp) [pv, tp] = [tp, pv!];
  }
  if (kh !== origin) {
    hi.set(kh);
    lo.set(kl);
    if (payload) payload.set(pv!);
  }
}

/** Position of (h, l) in sorted key arrays, or -1. */
export function searchU64(hi: Uint32Array, lo: Uint32Array, h: number, l: number, n = hi.length): number {
  let a = 0;
  let b = n;
  while (a < b) {
    const m = (a + b) >>> 1;
    const mh = hi[m]!;
    if (mh < h || (mh === h && lo[m]! < l)) a = m + 1;
    else b = m;
  }
  return a < n && hi[a] === h && lo[a] === l ? a : -1;
}

/** Compares two keys: negative, zero or positive. */
export function compareU64(ah: number, al: number, bh: number, bl: number): number {
  return ah !== bh ? ah - bh : al - bl;
}

/**
 * A growable open-addressing map from 64-bit keys to uint32 values (hash keys are already
 * uniform, so the low word picks the slot). Memory: 12 bytes per slot, at most 2 slots per entry.
 */
export class U64Map {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private val: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.mask = cap - 1;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
  }

  private slot(h: number, l: number): number {
    let i = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
    while (this.used[i] && (this.hi[i] !== h || this.lo[i] !== l)) i = (i + 1) & this.mask;
    return i;
  }

  get(h: number, l: number): number | undefined {
    const i = this.slot(h, l);
    return this.used[i] ? this.val[i] : undefined;
  }

  /** Sets the value only if the key is new; returns the key's value after the call. */
  setIfAbsent(h: number, l: number, v: number): number {
    const i = this.slot(h, l);
    if (this.used[i]) return this.val[i]!;
    this.used[i] = 1;
    this.hi[i] = h;
    this.lo[i] = l;
    this.val[i] = v;
    if (++this.size * 2 > this.mask) this.grow();
    return v;
  }

  private grow(): void {
    const { hi, lo, val, used } = this;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    for (let i = 0; i < used.length; i++) {
      if (!used[i]) continue;
      const j = this.slot(hi[i]!, lo[i]!);
      this.used[j] = 1;
      this.hi[j] = hi[i]!;
      this.lo[j] = lo[i]!;
      this.val[j] = val[i]!;
    }
  }

  /** The entries as parallel arrays sorted by key. */
  sorted(): { hi: Uint32Array; lo: Uint32Array; val: Uint32Array } {
    const n = this.size;
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    const val = new Uint32Array(n);
    let k = 0;
    for (let i = 0; i < this.used.length; i++) {
      if (!this.used[i]) continue;
      hi[k] = this.hi[i]!;
      lo[k] = this.lo[i]!;
      val[k++] = this.val[i]!;
    }
    sortU64(hi, lo, val);
    return { hi, lo, val };
  }
}

/** An append-only list of uint32 that grows by doubling. */
export class U32List {
  data: Uint32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Uint32Array(Math.max(4, capacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length++] = v;
  }

  push2(a: number, b: number): void {
    if (this.length + 2 > this.data.length) this.reserve(this.length + 2);
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }

  reserve(n: number): void {
    if (n <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < n) cap *= 2;
    const d = new Uint32Array(cap);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }

  /** A copy of the contents, exactly `length` long. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}
