// Real tokenizers with ChatML markers (for the SFT mask tests and encodeSpans'): one trained here with the project's trainer
// (Yi's layout: <|im_start|> 6 and <|im_end|> 7 as single control pieces), and Meta's Llama 2
// tokenizer from ../shared/data with the two markers added as user-defined pieces (what finetuning
// Llama 2 on ChatML does), which has a dummy prefix and real merges, unlike ours.
import { readFileSync } from 'node:fs';
import { encodeModelProto, parseModelProto, PieceType } from '../../src/tokenizer/sentencepiece-proto.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { llama2Model } from '../paths.js';

/** Words of the test conversations, in both languages, so the trained vocabulary has real merges. */
export const CHAT_WORDS = [
  'system', 'user', 'assistant', 'You', 'are', 'a', 'helpful', 'assistant.', 'What', 'is', 'the', 'capital', 'of',
  'France?', 'Paris.', 'And', 'Japan?', 'Tokyo.', 'Thanks!', 'You\'re', 'welcome.', 'How', 'many', 'legs', 'does',
  'spider', 'have?', 'Eight.', '2+2=4', 'answer:', '法国的首都是哪里？', '巴黎。', '谢谢', '不客气', 'hello', 'world',
];

let trained: Promise<Tokenizer> | undefined;

/** A small BPE tokenizer trained on the chat words (seeded, so the same every run). */
export function trainedChatTokenizer(): Promise<Tokenizer> {
  trained ??= (async () => {
    let s = 7;
    const rnd = (k: number): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return Math.floor((s / 4294967296) * k);
    };
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(Array.from({ length: 3 + rnd(8) }, () => CHAT_WORDS[rnd(CHAT_WORDS.length)]).join(' '));
    const { proto } = await trainTokenizer([lines.join('\n')], { vocabSize: 420, seed: 1 });
    return Tokenizer.fromSentencePiece(encodeModelProto(proto));
  })();
  return trained;
}

/** Llama 2's tokenizer.model with <|im_start|> and <|im_end|> appended (ids 32000, 32001). */
export function llama2ChatTokenizer(): Tokenizer {
  const proto = parseModelProto(readFileSync(llama2Model), llama2Model);
  const pieces = [...proto.pieces, { piece: '<|im_start|>', score: 0, type: PieceType.USER_DEFINED }, { piece: '<|im_end|>', score: 0, type: PieceType.USER_DEFINED }];
  return Tokenizer.fromSentencePiece(encodeModelProto({ ...proto, pieces, trainerSpec: { ...proto.trainerSpec, vocabSize: pieces.length } }));
}
