// The shape shared by the rule filters whose thresholds depend on the document's language (Gopher
// quality, Gopher repetition, FineWeb): options with a language choice and per-language overrides,
// and a stage that picks the thresholds for each document and asks its rule function for a reason.
import type { Doc, DocStage, StageResult } from '../types.js';
import { documentLanguage, type LanguageChoice } from '../text/language.js';
import { initSegmenter } from '../text/segmenter.js';
import { forLanguage, type StageOptions } from './options.js';

export interface LanguageRuleOptions<T> extends StageOptions {
  /** The language of every document, or 'auto': metadata.language, else a guess from the script. */
  language: LanguageChoice;
  /** Per-language overrides of the thresholds. */
  byLanguage: Record<string, Partial<T>>;
}

/**
 * A filter that drops a document when `reasonOf(text, language, thresholds)` names a rule; the
 * thresholds are the options with the document language's overrides applied.
 */
export function languageRuleFilter<T extends object>(o: T & LanguageRuleOptions<T>, reasonOf: (text: string, language: string, t: T) => string | undefined): DocStage {
  return {
    name: o.name,
    kind: 'filter',
    init: () => initSegmenter(o.language),
    process(doc: Doc): StageResult {
      const language = documentLanguage(doc, o.language);
      const reason = reasonOf(doc.text, language, forLanguage<T>(o, o.byLanguage, language));
      return reason ? { keep: false, reason } : { keep: true, doc };
    },
  };
}
