// CCNet's perplexity scorer: a Kneser-Ney n-gram model over normalised words (or a tokenizer's
// pieces), the per-document perplexity 10^(-sum log10 p / sum (tokens + 1)) over lines, and the
// head / middle / tail buckets from percentile cutoffs measured on held-out reference text.
import { dirname, isAbsolute, resolve } from 'node:path';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { BOS, EOS, FIRST_WORD, KneserNeyModel, UNK, type KneserNeyLevel } from './kneser-ney.js';
import { headerNumber, headerObject, readScorerFile, writeScorerFile, type ScorerFile, type TypedArray } from './model-file.js';
import { normalizeLine, splitWords } from './text.js';

export type PerplexityBucket = 'head' | 'middle' | 'tail';

/** How lines become tokens: CCNet-normalised words, or a tokenizer's pieces of the normalised line. */
export type TokenSpec =
  | { kind: 'words' }
  | {
      kind: 'tokenizer';
      /** Absolute path the tokenizer was loaded from at training time ('' for one given in memory); the stage may give another. */
      path: string;
      vocab_size: number;
      /** FNV-1a of the tokenizer's pieces, to refuse a different tokenizer. */
      fingerprint: string;
    };

export interface PerplexityCutoffs {
  /** Documents below this perplexity are 'head'. */
  head: number;
  /** Documents below this (and not head) are 'middle'; the rest 'tail'. */
  middle: number;
}

/** What the model file records besides the n-grams. */
export interface PerplexityModelInfo {
  tokens: TokenSpec;
  cutoffs: PerplexityCutoffs;
  /** The percentiles the cutoffs were taken at (CCNet: 30, 60). */
  percentiles: [number, number];
  /** Where the cutoffs come from: percentiles of held-out documents, or given at training. */
  cutoff_source: 'held-out' | 'given';
  /** Perplexity of the held-out documents (none when the cutoffs were given and nothing was held out). */
  held_out: { documents: number; mean: number; median: number; min: number; max: number };
  training: {
    documents: number;
    sentences: number;
    tokens: number;
    prune: number[];
    discount_fallback: boolean[];
  };
}

/** FNV-1a 32-bit over the pieces of a tokenizer, as 8 hex digits. */
export function tokenizerFingerprint(tok: Tokenizer): string {
  let h = 0x811c9dc5;
  for (let id = 0; id < tok.vocabSize; id++) {
    const p = tok.idToPiece(id);
    for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Maps tokens to model ids; a fixed vocabulary after training. */
export class Vocabulary {
  readonly words: string[];
  private readonly ids = new Map<string, number>();

  constructor(words: readonly string[] = ['<unk>', '<s>', '</s>']) {
    this.words = [...words];
    for (let i = FIRST_WORD; i < this.words.length; i++) this.ids.set(this.words[i]!, i);
  }

  get size(): number {
    return this.words.length;
  }

  /** The id of a token, <unk> when unknown (and for the reserved strings themselves). */
  id(token: string): number {
    return this.ids.get(token) ?? UNK;
  }

  /** The id of a token, adding it when new. */
  add(token: string): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      if (token === '<unk>' || token === '<s>' || token === '</s>') return UNK;
      id = this.words.length;
      this.words.push(token);
      this.ids.set(token, id);
    }
    return id;
  }
}

/** Turns a line into token strings the way the model was trained. */
export class LineTokenizer {
  private readonly pieceCache?: string[];

  constructor(
    readonly spec: TokenSpec,
    readonly tokenizer?: Tokenizer,
  ) {
    if (spec.kind === 'tokenizer') {
      if (!tokenizer) throw new Error('a tokenizer-based perplexity model needs its tokenizer');
      this.pieceCache = [];
    }
  }

  /** Tokens of one raw line (normalised here); empty when the line has none. */
  tokens(line: string, out: string[] = []): string[] {
    const norm = normalizeLine(line);
    if (!norm) return out;
    if (!this.tokenizer) return splitWords(norm, out);
    for (const id of this.tokenizer.encode(norm, { addBos: false, addEos: false })) {
      out.push((this.pieceCache![id] ??= this.tokenizer.idToPiece(id)));
    }
    return out;
  }
}

export class PerplexityModel {
  private readonly lineTokenizer: LineTokenizer;

  constructor(
    readonly lm: KneserNeyModel,
    readonly vocab: Vocabulary,
    readonly info: PerplexityModelInfo,
    tokenizer?: Tokenizer,
  ) {
    if (lm.vocabSize !== vocab.size) throw new Error(`language model vocabulary (${lm.vocabSize}) and word list (${vocab.size}) differ in size`);
    this.lineTokenizer = new LineTokenizer(info.tokens, tokenizer);
  }

  /** Sum of log10 p and sum of (tokens + 1) over the document's non-blank lines. */
  score(text: string): { log10: number; length: number } {
    let log10 = 0;
    let length = 0;
    const toks: string[] = [];
    let ids = new Uint32Array(64);
    for (const line of text.split('\n')) {
      toks.length = 0;
      this.lineTokenizer.tokens(line, toks);
      if (toks.length === 0) continue;
      if (ids.length < toks.length) ids = new Uint32Array(toks.length * 2);
      for (let i = 0; i < toks.length; i++) ids[i] = this.vocab.id(toks[i]!);
      log10 += this.lm.scoreSentence(ids, toks.length);
      length += toks.length + 1;
    }
    return { log10, length };
  }

  /** 10^(-sum log10 p / sum (tokens + 1)); NaN for a document without tokens. */
  perplexity(text: string): number {
    const s = this.score(text);
    return s.length === 0 ? NaN : Math.pow(10, -s.log10 / s.length);
  }

  bucket(perplexity: number, cutoffs: PerplexityCutoffs = this.info.cutoffs): PerplexityBucket {
    return perplexity < cutoffs.head ? 'head' : perplexity < cutoffs.middle ? 'middle' : 'tail';
  }

  /** Writes the model file (atomically). */
  save(path: string): void {
    const enc = new TextEncoder();
    const parts = this.vocab.words.map((w) => enc.encode(w));
    const offsets = new Uint32Array(parts.length + 1);
    for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i]! + parts[i]!.length;
    const bytes = new Uint8Array(offsets[parts.length]!);
    for (let i = 0; i < parts.length; i++) bytes.set(parts[i]!, offsets[i]!);
    const arrays: Record<string, TypedArray> = { vocab_bytes: bytes, vocab_offsets: offsets, u_1: this.lm.levels[0]!.u };
    if (this.lm.order > 1) arrays.gamma_1 = this.lm.levels[0]!.gamma!;
    for (let k = 2; k <= this.lm.order; k++) {
      const lv = this.lm.levels[k - 1]!;
      arrays[`prefix_${k}`] = lv.prefix;
      arrays[`word_${k}`] = lv.word;
      arrays[`u_${k}`] = lv.u;
      if (lv.gamma) arrays[`gamma_${k}`] = lv.gamma;
    }
    writeScorerFile(path, { scorer: 'perplexity', model: 'kneser-ney', order: this.lm.order, vocab_size: this.vocab.size, gamma0: this.lm.gamma0, discounts: this.lm.discounts, ngrams: this.lm.ngramCounts, ...this.info }, arrays);
  }

  /**
   * Reads a model file. A tokenizer-based model needs its tokenizer: `tokenizer` (a path or a loaded
   * one) or else the path recorded in the file (resolved against the model's folder if relative).
   */
  static load(path: string, opts: { tokenizer?: string | Tokenizer } = {}): PerplexityModel {
    const f = readScorerFile(path, 'perplexity');
    if (f.header.model !== 'kneser-ney') f.fail(`header field 'model' is ${JSON.stringify(f.header.model)}, expected "kneser-ney"`);
    const order = headerNumber(f, 'order', (v) => Number.isInteger(v) && v >= 1 && v <= 12, 'an integer from 1 to 12');
    const V = headerNumber(f, 'vocab_size', (v) => Number.isInteger(v) && v >= FIRST_WORD, `an integer >= ${FIRST_WORD}`);
    const gamma0 = headerNumber(f, 'gamma0', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    const discounts = f.header.discounts;
    if (!Array.isArray(discounts) || discounts.length !== order || !discounts.every((d) => Array.isArray(d) && d.length === 3 && d.every((x) => typeof x === 'number'))) {
      f.fail(`header field 'discounts' must be ${order} triples of numbers`);
    }
    const info = readInfo(f);
    const vocab = readVocab(f, V);
    const levels: KneserNeyLevel[] = [{ prefix: new Uint32Array(0), word: new Uint32Array(0), u: checkProbs(f, 'u_1', f.array('u_1', 'f32', V)) }];
    if (order > 1) levels[0]!.gamma = checkProbs(f, 'gamma_1', f.array('gamma_1', 'f64', V));
    let below = V;
    for (let k = 2; k <= order; k++) {
      const word = f.array(`word_${k}`, 'u32');
      const n = word.length;
      const prefix = f.array(`prefix_${k}`, 'u32', n);
      for (let i = 0; i < n; i++) {
        if (prefix[i]! >= below) f.fail(`array 'prefix_${k}' element ${i} is ${prefix[i]}, but order ${k - 1} has ${below} entries`);
        const w = word[i]!;
        if (w >= V || w === BOS) f.fail(`array 'word_${k}' element ${i} is ${w}, not a word id below ${V} other than <s>`);
      }
      const lv: KneserNeyLevel = { prefix, word, u: checkProbs(f, `u_${k}`, f.array(`u_${k}`, 'f32', n)) };
      if (k < order) lv.gamma = checkProbs(f, `gamma_${k}`, f.array(`gamma_${k}`, 'f64', n));
      levels.push(lv);
      below = n;
    }
    let lm: KneserNeyModel;
    try {
      lm = new KneserNeyModel({ order, vocabSize: V, gamma0, levels, discounts: discounts as number[][] });
    } catch (e) {
      return f.fail((e as Error).message);
    }
    let tok: Tokenizer | undefined;
    if (info.tokens.kind === 'tokenizer') {
      if (!opts.tokenizer && !info.tokens.path) f.fail(`was trained with a tokenizer given in memory: pass the tokenizer to load it with`);
      const t = opts.tokenizer ?? (isAbsolute(info.tokens.path) ? info.tokens.path : resolve(dirname(path), info.tokens.path));
      tok = typeof t === 'string' ? Tokenizer.load(t) : t;
      const fp = tokenizerFingerprint(tok);
      if (tok.vocabSize !== info.tokens.vocab_size || fp !== info.tokens.fingerprint) {
        f.fail(`was trained with another tokenizer (${info.tokens.vocab_size} pieces, fingerprint ${info.tokens.fingerprint}); the one given has ${tok.vocabSize} pieces, fingerprint ${fp}`);
      }
    }
    return new PerplexityModel(lm, vocab, info, tok);
  }
}

function checkProbs<T extends Float32Array | Float64Array>(f: ScorerFile, name: string, a: T): T {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!(v >= 0 && v <= 1)) f.fail(`array '${name}' element ${i} is ${v}, not a probability in [0, 1]`);
  }
  return a;
}

function readVocab(f: ScorerFile, V: number): Vocabulary {
  const offsets = f.array('vocab_offsets', 'u32', V + 1);
  const bytes = f.array('vocab_bytes', 'u8');
  const dec = new TextDecoder('utf-8', { fatal: true });
  const words: string[] = [];
  for (let i = 0; i < V; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (a > b || b > bytes.length) f.fail(`array 'vocab_offsets' element ${i + 1} is ${b}: offsets must grow and stay within the ${bytes.length} vocabulary bytes`);
    try {
      words.push(dec.decode(bytes.subarray(a, b)));
    } catch {
      f.fail(`vocabulary word ${i} is not valid UTF-8`);
    }
  }
  if (words[UNK] !== '<unk>' || words[BOS] !== '<s>' || words[EOS] !== '</s>') f.fail(`vocabulary must start with <unk>, <s>, </s> (got ${JSON.stringify(words.slice(0, 3))})`);
  return new Vocabulary(words);
}

function readInfo(f: ScorerFile): PerplexityModelInfo {
  const tokens = headerObject(f, 'tokens') as TokenSpec;
  if (tokens.kind === 'tokenizer') {
    if (typeof tokens.path !== 'string' || typeof tokens.fingerprint !== 'string' || !Number.isInteger(tokens.vocab_size)) f.fail(`header field 'tokens' must give the tokenizer's path, vocab_size and fingerprint`);
  } else if (tokens.kind !== 'words') {
    f.fail(`header field 'tokens.kind' is ${JSON.stringify((tokens as { kind: unknown }).kind)}, expected "words" or "tokenizer"`);
  }
  const cutoffs = headerObject(f, 'cutoffs') as unknown as PerplexityCutoffs;
  if (!(cutoffs.head > 0) || !(cutoffs.middle >= cutoffs.head)) f.fail(`header field 'cutoffs' must have 0 < head <= middle (got ${JSON.stringify(cutoffs)})`);
  const p = f.header.percentiles;
  if (!Array.isArray(p) || p.length !== 2) f.fail(`header field 'percentiles' must be two numbers`);
  return {
    tokens,
    cutoffs: { head: cutoffs.head, middle: cutoffs.middle },
    percentiles: p as [number, number],
    cutoff_source: f.header.cutoff_source === 'given' ? 'given' : 'held-out',
    held_out: headerObject(f, 'held_out') as PerplexityModelInfo['held_out'],
    training: headerObject(f, 'training') as PerplexityModelInfo['training'],
  };
}
