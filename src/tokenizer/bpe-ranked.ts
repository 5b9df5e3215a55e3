// Hugging Face `tokenizers` BPE (models/bpe: Word::merge_all) for tokenizer.json files: merges are ranked
// pairs of tokens rather than scored pieces. Characters missing from the vocabulary become <0xNN> tokens
// before merging (byte_fallback) or the unknown token (runs fused when fuse_unk). Lowest rank merges first,
// leftmost on ties: the same agenda as sentencepiece with score = -rank.
import { PairHeap } from './pair-heap.js';
import { TokenizerError } from './errors.js';
import { MergeTable } from './merge-table.js';
import type { RankedMerges } from './spec.js';
import { bytePiece, utf8Bytes } from './utf8.js';
import type { Vocab } from './vocab.js';

export class RankedBpe {
  private readonly heap = new PairHeap();
  private readonly table: MergeTable;

  constructor(
    private readonly vocab: Vocab,
    merges: RankedMerges,
    private readonly byteFallback: boolean,
    private readonly fuseUnk: boolean,
    source: string,
  ) {
    const n = vocab.size;
    if (merges.right.length !== merges.left.length || merges.merged.length !== merges.left.length) {
      throw new TokenizerError(source, `merge table columns differ in length (${merges.left.length}, ${merges.right.length}, ${merges.merged.length})`);
    }
    for (const ids of [merges.left, merges.right, merges.merged]) {
      const bad = ids.findIndex((id) => id < 0 || id >= n);
      if (bad >= 0) throw new TokenizerError(source, `merge ${bad} uses token id ${ids[bad]}, outside the ${n}-token vocabulary`);
    }
    this.table = new MergeTable(merges);
  }

  /** Appends the ids of one word (normalized, pre-tokenized text) to `out`. */
  encode(word: string, out: number[]): void {
    if (word.length === 0) return;
    const ids: number[] = [];
    const lens: number[] = [];
    const unk = this.vocab.unkId;
    for (const ch of word) {
      const id = this.vocab.idOf(ch);
      if (id !== undefined) {
        ids.push(id);
        lens.push(1);
        continue;
      }
      if (this.byteFallback) {
        const bytes = utf8Bytes(ch);
        const bid = Array.from(bytes, (b) => this.vocab.idOf(bytePiece(b)));
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
      const slot = this.table.find(ids[l]!, ids[r]!);
      if (slot < 0) return;
      heap.push(-this.table.rankAt(slot), l, r, lens[l]! + lens[r]!, this.table.mergedAt(slot));
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
