// The plain description every tokenizer source (tokenizer.model, tokenizer.json, GGUF metadata) is turned
// into before a Tokenizer is built from it: one tokenizer type whatever file it came from.
import type { NormalizerOptions } from './normalize.js';

export interface TokenizerSpec {
  /** Where it came from, for error messages. */
  source: string;
  pieces: string[];
  scores: Float32Array;
  /** SentencePiece piece types (1 normal .. 6 byte) by id. */
  types: Uint8Array;
  normalizer: NormalizerOptions;
  byteFallback: boolean;
  /** -1 where the vocabulary has none. */
  bosId: number;
  eosId: number;
  padId: number;
  /** Defaults of encode()'s addBos / addEos. */
  addBos: boolean;
  addEos: boolean;
  /** What decode() prints for the unknown piece (sentencepiece: " \u2047 "). */
  unkSurface: string;
  /**
   * How user-defined pieces are found in text. 'inline' (sentencepiece): matched while normalizing and
   * splitting, the dummy prefix only at the start. 'split' (llama.cpp, Hugging Face added tokens): the text
   * is cut at them first and each remaining fragment is encoded on its own.
   */
  userDefinedMode: 'inline' | 'split';
  /**
   * Which fragments between special tokens get the dummy prefix: 'all' (sentencepiece on each fragment,
   * llama.cpp, HF Prepend normalizer) or 'first' (HF Metaspace prepend_scheme "first").
   */
  prefixFragments: 'all' | 'first';
  /** Hugging Face merges in rank order; absent for score-driven sentencepiece BPE. */
  merges?: RankedMerges;
  /** HF Metaspace with split: the text is cut before every U+2581 and each word encoded alone. */
  splitOnSpaceSymbol?: boolean;
  /** Extra special-token names to ids (from tokenizer_config.json and the like). */
  namedSpecials?: Record<string, number>;
}

/**
 * Ranked BPE merges as token ids, index = rank (the first listed merges first): `left[r]` and `right[r]`
 * merge into `merged[r]`. A pair listed twice keeps its first rank.
 */
export interface RankedMerges {
  left: Int32Array;
  right: Int32Array;
  merged: Int32Array;
}
