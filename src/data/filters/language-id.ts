// Language identification (CCNet / datatrove LanguageFilter), with the `eld` n-gram detector from
// the npm registry in place of fastText's lid.176 (which cannot be fetched here). bench/data-filters
// compares eld with franc-min and tinyld on a labelled sample; eld was both the most accurate and
// the fastest (README, "Cleaning stages").
//
// eld reports a per-language score, not a probability, so language_score is defined here as a
// share: the text is cut into chunks of whole lines (newlines become spaces, as CCNet does before
// fastText), each chunk is identified, and a language's score is the fraction of the document's
// letters that lie in chunks reliably identified as that language. A clean page scores ~1.0, a page
// half English and half Chinese scores 0.5 for each, gibberish scores ~0 (no chunk is reliable);
// CCNet's threshold of 0.65 then reads "at least 65% of the text is in a kept language".
import type { Doc, DocStage, StageResult } from '../types.js';
import { charTable, flagsAt, LETTER } from '../text/chars.js';
import { resolveOptions } from '../options/resolve.js';
import { boolean, integer, list, matching, oneOf, ratio, type OptionSchema } from '../options/schema.js';
import { stageName, type StageOptions } from './options.js';

export type EldDatabase = 'extrasmall' | 'small' | 'medium' | 'large';

export interface LanguageIdOptions extends StageOptions {
  /** ISO 639-1 codes to keep; an empty list keeps any language that passes the threshold. */
  languages: string[];
  /** Keep when a kept language's score is above this (CCNet / datatrove: 0.65, strictly greater). */
  threshold: number;
  /**
   * eld's n-gram database: larger is more accurate on short text and costs memory per worker
   * (measured RSS: extrasmall ~90 MB, small ~150 MB, medium ~200 MB, large ~390 MB).
   */
  database: EldDatabase;
  /** Only label documents (metadata.language, metadata.language_score); drop none. */
  labelOnly: boolean;
  /** Lines are gathered into chunks of at least this many characters before identification. */
  chunkChars: number;
}

export const LANGUAGE_ID_DEFAULTS: LanguageIdOptions = {
  name: 'language_id',
  languages: ['en', 'zh'],
  threshold: 0.65,
  database: 'small',
  labelOnly: false,
  chunkChars: 200,
};

const DATABASES: readonly EldDatabase[] = ['extrasmall', 'small', 'medium', 'large'];

/** What eld's detect() returns. */
interface EldResult {
  language: string;
  isReliable(): boolean;
}
export interface EldDetector {
  detect(text: string): EldResult;
}

const loaded = new Map<EldDatabase, Promise<EldDetector>>();

/** eld with one of its databases (loaded once per process). */
export function loadEld(database: EldDatabase): Promise<EldDetector> {
  let p = loaded.get(database);
  if (!p) {
    // eld's entry points load their database when imported; the dynamic import keeps the unused
    // ones out of memory.
    const imports: Record<EldDatabase, () => Promise<{ eld: unknown }>> = {
      extrasmall: () => import('eld/extrasmall'),
      small: () => import('eld/small'),
      medium: () => import('eld/medium'),
      large: () => import('eld/large'),
    };
    p = imports[database]().then((m) => m.eld as EldDetector);
    loaded.set(database, p);
  }
  return p;
}

/** eld reads at most this many characters of its input. */
const ELD_MAX_CHARS = 1000;

/** The text as chunks of whole lines (joined by spaces), each at most ELD_MAX_CHARS long. */
export function lineChunks(text: string, chunkChars: number): string[] {
  const chunks: string[] = [];
  let buf = '';
  const flush = () => {
    if (buf) chunks.push(buf);
    buf = '';
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (buf && buf.length + 1 + line.length > ELD_MAX_CHARS) flush();
    if (line.length > ELD_MAX_CHARS) {
      // A long line: pieces cut at the last space before the limit (anywhere, for text without spaces).
      let rest = line;
      while (rest.length > ELD_MAX_CHARS) {
        const sp = rest.lastIndexOf(' ', ELD_MAX_CHARS);
        const cut = sp > ELD_MAX_CHARS / 2 ? sp : ELD_MAX_CHARS;
        chunks.push(rest.slice(0, cut));
        rest = rest.slice(cut).trimStart();
      }
      buf = rest;
    } else buf = buf ? `${buf} ${line}` : line;
    if (buf.length >= chunkChars) flush();
  }
  flush();
  return chunks;
}

function letters(s: string): number {
  const t = charTable();
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      if (flagsAt(s, i) & LETTER) n++;
      i++;
    } else if (t[c]! & LETTER) n++;
  }
  return n;
}

export interface LanguageScores {
  /** The language with the largest share ('' when no chunk was identified reliably and nothing was guessed). */
  language: string;
  /** Its share of the letters, 0..1. */
  score: number;
  /** Every reliably identified language's share. */
  shares: Record<string, number>;
}

/** Identifies the language of `text` chunk by chunk (see the file comment). */
export function identifyLanguage(eld: EldDetector, text: string, chunkChars = LANGUAGE_ID_DEFAULTS.chunkChars): LanguageScores {
  const weights = new Map<string, number>();
  let total = 0;
  for (const chunk of lineChunks(text, chunkChars)) {
    const w = letters(chunk);
    if (w === 0) continue;
    total += w;
    const r = eld.detect(chunk);
    if (r.language && r.isReliable()) weights.set(r.language, (weights.get(r.language) ?? 0) + w);
  }
  const shares: Record<string, number> = {};
  let language = '';
  let best = 0;
  for (const [lang, w] of [...weights].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const s = w / total;
    shares[lang] = s;
    if (s > best) {
      best = s;
      language = lang;
    }
  }
  // No reliable chunk: still label the document with eld's best guess, at score 0.
  if (!language && total > 0) language = eld.detect(text.slice(0, ELD_MAX_CHARS).replace(/\n/g, ' ')).language;
  return { language, score: best, shares };
}

export const LANGUAGE_ID_SCHEMA: OptionSchema<LanguageIdOptions> = {
  name: stageName,
  languages: list(matching(/^[a-z]{2,3}$/, "an ISO 639 code such as 'en'"), "a list of ISO 639 codes such as 'en'"),
  threshold: ratio,
  database: oneOf(DATABASES),
  labelOnly: boolean,
  chunkChars: integer(1, ELD_MAX_CHARS),
};

/** The `language_id` filter: labels metadata.language / language_score and keeps the chosen languages. */
export function languageId(options?: Partial<LanguageIdOptions>): DocStage {
  const o = resolveOptions('language_id', LANGUAGE_ID_DEFAULTS, LANGUAGE_ID_SCHEMA, options);
  let eld: EldDetector | undefined;
  const decide = (doc: Doc): StageResult => {
    const r = identifyLanguage(eld!, doc.text, o.chunkChars);
    const score = Math.round(r.score * 1e4) / 1e4;
    const out: Doc = { ...doc, metadata: { ...doc.metadata, language: r.language, language_score: score } };
    if (o.labelOnly) return { keep: true, doc: out };
    const pass = o.languages.length ? o.languages.some((l) => (r.shares[l] ?? 0) > o.threshold) : r.score > o.threshold;
    if (pass) return { keep: true, doc: out };
    // Not kept: identified as another language; below threshold: a kept language (or nothing) at too low a score.
    const other = o.languages.length > 0 && r.language !== '' && !o.languages.includes(r.language);
    return { keep: false, reason: other ? 'language_not_kept' : 'language_below_threshold' };
  };
  const stage: DocStage = {
    name: o.name,
    kind: 'filter',
    async init() {
      eld ??= await loadEld(o.database);
    },
    process(doc: Doc) {
      return eld ? decide(doc) : stage.init!().then(() => decide(doc));
    },
  };
  return stage;
}
