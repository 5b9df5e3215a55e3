// FineWeb's own quality rules (Penedo et al. 2024; datatrove
// pipeline/filters/fineweb_quality_filter.py, the version that looks at non-empty lines only):
// lines ending in terminal punctuation, short lines, characters in duplicate lines, newlines per
// word. Thresholds, comparisons and reasons are datatrove's. Chinese gets FineWeb-2's Chinese
// thresholds (configs/cmn_Hani.yml) for the two rules it tuned.
import type { DocStage } from '../types.js';
import { isBlank, flagsAt, charWidth, STERM } from '../text/chars.js';
import { splitWords } from '../text/words.js';
import { findDuplicates } from './gopher-repetition.js';
import { resolveOptions } from '../options/resolve.js';
import { boolean, count, nullable, number, ratio, words, type OptionSchema } from '../options/schema.js';
import { byLanguage, languageChoice, stageName } from './options.js';
import { languageRuleFilter, type LanguageRuleOptions } from './language-rules.js';

export interface FineWebQualityThresholds {
  /** Share of lines ending in terminal punctuation below this drops (line_punct_ratio). datatrove: 0.12. */
  linePunctThr: number | null;
  /** Do not drop a document none of whose lines end in punctuation (datatrove: false). */
  linePunctExcludeZero: boolean;
  /** Share of lines of at most `shortLineLength` characters above this drops (short_line_ratio). datatrove: 0.67. */
  shortLineThr: number | null;
  /** datatrove: 30. */
  shortLineLength: number;
  /** Characters in duplicate lines / characters without newlines above this drops (char_dup_ratio). datatrove: 0.01. */
  charDuplicatesRatio: number | null;
  /** Newlines per word above this drops (list_ratio). datatrove: 0.3. */
  newLineRatio: number | null;
}

export interface FineWebQualityOptions extends LanguageRuleOptions<FineWebQualityThresholds>, FineWebQualityThresholds {
  /** What a line may end with to count as punctuated: FineWeb's `. ' " ! ?`, and '”'. */
  stopChars: string[];
  /**
   * Also count a line ending in any Unicode sentence terminal (。 ！ ？ ...), as datatrove's newer
   * TERMINAL_PUNCTUATION does, so that Chinese lines can be punctuated. Default true.
   */
  sentenceTerminals: boolean;
}

export const FINEWEB_QUALITY_DEFAULTS: FineWebQualityOptions = {
  name: 'fineweb_quality',
  language: 'auto',
  linePunctThr: 0.12,
  linePunctExcludeZero: false,
  shortLineThr: 0.67,
  shortLineLength: 30,
  charDuplicatesRatio: 0.01,
  newLineRatio: 0.3,
  stopChars: ['.', "'", '"', '!', '?', '”'],
  sentenceTerminals: true,
  byLanguage: {
    // FineWeb-2 configs/cmn_Hani.yml: line_punct_thr 0.106, new_line_ratio 0.178.
    zh: { linePunctThr: 0.106, newLineRatio: 0.178 },
  },
};

const RULES: OptionSchema<Omit<FineWebQualityOptions, 'name' | 'language' | 'byLanguage'>> = {
  linePunctThr: nullable(ratio),
  linePunctExcludeZero: boolean,
  shortLineThr: nullable(ratio),
  shortLineLength: count,
  charDuplicatesRatio: nullable(ratio),
  // Newlines per word: a list of one-word lines passes 1.
  newLineRatio: nullable(number(0)),
  stopChars: words,
  sentenceTerminals: boolean,
};

export const FINEWEB_QUALITY_SCHEMA: OptionSchema<FineWebQualityOptions> = {
  name: stageName,
  language: languageChoice,
  byLanguage: byLanguage(RULES),
  ...RULES,
};

/** Whether `line` ends with one of `stopChars` or (if `sentenceTerminals`) any Unicode sentence terminal. */
export function endsWithTerminal(line: string, stopChars: readonly string[], sentenceTerminals: boolean): boolean {
  if (line.length === 0) return false;
  for (const c of stopChars) if (line.endsWith(c)) return true;
  if (!sentenceTerminals) return false;
  const c = line.charCodeAt(line.length - 1);
  const at = c >= 0xdc00 && c <= 0xdfff && line.length >= 2 ? line.length - 2 : line.length - 1;
  return charWidth(line, at) === line.length - at && (flagsAt(line, at) & STERM) !== 0;
}

interface Resolved extends FineWebQualityThresholds {
  stopChars: string[];
  sentenceTerminals: boolean;
}

/** The reason FineWeb's rules drop `text`, or undefined to keep it. */
export function fineWebQualityReason(text: string, language: string, t: Resolved): string | undefined {
  const lines = text.split('\n').filter((l) => !isBlank(l));
  if (lines.length === 0) return 'empty';
  if (t.linePunctThr !== null) {
    let punct = 0;
    for (const l of lines) if (endsWithTerminal(l, t.stopChars, t.sentenceTerminals)) punct++;
    const ratio = punct / lines.length;
    if (ratio < t.linePunctThr && !(ratio === 0 && t.linePunctExcludeZero)) return 'line_punct_ratio';
  }
  if (t.shortLineThr !== null) {
    let short = 0;
    for (const l of lines) if (l.length <= t.shortLineLength) short++;
    if (short / lines.length > t.shortLineThr) return 'short_line_ratio';
  }
  let newlines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines++;
  if (t.charDuplicatesRatio !== null) {
    // Non-empty lines exist, so the text has a character that is not a newline.
    if (findDuplicates(lines).chars / (text.length - newlines) > t.charDuplicatesRatio) return 'char_dup_ratio';
  }
  if (t.newLineRatio !== null) {
    const words = splitWords(text, language).length;
    if (words > 0 && newlines / words > t.newLineRatio) return 'list_ratio';
  }
  return undefined;
}

/** The `fineweb_quality` filter. */
export function fineWebQuality(options?: Partial<FineWebQualityOptions>): DocStage {
  const o = resolveOptions('fineweb_quality', FINEWEB_QUALITY_DEFAULTS, FINEWEB_QUALITY_SCHEMA, options, { merge: ['byLanguage'] });
  return languageRuleFilter<Resolved>(o, fineWebQualityReason);
}
