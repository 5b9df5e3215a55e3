// A character-level tokenizer with exactly the 96 ids of the yi-tiny fixture model: <unk>, bos,
// eos, the ChatML markers and 91 characters (no byte fallback: anything else is <unk>).
import { encodeModelProto, ModelType, type ModelProtoInit } from '../../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { IDENTITY_NORMALIZER, specialPieces } from '../tokenizer/small-proto.js';

export function tinyTokenizerProto(): ModelProtoInit {
  const pieces = specialPieces('<|startoftext|>', '<|endoftext|>', ['<|im_start|>', '<|im_end|>']);
  const chars = '▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?\'":;-()\n#%&*+/<=>@[]_{|}~$';
  for (const c of chars.slice(0, 96 - pieces.length)) pieces.push({ piece: c, score: -pieces.length });
  return {
    pieces,
    trainerSpec: { modelType: ModelType.BPE, vocabSize: pieces.length, byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: 0, bosPiece: '<|startoftext|>', eosPiece: '<|endoftext|>', unkPiece: '<unk>' },
    normalizerSpec: IDENTITY_NORMALIZER,
  };
}

export function tinyTokenizer(): Tokenizer {
  return Tokenizer.fromSentencePiece(encodeModelProto(tinyTokenizerProto()));
}
