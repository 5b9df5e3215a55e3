// Gopher's quality rules (Rae et al. 2021, appendix A; datatrove
// pipeline/filters/gopher_quality_filter.py): word counts and lengths, symbol ratios, bullet and
// ellipsis lines, alphabetic words, stop words. Every threshold and comparison (> or <) is
// datatrove's, and so are the drop reasons. Words come from the language-aware splitter
// (spaCy-like for English, jieba for Chinese); Chinese gets FineWeb-2's thresholds for Chinese
// (configs/cmn_Hani.yml), since jieba words are 1-3 characters and the English bounds would drop
// every Chinese page.
import type { DocStage } from '../types.js';
import { countOccurrences, pyLstrip, pyRstrip, pySplitLines } from '../text/chars.js';
import { hasLetter, isNonSymbolWord, splitWords } from '../text/words.js';
import { resolveOptions } from '../options/resolve.js';
import { count, nullable, number, ratio, words, type OptionSchema } from '../options/schema.js';
import { byLanguage, languageChoice, stageName } from './options.js';
import { languageRuleFilter, type LanguageRuleOptions } from './language-rules.js';

export interface GopherQualityThresholds {
  /** Fewer non-symbol words than this drops (gopher_short_doc). datatrove: min_doc_words = 50. */
  minDocWords: number | null;
  /** More non-symbol words than this drops (gopher_long_doc). datatrove: max_doc_words = 100,000. */
  maxDocWords: number | null;
  /** Mean non-symbol word length below this drops (gopher_below_avg_threshold). datatrove: 3. */
  minAvgWordLength: number | null;
  /** Mean non-symbol word length above this drops (gopher_above_avg_threshold). datatrove: 10. */
  maxAvgWordLength: number | null;
  /**
   * '#' per word, and ('...' + '…') per word, above this drops (gopher_too_many_hashes,
   * gopher_too_many_ellipsis). datatrove: max_symbol_word_ratio = 0.1.
   */
  maxSymbolWordRatio: number | null;
  /** Share of lines starting with '•' or '-' above this drops (gopher_too_many_bullets). datatrove: 0.9. */
  maxBulletLinesRatio: number | null;
  /** Share of lines ending with '...' or '…' above this drops (gopher_too_many_end_ellipsis). datatrove: 0.3. */
  maxEllipsisLinesRatio: number | null;
  /**
   * Share of words with an alphabetic character below this drops (gopher_below_alpha_threshold).
   * datatrove calls it max_non_alpha_words_ratio = 0.8 and drops when the alphabetic share is < 0.8.
   */
  minAlphaWordsRatio: number | null;
  /** Fewer stop words than this drops (gopher_enough_stop_words). datatrove: min_stop_words = 2. */
  minStopWords: number | null;
  /** Gopher's stop words; matched case-sensitively, as datatrove does. */
  stopWords: string[];
  /** The languages the stop-word rule applies to (the list is English). */
  stopWordLanguages: string[];
}

export interface GopherQualityOptions extends LanguageRuleOptions<GopherQualityThresholds>, GopherQualityThresholds {}

export const GOPHER_QUALITY_DEFAULTS: GopherQualityOptions = {
  name: 'gopher_quality',
  language: 'auto',
  minDocWords: 50,
  maxDocWords: 100_000,
  minAvgWordLength: 3,
  maxAvgWordLength: 10,
  maxSymbolWordRatio: 0.1,
  maxBulletLinesRatio: 0.9,
  maxEllipsisLinesRatio: 0.3,
  minAlphaWordsRatio: 0.8,
  minStopWords: 2,
  stopWords: ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'],
  stopWordLanguages: ['en'],
  byLanguage: {
    // FineWeb-2 configs/cmn_Hani.yml: min_avg_word_length 1, max_avg_word_length 5,
    // max_non_alpha_words_ratio 0.735.
    zh: { minAvgWordLength: 1, maxAvgWordLength: 5, minAlphaWordsRatio: 0.735 },
  },
};

const THRESHOLDS: OptionSchema<GopherQualityThresholds> = {
  minDocWords: nullable(count),
  maxDocWords: nullable(count),
  minAvgWordLength: nullable(number(0)),
  maxAvgWordLength: nullable(number(0)),
  // Occurrences per word: a page of '#' tags can pass 1.
  maxSymbolWordRatio: nullable(number(0)),
  maxBulletLinesRatio: nullable(ratio),
  maxEllipsisLinesRatio: nullable(ratio),
  minAlphaWordsRatio: nullable(ratio),
  minStopWords: nullable(count),
  stopWords: words,
  stopWordLanguages: words,
};

export const GOPHER_QUALITY_SCHEMA: OptionSchema<GopherQualityOptions> = {
  name: stageName,
  language: languageChoice,
  byLanguage: byLanguage(THRESHOLDS),
  ...THRESHOLDS,
};

let lastStopList: string[] | undefined;
let lastStopSet = new Set<string>();

function stopWordSet(list: string[]): Set<string> {
  if (list !== lastStopList) {
    lastStopList = list;
    lastStopSet = new Set(list);
  }
  return lastStopSet;
}

/** The reason Gopher's quality rules drop `text`, or undefined to keep it. */
export function gopherQualityReason(text: string, language: string, t: GopherQualityThresholds): string | undefined {
  const words = splitWords(text, language);
  const nWords = words.length;
  let nonSymbol = 0;
  let nonSymbolChars = 0;
  let alpha = 0;
  for (const w of words) {
    if (isNonSymbolWord(w)) {
      nonSymbol++;
      nonSymbolChars += w.length;
    }
    if (hasLetter(w)) alpha++;
  }
  if (t.minDocWords !== null && nonSymbol < t.minDocWords) return 'gopher_short_doc';
  if (t.maxDocWords !== null && nonSymbol > t.maxDocWords) return 'gopher_long_doc';
  // With the word-count rule off, a text may have no words at all: its mean length is NaN in
  // datatrove (numpy's mean of nothing), which fails no comparison; so here too.
  const avg = nonSymbol ? nonSymbolChars / nonSymbol : NaN;
  if (t.minAvgWordLength !== null && avg < t.minAvgWordLength) return 'gopher_below_avg_threshold';
  if (t.maxAvgWordLength !== null && avg > t.maxAvgWordLength) return 'gopher_above_avg_threshold';
  if (nWords > 0 && t.maxSymbolWordRatio !== null) {
    if (countOccurrences(text, '#') / nWords > t.maxSymbolWordRatio) return 'gopher_too_many_hashes';
    if ((countOccurrences(text, '...') + countOccurrences(text, '…')) / nWords > t.maxSymbolWordRatio) return 'gopher_too_many_ellipsis';
  }
  const lines = pySplitLines(text);
  if (lines.length > 0) {
    if (t.maxBulletLinesRatio !== null) {
      let bullets = 0;
      for (const l of lines) {
        const s = pyLstrip(l);
        if (s.startsWith('•') || s.startsWith('-')) bullets++;
      }
      if (bullets / lines.length > t.maxBulletLinesRatio) return 'gopher_too_many_bullets';
    }
    if (t.maxEllipsisLinesRatio !== null) {
      let ellipsis = 0;
      for (const l of lines) {
        const s = pyRstrip(l);
        if (s.endsWith('...') || s.endsWith('…')) ellipsis++;
      }
      if (ellipsis / lines.length > t.maxEllipsisLinesRatio) return 'gopher_too_many_end_ellipsis';
    }
  }
  if (nWords > 0 && t.minAlphaWordsRatio !== null && alpha / nWords < t.minAlphaWordsRatio) return 'gopher_below_alpha_threshold';
  if (t.minStopWords !== null && t.stopWordLanguages.includes(language)) {
    const stop = stopWordSet(t.stopWords);
    let n = 0;
    for (const w of words) if (stop.has(w) && ++n >= t.minStopWords) break;
    if (n < t.minStopWords) return 'gopher_enough_stop_words';
  }
  return undefined;
}

/** The `gopher_quality` filter. */
export function gopherQuality(options?: Partial<GopherQualityOptions>): DocStage {
  return languageRuleFilter(resolveOptions('gopher_quality', GOPHER_QUALITY_DEFAULTS, GOPHER_QUALITY_SCHEMA, options, { merge: ['byLanguage'] }), gopherQualityReason);
}
