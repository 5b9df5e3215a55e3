// Building blocks of the small SentencePiece models the tests write by hand: the special pieces every
// one starts with, and the normalizer that leaves text as it is.
import { PieceType, type ModelProtoInit } from '../../src/tokenizer/sentencepiece-proto.js';

/** <unk> 0, `bos` 1 and `eos` 2 (control pieces), then `userDefined` pieces, then further `controls`. */
export function specialPieces(bos: string, eos: string, userDefined: readonly string[] = [], controls: readonly string[] = []): ModelProtoInit['pieces'] {
  return [
    { piece: '<unk>', type: PieceType.UNKNOWN },
    { piece: bos, type: PieceType.CONTROL },
    { piece: eos, type: PieceType.CONTROL },
    ...userDefined.map((piece) => ({ piece, type: PieceType.USER_DEFINED })),
    ...controls.map((piece) => ({ piece, type: PieceType.CONTROL })),
  ];
}

/** No normalization and no dummy prefix: the text is tokenized as given, spaces as '▁'. */
export const IDENTITY_NORMALIZER: NonNullable<ModelProtoInit['normalizerSpec']> = { name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true };
