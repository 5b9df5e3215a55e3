// GGUF tokenizer metadata (tokenizer.ggml.*, as llama.cpp writes it for SentencePiece vocabularies) ->
// TokenizerSpec. Takes the metadata map so any GGUF reader can feed it.
import { showValue, TokenizerError } from '../errors.js';
import { PieceType } from '../sentencepiece-proto.js';
import type { TokenizerSpec } from '../spec.js';

/** What a GGUF metadata value can be (the reader's GGUFValue, kept structural to avoid a dependency). */
export type GGUFMetaValue = unknown;

export function specFromGGUFMetadata(meta: ReadonlyMap<string, GGUFMetaValue>, source = 'GGUF metadata'): TokenizerSpec {
  const get = (k: string): unknown => meta.get(`tokenizer.ggml.${k}`);
  const model = get('model');
  if (model !== 'llama') {
    throw new TokenizerError(source, `tokenizer.ggml.model is ${showValue(model)}; only 'llama' (SentencePiece BPE) is supported`);
  }
  const tokens = get('tokens');
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
    throw new TokenizerError(source, 'tokenizer.ggml.tokens is missing or not a string array');
  }
  const n = tokens.length;
  const scores = numbers(get('scores'), n, 'scores', source, 0);
  const types = numbers(get('token_type'), n, 'token_type', source, PieceType.NORMAL);
  const int = (k: string, dflt: number): number => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -1 || v >= n) throw new TokenizerError(source, `tokenizer.ggml.${k} = ${showValue(v)} is not a token id`);
    return v;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw new TokenizerError(source, `tokenizer.ggml.${k} is not a boolean`);
    return v;
  };
  const t = Uint8Array.from(types);
  for (let i = 0; i < n; i++) {
    if (t[i]! < PieceType.NORMAL || t[i]! > PieceType.BYTE) throw new TokenizerError(source, `token ${i} has unknown token_type ${types[i]}`);
  }
  // llama.cpp defaults for SPM vocabularies (llama-vocab.cpp): bos 1, eos 2, unk 0, no pad, add bos.
  const unk = int('unknown_token_id', 0);
  if (unk >= 0 && !t.includes(PieceType.UNKNOWN)) t[unk] = PieceType.UNKNOWN;
  return {
    source,
    pieces: tokens as string[],
    scores: Float32Array.from(scores),
    types: t,
    normalizer: {
      addDummyPrefix: bool('add_space_prefix', true),
      removeExtraWhitespaces: bool('remove_extra_whitespaces', false),
      escapeWhitespaces: true,
      treatWhitespaceAsSuffix: false,
    },
    byteFallback: t.includes(PieceType.BYTE),
    bosId: int('bos_token_id', 1),
    eosId: int('eos_token_id', 2),
    padId: int('padding_token_id', -1),
    addBos: bool('add_bos_token', true),
    addEos: bool('add_eos_token', false),
    unkSurface: ' \u2047 ',
    userDefinedMode: 'split',
    prefixFragments: 'all',
  };
}

function numbers(v: unknown, n: number, key: string, source: string, dflt: number): ArrayLike<number> {
  if (v === undefined) return new Float64Array(n).fill(dflt);
  const ok = v instanceof Float32Array || v instanceof Int32Array || v instanceof Float64Array || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
  if (!ok) throw new TokenizerError(source, `tokenizer.ggml.${key} is not a number array`);
  const a = v as ArrayLike<number>;
  if (a.length !== n) throw new TokenizerError(source, `tokenizer.ggml.${key} has ${a.length} entries for ${n} tokens`);
  return a;
}
