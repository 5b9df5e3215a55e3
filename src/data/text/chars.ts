// Character classes for the cleaning rules, by Unicode property, in one lookup table so that the
// per-character loops of the filters cost an array read instead of a regex test. The table covers
// the Basic Multilingual Plane; code points above it (emoji, CJK Extension B) are classified by
// regex when they occur, which is rare.

/** Letter: \p{L} (what Python's str.isalpha() accepts). */
export const LETTER = 1;
/** Number: \p{N}. */
export const NUMBER = 2;
/** Punctuation: \p{P}. */
export const PUNCT = 4;
/** Symbol: \p{S} (math, currency, modifier, other: emoji, box drawing). */
export const SYMBOL = 8;
/** Whitespace as Python's str.isspace() / str.split() see it (which is what the reference rules use). */
export const SPACE = 16;
/** Control character: \p{Cc}. */
export const CONTROL = 32;
/** Han ideograph: \p{Script=Han}. */
export const HAN = 64;
/** Sentence terminal: \p{Sentence_Terminal} (. ! ? and their CJK, Devanagari, Arabic ... forms). */
export const STERM = 128;
/** Combining mark: \p{M} (part of the word it follows). */
export const MARK = 256;
/** Private use, unassigned or surrogate: \p{Co}, \p{Cn}, \p{Cs}. */
export const UNUSABLE = 512;
/** Format control: \p{Cf} (zero-width joiner, soft hyphen, BOM). */
export const FORMAT = 1024;

const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

function classify(ch: string): number {
  let f = 0;
  for (const [flag, re] of PROPERTIES) {
    re.lastIndex = 0;
    if (re.test(ch)) f |= flag;
  }
  return f;
}

let bmp: Uint16Array | undefined;

const PROPERTIES: [number, RegExp][] = [
  [LETTER, /\p{L}/gu],
  [NUMBER, /\p{N}/gu],
  [PUNCT, /\p{P}/gu],
  [SYMBOL, /\p{S}/gu],
  [SPACE, new RegExp(PY_SPACE.source, 'g')],
  [CONTROL, /\p{Cc}/gu],
  [HAN, /\p{Script=Han}/gu],
  [STERM, /\p{Sentence_Terminal}/gu],
  [MARK, /\p{M}/gu],
  [UNUSABLE, /[\p{Co}\p{Cn}]/gu],
  [FORMAT, /\p{Cf}/gu],
];

function table(): Uint16Array {
  if (bmp) return bmp;
  const t = new Uint16Array(0x10000);
  // One pass per property over a string of every BMP character (surrogates left out: a lone one
  // is garbage, and flagsAt() reads a pair as its code point).
  const codes = new Uint16Array(0x10000 - 0x800);
  for (let c = 0, k = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) codes[k++] = c;
  let all = '';
  for (let k = 0; k < codes.length; k += 8192) all += String.fromCharCode(...codes.subarray(k, k + 8192));
  for (const [flag, re] of PROPERTIES) {
    for (const m of all.matchAll(re)) {
      const c = m[0].charCodeAt(0);
      t[c] = t[c]! | flag;
    }
  }
  for (let c = 0xd800; c <= 0xdfff; c++) t[c] = UNUSABLE;
  bmp = t;
  return t;
}

/** The flags of every BMP code unit, for hot loops that read it directly (surrogates: UNUSABLE). */
export function charTable(): Uint16Array {
  return table();
}

const astral = new Map<number, number>();

/** The flags of a code point. */
export function flagsOf(cp: number): number {
  if (cp < 0x10000) return table()[cp]!;
  let f = astral.get(cp);
  if (f === undefined) {
    f = classify(String.fromCodePoint(cp));
    if (astral.size < 65536) astral.set(cp, f);
  }
  return f;
}

/**
 * The flags of the character at `i` (a UTF-16 index); a surrogate pair is classified as its code
 * point. Use `charWidth(s, i)` to step over it.
 */
export function flagsAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return table()[c]!;
  const d = s.charCodeAt(i + 1);
  if (d >= 0xdc00 && d <= 0xdfff) return flagsOf(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
  return UNUSABLE;
}

/** 2 for a surrogate pair starting at i, else 1. */
export function charWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** Whether any character of s has one of the flags in `mask`. */
export function hasAny(s: string, mask: number): boolean {
  for (let i = 0; i < s.length; i += charWidth(s, i)) if (flagsAt(s, i) & mask) return true;
  return false;
}

/** Whether every character of s has one of the flags in `mask` (false for the empty string). */
export function allAre(s: string, mask: number): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i += charWidth(s, i)) if (!(flagsAt(s, i) & mask)) return false;
  return true;
}

/** Python's str.isspace() for one UTF-16 unit. */
export function isSpaceCode(c: number): boolean {
  return c === 32 || (c < 0x3001 && (table()[c]! & SPACE) !== 0);
}

/** Python's str.strip(): whitespace removed at both ends. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpaceCode(s.charCodeAt(a))) a++;
  while (b > a && isSpaceCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Python's str.lstrip(). */
export function pyLstrip(s: string): string {
  let a = 0;
  while (a < s.length && isSpaceCode(s.charCodeAt(a))) a++;
  return a === 0 ? s : s.slice(a);
}

/** Python's str.rstrip(). */
export function pyRstrip(s: string): string {
  let b = s.length;
  while (b > 0 && isSpaceCode(s.charCodeAt(b - 1))) b--;
  return b === s.length ? s : s.slice(0, b);
}

/** Python's str.split() with no argument: runs of whitespace separate, no empty pieces. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isSpaceCode(s.charCodeAt(i))) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** Whether s is empty or only whitespace (Python: `s.strip() == ""`). */
export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpaceCode(s.charCodeAt(i))) return false;
  return true;
}

const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/**
 * Python's str.splitlines(): every Unicode line boundary separates, a final line break does not
 * start an empty line, and the empty string has no lines.
 */
export function pySplitLines(s: string): string[] {
  if (s.length === 0) return [];
  const lines = s.split(PY_LINE_BREAK);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Python's str.count(sub): non-overlapping occurrences. */
export function countOccurrences(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Where each line of pySplitLines(s) lies: [start0, end0, start1, end1, ...] (UTF-16 indices). */
export function pyLineRanges(s: string): number[] {
  const out: number[] = [];
  if (s.length === 0) return out;
  const re = new RegExp(PY_LINE_BREAK.source, 'g');
  let start = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.push(start, m.index);
    start = m.index + m[0].length;
  }
  if (start < s.length) out.push(start, s.length);
  return out;
}
