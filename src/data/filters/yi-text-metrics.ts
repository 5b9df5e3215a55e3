// Yi's heuristic text metrics (Yi tech report, section 2.1 and figure 1): document length, ratio of
// special symbols, ratios of short, consecutive (a line repeating the one before it) and incomplete
// (no terminal punctuation) lines, and garbled text. Yi names the metrics but publishes no
// thresholds; the defaults below are ours, each explained where it is set, and chosen to keep every
// document of the Brown corpus and of our clean Chinese samples (test/data/filters checks both).
// The line rules look at non-empty lines and only when a document has enough of them for a ratio
// to mean something.
import type { Doc, DocStage, StageResult } from '../types.js';
import { CONTROL, flagsAt, charWidth, isBlank, isSpaceCode, STERM, SYMBOL, UNUSABLE } from '../text/chars.js';
import { resolveOptions } from '../options/resolve.js';
import { count, integer, nullable, ratio, type OptionSchema } from '../options/schema.js';
import { stageName, type StageOptions } from './options.js';

export interface YiTextMetricsOptions extends StageOptions {
  /**
   * Fewer non-whitespace characters than this drops (yi_too_short). 100 is about two sentences of
   * Chinese or 15-20 English words: below it a page is a title, a caption or an error message.
   */
  minChars: number | null;
  /**
   * More non-whitespace characters than this drops (yi_too_long). 1,000,000: Gopher's cap of
   * 100,000 words is ~600,000 characters of English; longer "documents" are dumps and logs.
   */
  maxChars: number | null;
  /**
   * Special symbols (Unicode symbols: math, currency, emoji, box drawing...; and # * _ \ @ [ ] { }
   * • ※ § ¶ † ‡) per non-whitespace character above this drops (yi_special_symbol_ratio). Edited
   * prose has well under 1%; 0.1 catches ASCII art, emoji spam, tables of symbols and markup debris.
   */
  maxSpecialSymbolRatio: number | null;
  /**
   * A line narrower than this many columns (CJK characters count 2, as on screen) is short: 20
   * columns is ~3 English words or 10 Chinese characters, less than a sentence.
   */
  shortLineWidth: number;
  /**
   * Short lines / lines above this drops (yi_short_line_ratio). 0.5: most lines being fragments is
   * the signature of menus, link lists and tag clouds; FineWeb's rule (<=30 characters, 0.67) is
   * the coarser net for the same thing.
   */
  maxShortLineRatio: number | null;
  /**
   * Lines identical (after trimming) to the line before them / lines above this drops
   * (yi_consecutive_line_ratio). Prose never repeats a line back to back; 0.1 tolerates a stray
   * duplicate in ten lines and drops "Reply / Reply / Reply" or a repeated header row.
   */
  maxConsecutiveLineRatio: number | null;
  /**
   * Lines without terminal punctuation (any Unicode sentence terminal, so 。！？ count, or a
   * closing quote or bracket after one; also ':' and '：' that introduce a list) / lines above this
   * drops (yi_incomplete_line_ratio). 0.6: an article has a title and a few headings among its
   * paragraphs; when most lines are unfinished, the page is boilerplate or truncated.
   */
  maxIncompleteLineRatio: number | null;
  /** The line rules apply only to documents with at least this many non-empty lines. */
  minLinesForLineRules: number;
  /**
   * Garbled characters (U+FFFD, private-use and unassigned code points, lone surrogates, control
   * characters other than tab/newline/carriage return, UTF-8 read as Latin-1/cp1252 such as "Ã©"
   * or "ä¸­", and the GBK/MSVC debris "锟斤拷", "烫烫", "屯屯") per non-whitespace character above
   * this drops (yi_garbled_ratio). 0.01: a stray replacement character in a long page is harmless,
   * one character in a hundred means the page was decoded wrongly.
   */
  maxGarbledRatio: number | null;
}

export const YI_TEXT_METRICS_DEFAULTS: YiTextMetricsOptions = {
  name: 'yi_text_metrics',
  minChars: 100,
  maxChars: 1_000_000,
  maxSpecialSymbolRatio: 0.1,
  shortLineWidth: 20,
  maxShortLineRatio: 0.5,
  maxConsecutiveLineRatio: 0.1,
  maxIncompleteLineRatio: 0.6,
  minLinesForLineRules: 3,
  maxGarbledRatio: 0.01,
};

export const YI_TEXT_METRICS_SCHEMA: OptionSchema<YiTextMetricsOptions> = {
  name: stageName,
  minChars: nullable(count),
  maxChars: nullable(count),
  maxSpecialSymbolRatio: nullable(ratio),
  shortLineWidth: count,
  maxShortLineRatio: nullable(ratio),
  maxConsecutiveLineRatio: nullable(ratio),
  maxIncompleteLineRatio: nullable(ratio),
  minLinesForLineRules: integer(1),
  maxGarbledRatio: nullable(ratio),
};

const SPECIAL_PUNCT = new Set([...'#*_\\@[]{}•※§¶†‡']);
// UTF-8 bytes decoded as Latin-1 or cp1252: a lead byte (Â..ß, à..ï, ð..ô) then continuation bytes
// (0x80-0xBF, which cp1252 shows as € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ and
// Latin-1 as nbsp..¿).
const CONT = '[\\u0080-\\u00BF\\u20AC\\u201A\\u0192\\u201E\\u2026\\u2020\\u2021\\u02C6\\u2030\\u0160\\u2039\\u0152\\u017D\\u2018\\u2019\\u201C\\u201D\\u2022\\u2013\\u2014\\u02DC\\u2122\\u0161\\u203A\\u0153\\u017E\\u0178]';
const MOJIBAKE = new RegExp(`[\\u00C2-\\u00DF]${CONT}|[\\u00E0-\\u00EF]${CONT}{2}|[\\u00F0-\\u00F4]${CONT}{3}|锟斤拷|烫烫|屯屯`, 'g');

/** Yi's text metrics of one document. */
export interface YiMetrics {
  /** Characters other than whitespace (UTF-16 units). */
  chars: number;
  specialSymbolRatio: number;
  garbledRatio: number;
  /** Non-empty lines. */
  lines: number;
  shortLineRatio: number;
  consecutiveLineRatio: number;
  incompleteLineRatio: number;
}

/** Display width: East Asian wide and fullwidth characters take two columns. */
function width(line: string): number {
  let w = 0;
  for (let i = 0; i < line.length; i += charWidth(line, i)) {
    const c = line.codePointAt(i)!;
    const wide =
      (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

const CLOSERS = new Set([...'"\'”’」』）)]】》〉»']);

/** Ends in a sentence terminal, possibly followed by closing quotes/brackets, or in ':' / '：'. */
export function isCompleteLine(line: string): boolean {
  let end = line.length;
  while (end > 0 && CLOSERS.has(line[end - 1]!)) end--;
  if (end === 0) return false;
  const last = line.charCodeAt(end - 1);
  if (last === 58 || last === 0xff1a) return true;
  const at = last >= 0xdc00 && last <= 0xdfff && end >= 2 ? end - 2 : end - 1;
  return (flagsAt(line, at) & STERM) !== 0;
}

export function yiMetrics(text: string, shortLineWidth = YI_TEXT_METRICS_DEFAULTS.shortLineWidth): YiMetrics {
  let chars = 0;
  let special = 0;
  let garbled = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const step = charWidth(text, i);
    if (!isSpaceCode(c)) {
      chars += step;
      const f = flagsAt(text, i);
      if (f & SYMBOL || SPECIAL_PUNCT.has(text[i]!)) special += step;
      if (c === 0xfffd || f & UNUSABLE || (f & CONTROL && c !== 9 && c !== 10 && c !== 13)) garbled += step;
    }
    i += step;
  }
  for (const m of text.matchAll(MOJIBAKE)) garbled += m[0].length;
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => !isBlank(l));
  let short = 0;
  let consecutive = 0;
  let incomplete = 0;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]!;
    if (width(l) < shortLineWidth) short++;
    if (k > 0 && l === lines[k - 1]) consecutive++;
    if (!isCompleteLine(l)) incomplete++;
  }
  const n = lines.length;
  return {
    chars,
    specialSymbolRatio: chars ? special / chars : 0,
    garbledRatio: chars ? Math.min(1, garbled / chars) : 0,
    lines: n,
    shortLineRatio: n ? short / n : 0,
    consecutiveLineRatio: n ? consecutive / n : 0,
    incompleteLineRatio: n ? incomplete / n : 0,
  };
}

/** The reason Yi's metrics drop a document with metrics `m`, or undefined to keep it. */
export function yiMetricsReason(m: YiMetrics, o: YiTextMetricsOptions): string | undefined {
  if (o.minChars !== null && m.chars < o.minChars) return 'yi_too_short';
  if (o.maxChars !== null && m.chars > o.maxChars) return 'yi_too_long';
  if (o.maxGarbledRatio !== null && m.garbledRatio > o.maxGarbledRatio) return 'yi_garbled_ratio';
  if (o.maxSpecialSymbolRatio !== null && m.specialSymbolRatio > o.maxSpecialSymbolRatio) return 'yi_special_symbol_ratio';
  if (m.lines >= o.minLinesForLineRules) {
    if (o.maxShortLineRatio !== null && m.shortLineRatio > o.maxShortLineRatio) return 'yi_short_line_ratio';
    if (o.maxConsecutiveLineRatio !== null && m.consecutiveLineRatio > o.maxConsecutiveLineRatio) return 'yi_consecutive_line_ratio';
    if (o.maxIncompleteLineRatio !== null && m.incompleteLineRatio > o.maxIncompleteLineRatio) return 'yi_incomplete_line_ratio';
  }
  return undefined;
}

/** The `yi_text_metrics` filter. */
export function yiTextMetrics(options?: Partial<YiTextMetricsOptions>): DocStage {
  const o = resolveOptions('yi_text_metrics', YI_TEXT_METRICS_DEFAULTS, YI_TEXT_METRICS_SCHEMA, options);
  return {
    name: o.name,
    kind: 'filter',
    process(doc: Doc): StageResult {
      const reason = yiMetricsReason(yiMetrics(doc.text, o.shortLineWidth), o);
      return reason ? { keep: false, reason } : { keep: true, doc };
    },
  };
}
