// The vocabulary every tokenizer source is converted to: pieces, scores and SentencePiece types by id,
// plus the lookups sentencepiece's ModelInterface keeps (src/model_interface.cc).
import { showValue, TokenizerError } from './errors.js';
import { PieceType } from './sentencepiece-proto.js';
import { bytePiece } from './utf8.js';

export { PieceType };

export class Vocab {
  /** Pieces BPE may produce by merging: NORMAL, USER_DEFINED and UNUSED (sentencepiece's `pieces_`). */
  readonly mergeable = new Map<string, number>();
  /** CONTROL, UNKNOWN and BYTE pieces (sentencepiece's `reserved_id_map_`): never formed by merges. */
  readonly reserved = new Map<string, number>();
  /** Id of `<0xNN>` for each byte (the unknown id where a byte piece is missing). */
  readonly byteIds = new Int32Array(256);
  /** Byte value of each id, or -1 for pieces that are not BYTE pieces. */
  readonly byteOf: Int16Array;
  readonly unkId: number;

  constructor(
    readonly pieces: readonly string[],
    readonly scores: Float32Array,
    readonly types: Uint8Array,
    source: string,
  ) {
    if (scores.length !== pieces.length || types.length !== pieces.length) {
      throw new TokenizerError(source, `${pieces.length} pieces but ${scores.length} scores and ${types.length} types`);
    }
    let unk = -1;
    this.byteOf = new Int16Array(pieces.length).fill(-1);
    for (let id = 0; id < pieces.length; id++) {
      const p = pieces[id]!;
      const t = types[id]!;
      if (p.length === 0) throw new TokenizerError(source, `piece ${id} is empty`);
      const normal = t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED;
      const map = normal ? this.mergeable : this.reserved;
      if (this.mergeable.has(p) || this.reserved.has(p)) throw new TokenizerError(source, `piece ${showValue(p)} (id ${id}) is defined twice`);
      map.set(p, id);
      if (t === PieceType.UNKNOWN && unk < 0) unk = id;
      if (t === PieceType.BYTE) {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p);
        if (!m) throw new TokenizerError(source, `byte piece ${id} ${showValue(p)} is not of the form <0xNN>`);
        this.byteOf[id] = parseInt(m[1]!, 16);
      }
    }
    if (unk < 0) throw new TokenizerError(source, 'no UNKNOWN piece (sentencepiece requires one)');
    this.unkId = unk;
    for (let b = 0; b < 256; b++) this.byteIds[b] = this.pieceToId(bytePiece(b));
  }

  get size(): number {
    return this.pieces.length;
  }

  /** sentencepiece's PieceToId: reserved pieces first, then mergeable ones, else the unknown id. */
  pieceToId(piece: string): number {
    return this.reserved.get(piece) ?? this.mergeable.get(piece) ?? this.unkId;
  }

  /** Id of a piece of any type, or undefined when the vocabulary has no such piece. */
  idOf(piece: string): number | undefined {
    return this.mergeable.get(piece) ?? this.reserved.get(piece);
  }

  /** Ids of all pieces of one type, in id order. */
  idsOfType(t: PieceType): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.types.length; id++) if (this.types[id] === t) out.push(id);
    return out;
  }

  hasByteFallbackPieces(): boolean {
    return this.byteOf.some((b) => b >= 0);
  }
}
