// Small valid tokenizers to mutate: one trained here on a mixed-script corpus (byte fallback, merges,
// a user-defined piece), the 96-piece character tokenizer of the yi-tiny fixture model, and Hugging Face
// variants of the trained one (Llama-style Sequence normalizer with a bos template, Metaspace).
import { tokenizerConfig, tokenizerJson } from '../../src/tokenizer/train-files.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { encodeModelProto, type ModelProtoInit } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

export interface TokenizerSeed {
  name: string;
  vocabSize: number;
  model: Uint8Array;
  json: Record<string, unknown>;
  config: Record<string, unknown>;
}

const SPACE = '\u2581';
const WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', '世界', '你好', '模型', 'Привет', 'мир', 'données', 'naïve', '123', '4567', 'κόσμος', 'end'];

function corpus(): string {
  let x = 1;
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const words: string[] = [];
    for (let j = 0; j < 4 + (i % 7); j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      words.push(WORDS[(x >>> 8) % WORDS.length]!);
    }
    lines.push(words.join(' '));
  }
  return lines.join('\n');
}

function seed(name: string, proto: ModelProtoInit): TokenizerSeed {
  return { name, vocabSize: proto.pieces.length, model: encodeModelProto(proto), json: tokenizerJson(proto), config: tokenizerConfig(proto) };
}

export async function tokenizerSeeds(): Promise<TokenizerSeed[]> {
  const { proto } = await trainTokenizer([corpus()], { vocabSize: 380, userDefinedSymbols: ['<tool>'] });
  const trained = seed('trained', proto);
  const tiny = seed('tiny', tinyTokenizerProto());
  const llama = seed('trained-llama-style', proto);
  llama.json.normalizer = { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }] };
  llama.json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<|startoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
    pair: [],
    special_tokens: {},
  };
  const metaspace = seed('trained-metaspace', proto);
  metaspace.json.normalizer = null;
  metaspace.json.pre_tokenizer = { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'first', split: true };
  return [trained, tiny, llama, metaspace];
}
