// Which language's rules apply to a document: the one a stage was told, else what language id
// wrote in its metadata, else a guess from its script (Han-heavy text is Chinese, the rest is read
// as English), so the rules still split Chinese into words when no language id ran before them.
import type { Doc } from '../types.js';
import { hanShare } from './words.js';

/** 'auto', or an ISO 639-1 code that every document is taken to be in. */
export type LanguageChoice = 'auto' | (string & {});

/** The share of Han among the letters above which an unlabelled document is taken as Chinese. */
export const HAN_SHARE_FOR_CHINESE = 0.3;

let lastText: string | undefined;
let lastGuess = 'en';

export function documentLanguage(doc: Doc, choice: LanguageChoice): string {
  if (choice !== 'auto') return choice;
  const label = doc.metadata.language;
  if (typeof label === 'string' && label) return label;
  // Consecutive stages ask about the same text: remember the last guess.
  if (doc.text !== lastText) {
    lastText = doc.text;
    lastGuess = hanShare(doc.text) >= HAN_SHARE_FOR_CHINESE ? 'zh' : 'en';
  }
  return lastGuess;
}
