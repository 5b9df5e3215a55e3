// Word n-gram statistics for the Gopher repetition rules, without building a string per n-gram.
// datatrove joins each n-gram's words into a string and counts strings; here every n-gram gets a
// polynomial hash (two 32-bit ones, wrapping, computed from prefix sums in O(1)) counted in an
// open-addressing table. Every hash hit is confirmed by comparing the n-grams themselves and true
// collisions fall back to string keys, so the counts are exactly datatrove's: the hashes only decide
// how fast, never what.

const B1 = 0x01000193; // odd multipliers (FNV prime, golden ratio)
const B2 = 0x9e3779b1 | 0;

/** A 52-bit table key from two 32-bit hashes. */
function keyOf(h1: number, h2: number): number {
  return (h1 >>> 0) * 1048576 + (h2 >>> 12);
}

/** Open-addressing map from 52-bit integer keys to int32 values, reused between documents. */
class KeyTable {
  private keys = new Float64Array(1024);
  private vals = new Int32Array(1024);
  private mask = 1023;

  /** Empties the table and makes room for `n` keys. */
  reset(n: number): void {
    let cap = this.keys.length;
    if (cap < 2 * n) {
      while (cap < 2 * n) cap *= 2;
      this.keys = new Float64Array(cap);
      this.vals = new Int32Array(cap);
      this.mask = cap - 1;
    }
    this.vals.fill(-1, 0, cap);
  }

  /** The value stored for `key`, or -1 after storing `val` for it. */
  getOrInsert(key: number, h2: number, val: number): number {
    let i = (Math.imul(h2, 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const v = this.vals[i]!;
      if (v < 0) {
        this.keys[i] = key;
        this.vals[i] = val;
        return -1;
      }
      if (this.keys[i] === key) return v;
      i = (i + 1) & this.mask;
    }
  }
}

const table = new KeyTable();

/** A document's words as small integers, with what the hashes need per distinct word. */
export class WordSequence {
  /** Id of each word (equal words, equal ids). */
  readonly ids: Int32Array;
  /** Length of each word in UTF-16 units. */
  readonly lengths: Int32Array;
  // Per distinct word: polynomial hash of its characters and B^length, for each multiplier.
  private readonly charHash1: number[] = [];
  private readonly charHash2: number[] = [];
  private readonly charPow1: number[] = [];
  private readonly charPow2: number[] = [];
  // Prefix hashes of the concatenated words (C[k] covers words 0..k-1) and their lengths, made on
  // first use by duplicatedNGramChars.
  private prefix?: { c1: Int32Array; c2: Int32Array; len: Int32Array };

  constructor(readonly words: readonly string[]) {
    const n = words.length;
    this.ids = new Int32Array(n);
    this.lengths = new Int32Array(n);
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const w = words[i]!;
      let id = seen.get(w);
      if (id === undefined) {
        id = this.charHash1.length;
        seen.set(w, id);
        let h1 = 0;
        let h2 = 0;
        let p1 = 1;
        let p2 = 1;
        for (let k = 0; k < w.length; k++) {
          const c = w.charCodeAt(k) + 1;
          h1 = (Math.imul(h1, B1) + c) | 0;
          h2 = (Math.imul(h2, B2) + c) | 0;
          p1 = Math.imul(p1, B1);
          p2 = Math.imul(p2, B2);
        }
        this.charHash1.push(h1);
        this.charHash2.push(h2);
        this.charPow1.push(p1);
        this.charPow2.push(p2);
      }
      this.ids[i] = id;
      this.lengths[i] = w.length;
    }
  }

  /**
   * len(most frequent n-gram) x its count, n-grams being n consecutive words joined by a space;
   * among equally frequent n-grams the first seen wins (Python's Counter.most_common(1)). 0 when
   * there are fewer than n words.
   */
  topNGramChars(n: number): number {
    const m = this.ids.length - n + 1;
    if (m <= 0) return 0;
    const ids = this.ids;
    // Rolling hash of the id sequence: sum of (id + 1) * B^(n-1-k) over the window.
    let top1 = 1;
    let top2 = 1;
    for (let k = 1; k < n; k++) {
      top1 = Math.imul(top1, B1);
      top2 = Math.imul(top2, B2);
    }
    const first = new Int32Array(m);
    const count = new Int32Array(m);
    let slots = 0;
    let fallback: Map<string, number> | undefined;
    table.reset(m);
    let h1 = 0;
    let h2 = 0;
    for (let k = 0; k < n - 1; k++) {
      h1 = (Math.imul(h1, B1) + ids[k]! + 1) | 0;
      h2 = (Math.imul(h2, B2) + ids[k]! + 1) | 0;
    }
    for (let i = 0; i < m; i++) {
      h1 = (Math.imul(h1, B1) + ids[i + n - 1]! + 1) | 0;
      h2 = (Math.imul(h2, B2) + ids[i + n - 1]! + 1) | 0;
      let slot = table.getOrInsert(keyOf(h1, h2), h2, slots);
      if (slot >= 0 && !sameIds(ids, first[slot]!, i, n)) {
        const key = Array.from(ids.subarray(i, i + n)).join(',');
        fallback ??= new Map();
        slot = fallback.get(key) ?? -1;
        if (slot < 0) fallback.set(key, slots);
      }
      if (slot < 0) {
        first[slots] = i;
        count[slots] = 1;
        slots++;
      } else count[slot]!++;
      // Drop the window's first word before the next step.
      h1 = (h1 - Math.imul(ids[i]! + 1, top1)) | 0;
      h2 = (h2 - Math.imul(ids[i]! + 1, top2)) | 0;
    }
    let best = 0;
    for (let s = 1; s < slots; s++) if (count[s]! > count[best]!) best = s;
    let chars = n - 1;
    for (let k = first[best]!; k < first[best]! + n; k++) chars += this.lengths[k]!;
    return chars * count[best]!;
  }

  private prefixes(): { c1: Int32Array; c2: Int32Array; len: Int32Array } {
    if (this.prefix) return this.prefix;
    const total = this.ids.length;
    const c1 = new Int32Array(total + 1);
    const c2 = new Int32Array(total + 1);
    const len = new Int32Array(total + 1);
    for (let k = 0; k < total; k++) {
      const id = this.ids[k]!;
      c1[k + 1] = (Math.imul(c1[k]!, this.charPow1[id]!) + this.charHash1[id]!) | 0;
      c2[k + 1] = (Math.imul(c2[k]!, this.charPow2[id]!) + this.charHash2[id]!) | 0;
      len[k + 1] = len[k]! + this.lengths[k]!;
    }
    return (this.prefix = { c1, c2, len });
  }

  /**
   * Characters in repeated n-grams, n-grams being n consecutive words joined with no separator:
   * scan word by word; when the n-gram at i was seen before, add its length and jump n words,
   * otherwise remember it and step one word (datatrove's find_all_duplicate).
   */
  duplicatedNGramChars(n: number): number {
    const total = this.ids.length;
    if (total < n) return 0;
    const { c1, c2, len: L } = this.prefixes();
    let maxWindow = 0;
    for (let k = n; k <= total; k++) maxWindow = Math.max(maxWindow, L[k]! - L[k - n]!);
    const pow1 = powers(B1, maxWindow);
    const pow2 = powers(B2, maxWindow);
    table.reset(total - n + 1);
    let fallback: Set<string> | undefined;
    let repeated = 0;
    let i = 0;
    while (i < total - n + 1) {
      const len = L[i + n]! - L[i]!;
      const h1 = (c1[i + n]! - Math.imul(c1[i]!, pow1[len]!)) | 0;
      const h2 = (c2[i + n]! - Math.imul(c2[i]!, pow2[len]!)) | 0;
      const prev = table.getOrInsert(keyOf(h1, h2), h2, i);
      let seen = prev >= 0;
      if (seen && !this.sameChars(prev, i, n)) {
        const key = this.words.slice(i, i + n).join('');
        fallback ??= new Set();
        seen = fallback.has(key);
        if (!seen) fallback.add(key);
      }
      if (seen) {
        repeated += len;
        i += n;
      } else i++;
    }
    return repeated;
  }

  private sameChars(a: number, b: number, n: number): boolean {
    if (sameIds(this.ids, a, b, n)) return true;
    return this.words.slice(a, a + n).join('') === this.words.slice(b, b + n).join('');
  }
}

function sameIds(ids: Int32Array, a: number, b: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (ids[a + k] !== ids[b + k]) return false;
  return true;
}

const powerCache = new Map<number, Int32Array>();

/** B^0 .. B^max modulo 2^32 (cached, grown as needed). */
function powers(b: number, max: number): Int32Array {
  let t = powerCache.get(b);
  if (!t || t.length <= max) {
    const size = Math.max(max + 1, (t?.length ?? 256) * 2);
    t = new Int32Array(size);
    t[0] = 1;
    for (let k = 1; k < size; k++) t[k] = Math.imul(t[k - 1]!, b);
    powerCache.set(b, t);
  }
  return t;
}
