// Training the perplexity scorer: count n-grams over the lines of reference documents, estimate the
// Kneser-Ney model, then set the head/middle/tail cutoffs at percentiles of the perplexity of
// documents held out from training (CCNet's cutoffs are percentiles of its own model's scores, so
// they only make sense for the model they were measured with).
import { resolve } from 'node:path';
import { mulberry32 } from '../../tensor/random.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { KneserNeyCounter } from './kneser-ney.js';
import { LineTokenizer, PerplexityModel, tokenizerFingerprint, Vocabulary, type PerplexityCutoffs, type TokenSpec } from './perplexity-model.js';
import { iterateTexts, type TextInput } from './text-input.js';

export interface TrainPerplexityOptions {
  /** Reference documents (CCNet: Wikipedia); each line is a sentence of the model. */
  input: TextInput;
  /** N of the n-gram model. Default 5. */
  order?: number;
  /** Model a tokenizer's pieces (CCNet: SentencePiece) instead of normalised words: a path or a loaded tokenizer. */
  tokenizer?: string | Tokenizer;
  /** Fraction of documents held out to measure the cutoffs. Default 0.1 (0 when `cutoffs` is given). */
  heldOutFraction?: number;
  /** Percentiles of held-out perplexity where head ends and tail starts. Default [30, 60] (CCNet). */
  percentiles?: [number, number];
  /** Fixed cutoffs instead of measured ones. */
  cutoffs?: PerplexityCutoffs;
  /** lmplz-style pruning thresholds per order (e.g. [0, 0, 1] drops singleton 3-grams and above). */
  prune?: number[];
  /** Seeds which documents are held out. Default 0. */
  seed?: number;
  /** Reads at most this many documents. */
  maxDocuments?: number;
  /** Called every 1000 documents and at the end. */
  onProgress?: (p: { documents: number; tokens: number }) => void;
}

export interface PerplexityTrainingStats {
  documents: number;
  heldOutDocuments: number;
  sentences: number;
  tokens: number;
  /** Counting and estimation, without reading/tokenizing time. */
  estimateSeconds: number;
  seconds: number;
  /** Training tokens per second over the whole run (reading, tokenizing, counting, estimation). */
  tokensPerSecond: number;
  /** Stored n-grams per order (order 1: vocabulary size). */
  ngrams: number[];
  /** Bytes of the model in memory; the file is about the same size. */
  modelBytes: number;
  /** Bytes of the count tables at their peak (all orders counted; estimation's temporaries not included). */
  countBytes: number;
  discounts: number[][];
  discountFallback: boolean[];
}

/** numpy's default (linear) percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const x = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(x);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (x - lo);
}

export async function trainPerplexityModel(opts: TrainPerplexityOptions): Promise<{ model: PerplexityModel; stats: PerplexityTrainingStats }> {
  const t0 = performance.now();
  const order = opts.order ?? 5;
  const percentiles = opts.percentiles ?? [30, 60];
  if (!(percentiles[0] >= 0 && percentiles[0] <= percentiles[1] && percentiles[1] <= 100)) throw new Error(`percentiles must satisfy 0 <= head <= tail <= 100 (got ${percentiles.join(', ')})`);
  if (opts.cutoffs && !(opts.cutoffs.head > 0 && opts.cutoffs.middle >= opts.cutoffs.head)) throw new Error(`cutoffs must satisfy 0 < head <= middle (got ${JSON.stringify(opts.cutoffs)})`);
  const heldOutFraction = opts.heldOutFraction ?? (opts.cutoffs ? 0 : 0.1);
  if (!(heldOutFraction >= 0 && heldOutFraction < 1)) throw new Error(`heldOutFraction must be in [0, 1) (got ${heldOutFraction})`);
  for (const [i, p] of (opts.prune ?? []).entries()) if (!(Number.isInteger(p) && p >= 0)) throw new Error(`prune[${i}] must be a non-negative integer (got ${p})`);

  const tok = typeof opts.tokenizer === 'string' ? Tokenizer.load(opts.tokenizer) : opts.tokenizer;
  const spec: TokenSpec = tok
    ? { kind: 'tokenizer', path: typeof opts.tokenizer === 'string' ? resolve(opts.tokenizer) : '', vocab_size: tok.vocabSize, fingerprint: tokenizerFingerprint(tok) }
    : { kind: 'words' };
  const lines = new LineTokenizer(spec, tok);
  const vocab = new Vocabulary();
  const counter = new KneserNeyCounter(order);

  // Systematic sampling (every 1/f-th document, from a seeded offset) spreads the held-out
  // documents over the whole corpus, whatever its order.
  const offset = mulberry32(opts.seed ?? 0)();
  const heldOut: string[] = [];
  let documents = 0;
  let estimate = 0;
  const toks: string[] = [];
  let ids = new Uint32Array(256);
  for await (const text of iterateTexts(opts.input)) {
    if (opts.maxDocuments !== undefined && documents >= opts.maxDocuments) break;
    if (typeof text !== 'string') throw new Error(`input document #${documents} is a ${typeof text}, not a string`);
    const i = documents++;
    if (Math.floor((i + 1 + offset) * heldOutFraction) > Math.floor((i + offset) * heldOutFraction)) {
      heldOut.push(text);
      continue;
    }
    for (const line of text.split('\n')) {
      toks.length = 0;
      lines.tokens(line, toks);
      if (toks.length === 0) continue;
      if (ids.length < toks.length) ids = new Uint32Array(toks.length * 2);
      for (let j = 0; j < toks.length; j++) ids[j] = vocab.add(toks[j]!);
      const c0 = performance.now();
      counter.addSentence(ids.subarray(0, toks.length));
      estimate += performance.now() - c0;
    }
    if (documents % 1000 === 0) opts.onProgress?.({ documents, tokens: counter.tokens });
  }
  opts.onProgress?.({ documents, tokens: counter.tokens });
  if (counter.tokens === 0) throw new Error(`no training tokens: the input has ${documents} documents and none with text outside the held-out part`);
  const b0 = performance.now();
  const lm = counter.build(vocab.size, { prune: opts.prune });
  estimate += performance.now() - b0;
  // The tables have grown by the lower orders' continuation counts during the build.
  const countBytes = counter.bytes;

  const infoBase = {
    tokens: spec,
    percentiles,
    training: {
      documents: documents - heldOut.length,
      sentences: counter.sentences,
      tokens: counter.tokens,
      prune: opts.prune ?? [],
      discount_fallback: counter.fallback,
    },
  };
  const draft = new PerplexityModel(lm, vocab, { ...infoBase, cutoffs: opts.cutoffs ?? { head: 1, middle: 1 }, cutoff_source: 'given', held_out: { documents: 0, mean: NaN, median: NaN, min: NaN, max: NaN } }, tok);
  const pps = heldOut.map((t) => draft.perplexity(t)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!opts.cutoffs && pps.length < 2) {
    throw new Error(`only ${pps.length} held-out document(s) with text to measure the perplexity cutoffs on: give more documents, a larger heldOutFraction (now ${heldOutFraction}), or explicit cutoffs`);
  }
  const cutoffs = opts.cutoffs ?? { head: percentile(pps, percentiles[0]), middle: percentile(pps, percentiles[1]) };
  const seconds = (performance.now() - t0) / 1000;
  const model = new PerplexityModel(
    lm,
    vocab,
    {
      ...infoBase,
      cutoffs,
      cutoff_source: opts.cutoffs ? 'given' : 'held-out',
      held_out: { documents: pps.length, mean: pps.reduce((a, b) => a + b, 0) / (pps.length || 1), median: percentile(pps, 50), min: pps[0] ?? NaN, max: pps[pps.length - 1] ?? NaN },
    },
    tok,
  );
  return {
    model,
    stats: {
      documents,
      heldOutDocuments: heldOut.length,
      sentences: counter.sentences,
      tokens: counter.tokens,
      estimateSeconds: estimate / 1000,
      seconds,
      tokensPerSecond: counter.tokens / seconds,
      ngrams: lm.ngramCounts,
      modelBytes: lm.bytes,
      countBytes,
      discounts: lm.discounts,
      discountFallback: counter.fallback,
    },
  };
}
