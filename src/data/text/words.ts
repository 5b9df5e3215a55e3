// Language-aware word splitting for the quality rules. The reference rules (datatrove's Gopher,
// FineWeb) count spaCy tokens: words, and punctuation split off as tokens of their own ("end." is
// "end" + "."), which matters because "fraction of words with a letter" and "newlines per word"
// count the punctuation tokens too. spaCy is not available here, so `splitLatin` follows its
// English tokenizer rules (prefixes, suffixes, infixes and the abbreviation exceptions) closely
// enough for the counts to agree on ordinary prose; Chinese is cut by jieba, as datatrove does.
import { charTable, flagsAt, charWidth, HAN, LETTER, NUMBER, PUNCT, SPACE, SYMBOL, isBlank } from './chars.js';
import { chineseSegmenter } from './segmenter.js';

/** Languages written without spaces between words, cut by a segmenter instead of at spaces. */
export const SEGMENTED_LANGUAGES: ReadonlySet<string> = new Set(['zh']);

/** Words and where each starts in the text (UTF-16 index). */
export interface WordSplit {
  words: string[];
  offsets: number[];
}

let cachedText: string | undefined;
let cachedLanguage = '';
let cached: WordSplit = { words: [], offsets: [] };

/**
 * The words of `text` in `language` (an ISO 639-1 code; 'zh' is segmented with jieba, anything
 * else split like English), with their offsets. Whitespace never appears in a word, so no word
 * spans a line break. The last result is cached: consecutive stages of a pipeline ask for the
 * words of the same document.
 */
export function wordsOf(text: string, language: string): WordSplit {
  if (text === cachedText && language === cachedLanguage) return cached;
  const offsets: number[] = [];
  const words = language === 'zh' ? splitChinese(text, offsets) : splitLatin(text, offsets);
  cachedText = text;
  cachedLanguage = language;
  cached = { words, offsets };
  return cached;
}

/** The words of `text` (see wordsOf). */
export function splitWords(text: string, language: string): string[] {
  return wordsOf(text, language).words;
}

/**
 * Tells the cache the words of a text a stage has just made from known words (C4 joins kept
 * lines, whose words it has), so the next stage does not split it again.
 */
export function primeWords(text: string, language: string, split: WordSplit): void {
  cachedText = text;
  cachedLanguage = language;
  cached = split;
}

/** jieba's cut (HMM on, as spaCy's zh pipeline uses it), whitespace pieces dropped. */
export function splitChinese(text: string, offsets?: number[]): string[] {
  const out: string[] = [];
  // The segmenter sees a bounded piece at a time: jieba's cost grows with its input's DAG, and a
  // pathological megabyte-long line should not stall a worker. Cut only at newlines.
  const seg = chineseSegmenter();
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + 65536);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end);
      if (nl > start) end = nl + 1;
    }
    // jieba's pieces cover its input exactly, so offsets are running sums of lengths.
    let at = start;
    for (const w of seg.cut(text.slice(start, end), true)) {
      if (!isBlank(w)) {
        out.push(w);
        offsets?.push(at);
      }
      at += w.length;
    }
    start = end;
  }
  return out;
}

/** The words of space-separated text, tokenized the way spaCy's English tokenizer does. */
export function splitLatin(text: string, offsets?: number[]): string[] {
  const t = charTable();
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (t[c]! & SPACE) {
      i++;
      continue;
    }
    const start = i;
    let plain = true;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c < 128) {
        if (c <= 32 && t[c]! & SPACE) break;
        if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) plain = false;
      } else {
        if (t[c]! & SPACE) break;
        plain = false;
      }
    }
    const first = out.length;
    if (plain) out.push(text.slice(start, i));
    else splitChunk(text, start, i, out);
    if (offsets) {
      // A chunk's tokens cover it in order: prefixes, the pieces of the core, suffixes.
      let at = start;
      for (let k = first; k < out.length; k++) {
        offsets.push(at);
        at += out[k]!.length;
      }
    }
  }
  return out;
}

// spaCy keeps these as one token with their period (tokenizer exceptions), lower-cased here.
const ABBREVIATIONS = new Set(
  ('mr mrs ms dr st jr sr prof gen gov sen rep rev col capt lt sgt cpl mt ft inc ltd co corp bros vs etc ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun no nos vol p pp fig ' +
    'ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont neb nev ' +
    'okla ore pa tenn va wash wis wyo')
    .split(' ')
    .map((w) => w + '.'),
);

// spaCy's English prefixes and suffixes are punctuation, quotes, symbols and currency, except
// these ASCII characters (which stay inside a word: "-5", "a/b", "@user", "C++").
const NOT_PREFIX = new Set(['.', '-', '/', '@', '\\', '^', '|', '~']);
const NOT_SUFFIX = new Set(['.', '-', '/', '@', '\\', '^', '|', '~', '=']);
// Suffixes only after a digit ("50%", "5$", "1+").
const AFTER_DIGIT_SUFFIX = new Set(['%', '$', '+']);
const CLITICS = ["n't", 'n’t', "'s", '’s', "'re", '’re', "'ve", '’ve', "'ll", '’ll', "'d", '’d', "'m", '’m'];
// The last letters of the clitics, upper and lower case (t s e l d m).
const CLITIC_ENDS = new Set([116, 84, 115, 83, 101, 69, 108, 76, 100, 68, 109, 77]);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Length of a run of 2+ dots or one "…" starting at i (and ending before e), else 0. */
function ellipsisAt(s: string, i: number, e: number): number {
  if (s.charCodeAt(i) === 0x2026) return 1;
  let j = i;
  while (j < e && s.charCodeAt(j) === 46) j++;
  return j - i >= 2 ? j - i : 0;
}

/** Length of a run of 2+ dots or one "…" ending at e (and starting at or after s), else 0. */
function ellipsisBefore(str: string, s: number, e: number): number {
  if (str.charCodeAt(e - 1) === 0x2026) return 1;
  let j = e;
  while (j > s && str.charCodeAt(j - 1) === 46) j--;
  return e - j >= 2 ? e - j : 0;
}

function prefixLength(s: string, a: number, e: number): number {
  const dots = ellipsisAt(s, a, e);
  if (dots) return dots;
  if (!(flagsAt(s, a) & (PUNCT | SYMBOL))) return 0;
  const ch = s[a]!;
  if (NOT_PREFIX.has(ch)) return 0;
  if (ch === '+' && a + 1 < e && isDigit(s.charCodeAt(a + 1))) return 0;
  return charWidth(s, a);
}

function suffixLength(s: string, a: number, e: number): number {
  const dots = ellipsisBefore(s, a, e);
  if (dots) return dots;
  const last = s.charCodeAt(e - 1);
  if (CLITIC_ENDS.has(last) && e - a >= 3 && (isApostrophe(s.charCodeAt(e - 2)) || isApostrophe(s.charCodeAt(e - 3)))) {
    // Clitics come off after a letter: "don't" -> "do" "n't", "John's" -> "John" "'s".
    const tail = s.slice(Math.max(a, e - 3), e).toLowerCase();
    for (const c of CLITICS) {
      if (e - a > c.length && tail.endsWith(c) && flagsAt(s, e - c.length - 1) & LETTER) return c.length;
    }
    return 0;
  }
  if (last === 46) {
    // A period comes off unless it ends an abbreviation ("Mr.", "U.S.", "e.g.", "A.") or follows a
    // single capital ("Jr.", "ABC." does come off: two capitals before it).
    if (e - a < 2) return 0;
    if (isAbbreviation(s, a, e)) return 0;
    if (!isUpperLetter(s, e - 2) || (e - a >= 3 && isUpperLetter(s, e - 3))) return 1;
    return 0;
  }
  const start = last >= 0xdc00 && last <= 0xdfff && e - 2 >= a ? e - 2 : e - 1;
  if (!(flagsAt(s, start) & (PUNCT | SYMBOL))) return 0;
  const ch = s.slice(start, e);
  if (NOT_SUFFIX.has(ch)) return 0;
  if (AFTER_DIGIT_SUFFIX.has(ch)) return start > a && isDigit(s.charCodeAt(start - 1)) ? 1 : 0;
  return e - start;
}

function isApostrophe(c: number): boolean {
  return c === 39 || c === 0x2019;
}

/** "Mr.", "etc.", and letter-period runs: "A.", "U.S.", "e.g." (s[e-1] is a period). */
function isAbbreviation(s: string, a: number, e: number): boolean {
  if (e - a <= 6 && ABBREVIATIONS.has(s.slice(a, e).toLowerCase())) return true;
  if ((e - a) % 2 !== 0) return false;
  for (let i = a; i < e; i += 2) if (!(flagsAt(s, i) & LETTER) || s.charCodeAt(i + 1) !== 46) return false;
  return true;
}

function isUpperLetter(s: string, i: number): boolean {
  const ch = s[i]!;
  return (flagsAt(s, i) & LETTER) !== 0 && ch !== ch.toLowerCase();
}

function isUrlOrEmail(word: string): boolean {
  return word.includes('://') || /^www\./i.test(word) || /^[^@\s]+@[^@\s]+\.\p{L}{2,}$/u.test(word);
}

function splitChunk(s: string, a: number, e: number, out: string[]): void {
  const suffixes: string[] = [];
  const maybeUrl = mayBeUrlOrEmail(s, a, e);
  while (a < e) {
    if (s.charCodeAt(e - 1) === 46 && isAbbreviation(s, a, e)) break;
    if (maybeUrl && isUrlOrEmail(s.slice(a, e))) break;
    const p = prefixLength(s, a, e);
    if (p > 0 && p < e - a) {
      out.push(s.slice(a, a + p));
      a += p;
      continue;
    }
    const q = suffixLength(s, a, e);
    if (q > 0 && q < e - a) {
      suffixes.push(s.slice(e - q, e));
      e -= q;
      continue;
    }
    break;
  }
  if (a < e) splitInfixes(s, a, e, out, maybeUrl);
  for (let k = suffixes.length - 1; k >= 0; k--) out.push(suffixes[k]!);
}

function mayBeUrlOrEmail(s: string, a: number, e: number): boolean {
  for (let i = a; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c === 64 || c === 58 || ((c === 119 || c === 87) && i + 3 < e && s.charCodeAt(i + 3) === 46)) return true;
  }
  return false;
}


/** Splits inside a word at spaCy's infixes: "well-known", "a/b", "1-2", "wait...what", "end.The". */
function splitInfixes(s: string, a: number, e: number, out: string[], maybeUrl: boolean): void {
  if (maybeUrl) {
    const word = s.slice(a, e);
    if (isUrlOrEmail(word)) {
      out.push(word);
      return;
    }
  }
  let from = a;
  let i = a + 1;
  while (i < e - 1) {
    const c = s.charCodeAt(i);
    let len = 0;
    const prevF = flagsAt(s, i - 1);
    if (c === 46 || c === 0x2026) {
      len = s.charCodeAt(i - 1) === 46 ? 0 : ellipsisAt(s, i, e);
      if (!len && c === 46) {
        // "end.The": a period between a lower-case letter and a capital.
        const nextF = flagsAt(s, i + 1);
        if (prevF & LETTER && !isUpperLetter(s, i - 1) && nextF & LETTER && isUpperLetter(s, i + 1)) len = 1;
      }
    } else if (c === 45 || c === 0x2013 || c === 0x2014) {
      // Hyphens (and runs of them) between a letter or digit and a letter; any of +-*^ between digits.
      let j = i;
      while (j < e && (s.charCodeAt(j) === 45 || s.charCodeAt(j) === 0x2013 || s.charCodeAt(j) === 0x2014) && j - i < 3) j++;
      if (j < e && prevF & (LETTER | NUMBER) && flagsAt(s, j) & LETTER) len = j - i;
      else if (c === 45 && isDigit(s.charCodeAt(i - 1)) && (isDigit(s.charCodeAt(i + 1)) || s.charCodeAt(i + 1) === 45)) len = 1;
    } else if (c === 44) {
      if (prevF & LETTER && flagsAt(s, i + 1) & LETTER) len = 1;
    } else if (c === 58 || c === 60 || c === 62 || c === 61 || c === 47) {
      if (prevF & (LETTER | NUMBER) && flagsAt(s, i + 1) & LETTER) len = 1;
    } else if (c === 43 || c === 42 || c === 94) {
      if (isDigit(s.charCodeAt(i - 1)) && (isDigit(s.charCodeAt(i + 1)) || s.charCodeAt(i + 1) === 45)) len = 1;
    }
    if (len > 0 && i > from) {
      out.push(s.slice(from, i));
      out.push(s.slice(i, i + len));
      from = i + len;
      i = from + 1;
      continue;
    }
    i += len > 0 ? len : 1;
  }
  if (from < e) out.push(s.slice(from, e));
}

/** Whether a word has a letter (Python: any(c.isalpha() for c in w)). */
export function hasLetter(w: string): boolean {
  const t = charTable();
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) {
      if (t[c]! & LETTER) return true;
    } else if (flagsAt(w, i) & LETTER) return true;
  }
  return false;
}

/**
 * Whether a word has a character that is not punctuation, a symbol or a control character
 * (datatrove's "non-symbol word": any(ch not in PUNCTUATION_SET for ch in w)).
 */
export function isNonSymbolWord(w: string): boolean {
  const t = charTable();
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    const f = c < 0xd800 || c > 0xdbff ? t[c]! : flagsAt(w, i);
    if (!(f & (PUNCT | SYMBOL)) && c >= 32 && !(c >= 127 && c < 160)) return true;
  }
  return false;
}

/** The share of Han characters among letters, a script-level guess at Chinese without language id. */
export function hanShare(text: string, limit = 4096): number {
  const t = charTable();
  let han = 0;
  let letters = 0;
  const n = Math.min(text.length, limit);
  for (let i = 0; i < n; i++) {
    const f = t[text.charCodeAt(i)]!;
    if (f & LETTER) {
      letters++;
      if (f & HAN) han++;
    }
  }
  return letters ? han / letters : 0;
}
