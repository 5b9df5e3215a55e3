// A small corpus and tokenizers for the tokenize tests: the tiny character tokenizer (96 ids, so
// uint16 shards) and a 70 000-id variant whose characters sit above id 65535 (uint32 shards).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeModelProto, PieceType, type ModelProtoInit } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

export function writeTinyTokenizer(dir: string): string {
  const p = join(dir, 'tiny.model');
  writeFileSync(p, encodeModelProto(tinyTokenizerProto()));
  return p;
}

/** The tiny tokenizer with 69 904 unused control pieces inserted before its characters. */
export function writeWideTokenizer(dir: string): string {
  const base = tinyTokenizerProto();
  const fill: ModelProtoInit['pieces'] = Array.from({ length: 70000 - base.pieces.length }, (_, i) => ({ piece: `<unused${i}>`, type: PieceType.CONTROL }));
  const proto: ModelProtoInit = { ...base, pieces: [...base.pieces.slice(0, 5), ...fill, ...base.pieces.slice(5)], trainerSpec: { ...base.trainerSpec, vocabSize: 70000 } };
  const p = join(dir, 'wide.model');
  writeFileSync(p, encodeModelProto(proto));
  return p;
}

/** Seeded documents over the tiny tokenizer's characters (so decode(encode(t)) === t). */
export function corpusTexts(n: number, seed: number): string[] {
  let s = seed >>> 0 || 1;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
  const words = ['the', 'data', 'Yi', 'model', 'token', 'shard', 'train', 'of', 'a', '42', 'hello,', 'world.', 'what?', '(x)'];
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + rnd(60);
    const w: string[] = [];
    for (let j = 0; j < k; j++) w.push(words[rnd(words.length)]! + (rnd(15) === 0 ? '\n' : ''));
    texts.push(w.join(' '));
  }
  return texts;
}

/** The texts as two corpus files: a .jsonl and a .jsonl.gz (with an empty document in the first). */
export function writeCorpus(dir: string, texts: string[]): string[] {
  const half = Math.floor(texts.length / 2);
  const line = (t: string): string => JSON.stringify({ text: t }) + '\n';
  const a = join(dir, 'part-0.jsonl');
  const b = join(dir, 'part-1.jsonl.gz');
  writeFileSync(a, texts.slice(0, half).map(line).join('') + line(''));
  writeFileSync(b, gzipSync(texts.slice(half).map(line).join('')));
  return [a, b];
}
