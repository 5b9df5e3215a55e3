// Word tokens for shingles and TF-IDF terms, aware of scripts written without spaces. Text is
// split on spaces (after simplifyText there are only single spaces); Chinese and Japanese (Han,
// Hiragana, Katakana) have no spaces between words, so there:
// - 'chars' (default): every CJK character is a token of its own. Five-character shingles of
//   Chinese cover about two to three words, as selective as five English words for near-duplicate
//   detection; no dictionary is involved, so signatures never change with a segmenter's version,
//   and it is fast (the whole MinHash stage runs at its English speed).
// - 'jieba': words from the jieba segmenter (@node-rs/jieba with its bundled dictionary), what
//   datatrove's Chinese word tokenizer uses; about 4 MB/s of Chinese text on one core.
// Korean (Hangul) separates words with spaces and needs neither.
import { createRequire } from 'node:module';

export type CjkMode = 'chars' | 'jieba';
export const CJK_MODES: readonly CjkMode[] = ['chars', 'jieba'];

const CJK_CHAR = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
const CJK_CHAR_G = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/gu;
const MULTI_SPACE = / {2,}/g;

interface JiebaLike {
  cut(text: string, hmm?: boolean): string[];
}
let jieba: JiebaLike | undefined;

function loadJieba(): JiebaLike {
  if (!jieba) {
    // A native module with a 5 MB dictionary: loaded on first use only (about 0.2 s).
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(d: Uint8Array): JiebaLike } };
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
  }
  return jieba;
}

export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/**
 * The tokens of space-normalised text (single spaces, no leading or trailing space), joined by
 * single spaces: the text itself when it has no CJK character.
 */
export function tokenText(spaced: string, cjk: CjkMode): string {
  // simplifyText can leave two spaces where it deleted a lone combining mark.
  if (spaced.includes('  ')) spaced = spaced.replace(MULTI_SPACE, ' ');
  if (!hasCjk(spaced)) return spaced;
  if (cjk === 'jieba') {
    const out: string[] = [];
    for (const w of loadJieba().cut(spaced, false)) if (w.trim()) out.push(w);
    return out.join(' ');
  }
  return spaced.replace(CJK_CHAR_G, ' $& ').replace(MULTI_SPACE, ' ').trim();
}

/** The tokens themselves. */
export function tokens(spaced: string, cjk: CjkMode): string[] {
  const t = tokenText(spaced, cjk);
  return t ? t.split(' ') : [];
}
