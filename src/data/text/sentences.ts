// Sentence counting as spaCy's rule-based "sentencizer" does it (what datatrove's C4 filter counts
// with): a sentence ends at a one-character token that is a sentence terminal (. ! ? 。 ！ ？ ...),
// and the next one starts at the first following token that is not punctuation, so closing quotes
// and brackets stay with the sentence they close. "..." is one token and ends nothing.
import { allAre, PUNCT, STERM, flagsAt, charWidth } from './chars.js';

function isTerminal(token: string): boolean {
  return token.length > 0 && charWidth(token, 0) === token.length && (flagsAt(token, 0) & STERM) !== 0;
}

/** The number of sentences in a run of word tokens (0 for none). */
export function countSentences(tokens: readonly string[]): number {
  if (tokens.length === 0) return 0;
  let sentences = 1;
  let seenTerminal = false;
  for (const t of tokens) {
    const terminal = isTerminal(t);
    if (seenTerminal && !terminal && !allAre(t, PUNCT)) {
      sentences++;
      seenTerminal = false;
    } else if (terminal) seenTerminal = true;
  }
  return sentences;
}
