// tokenizer.model (SentencePiece ModelProto) -> TokenizerSpec.
import { Charsmap } from '../charsmap.js';
import { TokenizerError } from '../errors.js';
import { ModelType, PieceType, type ModelProto } from '../sentencepiece-proto.js';
import type { TokenizerSpec } from '../spec.js';

export function specFromModelProto(m: ModelProto, source: string): TokenizerSpec {
  const ts = m.trainerSpec;
  if (ts.modelType !== ModelType.BPE) {
    throw new TokenizerError(source, `trainer_spec.model_type ${ModelType[ts.modelType] ?? ts.modelType} is not supported (only BPE, the Yi/Llama kind)`);
  }
  const ns = m.normalizerSpec;
  const pieces = m.pieces.map((p) => p.piece);
  const types = Uint8Array.from(m.pieces, (p) => p.type);
  // sentencepiece's bos_id()/eos_id()/pad_id(): the named piece, when it is a control piece.
  const controlId = (piece: string): number => {
    const id = pieces.indexOf(piece);
    return id >= 0 && types[id] === PieceType.CONTROL ? id : -1;
  };
  return {
    source,
    pieces,
    scores: Float32Array.from(m.pieces, (p) => p.score),
    types,
    normalizer: {
      addDummyPrefix: ns.addDummyPrefix,
      removeExtraWhitespaces: ns.removeExtraWhitespaces,
      escapeWhitespaces: ns.escapeWhitespaces,
      treatWhitespaceAsSuffix: ts.treatWhitespaceAsSuffix,
      charsmap: ns.precompiledCharsmap.length > 0 ? new Charsmap(ns.precompiledCharsmap, source) : undefined,
    },
    byteFallback: ts.byteFallback,
    bosId: controlId(ts.bosPiece),
    eosId: controlId(ts.eosPiece),
    // Yi declares pad_id 0 (= <unk>, not a control piece): honour the trainer's id when the piece lookup fails.
    padId: controlId(ts.padPiece) >= 0 ? controlId(ts.padPiece) : ts.padId >= 0 && ts.padId < pieces.length ? ts.padId : -1,
    // sentencepiece itself adds nothing; tokenizer_config.json (Tokenizer.load) may say otherwise.
    addBos: false,
    addEos: false,
    unkSurface: ts.unkSurface,
    userDefinedMode: 'inline',
    prefixFragments: 'all',
  };
}
