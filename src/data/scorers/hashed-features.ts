// fastText-style features of a text, hashed into a fixed number of buckets (the hashing trick, so
// there is no vocabulary to store): word unigrams and n-grams, plus character n-grams of each word
// with "<" and ">" at its ends. Text is CCNet-normalised line by line (lowercase, accents stripped,
// digits -> 0); each line break is a token of its own ("</s>", as fastText reads newlines), so
// line structure (menus, lists) shows in the word n-grams. Han, kana and Thai characters are words
// of one character each: their bigrams play the part of Chinese words without a segmenter.
import { normalizeLine } from './text.js';

export interface NgramFeatureSpec {
  kind: 'ngrams';
  /** Number of buckets, a power of two. */
  buckets: number;
  /** Longest word n-gram (1 = unigrams only; fastText's -wordNgrams). */
  word_ngrams: number;
  /** Character n-gram lengths [min, max] (fastText's -minn/-maxn); [0, 0] for none. */
  char_ngrams: [number, number];
}

/** A growable list of feature ids (bucket numbers), reused across documents. */
export class FeatureBuffer {
  ids = new Uint32Array(1024);
  length = 0;

  push(id: number): void {
    if (this.length === this.ids.length) {
      const next = new Uint32Array(this.ids.length * 2);
      next.set(this.ids);
      this.ids = next;
    }
    this.ids[this.length++] = id;
  }

  clear(): void {
    this.length = 0;
  }

  /** A copy of the current features. */
  take(): Uint32Array {
    return this.ids.slice(0, this.length);
  }
}

/** FNV-1a over UTF-16 code units. */
export function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const LINE_BREAK = fnv1a('</s>');
const WORD_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]|[\p{L}\p{M}\p{N}_]+(?:'[\p{L}\p{M}\p{N}_]+)*|\S/gu;
const LETTER_RE = /^[\p{L}\p{M}\p{N}]/u;
const SINGLE_CHAR_SCRIPT_RE = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]$/u;

export function checkNgramSpec(spec: NgramFeatureSpec, where: string): void {
  if (!Number.isInteger(spec.buckets) || spec.buckets < 2 || (spec.buckets & (spec.buckets - 1)) !== 0 || spec.buckets > 1 << 28) {
    throw new Error(`${where}: buckets must be a power of two from 2 to 2^28 (got ${spec.buckets})`);
  }
  if (!Number.isInteger(spec.word_ngrams) || spec.word_ngrams < 1 || spec.word_ngrams > 5) throw new Error(`${where}: word_ngrams must be 1 to 5 (got ${spec.word_ngrams})`);
  const [a, b] = spec.char_ngrams;
  if (!(Number.isInteger(a) && Number.isInteger(b) && ((a === 0 && b === 0) || (a >= 1 && a <= b && b <= 10)))) {
    throw new Error(`${where}: char_ngrams must be [0, 0] or [min, max] with 1 <= min <= max <= 10 (got ${JSON.stringify(spec.char_ngrams)})`);
  }
}

/** Appends the hashed features of `text` to `out`. */
export function ngramFeatures(text: string, spec: NgramFeatureSpec, out: FeatureBuffer): void {
  const mask = spec.buckets - 1;
  const [minn, maxn] = spec.char_ngrams;
  const n = spec.word_ngrams;
  // Hashes of the last n-1 words, for the word n-grams.
  const recent: number[] = [];
  const word = (h: number): void => {
    out.push(h & mask);
    for (let k = 0; k < recent.length; k++) {
      // fastText's n-gram hash: h = h * 116049371 + next, over the words in order.
      let g = recent[recent.length - 1 - k]!;
      for (let j = recent.length - k; j < recent.length; j++) g = (Math.imul(g, 116049371) + recent[j]!) >>> 0;
      g = (Math.imul(g, 116049371) + h) >>> 0;
      out.push(g & mask);
    }
    recent.push(h);
    if (recent.length > n - 1) recent.shift();
  };
  let first = true;
  for (const raw of text.split('\n')) {
    const line = normalizeLine(raw);
    if (!line) continue;
    if (!first) word(LINE_BREAK);
    first = false;
    WORD_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = WORD_RE.exec(line)) !== null) {
      const w = m[0];
      word(fnv1a(w));
      if (maxn > 0 && LETTER_RE.test(w) && !SINGLE_CHAR_SCRIPT_RE.test(w)) charNgrams(`<${w}>`, minn, maxn, mask, out);
    }
  }
}

// Salt so that a character n-gram and a word with the same letters land in different buckets.
const CHAR_SALT = 0x9747b28c;

function charNgrams(w: string, minn: number, maxn: number, mask: number, out: FeatureBuffer): void {
  const len = w.length;
  for (let i = 0; i < len; i++) {
    let h = 0x811c9dc5 ^ CHAR_SALT;
    for (let j = i; j < len && j - i < maxn; j++) {
      h = Math.imul(h ^ w.charCodeAt(j), 0x01000193);
      const size = j - i + 1;
      // fastText skips the lone boundary markers "<" and ">".
      if (size >= minn && !(size === 1 && (i === 0 || j === len - 1))) out.push((h >>> 0) & mask);
    }
  }
}
