// SentencePiece-compatible BPE trainer with Yi's defaults (YI-SPEC §2): the algorithm of sentencepiece's
// bpe_model_trainer.cc / trainer_interface.cc, so that the vocabulary matches `spm_train --model_type=bpe`
// with the same options:
//  - every input line is a sentence (documents are split at '\n'); lines over max_sentence_length bytes or
//    holding U+2585 are skipped; meta pieces written in the text are replaced by a space; identity
//    normalization with spaces escaped to U+2581, no dummy prefix; optional reservoir sampling
//    (input_sentence_size, seeded);
//  - sentences are split into words before each U+2581 (runs of U+2581 stay one word with
//    allow_whitespace_only_pieces); words are counted, so memory is bounded by the distinct words;
//  - required characters: by frequency until character_coverage is reached; the rest become an unknown
//    symbol that never merges (such text is encoded with byte fallback);
//  - greedy merges of the most frequent adjacent pair (ties: shorter piece, then smaller string), pair
//    counts kept up to date incrementally from the merged positions' neighbours (no rescans);
//  - a pair is a candidate only if its piece is valid: at most max_sentencepiece_length characters, U+2581
//    only at the start (or whitespace-only pieces when allowed), one Unicode script, digits alone with
//    split_digits;
//  - vocabulary: <unk>, bos, eos, control symbols, user-defined symbols, the 256 <0xNN> byte pieces (ids in
//    that order), then merged pieces with score -(merge order), then the required characters.
import { encodeModelProto, ModelType, PieceType, type ModelProtoInit } from './sentencepiece-proto.js';
import { scriptOf } from './train-script.js';
import { mulberry32 } from '../tensor/random.js';
import { PairTable, PosStore } from './train-pairs.js';

export const SPACE = '\u2581';
const SPACE_CP = 0x2581;
const UNK_CHAR = 0x2585;

export interface TrainOptions {
  vocabSize: number;
  /** Fraction of characters (by count) that must be in the vocabulary; the rest fall back to bytes. Default 0.9995. */
  characterCoverage?: number;
  /** Longest piece in characters. Default 16. */
  maxSentencepieceLength?: number;
  /** Lines longer than this many UTF-8 bytes are skipped, as in sentencepiece. Default 4192. */
  maxSentenceLength?: number;
  /** Sample at most this many sentences (reservoir sampling with `seed`); 0 = all. Default 0. */
  inputSentenceSize?: number;
  seed?: number;
  splitDigits?: boolean;
  splitByUnicodeScript?: boolean;
  splitByWhitespace?: boolean;
  allowWhitespaceOnlyPieces?: boolean;
  byteFallback?: boolean;
  unkPiece?: string;
  bosPiece?: string;
  eosPiece?: string;
  /**
   * Control pieces after <unk>, bos and eos. Default: Yi's layout, which puts <|im_start|> at 6 and
   * <|im_end|> at 7: <fim_prefix> <fim_middle> <fim_suffix> <|im_start|> <|im_end|> <|im_sep|>.
   */
  controlSymbols?: string[];
  /** User-defined pieces (matched in text by the encoder), after the control symbols. */
  userDefinedSymbols?: string[];
  /** Called every few merges and at the end. */
  onProgress?: (merges: number, totalMerges: number) => void;
}

export const YI_CONTROL_SYMBOLS = ['<fim_prefix>', '<fim_middle>', '<fim_suffix>', '<|im_start|>', '<|im_end|>', '<|im_sep|>'];

export interface TrainStats {
  sentences: number;
  skippedSentences: number;
  words: number;
  characters: number;
  requiredChars: number;
  metaPieces: number;
  merges: number;
  seconds: number;
}

export class TrainError extends Error {}

interface Resolved extends Required<Omit<TrainOptions, 'onProgress'>> {
  onProgress?: TrainOptions['onProgress'];
}

function resolve(o: TrainOptions): Resolved {
  const r: Resolved = {
    vocabSize: o.vocabSize,
    characterCoverage: o.characterCoverage ?? 0.9995,
    maxSentencepieceLength: o.maxSentencepieceLength ?? 16,
    maxSentenceLength: o.maxSentenceLength ?? 4192,
    inputSentenceSize: o.inputSentenceSize ?? 0,
    seed: o.seed ?? 0,
    splitDigits: o.splitDigits ?? true,
    splitByUnicodeScript: o.splitByUnicodeScript ?? true,
    splitByWhitespace: o.splitByWhitespace ?? true,
    allowWhitespaceOnlyPieces: o.allowWhitespaceOnlyPieces ?? true,
    byteFallback: o.byteFallback ?? true,
    unkPiece: o.unkPiece ?? '<unk>',
    bosPiece: o.bosPiece ?? '<|startoftext|>',
    eosPiece: o.eosPiece ?? '<|endoftext|>',
    controlSymbols: o.controlSymbols ?? YI_CONTROL_SYMBOLS,
    userDefinedSymbols: o.userDefinedSymbols ?? [],
    onProgress: o.onProgress,
  };
  if (!Number.isInteger(r.vocabSize) || r.vocabSize <= 0) throw new TrainError(`vocab size must be a positive integer (got ${o.vocabSize})`);
  if (!(r.characterCoverage > 0 && r.characterCoverage <= 1)) throw new TrainError(`character coverage must be in (0, 1] (got ${r.characterCoverage})`);
  if (!Number.isInteger(r.maxSentencepieceLength) || r.maxSentencepieceLength < 1 || r.maxSentencepieceLength > 512)
    throw new TrainError(`max sentencepiece length must be 1..512 (got ${r.maxSentencepieceLength})`);
  if (!Number.isInteger(r.inputSentenceSize) || r.inputSentenceSize < 0) throw new TrainError(`input sentence size must be >= 0 (got ${r.inputSentenceSize})`);
  return r;
}

/** The fixed pieces in id order: <unk>, bos, eos, control, user-defined, bytes. */
export function metaPieces(o: TrainOptions): Array<{ piece: string; type: PieceType }> {
  const r = resolve({ ...o, vocabSize: Math.max(1, o.vocabSize) });
  const out: Array<{ piece: string; type: PieceType }> = [
    { piece: r.unkPiece, type: PieceType.UNKNOWN },
    { piece: r.bosPiece, type: PieceType.CONTROL },
    { piece: r.eosPiece, type: PieceType.CONTROL },
  ];
  for (const s of r.controlSymbols) out.push({ piece: s, type: PieceType.CONTROL });
  for (const s of r.userDefinedSymbols) out.push({ piece: s, type: PieceType.USER_DEFINED });
  const seen = new Set<string>();
  for (const m of out) {
    if (m.piece === '') throw new TrainError('an empty string cannot be a special piece');
    if (seen.has(m.piece)) throw new TrainError(`special piece ${JSON.stringify(m.piece)} is given twice`);
    seen.add(m.piece);
  }
  if (r.byteFallback) {
    for (let b = 0; b < 256; b++) {
      const p = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      if (seen.has(p)) throw new TrainError(`special piece ${p} clashes with a byte-fallback piece`);
      out.push({ piece: p, type: PieceType.BYTE });
    }
  }
  return out;
}

/** SplitIntoWords of sentencepiece (whitespace as prefix): a new word starts at each U+2581 (or run of them). */
function addWords(s: string, words: Map<string, number>, allowWsOnly: boolean): void {
  let start = 0;
  let inWs = false;
  for (let i = 0; i < s.length; i++) {
    const isWs = s.charCodeAt(i) === SPACE_CP;
    if (i === 0 || (isWs && (!inWs || !allowWsOnly))) {
      if (i > start) {
        const w = s.slice(start, i);
        words.set(w, (words.get(w) ?? 0) + 1);
      }
      start = i;
      inWs = true;
    }
    if (inWs && !isWs) inWs = false;
  }
  if (s.length > start) {
    const w = s.slice(start);
    words.set(w, (words.get(w) ?? 0) + 1);
  }
}

function isValidCodepoint(c: number): boolean {
  return c < 0xd800 || (c >= 0xe000 && c <= 0x10ffff);
}

function isDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0xff10 && c <= 0xff19);
}

/**
 * Trains a BPE tokenizer on `texts` (documents; each line is a sentence). Returns the ModelProto (write it
 * with writeTokenizerFiles or encodeModelProto) and statistics.
 */
export async function trainTokenizer(
  texts: Iterable<string> | AsyncIterable<string>,
  opts: TrainOptions,
): Promise<{ proto: ModelProtoInit; stats: TrainStats }> {
  const t0 = performance.now();
  const o = resolve(opts);
  const meta = metaPieces(o);
  if (meta.length >= o.vocabSize)
    throw new TrainError(`vocab size ${o.vocabSize} is too small: the special and byte pieces alone take ${meta.length} ids`);

  // Meta pieces written in the text are replaced by a space (as sentencepiece does).
  const metaSorted = meta.map((m) => m.piece).sort((a, b) => b.length - a.length);
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const metaRe = new RegExp(metaSorted.map(escapeRe).join('|'), 'g');
  const metaFirst = new Set(metaSorted.map((p) => p[0]!));

  const words = new Map<string, number>();
  let sentences = 0;
  let skipped = 0;
  const sample: string[] = [];
  const rand = mulberry32(o.seed);
  let seen = 0;
  const encoder = new TextEncoder();

  const addSentence = (line: string): void => {
    if (line.length === 0) return;
    // Bytes: a UTF-16 unit is at most 3 UTF-8 bytes; measure only when it can matter.
    if (line.length * 3 > o.maxSentenceLength && encoder.encode(line).length > o.maxSentenceLength) {
      skipped++;
      return;
    }
    if (line.includes('\u2585')) {
      skipped++;
      return;
    }
    let s = line;
    for (const c of metaFirst) {
      if (s.includes(c)) {
        s = s.replace(metaRe, ' ');
        break;
      }
    }
    s = s.replaceAll(' ', SPACE);
    if (s.length === 0) return;
    if (o.inputSentenceSize > 0) {
      seen++;
      if (sample.length < o.inputSentenceSize) sample.push(s);
      else {
        const j = Math.floor(rand() * seen);
        if (j < o.inputSentenceSize) sample[j] = s;
      }
      return;
    }
    sentences++;
    addWords(s, words, o.allowWhitespaceOnlyPieces);
  };

  for await (const doc of texts as AsyncIterable<string>) {
    if (typeof doc !== 'string') throw new TrainError('training input must be strings');
    let start = 0;
    for (;;) {
      const nl = doc.indexOf('\n', start);
      addSentence(nl < 0 ? doc.slice(start) : doc.slice(start, nl));
      if (nl < 0) break;
      start = nl + 1;
    }
  }
  if (o.inputSentenceSize > 0) {
    for (const s of sample) addWords(s, words, o.allowWhitespaceOnlyPieces);
    sentences = sample.length;
    sample.length = 0;
  }
  if (words.size === 0) throw new TrainError('the training corpus is empty (no non-empty lines)');
  const mem = (what: string) => {
    if (process.env.YI_TRAIN_DEBUG) process.stderr.write(`${what}: rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB\n`);
  };
  mem('words counted');

  // Character counts and the required characters (coverage).
  const charCount = new Map<number, number>();
  let allChars = 0;
  for (const [w, f] of words) {
    for (const ch of w) {
      const c = ch.codePointAt(0)!;
      if (!isValidCodepoint(c) || c === 0) continue;
      charCount.set(c, (charCount.get(c) ?? 0) + f);
      allChars += f;
    }
  }
  const sortedChars = [...charCount].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const required: Array<[number, number]> = [];
  let acc = 0;
  const coverageLimit = Math.fround(o.characterCoverage);
  for (const e of sortedChars) {
    if (Math.fround(acc / allChars) >= coverageLimit) break;
    acc += e[1];
    required.push(e);
  }
  if (required.length + meta.length >= o.vocabSize)
    throw new TrainError(
      `vocab size ${o.vocabSize} is too small: ${meta.length} special and byte pieces plus ${required.length} required characters ` +
        `need at least ${required.length + meta.length + 1}; raise --vocab-size or lower --character-coverage`,
    );

  // Symbols: ids 0.. are characters (required ones), then merged pieces. UNK = -2 never pairs.
  const UNK = -2;
  const symStr: string[] = [];
  const symLen: number[] = [];
  const charSym = new Map<number, number>();
  for (const [c] of required) {
    charSym.set(c, symStr.length);
    symStr.push(String.fromCodePoint(c));
    symLen.push(1);
  }

  // Words laid out flat: sym, prev, next (-1 at word ends), word index per position.
  let total = 0;
  for (const w of words.keys()) total += w.length;
  const sym = new Int32Array(total);
  const prev = new Int32Array(total);
  const next = new Int32Array(total);
  const wordOf = new Int32Array(total);
  const wfreq = new Float64Array(words.size);
  let pos = 0;
  let wi = 0;
  for (const [w, f] of words) {
    wfreq[wi] = f;
    const begin = pos;
    for (const ch of w) {
      const c = ch.codePointAt(0)!;
      sym[pos] = c === UNK_CHAR ? UNK : (charSym.get(c) ?? UNK);
      wordOf[pos] = wi;
      prev[pos] = pos === begin ? -1 : pos - 1;
      next[pos] = pos + 1;
      pos++;
    }
    if (pos > begin) next[pos - 1] = -1;
    wi++;
  }
  const nPos = pos;
  const nWords = words.size;
  words.clear();

  // Pairs.
  const pairOf = new PairTable();
  let pLeft = new Int32Array(1 << 16);
  let pRight = new Int32Array(1 << 16);
  let pFreq = new Float64Array(1 << 16);
  let pActive = new Uint8Array(1 << 16);
  let pStamp = new Int32Array(1 << 16);
  // Pairs of one symbol twice ("aa") follow sentencepiece's ComputeFreq, which is not a plain count: when
  // such a pair is (re)counted, an entry overlapping the previous counted one ("aaa": the second "aa") is
  // dropped for good, and later merges never happen there. So their pFreq is the result of the last
  // recount (pruneSame), redone after each merge that touches them, not an incremental count.
  const store = new PosStore();
  let nPairs = 0;

  const valid = (a: number, b: number): boolean => {
    const len = symLen[a]! + symLen[b]!;
    if (len > o.maxSentencepieceLength) return false;
    const s = symStr[a]! + symStr[b]!;
    let allWs = true;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== SPACE_CP) allWs = false;
    let prevScript = -1;
    let i = 0;
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      if (c === UNK_CHAR || c === 0 || c === 0x09 || c === 0x20 || !isValidCodepoint(c)) return false;
      if (c === SPACE_CP) {
        if (!o.allowWhitespaceOnlyPieces || !allWs) {
          if ((o.splitByWhitespace && i > 0) || (!o.splitByWhitespace && i > 0 && i === len - 1)) return false;
        }
      } else {
        const sc = scriptOf(c);
        if (o.splitDigits && isDigit(c) && len > 1) return false;
        if (o.splitByUnicodeScript && prevScript !== -1 && prevScript !== sc) return false;
        prevScript = sc;
      }
      i++;
    }
    return true;
  };

  const growPairs = (): void => {
    const cap = pLeft.length * 2;
    const g32 = (x: Int32Array) => {
      const y = new Int32Array(cap);
      y.set(x);
      return y;
    };
    pLeft = g32(pLeft);
    pRight = g32(pRight);
    pStamp = g32(pStamp);
    const f = new Float64Array(cap);
    f.set(pFreq);
    pFreq = f;
    const ac = new Uint8Array(cap);
    ac.set(pActive);
    pActive = ac;
  };

  const getPair = (a: number, b: number): number => {
    if (a < 0 || b < 0) return -1;
    let id = pairOf.get(a, b);
    if (id !== -2) return id;
    if (!valid(a, b)) {
      pairOf.set(a, b, -1);
      return -1;
    }
    if (nPairs === pLeft.length) growPairs();
    id = nPairs++;
    pLeft[id] = a;
    pRight[id] = b;
    pFreq[id] = 0;
    pActive[id] = 1;
    pStamp[id] = -1;
    store.ensurePairs(nPairs);
    pairOf.set(a, b, id);
    return id;
  };

  for (let p = 0; p < nPos; p++) {
    const q = next[p]!;
    if (q < 0) continue;
    const id = getPair(sym[p]!, sym[q]!);
    if (id < 0) continue;
    pFreq[id] += wfreq[wordOf[p]!]!;
    store.push(id, p, q);
  }

  // Max-heap of (freq, pair) entries, lazily invalidated.
  let hFreq = new Float64Array(1 << 16);
  let hPair = new Int32Array(1 << 16);
  let hn = 0;
  const cmpStr = (x: string, y: string): number => {
    // Code point order (= UTF-8 byte order, as std::string comparison in sentencepiece).
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const a = x.codePointAt(i)!;
      const b = y.codePointAt(i)!;
      if (a !== b) return a - b;
      if (a > 0xffff) i++;
    }
    return x.length - y.length;
  };
  /** true when heap entry i ranks above entry j. */
  const better = (fi: number, pi: number, fj: number, pj: number): boolean => {
    if (fi !== fj) return fi > fj;
    const li = symLen[pLeft[pi]!]! + symLen[pRight[pi]!]!;
    const lj = symLen[pLeft[pj]!]! + symLen[pRight[pj]!]!;
    if (li !== lj) return li < lj;
    if (pi === pj) return false;
    return cmpStr(symStr[pLeft[pi]!]! + symStr[pRight[pi]!]!, symStr[pLeft[pj]!]! + symStr[pRight[pj]!]!) < 0;
  };
  const siftUp = (i: number): void => {
    const f = hFreq[i]!;
    const p = hPair[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!better(f, p, hFreq[parent]!, hPair[parent]!)) break;
      hFreq[i] = hFreq[parent]!;
      hPair[i] = hPair[parent]!;
      i = parent;
    }
    hFreq[i] = f;
    hPair[i] = p;
  };
  const siftDown = (i: number): void => {
    const f = hFreq[i]!;
    const p = hPair[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= hn) break;
      if (c + 1 < hn && better(hFreq[c + 1]!, hPair[c + 1]!, hFreq[c]!, hPair[c]!)) c++;
      if (!better(hFreq[c]!, hPair[c]!, f, p)) break;
      hFreq[i] = hFreq[c]!;
      hPair[i] = hPair[c]!;
      i = c;
    }
    hFreq[i] = f;
    hPair[i] = p;
  };
  const heapPush = (f: number, p: number): void => {
    if (hn === hFreq.length) {
      const nf = new Float64Array(hn * 2);
      nf.set(hFreq);
      hFreq = nf;
      const np = new Int32Array(hn * 2);
      np.set(hPair);
      hPair = np;
    }
    hFreq[hn] = f;
    hPair[hn] = p;
    siftUp(hn++);
  };
  const heapPop = (): void => {
    hn--;
    if (hn > 0) {
      hFreq[0] = hFreq[hn]!;
      hPair[0] = hPair[hn]!;
      siftDown(0);
    }
  };
  const rebuildHeap = (): void => {
    hn = 0;
    for (let id = 0; id < nPairs; id++) if (pActive[id] && pFreq[id]! > 0) heapPush(pFreq[id]!, id);
  };

  /**
   * Recount of a same-symbol pair as sentencepiece's ComputeFreq does it: entries in position order; a stale
   * entry is dropped; an entry starting where the previous counted one ends is dropped too (and the next one
   * may count again: "aaaa" counts 2).
   */
  const pruneSame = (id: number): number => {
    const a = pLeft[id]!;
    const m = store.sorted(id);
    const tl = store.tl;
    const tr = store.tr;
    let n = 0;
    let prevRight = -1;
    let freq = 0;
    for (let k = 0; k < m; k++) {
      const l = tl[k]!;
      const r = tr[k]!;
      if (sym[l] !== a || sym[r] !== a) continue;
      if (l === prevRight) {
        prevRight = -1;
        continue;
      }
      tl[n] = l;
      tr[n] = r;
      n++;
      prevRight = r;
      freq += wfreq[wordOf[l]!]!;
    }
    store.setFromScratch(id, n);
    return freq;
  };
  for (let id = 0; id < nPairs; id++) if (pLeft[id] === pRight[id]) pFreq[id] = pruneSame(id);
  rebuildHeap();

  mem(`pairs ${nPairs}, entries ${store.n}, positions ${nPos}`);
  const targetMerges = o.vocabSize - meta.length - required.length;
  const merged: string[] = [];
  const dup = new Set<string>();
  const touched: number[] = [];
  let iter = 0;
  const touch = (id: number): void => {
    if (pStamp[id] !== iter) {
      pStamp[id] = iter;
      touched.push(id);
    }
  };
  const debug = !!process.env.YI_TRAIN_DEBUG;
  const progressEvery = Math.max(1, Math.floor(targetMerges / 1000));

  while (merged.length < targetMerges) {
    iter++;
    // Best valid entry.
    let best = -1;
    while (hn > 0) {
      const f = hFreq[0]!;
      const p = hPair[0]!;
      if (!pActive[p] || f !== pFreq[p]) {
        heapPop();
        continue;
      }
      heapPop();
      best = p;
      break;
    }
    if (best < 0 || pFreq[best]! <= 0) break;
    const a = pLeft[best]!;
    const b = pRight[best]!;
    const str = symStr[a]! + symStr[b]!;
    pActive[best] = 0;
    if (dup.has(str)) continue;
    dup.add(str);
    if (debug) process.stderr.write(`merge ${merged.length} freq=${pFreq[best]} ${str}\n`);
    merged.push(str);
    const x = symStr.length;
    symStr.push(str);
    symLen.push(symLen[a]! + symLen[b]!);

    // Same-symbol pairs in position order (scratch copy); others straight from the list (order is free).
    const m = a === b ? store.sorted(best) : 0;
    const sortedL = a === b ? store.tl.slice(0, m) : undefined;
    for (let k = 0, e = store.head[best]!; sortedL ? k < m : e >= 0; k++, e = sortedL ? e : store.next[e]!) {
      const p = sortedL ? sortedL[k]! : store.l[e]!;
      if (sym[p] !== a) continue;
      const q = next[p]!;
      if (q < 0 || sym[q] !== b) continue;
      const f = wfreq[wordOf[p]!]!;
      const pp = prev[p]!;
      const nn = next[q]!;
      if (pp >= 0) {
        const id = getPair(sym[pp]!, a);
        if (id >= 0) {
          if (pLeft[id] !== pRight[id]) pFreq[id] -= f;
          touch(id);
        }
      }
      if (nn >= 0) {
        const id = getPair(b, sym[nn]!);
        if (id >= 0) {
          if (pLeft[id] !== pRight[id]) pFreq[id] -= f;
          touch(id);
        }
      }
      sym[p] = x;
      sym[q] = -1;
      next[p] = nn;
      if (nn >= 0) prev[nn] = p;
      if (pp >= 0) {
        const id = getPair(sym[pp]!, x);
        if (id >= 0) {
          if (pLeft[id] !== pRight[id]) pFreq[id] += f;
          store.push(id, pp, p);
          touch(id);
        }
      }
      if (nn >= 0) {
        const id = getPair(x, sym[nn]!);
        if (id >= 0) {
          if (pLeft[id] !== pRight[id]) pFreq[id] += f;
          store.push(id, p, nn);
          touch(id);
        }
      }
    }
    store.head[best] = -1;
    pFreq[best] = 0;
    for (const id of touched) {
      if (!pActive[id]) continue;
      if (pLeft[id] === pRight[id]) pFreq[id] = pruneSame(id);
      if (pFreq[id]! > 0) heapPush(pFreq[id]!, id);
    }
    touched.length = 0;
    if (hn > 4 * nPairs + 1024) rebuildHeap();
    if (store.n > 2 * store.liveAfterCompact + (1 << 22))
      store.compact(nPairs, (id, l, r) => pActive[id] === 1 && sym[l] === pLeft[id] && sym[r] === pRight[id]);
    if (o.onProgress && merged.length % progressEvery === 0) o.onProgress(merged.length, targetMerges);
  }
  mem(`merged, entries ${store.n}, heap ${hn}`);
  if (merged.length < targetMerges)
    throw new TrainError(
      `vocab size ${o.vocabSize} is too high for this corpus: only ${merged.length} merges were possible; ` +
        `use --vocab-size ${meta.length + required.length + merged.length} or less`,
    );
  o.onProgress?.(merged.length, targetMerges);

  const pieces: ModelProtoInit['pieces'] = meta.map((m) => ({ piece: m.piece, score: 0, type: m.type }));
  merged.forEach((s, i) => pieces.push({ piece: s, score: -i, type: PieceType.NORMAL }));
  required.forEach(([c], i) => pieces.push({ piece: String.fromCodePoint(c), score: -(merged.length + i), type: PieceType.NORMAL }));

  const proto: ModelProtoInit = {
    pieces,
    trainerSpec: {
      modelType: ModelType.BPE,
      vocabSize: o.vocabSize,
      characterCoverage: o.characterCoverage,
      inputSentenceSize: o.inputSentenceSize,
      maxSentenceLength: o.maxSentenceLength,
      maxSentencepieceLength: o.maxSentencepieceLength,
      splitByUnicodeScript: o.splitByUnicodeScript,
      splitByWhitespace: o.splitByWhitespace,
      splitDigits: o.splitDigits,
      allowWhitespaceOnlyPieces: o.allowWhitespaceOnlyPieces,
      byteFallback: o.byteFallback,
      controlSymbols: o.controlSymbols,
      userDefinedSymbols: o.userDefinedSymbols,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      padId: -1,
      unkPiece: o.unkPiece,
      bosPiece: o.bosPiece,
      eosPiece: o.eosPiece,
      numThreads: 1,
    },
    normalizerSpec: {
      name: 'identity',
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: false,
      removeExtraWhitespaces: false,
      escapeWhitespaces: true,
    },
  };
  void nWords;
  return {
    proto,
    stats: {
      sentences,
      skippedSentences: skipped,
      words: nWords,
      characters: allChars,
      requiredChars: required.length,
      metaPieces: meta.length,
      merges: merged.length,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}

/** tokenizer.model bytes of a trained proto. */
export function modelBytes(proto: ModelProtoInit): Uint8Array {
  return encodeModelProto(proto);
}
