// One tokenizer type whatever file it came from (tokenizer.model, tokenizer.json, GGUF metadata):
// SentencePiece-compatible BPE encode/decode with byte fallback, user-defined and special pieces,
// and a streaming decoder.
import { RankedBpe } from './bpe-ranked.js';
import { MAX_JSON_BYTES, MAX_MODEL_BYTES } from './limits.js';
import { parseTokenizerJson, readTokenizerFile, readTokenizerJson } from './read-file.js';
import { SpmBpe } from './bpe.js';
import { decodeIds, StreamDecoder, type DecodeOptions, type DecodeRules } from './decode.js';
import { Normalizer, SPACE_SYMBOL } from './normalize.js';
import { PrefixMatcher } from './prefix-matcher.js';
import { parseModelProto } from './sentencepiece-proto.js';
import { specFromGGUFMetadata, type GGUFMetaValue } from './sources/gguf.js';
import { specFromModelProto } from './sources/sentencepiece.js';
import { specFromTokenizerJson } from './sources/tokenizer-json.js';
import type { TokenizerSpec } from './spec.js';
import { loadTokenizerSpec } from './load.js';
import { PieceType, Vocab } from './vocab.js';

export type { DecodeOptions } from './decode.js';
export type { TokenizerSpec } from './spec.js';

export interface EncodeOptions {
  /** Prepend the bos id (default: the source's add_bos_token; false for a bare tokenizer.model). */
  addBos?: boolean;
  /** Append the eos id (default: the source's add_eos_token, usually false). */
  addEos?: boolean;
  /**
   * Recognize control pieces (`<s>`, `<|im_start|>`...) written in the text. Default false: like
   * sentencepiece, text that merely looks like a special token is encoded as plain text, so user input
   * cannot forge one. Chat templates set it.
   */
  parseSpecial?: boolean;
}

export interface SpecialTokens {
  /** -1 where the vocabulary has none. */
  bos: number;
  eos: number;
  unk: number;
  pad: number;
  /** Every control, unknown and user-defined piece by its text ('<|im_start|>' -> 6 ...). */
  named: ReadonlyMap<string, number>;
}

export class Tokenizer {
  readonly vocab: Vocab;
  readonly specials: SpecialTokens;
  private readonly normalizer: Normalizer;
  private readonly spm?: SpmBpe;
  private readonly ranked?: RankedBpe;
  /** Pieces cut out of the text before BPE without parseSpecial ('split' mode user-defined pieces). */
  private readonly alwaysSplit?: PrefixMatcher;
  /** The same plus control and unknown pieces, for parseSpecial. */
  private readonly specialSplit: PrefixMatcher;
  private readonly rules: DecodeRules;

  constructor(readonly spec: TokenizerSpec) {
    const vocab = new Vocab(spec.pieces, spec.scores, spec.types, spec.source);
    this.vocab = vocab;
    const userDefined = vocab.idsOfType(PieceType.USER_DEFINED).map((id): [string, number] => [vocab.pieces[id]!, id]);
    const control = [...vocab.idsOfType(PieceType.CONTROL), ...vocab.idsOfType(PieceType.UNKNOWN)].map(
      (id): [string, number] => [vocab.pieces[id]!, id],
    );
    const inline = spec.userDefinedMode === 'inline' && userDefined.length > 0 ? new PrefixMatcher(userDefined) : undefined;
    this.normalizer = new Normalizer(spec.normalizer, inline);
    if (spec.merges) this.ranked = new RankedBpe(vocab, spec.merges, spec.byteFallback, true, spec.source);
    else this.spm = new SpmBpe(vocab, spec.byteFallback, inline);
    if (spec.userDefinedMode === 'split' && userDefined.length > 0) this.alwaysSplit = new PrefixMatcher(userDefined);
    this.specialSplit = new PrefixMatcher(spec.userDefinedMode === 'split' ? [...control, ...userDefined] : control);
    const named = new Map<string, number>();
    for (const [text, id] of [...control, ...userDefined]) named.set(text, id);
    for (const [text, id] of Object.entries(spec.namedSpecials ?? {})) named.set(text, id);
    this.specials = { bos: spec.bosId, eos: spec.eosId, unk: vocab.unkId, pad: spec.padId, named };
    this.rules = {
      vocab,
      stripDummyPrefix: spec.normalizer.addDummyPrefix || spec.normalizer.removeExtraWhitespaces,
      removeExtraWhitespaces: spec.normalizer.removeExtraWhitespaces,
      unkSurface: spec.unkSurface,
    };
  }

  /** From a tokenizer.model: its bytes, or a path. */
  static fromSentencePiece(model: Uint8Array | string): Tokenizer {
    const source = typeof model === 'string' ? model : 'tokenizer.model';
    const bytes = typeof model === 'string' ? readTokenizerFile(model, MAX_MODEL_BYTES) : model;
    return new Tokenizer(specFromModelProto(parseModelProto(bytes, source), source));
  }

  /** From a Hugging Face tokenizer.json: parsed JSON, JSON text, or a path. */
  static fromTokenizerJson(json: object | string): Tokenizer {
    if (typeof json === 'object') return new Tokenizer(specFromTokenizerJson(json, 'tokenizer.json'));
    const isText = json.trimStart().startsWith('{');
    const parsed = isText ? parseTokenizerJson(json, 'tokenizer.json') : readTokenizerJson(json, MAX_JSON_BYTES);
    return new Tokenizer(specFromTokenizerJson(parsed, isText ? 'tokenizer.json' : json));
  }

  /** From GGUF metadata (tokenizer.ggml.*), e.g. `openGGUF(path).metadata`. */
  static fromGGUFMetadata(meta: ReadonlyMap<string, GGUFMetaValue>, source?: string): Tokenizer {
    return new Tokenizer(specFromGGUFMetadata(meta, source));
  }

  /**
   * From a path: tokenizer.model, tokenizer.json, a .gguf file, or a Hugging Face folder (tokenizer.model
   * preferred, else tokenizer.json; tokenizer_config.json supplies add_bos_token and the special tokens).
   */
  static load(path: string): Tokenizer {
    return new Tokenizer(loadTokenizerSpec(path));
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  idToPiece(id: number): string {
    const p = this.vocab.pieces[id];
    if (p === undefined) throw new RangeError(`idToPiece: invalid token id ${id} (vocabulary has ${this.vocab.size})`);
    return p;
  }

  /** Id of a piece, or undefined when the vocabulary has no such piece. */
  pieceToId(piece: string): number | undefined {
    return this.vocab.reserved.get(piece) ?? this.vocab.mergeable.get(piece);
  }

  /** Ids at which generation should stop: eos plus the chat end markers the vocabulary has (Yi: 2 and 7). */
  get endOfGenerationIds(): number[] {
    const ids = new Set<number>();
    if (this.specials.eos >= 0) ids.add(this.specials.eos);
    for (const name of ['<|im_end|>', '<|endoftext|>', '<|eot_id|>', '<|end|>']) {
      const id = this.specials.named.get(name);
      if (id !== undefined) ids.add(id);
    }
    return [...ids];
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if ((opts.addBos ?? this.spec.addBos) && this.specials.bos >= 0) out.push(this.specials.bos);
    const splitter = opts.parseSpecial ? this.specialSplit : this.alwaysSplit;
    if (!splitter || splitter.size === 0) {
      this.encodeFragment(text, true, out);
    } else {
      // Cut the text at special pieces; each fragment between them is normalized and encoded alone.
      const hit = { id: -1 };
      let from = 0;
      for (let pos = 0; pos < text.length; ) {
        const len = splitter.match(text, pos, hit);
        if (len === 0) {
          pos++;
          continue;
        }
        if (pos > from) this.encodeFragment(text.slice(from, pos), this.spec.prefixFragments === 'all' || from === 0, out);
        out.push(hit.id);
        pos += len;
        from = pos;
      }
      if (from < text.length) this.encodeFragment(text.slice(from), this.spec.prefixFragments === 'all' || from === 0, out);
    }
    if ((opts.addEos ?? this.spec.addEos) && this.specials.eos >= 0) out.push(this.specials.eos);
    return out;
  }

  private encodeFragment(text: string, addPrefix: boolean, out: number[]): void {
    const normalized = this.normalizer.normalize(text, addPrefix);
    if (this.spm) {
      this.spm.encode(normalized, out);
      return;
    }
    if (!this.spec.splitOnSpaceSymbol) {
      this.ranked!.encode(normalized, out);
      return;
    }
    // HF Metaspace(split): words start at each U+2581.
    let from = 0;
    for (let i = 1; i < normalized.length; i++) {
      if (normalized[i] === SPACE_SYMBOL) {
        this.ranked!.encode(normalized.slice(from, i), out);
        from = i;
      }
    }
    this.ranked!.encode(normalized.slice(from), out);
  }

  decode(ids: Iterable<number>, opts: DecodeOptions = {}): string {
    return decodeIds(ids, this.rules, opts);
  }

  /** A decoder fed one id at a time (for streaming generation); it never emits half a character. */
  createStreamDecoder(opts: DecodeOptions = {}): StreamDecoder {
    return new StreamDecoder(this.rules, opts);
  }
}
