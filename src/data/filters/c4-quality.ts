// C4's cleaning (Raffel et al. 2020, section 2.2; datatrove pipeline/filters/c4_filters.py
// C4QualityFilter): a transform that keeps only the lines that look like prose, then drops the
// document if too few sentences are left, or if a kept-so-far line has "lorem ipsum" or a curly
// bracket. The order of the line checks matters (a line dropped early is never checked for "{") and
// is datatrove's, as are the line statistics and the drop reasons. Words of a line are Python's
// str.split() for space-separated languages; for Chinese they are jieba words that are not only
// punctuation, and CJK sentence terminals count as terminal punctuation (C4 was English-only: every
// Chinese line would otherwise lack both).
import type { Doc, DocStage, StageResult } from '../types.js';
import { pyLineRanges, pySplit, pyStrip } from '../text/chars.js';
import { documentLanguage, type LanguageChoice } from '../text/language.js';
import { initSegmenter } from '../text/segmenter.js';
import { countSentences } from '../text/sentences.js';
import { isNonSymbolWord, primeWords, SEGMENTED_LANGUAGES, splitChinese, splitLatin, wordsOf } from '../text/words.js';
import { resolveOptions } from '../options/resolve.js';
import { boolean, count, nullable, words, type OptionSchema } from '../options/schema.js';
import { byLanguage, forLanguage, languageChoice, stageName, type StageOptions } from './options.js';

export interface C4QualityRules {
  /** Remove Wikipedia citation marks ([1], [edit], [citation needed]) before the punctuation check. */
  removeCitations: boolean;
  /** Drop lines that do not end in `terminalPunctuation`, or that end in "...". */
  filterNoTerminalPunct: boolean;
  /** The characters a kept line ends with. datatrove END_PUNCTUATION: . ? ! " ' */
  terminalPunctuation: string[];
  /** Fewer sentences left than this drops the document (too_few_sentences). datatrove: 5. */
  minNumSentences: number | null;
  /** Lines with fewer words than this are dropped. datatrove: 3. */
  minWordsPerLine: number | null;
  /** Lines with a word longer than this are dropped. datatrove: 1000. */
  maxWordLength: number | null;
  /** "lorem ipsum" in a line drops the document (lorem_ipsum). */
  filterLoremIpsum: boolean;
  /** Lines mentioning "javascript" are dropped. */
  filterJavascript: boolean;
  /** "{" in a line drops the document (curly_bracket). */
  filterCurlyBracket: boolean;
  /** Lines with one of `policySubstrings` are dropped. */
  filterPolicy: boolean;
  /** datatrove POLICY_SUBSTRINGS. */
  policySubstrings: string[];
}

export interface C4QualityOptions extends StageOptions, C4QualityRules {
  /** The language of every document, or 'auto': metadata.language, else a guess from the script. */
  language: LanguageChoice;
  /** Per-language overrides of the rules. */
  byLanguage: Record<string, Partial<C4QualityRules>>;
}

export const C4_QUALITY_DEFAULTS: C4QualityOptions = {
  name: 'c4_quality',
  language: 'auto',
  removeCitations: true,
  filterNoTerminalPunct: true,
  terminalPunctuation: ['.', '?', '!', '"', "'"],
  minNumSentences: 5,
  minWordsPerLine: 3,
  maxWordLength: 1000,
  filterLoremIpsum: true,
  filterJavascript: true,
  filterCurlyBracket: true,
  filterPolicy: true,
  policySubstrings: ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'],
  byLanguage: {
    // C4's set plus the CJK sentence terminals and closing quotes (a Chinese line ends "。" or "。”").
    zh: { terminalPunctuation: ['.', '?', '!', '"', "'", '。', '？', '！', '”', '’', '」', '』'] },
  },
};

const RULES: OptionSchema<C4QualityRules> = {
  removeCitations: boolean,
  filterNoTerminalPunct: boolean,
  terminalPunctuation: words,
  minNumSentences: nullable(count),
  minWordsPerLine: nullable(count),
  maxWordLength: nullable(count),
  filterLoremIpsum: boolean,
  filterJavascript: boolean,
  filterCurlyBracket: boolean,
  filterPolicy: boolean,
  policySubstrings: words,
};

export const C4_QUALITY_SCHEMA: OptionSchema<C4QualityOptions> = {
  name: stageName,
  language: languageChoice,
  byLanguage: byLanguage(RULES),
  ...RULES,
};

const CITATION = /\[\p{Nd}*\]|\[edit\]|\[citation needed\]/gu;

/** The counters C4 keeps about lines (datatrove's stat names, in snake_case). */
export interface C4LineCounts {
  line_total: number;
  line_kept: number;
  line_filter_too_long_word: number;
  line_filter_no_terminal_punc: number;
  line_filter_too_few_words: number;
  line_filter_javascript: number;
  line_filter_policy: number;
}

export type C4Outcome = { text: string; counts: C4LineCounts } | { reason: string; counts: C4LineCounts };

/**
 * C4's line cleaning and document rules over `text`: the cleaned text, or why it is dropped.
 * Words come from the document's word split (cached, usually made by an earlier stage), sliced
 * per line: no word spans a line break, and stripping a line does not change its words. The words
 * of the cleaned text are handed to the cache for the next stage.
 */
export function c4Clean(text: string, language: string, r: C4QualityRules): C4Outcome {
  const counts: C4LineCounts = {
    line_total: 0,
    line_kept: 0,
    line_filter_too_long_word: 0,
    line_filter_no_terminal_punc: 0,
    line_filter_too_few_words: 0,
    line_filter_javascript: 0,
    line_filter_policy: 0,
  };
  const segmented = SEGMENTED_LANGUAGES.has(language);
  const { words, offsets } = wordsOf(text, language);
  const kept: string[] = [];
  const keptWords: string[] = [];
  const keptOffsets: number[] = [];
  let outLength = 0;
  let sentences = 0;
  let k = 0; // the first word at or after the current line
  const ranges = pyLineRanges(text);
  for (let li = 0; li < ranges.length; li += 2) {
    const start = ranges[li]!;
    const end = ranges[li + 1]!;
    const k0 = k;
    while (k < words.length && offsets[k]! < end) k++;
    const raw = text.slice(start, end);
    let line = pyStrip(raw);
    // The line's words as C4 counts them: str.split() for spaced languages, non-punctuation
    // segmenter words for Chinese.
    const lineWords = segmented ? words.slice(k0, k).filter(isNonSymbolWord) : pySplit(line);
    counts.line_total++;
    if (r.maxWordLength !== null && lineWords.some((w) => w.length > r.maxWordLength!)) {
      counts.line_filter_too_long_word++;
      continue;
    }
    let cited = false;
    if (r.removeCitations && line.includes('[')) {
      const uncited = line.replace(CITATION, '');
      cited = uncited !== line;
      line = uncited;
    }
    if (r.filterNoTerminalPunct && (!r.terminalPunctuation.some((p) => line.endsWith(p)) || line.endsWith('...'))) {
      counts.line_filter_no_terminal_punc++;
      continue;
    }
    if (r.minWordsPerLine !== null && lineWords.length < r.minWordsPerLine) {
      counts.line_filter_too_few_words++;
      continue;
    }
    const lower = line.toLowerCase();
    if (r.filterLoremIpsum && lower.includes('lorem ipsum')) return { reason: 'lorem_ipsum', counts };
    if (r.filterJavascript && lower.includes('javascript')) {
      counts.line_filter_javascript++;
      continue;
    }
    if (r.filterCurlyBracket && line.includes('{')) return { reason: 'curly_bracket', counts };
    if (r.filterPolicy && r.policySubstrings.some((p) => lower.includes(p))) {
      counts.line_filter_policy++;
      continue;
    }
    // Where the kept line starts in the output, and its words' offsets there.
    const outStart = outLength + (kept.length > 0 ? 1 : 0);
    let tokens: string[];
    if (cited) {
      const lineOffsets: number[] = [];
      tokens = segmented ? splitChinese(line, lineOffsets) : splitLatin(line, lineOffsets);
      for (const o of lineOffsets) keptOffsets.push(outStart + o);
    } else {
      tokens = words.slice(k0, k);
      const shift = outStart - (start + raw.indexOf(line));
      for (let j = k0; j < k; j++) keptOffsets.push(offsets[j]! + shift);
    }
    for (const t of tokens) keptWords.push(t);
    sentences += countSentences(tokens);
    kept.push(line);
    outLength = outStart + line.length;
    counts.line_kept++;
  }
  if (r.minNumSentences !== null && sentences < r.minNumSentences) return { reason: 'too_few_sentences', counts };
  const joined = kept.join('\n');
  const out = pyStrip(joined);
  // Kept lines are stripped, so only empty kept lines (with the line rules off) change the join.
  if (out === joined) primeWords(out, language, { words: keptWords, offsets: keptOffsets });
  return { text: out, counts };
}

/** The `c4_quality` transform: rewrites the text to its kept lines, or drops the document. */
export function c4Quality(options?: Partial<C4QualityOptions>): DocStage {
  const o = resolveOptions('c4_quality', C4_QUALITY_DEFAULTS, C4_QUALITY_SCHEMA, options, { merge: ['byLanguage'] });
  return {
    name: o.name,
    kind: 'transform',
    init: () => initSegmenter(o.language),
    process(doc: Doc): StageResult {
      const language = documentLanguage(doc, o.language);
      const out = c4Clean(doc.text, language, forLanguage(o, o.byLanguage, language));
      const counts = out.counts as unknown as Record<string, number>;
      if ('reason' in out) return { keep: false, reason: out.reason, counts };
      return { keep: true, doc: out.text === doc.text ? doc : { ...doc, text: out.text }, counts };
    },
  };
}
