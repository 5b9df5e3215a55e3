// SentencePiece BPE encoding of normalized text (google/sentencepiece src/bpe_model.cc SampleEncode with
// no dropout, then the unknown/byte-fallback handling of SentencePieceProcessor::PopulateSentencePieceText).
//
// Symbols start as code points (or whole user-defined pieces, which are frozen). Every adjacent pair whose
// concatenation is a mergeable piece goes on a heap keyed by that piece's score; the best (leftmost on
// ties) is merged, stale entries are skipped, and the new neighbours are pushed. Symbols are a doubly
// linked list over offsets into the normalized string.
import { PairHeap } from './pair-heap.js';
import type { PrefixMatcher } from './prefix-matcher.js';
import { utf8Bytes } from './utf8.js';
import { PieceType, type Vocab } from './vocab.js';

/** Symbols a chunk gathers before it may be cut at the next separable boundary. */
const MIN_CHUNK = 8;

/** Entries of the (left id, right id) -> merged id cache before it is cleared. */
const PAIR_CACHE_LIMIT = 1 << 20;

export class SpmBpe {
  private readonly heap = new PairHeap();
  private start = new Int32Array(256);
  private len = new Int32Array(256);
  private prev = new Int32Array(256);
  private next = new Int32Array(256);
  private id = new Int32Array(256);
  private freeze = new Uint8Array(256);
  /**
   * Merge result of two known pieces, by (left id * vocab size + right id): the merged id, or -1.
   * The concatenation depends only on the two pieces, so this skips the substring and string-map
   * lookup for the pairs that recur in any real text.
   */
  private readonly pairCache = new Map<number, number>();
  private readonly hit = { id: -1 };
  private readonly hasUnused: boolean;
  /** Every (code point, next code point) that occurs inside some mergeable piece. */
  private readonly innerPairs = new Set<number>();

  constructor(
    private readonly vocab: Vocab,
    private readonly byteFallback: boolean,
    private readonly userDefined?: PrefixMatcher,
  ) {
    this.hasUnused = vocab.types.includes(PieceType.UNUSED);
    for (const piece of vocab.mergeable.keys()) {
      let prevCp = -1;
      for (const ch of piece) {
        const cp = ch.codePointAt(0)!;
        if (prevCp >= 0) this.innerPairs.add(prevCp * 0x110000 + cp);
        prevCp = cp;
      }
    }
  }

  /**
   * Appends the ids of `text` (already normalized) to `out`. `userDefined` false leaves user-defined
   * pieces unmatched (text a user typed, which must not turn into a marker such as Yi's <|im_start|>).
   */
  encode(text: string, out: number[], userDefined = true): void {
    if (text.length === 0) return;
    this.ensure(text.length);
    const { start, len, prev, next, id, freeze, vocab } = this;
    const matcher = userDefined && this.userDefined && this.userDefined.size > 0 ? this.userDefined : undefined;
    const mergeable = vocab.mergeable;

    // Split into code points; user-defined pieces are taken whole (longest match) and never merged.
    let n = 0;
    for (let pos = 0; pos < text.length; ) {
      let l = 0;
      let f = 0;
      let sid = -1;
      if (matcher) {
        l = matcher.match(text, pos, this.hit);
        if (l > 0) {
          f = 1;
          sid = this.hit.id;
        }
      }
      if (l === 0) {
        const c = text.charCodeAt(pos);
        l = c >= 0xd800 && c < 0xdc00 && pos + 1 < text.length ? 2 : 1;
        sid = mergeable.get(l === 1 ? text[pos]! : text.substr(pos, 2)) ?? -1;
      }
      start[n] = pos;
      len[n] = l;
      prev[n] = n - 1;
      next[n] = n + 1;
      id[n] = sid;
      freeze[n] = f;
      n++;
      pos += l;
    }
    next[n - 1] = -1;

    // Merge and emit chunk by chunk. A boundary where the two code points never appear side by side
    // inside any mergeable piece can never be crossed by a merge, so the chunks on either side are
    // independent and the result is exactly that of one pass over the whole text, with a small heap.
    const emit = new Emitter(vocab, this.byteFallback, out);
    const revMerge = this.hasUnused ? new Map<string, [string, string]>() : undefined;
    let c0 = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && (i - c0 < MIN_CHUNK || !this.separable(text, i - 1, i))) continue;
      next[i - 1] = -1;
      prev[c0] = -1;
      this.mergeRange(text, c0, i, revMerge);
      for (let k = c0; k !== -1; k = next[k]!) {
        const sid = id[k]!;
        if (sid >= 0 && !(revMerge && vocab.types[sid] === PieceType.UNUSED)) emit.piece(sid, text, start[k]!, len[k]!);
        else this.resegment(text.substr(start[k]!, len[k]!), revMerge, emit);
      }
      c0 = i;
    }
  }

  /** Runs the BPE agenda over symbols [from, to) (a linked list already cut at both ends). */
  private mergeRange(text: string, from: number, to: number, revMerge?: Map<string, [string, string]>): void {
    const { len, prev, next, id, heap } = this;
    heap.clear();
    for (let i = from + 1; i < to; i++) this.maybeAdd(text, i - 1, i, revMerge);
    while (heap.length > 0) {
      const top = heap.pop();
      const l = heap.left[top]!;
      const r = heap.right[top]!;
      // Stale: one side was merged away, or grew, since this pair was pushed.
      if (len[l] === 0 || len[r] === 0 || len[l]! + len[r]! !== heap.size[top]) continue;
      len[l] = len[l]! + len[r]!;
      id[l] = heap.merged[top]!;
      const rn = next[r]!;
      next[l] = rn;
      if (rn >= 0) prev[rn] = l;
      len[r] = 0;
      this.maybeAdd(text, prev[l]!, l, revMerge);
      this.maybeAdd(text, l, next[l]!, revMerge);
    }
  }

  /** True when no merge can ever join initial symbols a and b = a + 1 (see encode). */
  private separable(text: string, a: number, b: number): boolean {
    if (this.freeze[a] || this.freeze[b]) return true;
    // Unfrozen initial symbols are single code points.
    const last = text.codePointAt(this.start[a]!)!;
    const first = text.codePointAt(this.start[b]!)!;
    return !this.innerPairs.has(last * 0x110000 + first);
  }

  /** Pushes the pair (left, right) when its concatenation is a mergeable piece. */
  private maybeAdd(text: string, left: number, right: number, revMerge?: Map<string, [string, string]>): void {
    if (left < 0 || right < 0 || this.freeze[left] || this.freeze[right]) return;
    const a = this.id[left]!;
    const b = this.id[right]!;
    const size = this.len[left]! + this.len[right]!;
    let merged: number;
    if (a >= 0 && b >= 0) {
      const key = a * this.vocab.size + b;
      const cached = this.pairCache.get(key);
      if (cached === undefined) {
        merged = this.vocab.mergeable.get(text.substr(this.start[left]!, size)) ?? -1;
        if (this.pairCache.size >= PAIR_CACHE_LIMIT) this.pairCache.clear();
        this.pairCache.set(key, merged);
      } else merged = cached;
    } else {
      merged = this.vocab.mergeable.get(text.substr(this.start[left]!, size)) ?? -1;
    }
    if (merged < 0) return;
    this.heap.push(this.vocab.scores[merged]!, left, right, size, merged);
    // UNUSED pieces may be passed through but never emitted: remember how to split them again.
    if (revMerge && this.vocab.types[merged] === PieceType.UNUSED) {
      const s = this.start[left]!;
      const ll = this.len[left]!;
      revMerge.set(text.substr(s, size), [text.substr(s, ll), text.substr(s + ll, size - ll)]);
    }
  }

  private resegment(w: string, revMerge: Map<string, [string, string]> | undefined, emit: Emitter): void {
    const id = this.vocab.pieceToId(w);
    const split = this.vocab.types[id] === PieceType.UNUSED ? revMerge?.get(w) : undefined;
    if (!split) {
      emit.piece(id, w, 0, w.length);
      return;
    }
    this.resegment(split[0], revMerge, emit);
    this.resegment(split[1], revMerge, emit);
  }

  private ensure(n: number): void {
    if (this.start.length >= n) return;
    let cap = this.start.length;
    while (cap < n) cap *= 2;
    this.start = new Int32Array(cap);
    this.len = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.id = new Int32Array(cap);
    this.freeze = new Uint8Array(cap);
  }
}

/**
 * Final pieces to ids: an unknown piece becomes its UTF-8 bytes as <0xNN> pieces with byte fallback;
 * without it, a run of unknown pieces becomes one unknown id (sentencepiece merges the run).
 */
class Emitter {
  private prevUnk = false;

  constructor(
    private readonly vocab: Vocab,
    private readonly byteFallback: boolean,
    private readonly out: number[],
  ) {}

  piece(id: number, text: string, start: number, len: number): void {
    const isUnk = this.vocab.types[id] === PieceType.UNKNOWN;
    if (isUnk && this.byteFallback) {
      for (const b of utf8Bytes(text.substr(start, len))) this.out.push(this.vocab.byteIds[b]!);
    } else if (!(isUnk && this.prevUnk)) {
      this.out.push(id);
    }
    this.prevUnk = isUnk;
  }
}
