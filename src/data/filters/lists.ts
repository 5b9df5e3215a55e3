// The word and domain lists of the blocklist stages: the small samples shipped in lists/ (see
// lists/README.md) and users' own files. One entry per line, '#' comment lines, lower-cased.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { optionError } from '../options/resolve.js';

/** The folder of the shipped lists (this file runs as dist/src/data/filters/lists.js). */
export const DEFAULT_LISTS_DIR = fileURLToPath(new URL('../../../../src/data/filters/lists/', import.meta.url));

/** A shipped list's path, by file name. */
export function defaultListPath(file: string): string {
  return DEFAULT_LISTS_DIR + file;
}

/** The entries of a list file; errors name the stage (its type and options) and the option that named the file. */
export function readList(path: string, type: string, o: { name: string }, option?: string): string[] {
  const fail = (why: string): never => {
    throw optionError(type, o, option, `cannot read list file ${path} (${why})`);
  };
  let text = '';
  try {
    // A FIFO or a device would block or never end: only regular files.
    if (!statSync(path).isFile()) fail('not a regular file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e) fail(String((e as NodeJS.ErrnoException).code));
    throw e;
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line && !line.startsWith('#')) out.push(line.toLowerCase());
  }
  return out;
}
