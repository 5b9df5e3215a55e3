// C4's bad-words filter (Raffel et al. 2020; datatrove pipeline/filters/c4_filters.py
// C4BadWordsFilter): a document containing a word of its language's LDNOOBW-style list is dropped.
// For languages written without spaces (zh, ja, th) a listed word matches anywhere; for the others
// only as a whole word. The LDNOOBW lists cannot be downloaded here, so small samples for en and zh
// ship in lists/; pass real ones through `files`.
import type { Doc, DocStage, StageResult } from '../types.js';
import { defaultListPath, readList } from './lists.js';
import { optionError, resolveOptions } from '../options/resolve.js';
import { boolean, path, ratio, record, string, words, type OptionSchema } from '../options/schema.js';
import { stageName, type StageOptions } from './options.js';

export interface BadWordsOptions extends StageOptions {
  /** The language of documents without metadata.language (datatrove: 'en'). */
  defaultLanguage: string;
  /** Per language, a list file that replaces the shipped list (e.g. { en: 'ldnoobw/en' }). */
  files: Record<string, string>;
  /** Use the shipped sample lists (en, zh) for languages without a file. */
  useDefaultLists: boolean;
  /** Per language, words added to its list. */
  extraWords: Record<string, string[]>;
  /** Languages whose words match as substrings (C4: ja, th, zh). */
  substringLanguages: string[];
  /** Per language, words never used even when listed (C4's allowlist: ja sm, グロ, 女の子; zh 性). */
  allowlist: Record<string, string[]>;
  /** Share of documents with bad words kept anyway, chosen by a hash of the document id (datatrove: 0). */
  keepFraction: number;
  /** Throw on a document whose language has no list, instead of keeping it and counting it. */
  failOnMissingLanguage: boolean;
}

export const BAD_WORDS_DEFAULTS: BadWordsOptions = {
  name: 'bad_words',
  defaultLanguage: 'en',
  files: {},
  useDefaultLists: true,
  extraWords: {},
  substringLanguages: ['ja', 'th', 'zh'],
  allowlist: { ja: ['sm', 'グロ', '女の子'], zh: ['性'] },
  keepFraction: 0,
  failOnMissingLanguage: false,
};

/** Languages with a shipped sample list. */
export const DEFAULT_BAD_WORD_LANGUAGES = ['en', 'zh'];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex that finds any of `words` in lower-cased text: anywhere, or as whole words. */
export function badWordsRegExp(words: readonly string[], substring: boolean): RegExp | undefined {
  const alts = [...new Set(words)].filter((w) => w.length > 0).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (alts.length === 0) return undefined;
  const body = alts.map(escapeRegExp).join('|');
  // Whole words: not preceded or followed by a letter, digit, mark or underscore (Python's \w).
  return new RegExp(substring ? body : `(?<![\\p{L}\\p{N}\\p{M}_])(?:${body})(?![\\p{L}\\p{N}\\p{M}_])`, 'u');
}

/** A number in [0, 1) from a document id (FNV-1a), so keepFraction picks the same documents on every run. */
export function idFraction(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

const LANGUAGE_CODE = { pattern: /^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$/, expected: "language codes such as 'en'" };

export const BAD_WORDS_SCHEMA: OptionSchema<BadWordsOptions> = {
  name: stageName,
  defaultLanguage: string({ nonEmpty: true }),
  files: record(path, LANGUAGE_CODE, "an object of language codes such as 'en' to list files"),
  useDefaultLists: boolean,
  extraWords: record(words, LANGUAGE_CODE, "an object of language codes such as 'en' to word lists"),
  substringLanguages: words,
  allowlist: record(words, LANGUAGE_CODE, "an object of language codes such as 'en' to word lists"),
  keepFraction: ratio,
  failOnMissingLanguage: boolean,
};

/** The `bad_words` filter. */
export function badWords(options?: Partial<BadWordsOptions>): DocStage {
  const o = resolveOptions('bad_words', BAD_WORDS_DEFAULTS, BAD_WORDS_SCHEMA, options);
  const languages = new Set([...(o.useDefaultLists ? DEFAULT_BAD_WORD_LANGUAGES : []), ...Object.keys(o.files), ...Object.keys(o.extraWords)]);
  const regexps = new Map<string, RegExp | undefined>();
  for (const lang of languages) {
    const file = o.files[lang];
    const words = file ? readList(file, 'bad_words', o, `files.${lang}`) : DEFAULT_BAD_WORD_LANGUAGES.includes(lang) && o.useDefaultLists ? readList(defaultListPath(`bad-words-${lang}.txt`), 'bad_words', o) : [];
    const extra = o.extraWords[lang] ?? [];
    const allow = o.allowlist[lang] ?? [];
    const allowed = new Set(allow.map((w) => w.toLowerCase()));
    const list = [...words, ...extra.map((w) => w.toLowerCase())].filter((w) => !allowed.has(w));
    regexps.set(lang, badWordsRegExp(list, o.substringLanguages.includes(lang)));
  }
  return {
    name: o.name,
    kind: 'filter',
    process(doc: Doc): StageResult {
      const label = doc.metadata.language;
      const lang = typeof label === 'string' && label ? label : o.defaultLanguage;
      if (!regexps.has(lang)) {
        if (o.failOnMissingLanguage) throw optionError('bad_words', o, undefined, `no bad-words list for language '${lang}' (document ${doc.id}); set failOnMissingLanguage to false to keep such documents`);
        return { keep: true, doc, counts: { missing_badwords_lang: 1 } };
      }
      const re = regexps.get(lang);
      if (!re || !re.test(doc.text.toLowerCase())) return { keep: true, doc };
      if (o.keepFraction > 0 && idFraction(doc.id) < o.keepFraction) {
        return { keep: true, doc, counts: { documents_with_badwords: 1, document_kept_with_badwords: 1 } };
      }
      return { keep: false, reason: 'document_removed_with_badwords', counts: { documents_with_badwords: 1 } };
    },
  };
}
