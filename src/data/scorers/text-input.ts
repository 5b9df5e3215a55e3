// Where training text comes from: in-memory strings, any (async) iterable of strings, or corpus
// files read with `readDocuments` (plain text, JSONL(.gz/.zst), Parquet, folders of those).
import { readDocuments, type ReadOptions } from '../documents.js';

export interface TextFiles extends ReadOptions {
  paths: readonly string[];
}

export type TextInput = Iterable<string> | AsyncIterable<string> | TextFiles;

function isFiles(x: TextInput): x is TextFiles {
  return typeof x === 'object' && x !== null && 'paths' in x && Array.isArray((x as TextFiles).paths);
}

/** The documents of an input, one string each, in order. */
export async function* iterateTexts(input: TextInput): AsyncGenerator<string> {
  if (isFiles(input)) {
    yield* readDocuments(input.paths, { field: input.field, textUnit: input.textUnit });
    return;
  }
  if (typeof input === 'string') throw new Error('a text input must be a list of documents, not one string');
  if (Symbol.asyncIterator in input) {
    for await (const t of input as AsyncIterable<string>) yield t;
  } else {
    for (const t of input as Iterable<string>) yield t;
  }
}

/** All documents of an input (at most `limit`), checked to be strings; `what` names the input in errors. */
export async function collectTexts(input: TextInput, what: string, limit = Infinity): Promise<string[]> {
  const out: string[] = [];
  for await (const t of iterateTexts(input)) {
    if (typeof t !== 'string') throw new Error(`${what}: document #${out.length} is a ${typeof t}, not a string`);
    if (out.length >= limit) break;
    out.push(t);
  }
  return out;
}

/** The documents of several inputs, one after the other. */
export async function* concatTexts(...inputs: TextInput[]): AsyncGenerator<string> {
  for (const input of inputs) yield* iterateTexts(input);
}
