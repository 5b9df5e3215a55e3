// Typed reads of fields of a parsed JSON file (tokenizer.json, tokenizer_config.json): each read names
// the field's path in the file and what was expected, so a wrong type is an error rather than a guess.
// An optional field that is absent or null takes its default.
import { showValue, TokenizerError } from '../errors.js';

export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class JsonFields {
  constructor(
    /** The file, for error messages. */
    readonly file: string,
  ) {}

  fail(field: string, what: string): never {
    throw new TokenizerError(this.file, field ? `${field}: ${what}` : what);
  }

  private expected(field: string, what: string, v: unknown): never {
    return this.fail(field, `expected ${what}, found ${showValue(v)}`);
  }

  obj(v: unknown, field: string): Json {
    return isObj(v) ? v : this.expected(field, 'an object', v);
  }

  optObj(v: unknown, field: string): Json | undefined {
    return v === undefined || v === null ? undefined : this.obj(v, field);
  }

  array(v: unknown, field: string): unknown[] {
    return Array.isArray(v) ? v : this.expected(field, 'an array', v);
  }

  optArray(v: unknown, field: string): unknown[] {
    return v === undefined || v === null ? [] : this.array(v, field);
  }

  str(v: unknown, field: string): string {
    return typeof v === 'string' ? v : this.expected(field, 'a string', v);
  }

  optStr(v: unknown, field: string): string | undefined {
    return v === undefined || v === null ? undefined : this.str(v, field);
  }

  optBool(v: unknown, field: string, dflt: boolean): boolean {
    if (v === undefined || v === null) return dflt;
    return typeof v === 'boolean' ? v : this.expected(field, 'a boolean', v);
  }

  /** An integer id in [0, limit): ids beyond the count of tokens cannot be contiguous, so they are refused before anything is sized by them. */
  id(v: unknown, field: string, limit: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return this.expected(field, 'a token id (an integer >= 0)', v);
    if (v >= limit) this.fail(field, `id ${v} is beyond the ${limit} tokens this file defines (ids must run from 0 without gaps)`);
    return v;
  }
}
