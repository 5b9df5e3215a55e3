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
   * Recognize control pieces (`<s>`, `<|endoftext|>`...) written in the text. Default false: like
   * sentencepiece, text that merely looks like a control piece is encoded as plain text. User-defined
   * pieces are matched either way (sentencepiece does so, and Yi's tokenizer.model makes <|im_start|> and
   * <|im_end|> user-defined): encode text a user typed with encodeSpans, which matches neither.
   */
  parseSpecial?: boolean;
}

/**
 * A run of text for encodeSpans. Trusted text (a chat template's own) is encoded like encode() with
 * parseSpecial; untrusted text (a message someone typed) only ever gives ordinary text pieces: no control
 * piece and no marker, whatever it spells.
 */
export interface TextSpan {
  text: string;
  trusted: boolean;
  /**
   * Start a run of its own even after a span of the same kind, so a token boundary falls where this
   * span begins (SFT's loss mask needs one where an answer starts). Default: merged with the span before.
   */
  cut?: boolean;
}

export interface EncodeSpansOptions extends Omit<EncodeOptions, 'parseSpecial'> {
  /**
   * Filled with, for each span, the index in the returned ids of its first token: exact for a span that
   * begins a run (the first, a change of kind, or `cut`); a span merged into the run before it gets that
   * run's start.
   */
  spanStarts?: number[];
}

/** User-defined pieces shaped like special tokens (<|im_start|>, <start_of_turn>, [INST]) are markers. */
const MARKER_SHAPE = /^(<[^<>\s]+>|\[[^[\]\s]+\])$/u;
const UTF8 = new TextEncoder();

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
  /** Normalizer that leaves user-defined pieces to BPE like any text (for untrusted spans). */
  private readonly plainNormalizer: Normalizer;
  /**
   * Pieces that mark structure rather than spell text: control and unknown pieces, user-defined pieces
   * shaped like special tokens (<...>, [...]) and the named bos/eos/pad/additional special tokens. No
   * untrusted span of encodeSpans ever encodes to one of them.
   */
  readonly markers: ReadonlyMap<string, number>;
  /** The markers plain text must not encode to. */
  private readonly markerIds: ReadonlySet<number>;

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
    this.plainNormalizer = inline ? new Normalizer(spec.normalizer) : this.normalizer;
    const markers = new Map<string, number>(control);
    for (const [text, id] of userDefined) if (MARKER_SHAPE.test(text)) markers.set(text, id);
    // Pieces named as special (additional_special_tokens, bos/eos/pad) are markers whatever their shape.
    const namedIds = [...Object.values(spec.namedSpecials ?? {}), spec.bosId, spec.eosId, spec.padId];
    for (const id of namedIds) {
      if (id >= 0 && vocab.types[id] === PieceType.USER_DEFINED) markers.set(vocab.pieces[id]!, id);
    }
    this.markers = markers;
    // The unknown id stays allowed in plain text: it is what unencodable characters become.
    this.markerIds = new Set([...markers.values()].filter((id) => id !== vocab.unkId));
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
    this.encodeTrusted(text, opts.parseSpecial ? this.specialSplit : this.alwaysSplit, { prefix: true }, out);
    if ((opts.addEos ?? this.spec.addEos) && this.specials.eos >= 0) out.push(this.specials.eos);
    return out;
  }

  /**
   * Encodes runs of trusted and untrusted text as one sequence (a chat prompt: the template's text
   * and the messages' contents). Trusted runs are encoded as encode() with parseSpecial does; each
   * untrusted run becomes ordinary text pieces of its own, never a control piece or a marker.
   */
  encodeSpans(spans: readonly TextSpan[], opts: EncodeSpansOptions = {}): number[] {
    const out: number[] = [];
    if ((opts.addBos ?? this.spec.addBos) && this.specials.bos >= 0) out.push(this.specials.bos);
    const state = { prefix: true };
    for (let i = 0; i < spans.length; i++) {
      let text = spans[i]!.text;
      const trusted = spans[i]!.trusted;
      opts.spanStarts?.push(out.length);
      // Adjacent runs of the same kind are one run (a fragment boundary would change the pieces).
      while (i + 1 < spans.length && spans[i + 1]!.trusted === trusted && !spans[i + 1]!.cut) {
        text += spans[++i]!.text;
        opts.spanStarts?.push(out.length);
      }
      if (text.length === 0) continue;
      if (trusted) this.encodeTrusted(text, this.specialSplit, state, out);
      else {
        this.encodePlain(text, state.prefix, out);
        state.prefix = false;
      }
    }
    if ((opts.addEos ?? this.spec.addEos) && this.specials.eos >= 0) out.push(this.specials.eos);
    return out;
  }

  /** `state.prefix`: whether the next fragment starts the text or follows a special piece (dummy prefix). */
  private encodeTrusted(text: string, splitter: PrefixMatcher | undefined, state: { prefix: boolean }, out: number[]): void {
    if (!splitter || splitter.size === 0) {
      this.encodeFragment(text, state.prefix, out);
      state.prefix = false;
      return;
    }
    // Cut the text at special pieces; each fragment between them is normalized and encoded alone.
    const hit = { id: -1 };
    let from = 0;
    for (let pos = 0; pos < text.length; ) {
      const len = splitter.match(text, pos, hit);
      if (len === 0) {
        pos++;
        continue;
      }
      if (pos > from) this.encodeFragment(text.slice(from, pos), state.prefix, out);
      out.push(hit.id);
      state.prefix = this.spec.prefixFragments === 'all';
      pos += len;
      from = pos;
    }
    if (from < text.length) {
      this.encodeFragment(text.slice(from), state.prefix, out);
      state.prefix = false;
    }
  }

  /**
   * Untrusted text as ordinary pieces: BPE without user-defined matching. BPE may still merge up to a
   * marker (user-defined pieces are mergeable); then each character is encoded alone, a marker-free
   * character by bytes (or as unknown).
   */
  private encodePlain(text: string, addPrefix: boolean, out: number[]): void {
    const ids: number[] = [];
    this.encodePlainFragment(text, addPrefix, ids);
    if (!ids.some((id) => this.markerIds.has(id))) {
      for (const id of ids) out.push(id);
      return;
    }
    let first = addPrefix;
    for (const ch of text) {
      const one: number[] = [];
      this.encodePlainFragment(ch, first, one);
      first = false;
      if (!one.some((id) => this.markerIds.has(id))) {
        for (const id of one) out.push(id);
        continue;
      }
      const bytes = UTF8.encode(ch);
      const byteIds = [...bytes].map((b) => this.vocab.byteIds[b]!);
      if (this.vocab.hasByteFallbackPieces() && !byteIds.some((id) => this.markerIds.has(id))) out.push(...byteIds);
      else out.push(this.vocab.unkId);
    }
  }

  private encodePlainFragment(text: string, addPrefix: boolean, out: number[]): void {
    if (!this.spm) {
      this.encodeFragment(text, addPrefix, out); // tokenizer.json / GGUF: no inline user-defined matching
      return;
    }
    this.spm.encode(this.plainNormalizer.normalize(text, addPrefix), out, false);
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
