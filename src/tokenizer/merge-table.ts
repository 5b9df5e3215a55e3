// (left id, right id) -> merge rank and merged id, for ranked (Hugging Face) BPE: an open-addressing hash
// table over typed arrays, built once per tokenizer. A Map keyed by left * V + right would hold most keys
// as heap numbers (V^2 > 2^31 for Llama 3 and Qwen vocabularies) and make loading noticeably slower.
import type { RankedMerges } from './spec.js';

export class MergeTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly ranks: Int32Array;
  private readonly merged: Int32Array;
  private readonly mask: number;

  constructor(merges: RankedMerges) {
    const n = merges.left.length;
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    this.mask = cap - 1;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.merged = new Int32Array(cap);
    for (let r = 0; r < n; r++) {
      const a = merges.left[r]!;
      const b = merges.right[r]!;
      let s = this.home(a, b);
      while (this.left[s] !== -1 && (this.left[s] !== a || this.right[s] !== b)) s = (s + 1) & this.mask;
      // A pair listed twice keeps its first (best) rank, as Hugging Face's merge map does.
      if (this.left[s] !== -1) continue;
      this.left[s] = a;
      this.right[s] = b;
      this.ranks[s] = r;
      this.merged[s] = merges.merged[r]!;
    }
  }

  /** Slot of the pair (a, b) for rankAt / mergedAt, or -1 when the two do not merge. */
  find(a: number, b: number): number {
    for (let s = this.home(a, b); ; s = (s + 1) & this.mask) {
      const l = this.left[s]!;
      if (l === -1) return -1;
      if (l === a && this.right[s] === b) return s;
    }
  }

  rankAt(slot: number): number {
    return this.ranks[slot]!;
  }

  mergedAt(slot: number): number {
    return this.merged[slot]!;
  }

  private home(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) >>> 0 & this.mask;
  }
}
