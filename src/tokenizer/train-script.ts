// Unicode script of a code point, for the trainer's split_by_unicode_script rule (a piece never mixes
// scripts; Hiragana, Katakana and U+30FC count as Han, as in sentencepiece's trainer_interface.cc).
// Scripts come from the JavaScript engine's Unicode tables (\p{Script=...}); the result is a small
// integer, cached per code point.

const SCRIPTS = [
  'Latin', 'Han', 'Common', 'Inherited', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Georgian', 'Hangul', 'Ethiopic', 'Cherokee', 'Canadian_Aboriginal', 'Ogham',
  'Runic', 'Khmer', 'Mongolian', 'Hiragana', 'Katakana', 'Bopomofo', 'Yi', 'Old_Italic', 'Gothic', 'Deseret',
  'Tagalog', 'Hanunoo', 'Buhid', 'Tagbanwa', 'Limbu', 'Tai_Le', 'Linear_B', 'Ugaritic', 'Shavian', 'Osmanya',
  'Cypriot', 'Braille', 'Buginese', 'Coptic', 'New_Tai_Lue', 'Glagolitic', 'Tifinagh', 'Syloti_Nagri', 'Old_Persian',
  'Kharoshthi', 'Balinese', 'Cuneiform', 'Phoenician', 'Phags_Pa', 'Nko', 'Sundanese', 'Lepcha', 'Ol_Chiki', 'Vai',
  'Saurashtra', 'Kayah_Li', 'Rejang', 'Lycian', 'Carian', 'Lydian', 'Cham', 'Tai_Tham', 'Tai_Viet', 'Avestan',
  'Egyptian_Hieroglyphs', 'Samaritan', 'Lisu', 'Bamum', 'Javanese', 'Meetei_Mayek', 'Imperial_Aramaic', 'Old_South_Arabian',
  'Inscriptional_Parthian', 'Inscriptional_Pahlavi', 'Old_Turkic', 'Kaithi', 'Batak', 'Brahmi', 'Mandaic', 'Chakma',
  'Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Sharada', 'Sora_Sompeng', 'Takri',
];

const HAN = 1;
const COMMON = 2;
const patterns = SCRIPTS.map((s) => new RegExp(`^\\p{Script=${s}}$`, 'u'));
const hiragana = SCRIPTS.indexOf('Hiragana');
const katakana = SCRIPTS.indexOf('Katakana');
const cache = new Map<number, number>();

/** Script id of `cp` (Hiragana/Katakana folded into Han; scripts outside the table count as Common). */
export function scriptOf(cp: number): number {
  let s = cache.get(cp);
  if (s !== undefined) return s;
  const ch = String.fromCodePoint(cp);
  s = COMMON;
  for (let i = 0; i < patterns.length; i++) {
    if (patterns[i]!.test(ch)) {
      s = i;
      break;
    }
  }
  if (s === hiragana || s === katakana || cp === 0x30fc) s = HAN;
  cache.set(cp, s);
  return s;
}
