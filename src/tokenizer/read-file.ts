// Reading a tokenizer file: its size is checked against a limit before it is read, and a missing or
// unreadable file is a TokenizerError naming it rather than a raw ENOENT.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { TokenizerError } from './errors.js';

export function statTokenizerPath(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
}

/** The whole file as bytes, or as text when `encoding` is given; refused by its size before it is read. */
export function readTokenizerFile(path: string, maxBytes: number): Buffer;
export function readTokenizerFile(path: string, maxBytes: number, encoding: 'utf8'): string;
export function readTokenizerFile(path: string, maxBytes: number, encoding?: 'utf8'): Buffer | string {
  const size = statTokenizerPath(path).size;
  if (size > maxBytes) throw new TokenizerError(path, `${size} bytes; tokenizer files over ${maxBytes} bytes are refused`);
  try {
    return encoding ? readFileSync(path, encoding) : readFileSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
}

/** Parsed JSON of a tokenizer.json or tokenizer_config.json. */
export function readTokenizerJson(path: string, maxBytes: number): unknown {
  return parseTokenizerJson(readTokenizerFile(path, maxBytes, 'utf8'), path);
}

export function parseTokenizerJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(source, `not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
}

export function unreadable(path: string, e: unknown): TokenizerError {
  return new TokenizerError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
}
