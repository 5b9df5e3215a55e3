// Hugging Face `tokenizers` BPE (models/bpe: Word::merge_all) for tokenizer.json files: merges are ranked
// pairs of tokens rather than scored pieces. Characters missing from the vocabulary become <0xNN> tokens
// before merging (byte_fallback) or the unknown token (runs fused when fuse_unk). Lowest rank merges first,
// leftmost on ties: the same agenda as sentencepiece with score = -rank.
import { PairHeap } from './pair-heap.js';
import { utf8Bytes } from './utf8.js';
import type { Vocab } from './vocab.js';

export class RankedBpe {
  private readonly heap = new PairHeap();
  /** (left id * V + right id) -> merge rank, and -> id of the merged token. */
  private readonly rank = new Map<number, number>();
  private readonly result = new Map<number, number>();
  private readonly all = new Map<string, number>();

  constructor(
    private readonly vocab: Vocab,
    merges: Map<string, number>,
    private readonly byteFallback: boolean,
    private readonly fuseUnk: boolean,
    source: string,
  ) {
    vocab.pieces.forEach((p, id) => this.all.set(p, id));
    for (const [pair, r] of merges) {
      const sp = pair.indexOf(' ');
      const a = this.all.get(pair.slice(0, sp));
      const b = this.all.get(pair.slice(sp + 1));
      const m = this.all.get(pair.slice(0, sp) + pair.slice(sp + 1));
      if (a === undefined || b === undefined || m === undefined) {
        throw new Error(`${source}: merge ${JSON.stringify(pair)} uses a token missing from the vocabulary`);
      }
      const key = a * vocab.size + b;
      if (!this.rank.has(key)) {
        this.rank.set(key, r);
        this.result.set(key, m);
      }
    }
  }

  /** Appends the ids of one word (normalized, pre-tokenized text) to `out`. */
  encode(word: string, out: number[]): void {
    if (word.length === 0) return;
    const ids: number[] = [];
    const lens: number[] = [];
    const unk = this.vocab.unkId;
    for (const ch of word) {
      const id = this.all.get(ch);
      if (id !== undefined) {
        ids.push(id);
        lens.push(1);
        continue;
      }
      if (this.byteFallback) {
        const bytes = utf8Bytes(ch);
        const bid = Array.from(bytes, (b) => this.all.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (bid.every((x) => x !== undefined)) {
          for (const x of bid) {
            ids.push(x!);
            lens.push(1);
          }
          continue;
        }
      }
      if (this.fuseUnk && ids.length > 0 && ids[ids.length - 1] === unk) {
        lens[lens.length - 1]!++;
        continue;
      }
      ids.push(unk);
      lens.push(1);
    }
    const n = ids.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = this.heap;
    heap.clear();
    const add = (l: number, r: number): void => {
      if (l < 0 || r < 0) return;
      const key = ids[l]! * this.vocab.size + ids[r]!;
      const rk = this.rank.get(key);
      if (rk === undefined) return;
      heap.push(-rk, l, r, lens[l]! + lens[r]!, this.result.get(key)!);
    };
    for (let i = 1; i < n; i++) add(i - 1, i);
    while (heap.length > 0) {
      const top = heap.pop();
      const l = heap.left[top]!;
      const r = heap.right[top]!;
      if (lens[l] === 0 || lens[r] === 0 || lens[l]! + lens[r]! !== heap.size[top]) continue;
      lens[l] = lens[l]! + lens[r]!;
      lens[r] = 0;
      ids[l] = heap.merged[top]!;
      const rn = next[r]!;
      next[l] = rn;
      if (rn >= 0) prev[rn] = l;
      add(prev[l]!, l);
      add(l, next[l]!);
    }
    for (let i = 0; i !== -1; i = next[i]!) out.push(ids[i]!);
  }
}
