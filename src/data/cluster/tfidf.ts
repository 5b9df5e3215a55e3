// Documents as hashed TF-IDF vectors: the terms are word unigrams and bigrams of the simplified
// text (datatrove's simplify_text: lowercase, digits -> 0, no punctuation), Chinese and Japanese
// as characters (so their bigrams are character bigrams) or jieba words; each term is hashed to
// one of `dim` features (the hashing trick is itself a random projection: no vocabulary to build
// or ship, the same features on every worker). Weights: (1 + ln tf) x idf, idf = ln((1 + N) /
// (1 + df)) + 1 (smoothed, as scikit-learn), L2-normalised. Only the first `maxChars` characters
// are embedded, for training and assignment alike: a topic shows in a document's opening, and the
// cost per document stays bounded.
import { simplifyText } from '../dedup/normalize.js';
import { tokens, type CjkMode } from '../dedup/tokens.js';

export interface EmbedConfig {
  dim: number;
  maxChars: number;
  cjk: CjkMode;
}

/** A sparse vector: feature indices (ascending) and their values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float64Array;
}

/** FNV-1a over UTF-16 code units, then a finalizer so that low bits mix well. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h ^ (h >>> 16)) >>> 0;
}

function pairHash(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ ((b << 15) | (b >>> 17));
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The words of a document's embedded part. */
export function termTokens(text: string, cfg: EmbedConfig): string[] {
  return tokens(simplifyText(text.length > cfg.maxChars ? text.slice(0, cfg.maxChars) : text), cfg.cjk);
}

/** Feature -> count over the unigrams and bigrams of the words. */
export function featureCounts(words: readonly string[], dim: number): Map<number, number> {
  const counts = new Map<number, number>();
  let prev = 0;
  for (let i = 0; i < words.length; i++) {
    const h = hashString(words[i]!);
    const f = h % dim;
    counts.set(f, (counts.get(f) ?? 0) + 1);
    if (i > 0) {
      const g = pairHash(prev, h) % dim;
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    prev = h;
  }
  return counts;
}

/** The terms (unigrams, then "a b" bigrams) with their features: for reports of top terms. */
export function termsWithFeatures(words: readonly string[], dim: number): { term: string; feature: number }[] {
  const out: { term: string; feature: number }[] = [];
  const hs = words.map(hashString);
  for (let i = 0; i < words.length; i++) {
    out.push({ term: words[i]!, feature: hs[i]! % dim });
    if (i > 0) out.push({ term: `${words[i - 1]} ${words[i]}`, feature: pairHash(hs[i - 1]!, hs[i]!) % dim });
  }
  return out;
}

/** Smoothed idf of every feature from document frequencies over `docs` documents. */
export function inverseDocumentFrequency(df: ArrayLike<number>, docs: number): Float64Array {
  const idf = new Float64Array(df.length);
  for (let f = 0; f < df.length; f++) idf[f] = Math.log((1 + docs) / (1 + df[f]!)) + 1;
  return idf;
}

/** The L2-normalised TF-IDF vector of counts (empty when there are no terms). */
export function tfidfVector(counts: Map<number, number>, idf: Float64Array): SparseVector {
  const idx = Int32Array.from(counts.keys()).sort();
  const val = new Float64Array(idx.length);
  let norm = 0;
  for (let i = 0; i < idx.length; i++) {
    const w = (1 + Math.log(counts.get(idx[i]!)!)) * idf[idx[i]!]!;
    val[i] = w;
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < val.length; i++) val[i]! /= norm;
  return { idx, val };
}

/** Text -> vector with a fixed idf. */
export function embed(text: string, cfg: EmbedConfig, idf: Float64Array): SparseVector {
  return tfidfVector(featureCounts(termTokens(text, cfg), cfg.dim), idf);
}
