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

const DT_NUMBER_RE = /\p{Nd}+(?:[.,،٫⎖⎗⎘]\p{Nd}+)?/gu;
const TRIM_RE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const MN_RE = /\p{Mn}/gu;

// Code units that become (part of) a single space: datatrove's punctuation and Python's whitespace.
const SEPARATOR = new Uint8Array(65536);
for (const ch of DATATROVE_PUNCTUATION) SEPARATOR[ch.charCodeAt(0)] = 1;
for (const c of [9, 10, 11, 12, 13, 0x1c, 0x1d, 0x1e, 0x1f, 32, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]) SEPARATOR[c] = 1;
for (let c = 0x2000; c <= 0x200a; c++) SEPARATOR[c] = 1;
// ignoreBOM keeps a leading U+FEFF (Python keeps it too: it is neither space nor punctuation).
const utf16 = new TextDecoder('utf-16le', { ignoreBOM: true });
let units = new Uint16Array(1 << 16);

/**
 * datatrove's `simplify_text` with its default TextNormConfig: lowercase, numbers (with an optional
 * decimal part) -> "0", its punctuation set -> space, whitespace runs -> one space, NFD with
 * combining marks (category Mn) removed, stripped.
 */
export function simplifyText(text: string): string {
  const t = text.toLowerCase().replace(DT_NUMBER_RE, '0');
  // Punctuation -> space and whitespace runs -> one space, stripped, in one pass over code units
  // (a regular expression pays per match, and web text has a match every few characters).
  if (units.length < t.length) units = new Uint16Array(t.length + 1024);
  const out = units;
  let j = 0;
  let space = true; // drops leading separators
  let ascii = true;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (SEPARATOR[c]) {
      if (!space) {
        out[j++] = 32;
        space = true;
      }
    } else {
      out[j++] = c;
      space = false;
      if (c > 127) ascii = false;
    }
  }
  if (j > 0 && out[j - 1] === 32) j--;
  const simple = utf16.decode(out.subarray(0, j));
  if (ascii) return simple;
  return simple.normalize('NFD').replace(MN_RE, '').replace(TRIM_RE, '');
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
