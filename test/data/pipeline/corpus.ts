// A small corpus for the executor's tests: three files (one gzip'd) with short documents,
// duplicates within and across files, and a malformed line; and what a pipeline of
// min-words (3) -> exact dedup -> upper-case must make of it, computed independently.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress } from 'fzstd';
import type { Doc } from '../../../src/data/types.js';

export interface Corpus {
  dir: string;
  /** Every document, in file order, as the readers produce them. */
  docs: Doc[];
  badLines: number;
}

const textOf = (f: number, i: number): string => (i % 7 === 3 ? 'the same duplicated text' : i % 11 === 5 ? 'too short' : `file ${f} document ${i} ${'word '.repeat(i % 6)}end`);

export function writeCorpus(dir: string, perFile = 40): Corpus {
  const docs: Doc[] = [];
  let badLines = 0;
  for (let f = 0; f < 3; f++) {
    const name = f === 1 ? `part-${f}.jsonl.gz` : `part-${f}.jsonl`;
    const lines: string[] = [];
    for (let i = 0; i < perFile; i++) {
      if (f === 2 && i === 9) {
        lines.push('{"text": broken');
        badLines++;
        continue;
      }
      const text = textOf(f, i);
      lines.push(JSON.stringify({ text, url: `http://example.com/${f}/${i}` }));
      docs.push({ id: `${name}:${i}`, text, metadata: { source: name, url: `http://example.com/${f}/${i}` } });
    }
    const body = lines.join('\n') + '\n';
    writeFileSync(join(dir, name), f === 1 ? gzipSync(body) : body);
  }
  return { dir, docs, badLines };
}

/** min_words(3) -> exact dedup (first occurrence wins) -> upper case. */
export function expectedOutput(docs: readonly Doc[]): Doc[] {
  const seen = new Set<string>();
  const out: Doc[] = [];
  for (const d of docs) {
    if (d.text.split(/\s+/).filter(Boolean).length < 3) continue;
    if (seen.has(d.text)) continue;
    seen.add(d.text);
    out.push({ ...d, text: d.text.toUpperCase() });
  }
  return out;
}

/** The documents of an output folder's data/*.jsonl.zst (the default) or *.jsonl.gz, in task order. */
export function outputDocs(out: string): Doc[] {
  const dir = join(out, 'data');
  return readdirSync(dir)
    .sort()
    .flatMap((f) =>
      Buffer.from(f.endsWith('.zst') ? decompress(readFileSync(join(dir, f))) : gunzipSync(readFileSync(join(dir, f))))
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Doc),
    );
}

/** Every file of an output folder except the work folder, as relative path -> bytes. */
export function outputFiles(out: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(out, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (r !== 'work') walk(r);
      } else files.set(r, readFileSync(join(out, r)));
    }
  };
  walk('');
  return files;
}
