// Gopher's repetition rules (Rae et al. 2021, table A1; datatrove
// pipeline/filters/gopher_repetition_filter.py): duplicate paragraphs and lines, the most frequent
// 2/3/4-gram, and characters covered by repeated 5..10-grams, all as shares of the text's length.
// Thresholds, comparisons (all strictly >) and reasons are datatrove's; Chinese, whose jieba words
// repeat more than English ones, gets FineWeb-2's Chinese thresholds (configs/cmn_Hani.yml).
// Lengths are counted in UTF-16 units (Python counts code points; they differ only for characters
// outside the BMP, in numerator and denominator alike).
import type { DocStage } from '../types.js';
import { pyStrip } from '../text/chars.js';
import { WordSequence } from '../text/ngrams.js';
import { splitWords } from '../text/words.js';
import { resolveOptions } from '../options/resolve.js';
import { integer, list, nullable, ratio, tuple, type OptionSchema } from '../options/schema.js';
import { byLanguage, languageChoice, stageName } from './options.js';
import { languageRuleFilter, type LanguageRuleOptions } from './language-rules.js';

export interface GopherRepetitionThresholds {
  /** Duplicate lines / lines above this drops (dup_line_frac). datatrove: 0.3. */
  dupLineFrac: number | null;
  /** Duplicate paragraphs / paragraphs above this drops (dup_para_frac). datatrove: 0.3. */
  dupParaFrac: number | null;
  /** Characters in duplicate lines / characters above this drops (dup_line_char_frac). datatrove: 0.2. */
  dupLineCharFrac: number | null;
  /** Characters in duplicate paragraphs / characters above this drops (dup_para_char_frac). datatrove: 0.2. */
  dupParaCharFrac: number | null;
  /** [n, share]: length x count of the most frequent n-gram / characters above share drops (top_<n>_gram). */
  topNGrams: [number, number][];
  /** [n, share]: characters in repeated n-grams / characters above share drops (duplicated_<n>_n_grams). */
  dupNGrams: [number, number][];
}

export interface GopherRepetitionOptions extends LanguageRuleOptions<GopherRepetitionThresholds>, GopherRepetitionThresholds {}

export const GOPHER_REPETITION_DEFAULTS: GopherRepetitionOptions = {
  name: 'gopher_repetition',
  language: 'auto',
  dupLineFrac: 0.3,
  dupParaFrac: 0.3,
  dupLineCharFrac: 0.2,
  dupParaCharFrac: 0.2,
  topNGrams: [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ],
  dupNGrams: [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ],
  byLanguage: {
    // FineWeb-2 configs/cmn_Hani.yml.
    zh: {
      dupLineFrac: 0.287,
      topNGrams: [
        [2, 0.256],
        [3, 0.201],
        [4, 0.171],
      ],
      dupNGrams: [
        [5, 0.198],
        [6, 0.182],
        [7, 0.167],
        [8, 0.154],
        [9, 0.14],
        [10, 0.127],
      ],
    },
  },
};

/** [n, share]: n-grams of n words, and the share of the characters above which a document drops. */
const nGramRules = list(tuple([integer(1, 100), ratio], '[n, share] with n a whole number from 1 to 100 and share from 0 to 1'), 'a list of [n, share] pairs');

const THRESHOLDS: OptionSchema<GopherRepetitionThresholds> = {
  dupLineFrac: nullable(ratio),
  dupParaFrac: nullable(ratio),
  dupLineCharFrac: nullable(ratio),
  dupParaCharFrac: nullable(ratio),
  topNGrams: nGramRules,
  dupNGrams: nGramRules,
};

export const GOPHER_REPETITION_SCHEMA: OptionSchema<GopherRepetitionOptions> = {
  name: stageName,
  language: languageChoice,
  byLanguage: byLanguage(THRESHOLDS),
  ...THRESHOLDS,
};

/** datatrove's find_duplicates: how many elements repeat an earlier one, and their characters. */
export function findDuplicates(items: readonly string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const x of items) {
    if (seen.has(x)) {
      count++;
      chars += x.length;
    } else seen.add(x);
  }
  return { count, chars };
}

/** a / b, with 0 for an empty text (which repeats nothing) instead of a division by zero. */
function share(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/** The reason Gopher's repetition rules drop `text`, or undefined to keep it. */
export function gopherRepetitionReason(text: string, language: string, t: GopherRepetitionThresholds): string | undefined {
  const len = text.length;
  const paragraphs = pyStrip(text).split(/\n{2,}/);
  const para = findDuplicates(paragraphs);
  if (t.dupParaFrac !== null && para.count / paragraphs.length > t.dupParaFrac) return 'dup_para_frac';
  if (t.dupParaCharFrac !== null && share(para.chars, len) > t.dupParaCharFrac) return 'dup_para_char_frac';
  const lines = text.split(/\n+/);
  const line = findDuplicates(lines);
  if (t.dupLineFrac !== null && line.count / lines.length > t.dupLineFrac) return 'dup_line_frac';
  if (t.dupLineCharFrac !== null && share(line.chars, len) > t.dupLineCharFrac) return 'dup_line_char_frac';
  if (t.topNGrams.length === 0 && t.dupNGrams.length === 0) return undefined;
  const seq = new WordSequence(splitWords(text, language));
  for (const [n, frac] of t.topNGrams) {
    if (share(seq.topNGramChars(n), len) > frac) return `top_${n}_gram`;
  }
  for (const [n, frac] of t.dupNGrams) {
    if (share(seq.duplicatedNGramChars(n), len) > frac) return `duplicated_${n}_n_grams`;
  }
  return undefined;
}

/** The `gopher_repetition` filter. */
export function gopherRepetition(options?: Partial<GopherRepetitionOptions>): DocStage {
  const o = resolveOptions('gopher_repetition', GOPHER_REPETITION_DEFAULTS, GOPHER_REPETITION_SCHEMA, options, { merge: ['byLanguage'] });
  return languageRuleFilter(o, gopherRepetitionReason);
}
