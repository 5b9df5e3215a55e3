// Text preparation shared by the learned scorers: CCNet's line normalisation, a language-aware word
// split (jieba for runs of Han characters, per-character for kana/Thai, Unicode word runs elsewhere)
// and a sentence split, as the scorers' models were trained with (every model file records which).
// The jieba segmenter itself is the one the rule filters use (src/data/text/segmenter.ts).
import { chineseSegmenter } from '../text/segmenter.js';

// CCNet `text_normalizer.py`: UNICODE_PUNCT, applied character by character (punct=1).
const UNICODE_PUNCT: Record<string, string> = {
  '，': ',', '。': '.', '、': ',', '„': '"', '”': '"', '“': '"', '«': '"', '»': '"', '１': '"', '」': '"', '「': '"',
  '《': '"', '》': '"', '´': "'", '∶': ':', '：': ':', '？': '?', '！': '!', '（': '(', '）': ')', '；': ';', '–': '-',
  '—': ' - ', '．': '. ', '～': '~', '’': "'", '…': '...', '━': '-', '〈': '<', '〉': '>', '【': '[', '】': ']',
  '％': '%', '►': '-',
};
const UNICODE_PUNCT_RE = new RegExp(`[${Object.keys(UNICODE_PUNCT).join('')}]`, 'gu');
// Python's \d is any Unicode decimal digit.
const DIGIT_RE = /\p{Nd}/gu;
const MARK_RE = /\p{Mn}/gu;
// C0 controls and DEL..U+009F, as CCNet's NON_PRINTING_CHARS_RE.
const NON_PRINTING_RE = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * CCNet's `normalize(line)` with its perplexity settings: strip, lowercase, accents stripped (NFD
 * without nonspacing marks), every decimal digit -> 0, Unicode punctuation replaced by ASCII, C0/C1
 * control characters removed.
 */
export function normalizeLine(line: string): string {
  let s = line.trim();
  if (!s) return s;
  s = s.toLowerCase().normalize('NFD').replace(MARK_RE, '');
  s = s.replace(DIGIT_RE, '0');
  s = s.replace(UNICODE_PUNCT_RE, (c) => UNICODE_PUNCT[c]!);
  return s.replace(NON_PRINTING_RE, '');
}

// A run of Han ideographs (segmented by jieba), one kana/Thai/Hangul-syllable-less character, a word
// of letters/marks/digits with inner apostrophes, or any other non-space character (punctuation).
const TOKEN_RE = /(\p{Script=Han}+)|([\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}])|([\p{L}\p{M}\p{N}_]+(?:'[\p{L}\p{M}\p{N}_]+)*)|(\S)/gu;

export { chineseSegmenter };

/**
 * Words of a (normalised) line: Unicode word runs, punctuation characters one by one, Han runs cut
 * into words by jieba (with its HMM for unknown words), kana and Thai one character each.
 */
export function splitWords(line: string, out: string[] = []): string[] {
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN_RE.exec(line)) !== null) {
    if (m[1] !== undefined) {
      for (const w of chineseSegmenter().cut(m[1], true)) out.push(w);
    } else {
      out.push(m[0]);
    }
  }
  return out;
}

const CJK_END = new Set(['。', '！', '？']);
const ASCII_END = new Set(['.', '!', '?']);
const CLOSERS = new Set(['"', "'", '”', '’', '»', ')', ']', '」', '』']);

/**
 * Sentences of a text: cut at line breaks, after CJK terminal punctuation, and after ASCII `. ! ?`
 * followed by whitespace (so "3.5" stays whole); closing quotes and brackets stay with their
 * sentence. Blank sentences are dropped.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const cut = (end: number): void => {
    const s = text.slice(start, end).trim();
    if (s) out.push(s);
    start = end;
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      cut(i);
      start = ++i;
      continue;
    }
    const cjk = CJK_END.has(c);
    if (cjk || ASCII_END.has(c)) {
      let j = i + 1;
      while (j < n && (CJK_END.has(text[j]!) || ASCII_END.has(text[j]!))) j++;
      while (j < n && CLOSERS.has(text[j]!)) j++;
      if (cjk || j >= n || /\s/.test(text[j]!)) cut(j);
      i = j;
      continue;
    }
    i++;
  }
  cut(n);
  return out;
}
