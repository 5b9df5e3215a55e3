// An n-gram language model with interpolated modified Kneser-Ney smoothing, estimated as KenLM's
// lmplz does (Heafield et al. 2013, "Scalable Modified Kneser-Ney Language Model Estimation"):
//
// - adjusted counts a(g): raw counts for the highest order and for n-grams that start with <s>
//   (they cannot be extended to the left); for every other lower-order n-gram, the number of
//   distinct words seen to its left (continuation counts);
// - three discounts per order from the counts-of-adjusted-counts t1..t4:
//   Y = t1/(t1+2t2), D1 = 1-2Y t2/t1, D2 = 2-3Y t3/t2, D3+ = 3-4Y t4/t3 (lmplz's --discount_fallback
//   values 0.5, 1, 1.5 when an order's counts make these invalid, e.g. on tiny corpora);
// - p(w|h) = u(hw) + gamma(h) p(w|h'), with u(hw) = (a(hw) - D(a(hw))) / sum_x a(hx) and h' = h
//   without its first word; unigrams interpolate with the uniform distribution over the vocabulary
//   (<unk> and </s> included, <s> excluded), so <unk> gets gamma0 / |V|.
//
// gamma(h) is stored as 1 - sum of the stored u(hx): with u kept as float32 rounded toward zero
// and gamma as float64, p(.|h) sums to 1 over the vocabulary to float64 precision for every
// context, also after pruning (a pruned n-gram's mass moves into its context's gamma).
//
// Storage: order 1 is indexed by word id; each higher-order n-gram is (index of its prefix in the
// order below, last word), found through an open-addressing index built at load time.
import { NgramCounts } from './ngram-counts.js';

export const UNK = 0;
export const BOS = 1;
export const EOS = 2;
/** Ids below this are reserved (<unk>, <s>, </s>); words start here. */
export const FIRST_WORD = 3;

const FALLBACK_DISCOUNTS = [0.5, 1, 1.5];

/** One order's n-grams: order 1 is implicit (word ids); orders >= 2 list their entries. */
export interface KneserNeyLevel {
  /** Order >= 2: index of each entry's prefix in the order below (a word id for order 2). */
  prefix: Uint32Array;
  /** Order >= 2: each entry's last word. */
  word: Uint32Array;
  /** u(entry): the discounted, normalised probability of the last word after the prefix. */
  u: Float32Array;
  /** Below the highest order: gamma(entry) as the context of the order above (1 when unseen as context). */
  gamma?: Float64Array;
}

export interface KneserNeyParts {
  order: number;
  vocabSize: number;
  /** Unigram interpolation weight with the uniform distribution. */
  gamma0: number;
  /** levels[0] is order 1 (u and gamma indexed by word id, prefix/word empty), levels[k-1] is order k. */
  levels: KneserNeyLevel[];
  /** Discounts [D1, D2, D3+] per order (index 0 = order 1). */
  discounts: number[][];
}

function pairHash(prefix: number, word: number): number {
  let h = Math.imul(prefix ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(word + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** Rounds a non-negative float64 to a float32 no larger than it. */
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
function f32Down(x: number): number {
  f32buf[0] = x;
  if (f32buf[0]! > x) u32buf[0] = u32buf[0]! - 1;
  return f32buf[0]!;
}

export class KneserNeyModel {
  readonly order: number;
  readonly vocabSize: number;
  readonly gamma0: number;
  readonly levels: readonly KneserNeyLevel[];
  readonly discounts: number[][];
  /** Index of orders >= 2, one per level (0 and 1 unused): slots of [prefix, word, entry + 1, u bits]; entry 0 = empty. */
  private readonly index: Uint32Array[] = [];
  private readonly masks: number[] = [];
  /** The same slots read as float32, for u. */
  private readonly slotU: Float32Array[] = [];
  private readonly uniform: number;

  constructor(parts: KneserNeyParts) {
    this.order = parts.order;
    this.vocabSize = parts.vocabSize;
    this.gamma0 = parts.gamma0;
    this.levels = parts.levels;
    this.discounts = parts.discounts;
    this.uniform = parts.gamma0 / (parts.vocabSize - 1);
    for (let k = 2; k <= this.order; k++) {
      const lv = this.levels[k - 1]!;
      let cap = 16;
      while (cap < lv.word.length * 1.5) cap *= 2;
      // Slot = [prefix, word, entry + 1, u as float32 bits] side by side: a look-up and its
      // probability come from one cache line instead of four scattered reads.
      const idx = new Uint32Array(cap * 4);
      const uBits = new Uint32Array(lv.u.buffer, lv.u.byteOffset, lv.u.length);
      const mask = cap - 1;
      for (let e = 0; e < lv.word.length; e++) {
        const p = lv.prefix[e]!;
        const w = lv.word[e]!;
        let s = pairHash(p, w) & mask;
        while (idx[s * 4 + 2] !== 0) {
          if (idx[s * 4] === p && idx[s * 4 + 1] === w) throw new Error(`order ${k}: entries ${idx[s * 4 + 2]! - 1} and ${e} are the same n-gram`);
          s = (s + 1) & mask;
        }
        idx[s * 4] = p;
        idx[s * 4 + 1] = w;
        idx[s * 4 + 2] = e + 1;
        idx[s * 4 + 3] = uBits[e]!;
      }
      this.index[k] = idx;
      this.slotU[k] = new Float32Array(idx.buffer);
      this.masks[k] = mask;
    }
  }

  /** Entry of the order-k n-gram (prefix entry, word), or -1. */
  find(k: number, prefix: number, word: number): number {
    const idx = this.index[k]!;
    const mask = this.masks[k]!;
    let s = pairHash(prefix, word) & mask;
    for (;;) {
      const at = s * 4;
      const e = idx[at + 2]!;
      if (e === 0) return -1;
      if (idx[at] === prefix && idx[at + 1] === word) return e - 1;
      s = (s + 1) & mask;
    }
  }

  /** Slot of the order-k n-gram (prefix entry, word), or -1: entry at slot*4+2 (plus one), u at slot*4+3. */
  private findSlot(k: number, prefix: number, word: number): number {
    const idx = this.index[k]!;
    const mask = this.masks[k]!;
    let s = pairHash(prefix, word) & mask;
    for (;;) {
      const at = s * 4;
      if (idx[at + 2] === 0) return -1;
      if (idx[at] === prefix && idx[at + 1] === word) return s;
      s = (s + 1) & mask;
    }
  }

  /**
   * p(word | context): `context` is a list of ids (it may start with BOS); its last order-1 ids are
   * used. Out-of-range ids count as <unk>.
   */
  prob(context: readonly number[], word: number): number {
    const w = this.clampId(word);
    // ctx[k] = entry of the k-gram made of the last k context ids, or -1.
    const ctx = new Int32Array(this.order).fill(-1);
    const n = Math.min(context.length, this.order - 1);
    for (let k = 1; k <= n; k++) ctx[k] = this.entryOf(context, context.length - k, k);
    return this.probFrom(ctx, w);
  }

  /** Entry of the k-gram ids[at .. at+k), or -1. */
  private entryOf(ids: readonly number[], at: number, k: number): number {
    let e = this.clampId(ids[at]!);
    for (let j = 2; j <= k; j++) {
      e = this.find(j, e, this.clampId(ids[at + j - 1]!));
      if (e < 0) return -1;
    }
    return e;
  }

  private clampId(id: number): number {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize ? id : UNK;
  }

  /** p(w | context) where ctx[k] is the entry of the k-gram ending the context (-1 when absent). */
  private probFrom(ctx: Int32Array, w: number): number {
    let p = this.levels[0]!.u[w]! + this.uniform;
    for (let k = 2; k <= this.order; k++) {
      const h = ctx[k - 1]!;
      // A context that was never seen has no longer seen context either (every kept n-gram's
      // suffix is kept), so nothing above changes p.
      if (h < 0) break;
      const e = this.find(k, h, w);
      p = (e >= 0 ? this.levels[k - 1]!.u[e]! : 0) + this.levels[k - 2]!.gamma![h]! * p;
    }
    return p;
  }

  /**
   * Sum of log10 p over a sentence's words and the closing </s>, with <s> as the first context
   * (KenLM's `score(line, bos=True, eos=True)`). `ids` are word ids; out-of-range ids are <unk>.
   */
  scoreSentence(ids: ArrayLike<number>, count = ids.length): number {
    const N = this.order;
    let prev = new Int32Array(N + 1).fill(-1);
    let cur = new Int32Array(N + 1).fill(-1);
    prev[1] = BOS;
    let total = 0;
    for (let i = 0; i <= count; i++) {
      const w = i < count ? this.clampId(ids[i]!) : EOS;
      let p = this.levels[0]!.u[w]! + this.uniform;
      cur.fill(-1);
      cur[1] = w;
      let found = true;
      for (let k = 2; k <= N; k++) {
        const h = prev[k - 1]!;
        if (h < 0) break;
        // Once the (k-1)-gram ending here is unknown, so is the k-gram (closure): skip the look-up.
        const slot: number = found ? this.findSlot(k, h, w) : -1;
        found = slot >= 0;
        const g = this.levels[k - 2]!.gamma![h]!;
        if (found) {
          p = this.slotU[k]![slot * 4 + 3]! + g * p;
          if (k < N) cur[k] = this.index[k]![slot * 4 + 2]! - 1;
        } else {
          p *= g;
        }
      }
      total += Math.log10(p);
      const t = prev;
      prev = cur;
      cur = t;
    }
    return total;
  }

  /** Number of stored n-grams per order (order 1 = vocabulary size). */
  get ngramCounts(): number[] {
    return this.levels.map((lv, i) => (i === 0 ? this.vocabSize : lv.word.length));
  }

  /** Bytes of the model's arrays and indexes in memory. */
  get bytes(): number {
    let b = 0;
    for (const lv of this.levels) b += lv.prefix.byteLength + lv.word.byteLength + lv.u.byteLength + (lv.gamma?.byteLength ?? 0);
    for (const idx of this.index) if (idx) b += idx.byteLength;
    return b;
  }
}

export interface KneserNeyBuildOptions {
  /**
   * Pruning thresholds on adjusted counts, one per order starting at order 1 (lmplz's --prune):
   * n-grams of order k with an adjusted count <= prune[k-1] are dropped unless a kept n-gram of the
   * order above needs them as prefix or suffix. The last value applies to higher orders; unigrams
   * are never pruned. Default: no pruning.
   */
  prune?: readonly number[];
}

/** Collects n-gram counts sentence by sentence, then estimates the model. */
export class KneserNeyCounter {
  private readonly tables: NgramCounts[] = [];
  private seq = new Uint32Array(256);
  tokens = 0;
  sentences = 0;
  /** Per order, whether the fallback discounts were used (known after build). */
  fallback: boolean[] = [];

  constructor(readonly order: number) {
    if (!Number.isInteger(order) || order < 1 || order > 12) throw new Error(`language model order must be an integer from 1 to 12 (got ${order})`);
    for (let k = 1; k <= order; k++) this.tables[k] = new NgramCounts(k);
  }

  /** Adds one sentence of word ids (>= FIRST_WORD); <s> and </s> are added here. */
  addSentence(ids: ArrayLike<number>): void {
    const L = ids.length + 2;
    if (this.seq.length < L) this.seq = new Uint32Array(L * 2);
    const seq = this.seq;
    seq[0] = BOS;
    for (let i = 0; i < ids.length; i++) seq[i + 1] = ids[i]!;
    seq[L - 1] = EOS;
    const N = this.order;
    for (let i = 0; i + N <= L; i++) this.tables[N]!.add(seq, i);
    // n-grams that start with <s> keep raw counts at every order (nothing can precede them).
    for (let k = 1; k < N && k <= L; k++) this.tables[k]!.add(seq, 0);
    this.tokens += ids.length;
    this.sentences++;
  }

  /** Bytes held by the count tables. */
  get bytes(): number {
    let b = 0;
    for (let k = 1; k <= this.order; k++) b += this.tables[k]!.bytes;
    return b;
  }

  /** Estimates the model; `vocabSize` counts the reserved ids. The counter must not be reused. */
  build(vocabSize: number, opts: KneserNeyBuildOptions = {}): KneserNeyModel {
    const N = this.order;
    const T = this.tables;
    // Continuation counts: each distinct (k+1)-gram adds one to its suffix's count.
    for (let k = N - 1; k >= 1; k--) {
      const up = T[k + 1]!;
      for (let s = 0; s < up.capacity; s++) if (up.counts[s] !== 0) T[k]!.add(up.keys, s * (k + 1) + 1, 1);
    }
    const discounts = this.estimateDiscounts();

    // Pruning, from the top order down, keeping every prefix and suffix of a kept n-gram.
    const keep: Uint8Array[] = [];
    for (let k = 1; k <= N; k++) keep[k] = new Uint8Array(T[k]!.capacity);
    keep[1]!.fill(1);
    const prune = opts.prune ?? [];
    for (let k = N; k >= 2; k--) {
      const t = T[k]!;
      const thr = prune.length ? prune[Math.min(k, prune.length) - 1]! : 0;
      const kk = keep[k]!;
      for (let s = 0; s < t.capacity; s++) {
        const c = t.counts[s]!;
        if (c === 0) continue;
        if (c > thr) kk[s] = 1;
        if (kk[s] && k > 2) {
          keep[k - 1]![T[k - 1]!.find(t.keys, s * k)] = 1;
          keep[k - 1]![T[k - 1]!.find(t.keys, s * k + 1)] = 1;
        }
      }
    }

    // Entry numbers of the kept n-grams (order 1: the word id).
    const entry: Int32Array[] = [];
    const sizes: number[] = [vocabSize];
    for (let k = 2; k <= N; k++) {
      const t = T[k]!;
      const map = new Int32Array(t.capacity).fill(-1);
      let n = 0;
      for (let s = 0; s < t.capacity; s++) if (t.counts[s] !== 0 && keep[k]![s]) map[s] = n++;
      entry[k] = map;
      sizes.push(n);
    }

    // Unigrams: u(w) = (a - D(a)) / sum over every word but <s>.
    const t1 = T[1]!;
    const u1 = new Float32Array(vocabSize);
    let sum1 = 0;
    for (let s = 0; s < t1.capacity; s++) if (t1.counts[s] !== 0 && t1.keys[s] !== BOS) sum1 += t1.counts[s]!;
    let usum1 = 0;
    for (let s = 0; s < t1.capacity; s++) {
      const a = t1.counts[s]!;
      const w = t1.keys[s]!;
      if (a === 0 || w === BOS) continue;
      if (w >= vocabSize) throw new Error(`word id ${w} is outside the vocabulary of ${vocabSize}`);
      u1[w] = f32Down((a - discount(discounts[0]!, a)) / sum1);
      usum1 += u1[w]!;
    }
    const levels: KneserNeyLevel[] = [{ prefix: new Uint32Array(0), word: new Uint32Array(0), u: u1, gamma: new Float64Array(vocabSize).fill(1) }];
    for (let k = 2; k <= N; k++) {
      const n = sizes[k - 1]!;
      levels.push({ prefix: new Uint32Array(n), word: new Uint32Array(n), u: new Float32Array(n), gamma: k < N ? new Float64Array(n).fill(1) : undefined });
    }

    // Orders >= 2: normalise by the context's total adjusted count (kept or not), then
    // gamma(context) = 1 - sum of its kept u's.
    for (let k = 2; k <= N; k++) {
      const t = T[k]!;
      const below = T[k - 1]!;
      const ctxOf = new Int32Array(t.capacity);
      const total = new Float64Array(below.capacity);
      for (let s = 0; s < t.capacity; s++) {
        if (t.counts[s] === 0) continue;
        const c = below.find(t.keys, s * k);
        if (c < 0) throw new Error(`internal: order-${k} n-gram without its prefix`);
        ctxOf[s] = c;
        total[c] += t.counts[s]!;
      }
      const usum = new Float64Array(below.capacity);
      const lv = levels[k - 1]!;
      const D = discounts[k - 1]!;
      const map = entry[k]!;
      for (let s = 0; s < t.capacity; s++) {
        const e = map[s]!;
        if (t.counts[s] === 0 || e < 0) continue;
        const a = t.counts[s]!;
        const c = ctxOf[s]!;
        const u = f32Down((a - discount(D, a)) / total[c]!);
        usum[c] += u;
        lv.u[e] = u;
        lv.word[e] = t.keys[s * k + k - 1]!;
        lv.prefix[e] = k === 2 ? below.keys[c]! : entry[k - 1]![c]!;
      }
      const gamma = levels[k - 2]!.gamma!;
      for (let c = 0; c < below.capacity; c++) {
        if (total[c] === 0) continue;
        const idx = k === 2 ? below.keys[c]! : entry[k - 1]![c]!;
        // A context that was itself pruned away has no entry (and no kept extension).
        if (idx >= 0) gamma[idx] = Math.max(0, 1 - usum[c]!);
      }
    }
    if (N === 1) delete levels[0]!.gamma;
    return new KneserNeyModel({ order: N, vocabSize, gamma0: Math.max(0, 1 - usum1), levels, discounts: discounts.map((d) => [...d]) });
  }

  /** Discounts per order from the counts of adjusted counts 1..4 (order 1 without <s>). */
  private estimateDiscounts(): number[][] {
    const out: number[][] = [];
    this.fallback = [];
    for (let k = 1; k <= this.order; k++) {
      const t = this.tables[k]!;
      const cc = [0, 0, 0, 0, 0];
      for (let s = 0; s < t.capacity; s++) {
        const c = t.counts[s]!;
        if (c === 0 || c > 4 || (k === 1 && t.keys[s] === BOS)) continue;
        cc[c]++;
      }
      const Y = cc[1]! / (cc[1]! + 2 * cc[2]!);
      const d = [1 - (2 * Y * cc[2]!) / cc[1]!, 2 - (3 * Y * cc[3]!) / cc[2]!, 3 - (4 * Y * cc[4]!) / cc[3]!];
      const ok = d.every((x, i) => Number.isFinite(x) && x > 0 && x <= i + 1);
      out.push(ok ? d : [...FALLBACK_DISCOUNTS]);
      this.fallback.push(!ok);
    }
    return out;
  }
}

function discount(D: readonly number[], a: number): number {
  return a >= 3 ? D[2]! : a === 2 ? D[1]! : D[0]!;
}
