// Where test data lives, relative to the repository root (this file runs as dist/test/paths.js).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sharedData = join(repoRoot, '..', 'shared', 'data');
export const llama2Model = join(sharedData, 'llama2-tokenizer', 'tokenizer.model');
export const llamaCppVocab = join(sharedData, 'llama.cpp-vocab');

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', name), 'utf8')) as T;
}

/** Reason to skip when a reference file from ../shared/data is absent, else false. */
export function missing(path: string): string | false {
  return existsSync(path) ? false : `reference data not found at ${path} (../shared/data is outside the repository)`;
}
