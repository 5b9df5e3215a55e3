// Ids to text, as SentencePieceProcessor::Decode does it (src/sentencepiece_processor.cc): control pieces
// vanish, the unknown piece shows as " ⁇ ", runs of <0xNN> pieces are decoded as UTF-8 with one U+FFFD per
// bad byte, U+2581 becomes a space, and the dummy-prefix space of the first piece is dropped.
// The batch decoder is the streaming decoder run to the end, so the two can never disagree.
import { SPACE_SYMBOL } from './normalize.js';
import { decodeUtf8Spm } from './utf8.js';
import { PieceType, type Vocab } from './vocab.js';

export interface DecodeRules {
  vocab: Vocab;
  /** Drop the leading space of the first piece (sentencepiece: add_dummy_prefix || remove_extra_whitespaces). */
  stripDummyPrefix: boolean;
  /** With remove_extra_whitespaces sentencepiece keeps stripping after the first piece's space. */
  removeExtraWhitespaces: boolean;
  unkSurface: string;
}

export interface DecodeOptions {
  /** Render control pieces (bos, eos, <|im_end|>...) as nothing. Default true, as sentencepiece does. */
  skipSpecial?: boolean;
}

/** Incremental decoder: the concatenation of every push() and the final flush() equals decode(ids). */
export class StreamDecoder {
  private bytes: number[] = [];
  private emitted = false;
  private isBosWs = true;
  private bosWsSeen = false;
  private readonly skipSpecial: boolean;

  constructor(
    private readonly rules: DecodeRules,
    opts: DecodeOptions = {},
  ) {
    this.skipSpecial = opts.skipSpecial ?? true;
  }

  /** Text made complete by this id; bytes of an unfinished UTF-8 character are held back. */
  push(id: number): string {
    const v = this.rules.vocab;
    if (!Number.isInteger(id) || id < 0 || id >= v.size) throw new RangeError(`decode: invalid token id ${id} (vocabulary has ${v.size})`);
    const b = v.byteOf[id]!;
    if (b >= 0) {
      this.bytes.push(b);
      return this.takeBytes(false);
    }
    let s = this.takeBytes(true);
    if (this.bosWsSeen || this.emitted || s.length > 0) this.isBosWs = false;
    s += this.piece(id);
    if (s.length > 0) this.emitted = true;
    return s;
  }

  /** The rest: held-back bytes that never completed a character become U+FFFD each. */
  flush(): string {
    const s = this.takeBytes(true);
    if (s.length > 0) this.emitted = true;
    return s;
  }

  private takeBytes(final: boolean): string {
    if (this.bytes.length === 0) return '';
    const parts: string[] = [];
    const used = decodeUtf8Spm(this.bytes, this.bytes.length, final, parts);
    this.bytes = used === this.bytes.length ? [] : this.bytes.slice(used);
    const s = parts.join('');
    if (s.length > 0) this.emitted = true;
    return s;
  }

  private piece(id: number): string {
    const { vocab, stripDummyPrefix, removeExtraWhitespaces, unkSurface } = this.rules;
    const t = vocab.types[id]!;
    let p = vocab.pieces[id]!;
    if (t === PieceType.CONTROL) {
      this.bosWsSeen = false;
      return this.skipSpecial ? '' : p;
    }
    if (t === PieceType.UNKNOWN) {
      this.bosWsSeen = false;
      return unkSurface;
    }
    let hasBosWs = false;
    if (this.isBosWs && stripDummyPrefix && p.startsWith(SPACE_SYMBOL)) {
      p = p.slice(SPACE_SYMBOL.length);
      hasBosWs = !removeExtraWhitespaces;
    }
    this.bosWsSeen = hasBosWs;
    return p.replaceAll(SPACE_SYMBOL, ' ');
  }
}

export function decodeIds(ids: Iterable<number>, rules: DecodeRules, opts: DecodeOptions = {}): string {
  const d = new StreamDecoder(rules, opts);
  let s = '';
  for (const id of ids) s += d.push(id);
  return s + d.flush();
}
