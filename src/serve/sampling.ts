// The per-request sampler of the server, with OpenAI's semantics: penalties first (additive, over the
// tokens this request generated), then greedy at temperature 0, else softmax(logits / temperature)
// cut by top_k, then top_p (over what top_k kept, renormalized), then min_p (relative to the most
// likely token), and one draw from the request's own seeded stream. Logprobs are the log-softmax of
// the raw logits (before penalties, temperature and cuts), which is what OpenAI and vLLM report.
// Each request owns its sampler, so a request draws the same tokens alone or batched with others.
import { mulberry32 } from '../tensor/random.js';
import type { SamplerFactory, SamplingParams, TokenEvent, TokenLogprob, TokenSampler } from './engine-api.js';

/** Buckets of the nucleus' counting pass: the top 16 bits of a logit's order-preserving key. */
const BUCKETS = 1 << 16;

/** Ids below this pack with their key into one float64 (key * ID_SPAN + id, within 2^53). */
const ID_SPAN = 2 ** 18;

/** Sorts a[from .. to) ascending in place (small ranges: no subarray, no call per comparison). */
function insertionSort(a: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= from && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Every logit was NaN or -Infinity: no token can be drawn (an engine fault, never a client's). */
export class SamplingError extends Error {
  override name = 'SamplingError';
}

/** Indices of the k largest finite-or-(-inf) values of `row`, largest first (lower index first on ties); NaN is skipped. */
export function topIndices(row: Float32Array, k: number): number[] {
  k = Math.min(k, row.length);
  if (k <= 0) return [];
  // A min-heap of the best k so far: O(V log k), no sort of the whole row.
  const heap: number[] = [];
  const worse = (a: number, b: number) => row[a]! < row[b]! || (row[a] === row[b] && a > b);
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = 0; i < row.length; i++) {
    if (Number.isNaN(row[i]!)) continue;
    if (heap.length < k) {
      heap.push(i);
      up(heap.length - 1);
    } else if (worse(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

/** log(sum(exp(row))) in float64, NaN skipped. */
function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v === v) sum += Math.exp(v - max);
  }
  return max + Math.log(sum);
}

/** The first index of the largest value (NaN skipped), or -1 when there is none. */
function argmax(row: Float32Array): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v > bestV || (best < 0 && v === -Infinity)) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

export class RequestSampler implements TokenSampler {
  private readonly random: () => number;
  private readonly counts = new Map<number, number>();
  private counted = 0;
  private ids = new Int32Array(0);
  private probs = new Float64Array(0);
  private packed = new Float64Array(0);
  private weights = new Float64Array(0);
  private readonly bucketSize = new Int32Array(BUCKETS);
  private readonly bucketEnd = new Int32Array(BUCKETS);

  constructor(readonly params: SamplingParams) {
    this.random = mulberry32(params.seed);
  }

  sample(logits: Float32Array, generated: readonly number[]): TokenEvent {
    const p = this.params;
    let logprobOf: ((token: number) => number) | undefined;
    let top: TokenLogprob[] | undefined;
    if (p.logprobs !== null) {
      // Before anything below modifies the row: OpenAI reports the model's own distribution.
      const lse = logSumExp(logits);
      const at = (t: number) => logits[t]! - lse;
      top = topIndices(logits, p.logprobs).map((t) => ({ token: t, logprob: at(t) }));
      const chosen = new Map(top.map((e) => [e.token, e.logprob]));
      logprobOf = (t) => chosen.get(t) ?? at(t);
    }
    this.penalize(logits, generated);
    const token = p.temperature === 0 ? argmax(logits) : this.draw(logits);
    if (token < 0) throw new SamplingError(`sampling: every one of the ${logits.length} logits is NaN`);
    return logprobOf ? { token, logprob: logprobOf(token), topLogprobs: top } : { token };
  }

  /** logit[t] -= presence * [count(t) > 0] + frequency * count(t), counts over the generated tokens. */
  private penalize(logits: Float32Array, generated: readonly number[]): void {
    const { presencePenalty: pres, frequencyPenalty: freq } = this.params;
    if (pres === 0 && freq === 0) return;
    // Counts grow with the answer: only the tokens new since the last call are added.
    if (generated.length < this.counted) {
      this.counts.clear();
      this.counted = 0;
    }
    for (; this.counted < generated.length; this.counted++) {
      const t = generated[this.counted]!;
      this.counts.set(t, (this.counts.get(t) ?? 0) + 1);
    }
    for (const [t, c] of this.counts) if (t >= 0 && t < logits.length) logits[t] = logits[t]! - pres - freq * c;
  }

  /**
   * Puts in ids[0 .. m) the first m of the n candidates ids[0 .. n) in decreasing logit order
   * (lower id first on ties), where the m-th is the first at which the running sum of `share`
   * reaches p (m = n when none does): the prefix the top_p cut keeps, in the order the draw walks
   * it, exactly what sorting the whole row gives. A counting pass puts the candidates into 65536
   * buckets by the top 16 bits of their order-preserving float keys, and only the buckets the
   * prefix reaches are sorted: O(V) plus sorts of small buckets instead of a sort of the vocabulary.
   */
  private nucleus(logits: Float32Array, n: number, share: (t: number) => number, p: number): number {
    const ids = this.ids;
    if (this.packed.length < logits.length) this.packed = new Float64Array(logits.length);
    const { packed, bucketSize: size, bucketEnd: end } = this;
    const bits = new Uint32Array(logits.buffer, logits.byteOffset, logits.length);
    size.fill(0);
    for (let i = 0; i < n; i++) {
      const u = bits[ids[i]!]!;
      size[(u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0) >>> 16]++;
    }
    // Buckets from the largest keys down.
    let at = 0;
    for (let b = BUCKETS - 1; b >= 0; b--) {
      end[b] = at;
      at += size[b]!;
    }
    // Each candidate as one float64, (key, id) packed so that the native numeric sort orders by key,
    // then lower id first (from the top): key * 2^18 + (2^18 - 1 - id). Vocabularies of 2^18 ids
    // and more take the comparator sort instead.
    const wide = logits.length > ID_SPAN;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const u = bits[id]!;
      const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      packed[end[key >>> 16]!++] = wide ? id : key * ID_SPAN + (ID_SPAN - 1 - id);
    }
    const byKey = (a: number, b: number): number => {
      const ua = bits[a]!;
      const ub = bits[b]!;
      const ka = ua & 0x80000000 ? ~ua >>> 0 : (ua | 0x80000000) >>> 0;
      const kb = ub & 0x80000000 ? ~ub >>> 0 : (ub | 0x80000000) >>> 0;
      return ka - kb || b - a;
    };
    let m = 0;
    let acc = 0;
    for (let b = BUCKETS - 1; b >= 0; b--) {
      const len = size[b]!;
      if (len === 0) continue;
      const from = end[b]! - len;
      // Ascending, read from the top down.
      if (len > 1) {
        if (wide) packed.subarray(from, end[b]).sort(byKey);
        else if (len <= 24) insertionSort(packed, from, end[b]!);
        else packed.subarray(from, end[b]).sort();
      }
      for (let j = end[b]! - 1; j >= from; j--) {
        const id = wide ? packed[j]! : ID_SPAN - 1 - (packed[j]! % ID_SPAN);
        ids[m++] = id;
        acc += share(id);
        if (acc >= p) return m;
      }
    }
    return m;
  }

  /** One draw from softmax(logits / T) cut by top_k, top_p and min_p. */
  private draw(logits: Float32Array): number {
    const { temperature, topK, topP, minP } = this.params;
    const V = logits.length;
    if (this.probs.length < V) {
      this.probs = new Float64Array(V);
      this.ids = new Int32Array(V);
    }
    const ids = this.ids;
    const probs = this.probs;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
    const weight = (t: number) => Math.exp((logits[t]! - max) / temperature);
    // Candidates, in decreasing order where a cut needs the order, and the mass top_p is measured
    // against: top_k's candidates renormalized, else the whole row.
    let n = 0;
    let mass = 0;
    let cached: Float64Array | undefined;
    const take = (list: readonly number[]) => {
      n = list.length;
      for (let i = 0; i < n; i++) ids[i] = list[i]!;
    };
    if (topK > 0 && topK < V) {
      take(topIndices(logits, topK));
      for (let i = 0; i < n; i++) mass += weight(ids[i]!);
    } else {
      for (let i = 0; i < V; i++) if (logits[i] === logits[i]) ids[n++] = i;
      if (topP < 1 && n > 0) {
        // Each weight once (the same expression, so the same bits, as weight() below).
        if (this.weights.length < V) this.weights = new Float64Array(V);
        const w = this.weights;
        for (let i = 0; i < n; i++) {
          const id = ids[i]!;
          w[id] = weight(id);
          mass += w[id]!;
        }
        n = this.nucleus(logits, n, (t) => w[t]! / mass, topP);
        cached = w;
      }
    }
    if (n === 0) return -1;
    if (max === -Infinity) return ids[0]!;
    let best = 0;
    for (let i = 0; i < n; i++) {
      probs[i] = cached ? cached[ids[i]!]! : weight(ids[i]!);
      if (probs[i]! > probs[best]!) best = i;
    }
    // Which candidates survive: a prefix of the sorted ones for top_p; min_p then drops any below
    // its floor (the most likely token always survives both).
    let keep = n;
    if (topP < 1) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += probs[i]! / mass;
        if (acc >= topP) {
          keep = i + 1;
          break;
        }
      }
    }
    const floor = minP > 0 ? minP * probs[best]! : 0;
    let total = 0;
    for (let i = 0; i < keep; i++) if (probs[i]! >= floor) total += probs[i]!;
    let r = this.random() * total;
    let last = -1;
    for (let i = 0; i < keep; i++) {
      if (probs[i]! < floor) continue;
      last = ids[i]!;
      r -= probs[i]!;
      if (r < 0) return last;
    }
    return last;
  }
}

export const createSampler: SamplerFactory = (params) => new RequestSampler(params);
