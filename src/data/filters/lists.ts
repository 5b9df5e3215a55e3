// The word and domain lists of the blocklist stages: the small samples shipped in lists/ (see
// lists/README.md) and users' own files. One entry per line, '#' comment lines, lower-cased.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StageOptionError } from './options.js';

/** The folder of the shipped lists (this file runs as dist/src/data/filters/lists.js). */
export const DEFAULT_LISTS_DIR = fileURLToPath(new URL('../../../../src/data/filters/lists/', import.meta.url));

/** A shipped list's path, by file name. */
export function defaultListPath(file: string): string {
  return DEFAULT_LISTS_DIR + file;
}

/** The entries of a list file; `what` names the stage and option in errors. */
export function readList(path: string, what: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StageOptionError(`${what}: cannot read list file ${path}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line && !line.startsWith('#')) out.push(line.toLowerCase());
  }
  return out;
}
