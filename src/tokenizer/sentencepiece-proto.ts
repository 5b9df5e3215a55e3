// SentencePiece ModelProto (the `tokenizer.model` file): read and write with protobufjs.
// The schema is built here in code from sentencepiece_model.proto (proto2) so nothing is fetched or
// parsed at run time. Field numbers are the contract; names are ours (camelCase).
import protobuf from 'protobufjs';
import { ModelProtoError, showValue } from './errors.js';
import { MAX_MODEL_BYTES, MAX_PIECES } from './limits.js';
import { readTokenizerFile } from './read-file.js';
import { scanTopLevel } from './proto-wire.js';

/** SentencePiece.Type in sentencepiece_model.proto. */
export enum PieceType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

/** TrainerSpec.ModelType. Only BPE is encoded by this project's tokenizer. */
export enum ModelType {
  UNIGRAM = 1,
  BPE = 2,
  WORD = 3,
  CHAR = 4,
}

export interface SentencePiece {
  piece: string;
  score: number;
  type: PieceType;
}

/** The TrainerSpec fields, with proto2 defaults applied when the file leaves them out. */
export interface TrainerSpec {
  input: string[];
  inputFormat: string;
  modelPrefix: string;
  modelType: ModelType;
  vocabSize: number;
  acceptLanguage: string[];
  selfTestSampleSize: number;
  enableDifferentialPrivacy: boolean;
  differentialPrivacyNoiseLevel: number;
  differentialPrivacyClippingThreshold: number;
  characterCoverage: number;
  inputSentenceSize: number;
  shuffleInputSentence: boolean;
  miningSentenceSize: number;
  trainingSentenceSize: number;
  seedSentencepieceSize: number;
  shrinkingFactor: number;
  maxSentenceLength: number;
  numThreads: number;
  numSubIterations: number;
  maxSentencepieceLength: number;
  splitByUnicodeScript: boolean;
  splitByNumber: boolean;
  splitByWhitespace: boolean;
  treatWhitespaceAsSuffix: boolean;
  allowWhitespaceOnlyPieces: boolean;
  splitDigits: boolean;
  pretokenizationDelimiter: string;
  controlSymbols: string[];
  userDefinedSymbols: string[];
  requiredChars: string;
  byteFallback: boolean;
  vocabularyOutputPieceScore: boolean;
  hardVocabLimit: boolean;
  useAllVocab: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
  trainExtremelyLargeCorpus: boolean;
  seedSentencepiecesFile: string;
}

export interface NormalizerSpec {
  name: string;
  /** Double-array trie + replacement strings (see charsmap.ts); empty for 'identity'. */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  normalizationRuleTsv: string;
}

export interface SelfTestSample {
  input: string;
  expected: string;
}

export interface ModelProto {
  pieces: SentencePiece[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  /** Optional in the file; kept so that a read-then-write round trip loses nothing we know. */
  denormalizerSpec?: NormalizerSpec;
  selfTestData?: SelfTestSample[];
}

/** Input to the writer: every spec field is optional (missing ones take the proto2 defaults). */
export interface ModelProtoInit {
  pieces: Array<{ piece: string; score?: number; type?: PieceType }>;
  trainerSpec?: Partial<TrainerSpec>;
  normalizerSpec?: Partial<NormalizerSpec>;
  denormalizerSpec?: Partial<NormalizerSpec>;
  selfTestData?: SelfTestSample[];
}

type FieldSpec = [name: string, id: number, type: string, extra?: { rule?: 'repeated'; default?: unknown }];

// [name, field number, type, options]. Numbers and defaults from google/sentencepiece src/sentencepiece_model.proto.
const trainerFields: FieldSpec[] = [
  ['input', 1, 'string', { rule: 'repeated' }],
  ['inputFormat', 7, 'string'],
  ['modelPrefix', 2, 'string'],
  ['modelType', 3, 'ModelType', { default: ModelType.UNIGRAM }],
  ['vocabSize', 4, 'int32', { default: 8000 }],
  ['acceptLanguage', 5, 'string', { rule: 'repeated' }],
  ['selfTestSampleSize', 6, 'int32', { default: 0 }],
  ['enableDifferentialPrivacy', 50, 'bool', { default: false }],
  ['differentialPrivacyNoiseLevel', 51, 'float', { default: 0 }],
  ['differentialPrivacyClippingThreshold', 52, 'uint64', { default: 0 }],
  ['characterCoverage', 10, 'float', { default: 0.9995 }],
  ['inputSentenceSize', 11, 'uint64', { default: 0 }],
  ['shuffleInputSentence', 19, 'bool', { default: true }],
  ['miningSentenceSize', 12, 'int32', { default: 0 }],
  ['trainingSentenceSize', 13, 'int32', { default: 0 }],
  ['seedSentencepieceSize', 14, 'int32', { default: 1000000 }],
  ['shrinkingFactor', 15, 'float', { default: 0.75 }],
  ['maxSentenceLength', 18, 'int32', { default: 4192 }],
  ['numThreads', 16, 'int32', { default: 16 }],
  ['numSubIterations', 17, 'int32', { default: 2 }],
  ['maxSentencepieceLength', 20, 'int32', { default: 16 }],
  ['splitByUnicodeScript', 21, 'bool', { default: true }],
  ['splitByNumber', 23, 'bool', { default: true }],
  ['splitByWhitespace', 22, 'bool', { default: true }],
  ['treatWhitespaceAsSuffix', 24, 'bool', { default: false }],
  ['allowWhitespaceOnlyPieces', 26, 'bool', { default: false }],
  ['splitDigits', 25, 'bool', { default: false }],
  ['pretokenizationDelimiter', 53, 'string', { default: '' }],
  ['controlSymbols', 30, 'string', { rule: 'repeated' }],
  ['userDefinedSymbols', 31, 'string', { rule: 'repeated' }],
  ['requiredChars', 36, 'string'],
  ['byteFallback', 35, 'bool', { default: false }],
  ['vocabularyOutputPieceScore', 32, 'bool', { default: true }],
  ['hardVocabLimit', 33, 'bool', { default: true }],
  ['useAllVocab', 34, 'bool', { default: false }],
  ['unkId', 40, 'int32', { default: 0 }],
  ['bosId', 41, 'int32', { default: 1 }],
  ['eosId', 42, 'int32', { default: 2 }],
  ['padId', 43, 'int32', { default: -1 }],
  ['unkPiece', 45, 'string', { default: '<unk>' }],
  ['bosPiece', 46, 'string', { default: '<s>' }],
  ['eosPiece', 47, 'string', { default: '</s>' }],
  ['padPiece', 48, 'string', { default: '<pad>' }],
  ['unkSurface', 44, 'string', { default: ' \u2047 ' }],
  ['trainExtremelyLargeCorpus', 49, 'bool', { default: false }],
  ['seedSentencepiecesFile', 54, 'string', { default: '' }],
];

const normalizerFields: FieldSpec[] = [
  ['name', 1, 'string'],
  ['precompiledCharsmap', 2, 'bytes'],
  ['addDummyPrefix', 3, 'bool', { default: true }],
  ['removeExtraWhitespaces', 4, 'bool', { default: true }],
  ['escapeWhitespaces', 5, 'bool', { default: true }],
  ['normalizationRuleTsv', 6, 'string'],
];

function fields(list: FieldSpec[]): Record<string, protobuf.IField & { rule?: string; options?: Record<string, unknown> }> {
  const out: Record<string, protobuf.IField & { rule?: string; options?: Record<string, unknown> }> = {};
  for (const [name, id, type, extra] of list) {
    out[name] = {
      id,
      type,
      ...(extra?.rule ? { rule: extra.rule } : {}),
      ...(extra?.default !== undefined ? { options: { default: extra.default } } : {}),
    };
  }
  return out;
}

// Every message is marked `edition: 'proto2'` (a root-level edition does not reach the types): without
// it protobufjs 8 gives fields no presence, drops a decoded `false`, and the proto2 default (`true` for
// remove_extra_whitespaces) wrongly comes back.
function proto2<T extends object>(t: T): T & { edition: string } {
  return { edition: 'proto2', ...t };
}

const root = protobuf.Root.fromJSON(<protobuf.INamespace>{
  nested: {
    sentencepiece: {
      nested: {
        TrainerSpec: proto2({
          fields: fields(trainerFields),
          nested: { ModelType: { values: { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } } },
        }),
        NormalizerSpec: proto2({ fields: fields(normalizerFields) }),
        SelfTestData: proto2({
          fields: fields([['samples', 1, 'Sample', { rule: 'repeated' }]]),
          nested: { Sample: proto2({ fields: fields([['input', 1, 'string'], ['expected', 2, 'string']]) }) },
        }),
        ModelProto: proto2({
          fields: fields([
            ['pieces', 1, 'SentencePiece', { rule: 'repeated' }],
            ['trainerSpec', 2, 'TrainerSpec'],
            ['normalizerSpec', 3, 'NormalizerSpec'],
            ['selfTestData', 4, 'SelfTestData'],
            ['denormalizerSpec', 5, 'NormalizerSpec'],
          ]),
          nested: {
            SentencePiece: proto2({
              fields: fields([
                ['piece', 1, 'string'],
                ['score', 2, 'float'],
                ['type', 3, 'Type', { default: PieceType.NORMAL }],
              ]),
              nested: {
                Type: { values: { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } },
              },
            }),
          },
        }),
      },
    },
  },
});

const ModelProtoType = root.lookupType('sentencepiece.ModelProto');
const TrainerSpecType = root.lookupType('sentencepiece.TrainerSpec');
const NormalizerSpecType = root.lookupType('sentencepiece.NormalizerSpec');

const toObjectOptions: protobuf.IConversionOptions = { defaults: true, longs: Number, enums: Number, arrays: true };

/** The proto2 defaults of a TrainerSpec (what sentencepiece assumes when a field is absent). */
export function defaultTrainerSpec(): TrainerSpec {
  return TrainerSpecType.toObject(TrainerSpecType.create({}), toObjectOptions) as TrainerSpec;
}

export function defaultNormalizerSpec(): NormalizerSpec {
  const o = NormalizerSpecType.toObject(NormalizerSpecType.create({}), toObjectOptions) as NormalizerSpec;
  o.precompiledCharsmap = new Uint8Array(0);
  return o;
}

// Thrown for a file that is not a readable ModelProto (defined with the other tokenizer errors).
export { ModelProtoError };

/**
 * Parses a serialized ModelProto. `source` names the file in error messages.
 * Checks what sentencepiece's ModelInterface checks before use: pieces present and non-empty, no duplicates,
 * known types, one UNKNOWN piece, BYTE pieces only with byte_fallback.
 */
export function parseModelProto(bytes: Uint8Array, source = 'tokenizer.model'): ModelProto {
  const { pieces: count } = scanTopLevel(bytes, (what) => {
    throw new ModelProtoError(source, what);
  });
  if (count > MAX_PIECES) throw new ModelProtoError(source, `${count} pieces; at most ${MAX_PIECES} are supported`);
  let msg: protobuf.Message;
  try {
    msg = ModelProtoType.decode(bytes);
  } catch (e) {
    // protobufjs reports truncation as "index out of range" and bad wire types by number: keep its detail.
    throw new ModelProtoError(source, `protobuf decode failed: ${(e as Error).message.slice(0, 200)}`);
  }
  const o = ModelProtoType.toObject(msg, toObjectOptions) as Record<string, unknown>;
  const rawPieces = (o.pieces as Array<{ piece: string; score: number; type: number }>) ?? [];
  if (rawPieces.length === 0) throw new ModelProtoError(source, 'no pieces');
  const pieces: SentencePiece[] = rawPieces.map((p) => ({ piece: p.piece, score: p.score, type: p.type }));
  const trainerSpec = (o.trainerSpec as TrainerSpec | null) ?? defaultTrainerSpec();
  const normalizerSpec = (o.normalizerSpec as NormalizerSpec | null) ?? defaultNormalizerSpec();
  normalizerSpec.precompiledCharsmap = toU8(normalizerSpec.precompiledCharsmap);
  const out: ModelProto = { pieces, trainerSpec, normalizerSpec };
  if (o.denormalizerSpec) {
    const d = o.denormalizerSpec as NormalizerSpec;
    d.precompiledCharsmap = toU8(d.precompiledCharsmap);
    out.denormalizerSpec = d;
  }
  const st = o.selfTestData as { samples: SelfTestSample[] } | null;
  if (st) out.selfTestData = st.samples.map((s) => ({ input: s.input, expected: s.expected }));
  validate(out, source);
  return out;
}

function toU8(b: unknown): Uint8Array {
  if (b instanceof Uint8Array) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(0);
}

function validate(m: ModelProto, source: string): void {
  const seen = new Set<string>();
  let unk = 0;
  for (let i = 0; i < m.pieces.length; i++) {
    const p = m.pieces[i]!;
    if (p.piece.length === 0) throw new ModelProtoError(source, `piece ${i} is empty`);
    if (!(p.type >= PieceType.NORMAL && p.type <= PieceType.BYTE)) {
      throw new ModelProtoError(source, `piece ${i} has unknown type ${p.type}`);
    }
    if (seen.has(p.piece)) throw new ModelProtoError(source, `piece ${i} ${showValue(p.piece)} is defined twice`);
    seen.add(p.piece);
    if (p.type === PieceType.UNKNOWN) unk++;
    if (p.type === PieceType.BYTE && !m.trainerSpec.byteFallback) {
      throw new ModelProtoError(source, `byte piece ${showValue(p.piece)} found but byte_fallback is false`);
    }
  }
  if (unk !== 1) throw new ModelProtoError(source, `expected exactly one UNKNOWN piece, found ${unk}`);
}

/** Reads and parses a tokenizer.model file. */
export function readModelProto(path: string): ModelProto {
  return parseModelProto(readTokenizerFile(path, MAX_MODEL_BYTES), path);
}

/**
 * Serializes a ModelProto. Fields given in the specs are written explicitly (even when equal to the
 * default), so a parsed model written back keeps every setting visible to other readers.
 */
export function encodeModelProto(m: ModelProtoInit | ModelProto): Uint8Array {
  const payload: Record<string, unknown> = {
    pieces: m.pieces.map((p) => ({ piece: p.piece, score: p.score ?? 0, type: p.type ?? PieceType.NORMAL })),
  };
  if (m.trainerSpec) payload.trainerSpec = m.trainerSpec;
  if (m.normalizerSpec) payload.normalizerSpec = m.normalizerSpec;
  if (m.denormalizerSpec) payload.denormalizerSpec = m.denormalizerSpec;
  if (m.selfTestData) payload.selfTestData = { samples: m.selfTestData };
  const err = ModelProtoType.verify(payload);
  if (err) throw new Error(`encodeModelProto: ${err}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(payload)).finish();
}
