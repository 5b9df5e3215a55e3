// Typed errors for tokenizer files (tokenizer.model, tokenizer.json, tokenizer_config.json, GGUF
// tokenizer metadata): the message names the file, the field and what was expected, e.g.
// `tokenizer: /m/tokenizer.json: model.byte_fallback: expected a boolean, found "yes"`.
import { FormatError } from '../formats/errors.js';

export class TokenizerError extends FormatError {
  constructor(file: string, detail: string) {
    super('tokenizer', file, detail);
  }
}

/**
 * A value from a file, short enough for an error message: strings quoted and cut, arrays and objects by
 * kind and size (never serialized whole: they may be huge or nested deeper than JSON.stringify can go).
 */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** A tokenizer.model that is not a readable SentencePiece ModelProto. */
export class ModelProtoError extends TokenizerError {
  constructor(file: string, what: string) {
    super(file, `not a valid SentencePiece model (${what})`);
  }
}
