// Typed access to the keys of a parsed JSON object, for config files written by other tools.
// Every wrong type fails with a ConfigError naming the file, the key and the expected type.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The largest JSON file read (config.json, generation_config.json, tokenizer_config.json): real ones
 * are at most a few MB. A larger (say, sparse) file would otherwise be read whole into a string past
 * V8's length limit.
 */
export const MAX_JSON_BYTES = 64 << 20;

/** Reads and parses a JSON file whose top level must be an object. */
export function readJsonObject(path: string): JsonObject {
  // A missing file stays an ENOENT error (callers test for optional files); only bad JSON is ours.
  const fd = openSync(path, 'r');
  let text: string;
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_JSON_BYTES) throw new ConfigError(path, `the file has ${size} bytes, more than the ${MAX_JSON_BYTES}-byte limit for a JSON config`);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, `invalid JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) throw new ConfigError(path, 'expected a JSON object at the top level');
  return v;
}

/** A short preview of a JSON value for messages; bounded in depth, so deeply nested input cannot overflow the stack. */
export function show(v: unknown, depth = 0): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    if (depth >= 2) return v.length ? '[...]' : '[]';
    const items = v.slice(0, 4).map((x) => show(x, depth + 1));
    return `[${items.join(',')}${v.length > 4 ? ',...' : ''}]`.slice(0, 80);
  }
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (depth >= 2) return keys.length ? '{...}' : '{}';
    const items = keys.slice(0, 4).map((k) => `${JSON.stringify(k)}:${show(v[k], depth + 1)}`);
    return `{${items.join(',')}${keys.length > 4 ? ',...' : ''}}`.slice(0, 80);
  }
  return (JSON.stringify(v) ?? String(v)).slice(0, 80);
}

export class JsonFields {
  constructor(
    readonly file: string,
    readonly obj: JsonObject,
  ) {}

  fail(key: string, expected: string, got: unknown): never {
    throw new ConfigError(this.file, `key "${key}": expected ${expected}, got ${show(got)}`);
  }

  /** The raw value; null counts as absent (HF writes null for unset options). */
  get(key: string): unknown {
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  int(key: string, opts: { min?: number } = {}): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(key, min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'an integer', v);
    return v as number;
  }
  requiredInt(key: string, opts: { min?: number } = {}): number {
    const v = this.int(key, opts);
    if (v === undefined) this.fail(key, 'an integer (the key is required)', undefined);
    return v as number;
  }

  num(key: string, opts: { positive?: boolean } = {}): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.positive && v <= 0)) this.fail(key, opts.positive ? 'a positive number' : 'a number', v);
    return v as number;
  }

  bool(key: string): boolean | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v as boolean;
  }

  str(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    return v as string;
  }

  strList(key: string): string[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(key, 'a list of strings', v);
    return [...(v as string[])];
  }

  /** A token id or a list of them (eos_token_id in newer configs); always returned as a list. */
  idList(key: string): number[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const ok = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (ok(v)) return [v as number];
    if (Array.isArray(v) && v.every(ok)) return [...(v as number[])];
    return this.fail(key, 'a token id or a list of token ids', v);
  }

  object(key: string): JsonObject | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!isObject(v)) this.fail(key, 'an object', v);
    return v as JsonObject;
  }
}
