// Word lists of unsafe content by category (violence, pornography, gambling, propaganda, or any
// file the user adds): terms with Chinese characters match as substrings (Chinese has no spaces
// to find word boundaries at), every other term as a whole word or phrase, after CCNet
// normalisation of both the text and the terms.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeLine } from './text.js';

/** The sample lists shipped with the project (src/ is next to dist/ in this repository and in its package). */
export const defaultSafetyListsDir = fileURLToPath(new URL('../../../../src/data/scorers/lists/safety/', import.meta.url));

/** Terms by category, as read from the list files (and stored in safety model files). */
export type SafetyLists = Record<string, string[]>;

const HAN = /\p{Script=Han}/u;
const HAN_ALL = /\p{Script=Han}/gu;
const WORD_RE = /[\p{L}\p{M}\p{N}]+/gu;
const CATEGORY_RE = /^[a-z][a-z0-9_]*$/;

/** Reads every `<category>.txt` of a folder: one term per line, '#' comments, blank lines skipped. */
export function readSafetyLists(dir: string = defaultSafetyListsDir): SafetyLists {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  } catch (e) {
    throw new Error(`safety word lists: cannot read folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const lists: SafetyLists = {};
  for (const f of names) {
    const category = basename(f, '.txt');
    if (!CATEGORY_RE.test(category)) throw new Error(`safety word lists: ${join(dir, f)}: the file name must be a lowercase category name ([a-z][a-z0-9_]*.txt)`);
    lists[category] = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
  }
  if (Object.keys(lists).length === 0) throw new Error(`safety word lists: no <category>.txt files in ${dir}`);
  return lists;
}

export interface SafetyMatch {
  /** Occurrences per category (categories without any are absent). */
  hits: Record<string, number>;
  /** Tokens of the text (words, and Han characters one each): the denominator of hit density. */
  tokens: number;
}

interface CategoryMatcher {
  category: string;
  /** Single-word terms. */
  words: Set<string>;
  /** Multi-word terms, by their first word. */
  phrases: Map<string, string[][]>;
  /** Terms with Han characters (substring match). */
  substrings: string[];
}

export class SafetyMatcher {
  private readonly matchers: CategoryMatcher[] = [];

  constructor(readonly lists: SafetyLists) {
    for (const [category, terms] of Object.entries(lists)) {
      if (!CATEGORY_RE.test(category)) throw new Error(`safety word lists: category '${category}' must match [a-z][a-z0-9_]*`);
      if (!Array.isArray(terms) || terms.some((t) => typeof t !== 'string')) throw new Error(`safety word lists: category '${category}' must be a list of strings`);
      const m: CategoryMatcher = { category, words: new Set(), phrases: new Map(), substrings: [] };
      for (const raw of terms) {
        const t = normalizeLine(raw);
        if (!t) continue;
        if (HAN.test(t)) {
          m.substrings.push(t);
          continue;
        }
        const words = t.match(WORD_RE) ?? [];
        if (words.length === 1) m.words.add(words[0]!);
        else if (words.length > 1) {
          const list = m.phrases.get(words[0]!) ?? [];
          list.push(words);
          m.phrases.set(words[0]!, list);
        }
      }
      this.matchers.push(m);
    }
  }

  get categories(): string[] {
    return this.matchers.map((m) => m.category);
  }

  match(text: string): SafetyMatch {
    const norm = text.split('\n').map(normalizeLine).join('\n');
    const words = norm.match(WORD_RE) ?? [];
    const tokens = (norm.match(HAN_ALL) ?? []).length + (norm.replace(HAN_ALL, ' ').match(WORD_RE) ?? []).length;
    const hits: Record<string, number> = {};
    for (const m of this.matchers) {
      let n = 0;
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if (m.words.has(w)) n++;
        const phrases = m.phrases.get(w);
        if (phrases) {
          for (const p of phrases) {
            let ok = i + p.length <= words.length;
            for (let j = 1; ok && j < p.length; j++) ok = words[i + j] === p[j];
            if (ok) n++;
          }
        }
      }
      for (const s of m.substrings) {
        for (let at = norm.indexOf(s); at >= 0; at = norm.indexOf(s, at + s.length)) n++;
      }
      if (n > 0) hits[m.category] = n;
    }
    return { hits, tokens };
  }
}
