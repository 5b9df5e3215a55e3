// Text normalisations of the reference pipelines, character for character, so that our
// deduplication matches theirs: datatrove's `simplify_text` (MinHash shingles) and CCNet's
// `normalize_for_dedup` (line hashes). Python's `str.isspace`, `\d` and `str.lower` are Unicode-aware;
// the classes below say the same in JavaScript.

function charClass(chars: string): string {
  return '[' + chars.replace(/[\\\]^-]/g, (c) => '\\' + c) + ']';
}

const range = (a: number, b: number): string => String.fromCharCode(...Array.from({ length: b - a }, (_, i) => a + i));

/** Python's whitespace (`str.isspace`, and `\s` in a str pattern). */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

// datatrove utils/text.py PUNCTUATION: ASCII and common CJK punctuation, C0 controls except \t \n,
// DEL and C1 controls. (Not all of Unicode's punctuation: `‘` U+2018, for one, is kept.)
const DATATROVE_PUNCTUATION =
  '!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„\';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_."}►»' +
  range(0, 9) +
  range(11, 13) +
  range(13, 32) +
  range(127, 160);

// Punctuation becomes a space and whitespace runs become one space: one pass for both.
const DT_PUNCT_OR_SPACE_RE = new RegExp(charClass(DATATROVE_PUNCTUATION).slice(0, -1) + PY_SPACE + ']+', 'g');
const DT_NUMBER_RE = /\p{Nd}+(?:[.,،٫⎖⎗⎘]\p{Nd}+)?/gu;
const TRIM_RE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const NON_ASCII_RE = /[^\x00-\x7f]/;
const MN_RE = /\p{Mn}/gu;

/**
 * datatrove's `simplify_text` with its default TextNormConfig: lowercase, numbers (with an optional
 * decimal part) -> "0", its punctuation set -> space, whitespace runs -> one space, NFD with
 * combining marks (category Mn) removed, stripped.
 */
export function simplifyText(text: string): string {
  let t = text.toLowerCase();
  t = t.replace(DT_NUMBER_RE, '0');
  t = t.replace(DT_PUNCT_OR_SPACE_RE, ' ');
  if (NON_ASCII_RE.test(t)) t = t.normalize('NFD').replace(MN_RE, '');
  return t.replace(TRIM_RE, '');
}

// CCNet text_normalizer.py: UNICODE_PUNCT's keys (the characters it maps to ASCII) and
// NON_PRINTING_CHARS (code points 0-31 and 127-159) are deleted; ASCII punctuation stays.
const CCNET_UNICODE_PUNCT = '，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►';
const CCNET_DROP_RE = new RegExp(charClass(CCNET_UNICODE_PUNCT + range(0, 32) + range(127, 160)), 'g');
const DIGIT_RE = /\p{Nd}/gu;

/** CCNet's `normalize_for_dedup`: strip, lowercase, every digit -> "0", drop Unicode punctuation and control characters. */
export function ccnetNormalize(line: string): string {
  const t = line.replace(TRIM_RE, '');
  if (!t) return t;
  return t.toLowerCase().replace(DIGIT_RE, '0').replace(CCNET_DROP_RE, '');
}
