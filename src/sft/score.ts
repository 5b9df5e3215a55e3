// Exact-match scoring of a chat answer against a canonical one (the chat-facts set's `answer` field).
//
// The rule, precisely:
//   normalizeAnswer(s): NFKC; U+2212 minus -> '-'; zero-width characters removed; lower case; whitespace runs -> one
//     space; then, until nothing changes: trim, strip trailing sentence punctuation (. , ; : ! ? … 。 、 and their
//     full-width forms, which NFKC already folded), and strip wrapping marks (* _ ` quotes 「」『』《》«» “” ‘’) at either
//     end. Digit groups with thousands separators ("1,234,567") lose the commas.
//   exactMatch(prediction, answer): the normalised answer is non-empty and equals the normalisation of one of these
//     whole parts of the prediction (cut at its first <|im_end|> / <|endoftext|>):
//       1. the whole prediction;
//       2. its last non-empty line;
//       3. the last **bold** span of the last line (our assistant turns bold their final answer: "The capital of France is
//          **Paris**.");
//       4. what follows the last "Answer:" / "答案：" / "答：" marker on the last line;
//       5. the last sentence of the last line (split after 。！？, or after . ! ? followed by a space, unless the word
//          before the '.' is a single letter or a common abbreviation such as "St." or "Mt.").
//   Never a substring test: "Papua New Guinea" does not match "Guinea", "110" does not match "10", "赤道几内亚" does not
//   match "几内亚", and "**Lyon**, not Paris" does not match "Paris".

const WRAP_START = /^[*_`"'“‘「『《«]+/u;
const WRAP_END = /[*_`"'”’」』》»]+$/u;
const TRAILING_PUNCT = /[.,;:!?…。、]+$/u;

/** Canonical form of an answer for exact-match comparison (see the file comment for the rule). */
export function normalizeAnswer(s: string): string {
  let t = s
    .normalize('NFKC')
    .replace(/\u2212/g, '-')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ');
  for (;;) {
    const before = t;
    t = t.trim().replace(TRAILING_PUNCT, '').replace(WRAP_START, '').replace(WRAP_END, '');
    if (t === before) break;
  }
  return t.replace(/(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])/g, (m) => m.replace(/,/g, ''));
}

const STOP_TOKENS = ['<|im_end|>', '<|endoftext|>'];
const ANSWER_MARKER = /(?:final answer|answer|答案|答)\s*[:：]/giu;
// A '.' after one of these words does not end a sentence ("St. John's", "Mt. Everest").
const ABBREVIATIONS = new Set(['st', 'mt', 'ft', 'dr', 'mr', 'mrs', 'ms', 'no', 'vs', 'etc', 'e.g', 'i.e', 'jr', 'sr']);

/** Cuts the prediction at its first end-of-turn token: what follows is not part of the answer. */
function cutAtStop(prediction: string): string {
  let end = prediction.length;
  for (const tok of STOP_TOKENS) {
    const i = prediction.indexOf(tok);
    if (i >= 0 && i < end) end = i;
  }
  return prediction.slice(0, end);
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.length > 0 ? lines[lines.length - 1]! : '';
}

function lastBoldSpan(text: string): string | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(/\*\*([^*\n]+?)\*\*/gu)) last = m[1];
  return last;
}

function afterLastMarker(line: string): string | undefined {
  let last: number | undefined;
  for (const m of line.matchAll(ANSWER_MARKER)) last = m.index + m[0].length;
  return last === undefined ? undefined : line.slice(last);
}

/** The run of letters and dots that ends just before `end` ("St" in "St. John's", "e.g" in "e.g. Paris"). */
function wordBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && /[\p{L}.]/u.test(text[start - 1]!)) start--;
  return text.slice(start, end);
}

/** The text after the last sentence boundary of a line (the rule in the file comment), or the whole line. */
function lastSentence(line: string): string {
  const body = line.trim().replace(/[.!?。！？]+$/u, '');
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '。' || c === '！' || c === '？') start = i + 1;
    else if ((c === '.' || c === '!' || c === '?') && /\s/u.test(body[i + 1] ?? '')) {
      if (c === '.') {
        const word = wordBefore(body, i);
        if (word.length === 1 || ABBREVIATIONS.has(word.toLowerCase())) continue;
      }
      start = i + 1;
    }
  }
  return body.slice(start).trim();
}

/** The parts of a prediction that may state its final answer, each compared whole (never as a substring). */
export function answerCandidates(prediction: string): string[] {
  const text = cutAtStop(prediction);
  const line = lastLine(text);
  const out = [text, line, lastSentence(line)];
  const bold = lastBoldSpan(line);
  if (bold !== undefined) out.push(bold);
  const marked = afterLastMarker(line);
  if (marked !== undefined) out.push(marked);
  return out;
}

/** True iff the prediction states exactly the answer (after normalisation) in one of the places the rule names. */
export function exactMatch(prediction: string, answer: string): boolean {
  const want = normalizeAnswer(answer);
  if (want === '') return false;
  return answerCandidates(prediction).some((c) => normalizeAnswer(c) === want);
}
