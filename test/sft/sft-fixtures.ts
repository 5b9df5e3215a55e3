// A tiny base model that knows ChatML's markers (random weights, the 96-id character tokenizer with
// <|im_start|> and <|im_end|>) and small conversation sets over its characters, for the trainer's tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { preset, type YiConfig } from '../../src/model/config.js';
import { YiTrainable } from '../../src/model/trainable.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { writeModelFolder } from '../../src/train/checkpoint.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

export const TINY_CHAT_CONFIG: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 128 };

/** A Hugging Face folder at `dir` with random weights (seeded) and the tiny ChatML-capable tokenizer. */
export function writeTinyChatModel(rt: Runtime, dir: string, seed = 3, config: YiConfig = TINY_CHAT_CONFIG): string {
  mkdirSync(dir, { recursive: true });
  const tok = join(dir, '..', `tiny-${seed}.model`);
  writeFileSync(tok, encodeModelProto(tinyTokenizerProto()));
  const m = YiTrainable.create(rt, config, { kind: 'random', seed }, { maxSeqLen: 8 });
  try {
    writeModelFolder(dir, m, tok);
  } finally {
    m.dispose();
  }
  return dir;
}

export interface ChatRow {
  id: string;
  messages: { role: string; content: string }[];
  split?: 'train' | 'heldout';
  answer?: string;
}

/**
 * Seeded arithmetic conversations ("what is 3+4?" -> "7"), some with a system turn and some two-turn;
 * the last `heldout` rows are marked "split": "heldout" with their answer.
 */
export function arithmeticRows(n: number, heldout: number, seed = 5): ChatRow[] {
  let s = seed >>> 0 || 1;
  const rnd = (k: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
  const rows: ChatRow[] = [];
  for (let i = 0; i < n; i++) {
    const q = () => {
      const a = rnd(10);
      const b = rnd(10);
      return { user: `what is ${a}+${b}?`, answer: String(a + b) };
    };
    const first = q();
    const messages: ChatRow['messages'] = [];
    if (rnd(4) === 0) messages.push({ role: 'system', content: 'answer with a number.' });
    messages.push({ role: 'user', content: first.user }, { role: 'assistant', content: first.answer });
    let answer = first.answer;
    if (rnd(3) === 0) {
      const second = q();
      messages.push({ role: 'user', content: second.user }, { role: 'assistant', content: second.answer });
      answer = second.answer;
    }
    const held = i >= n - heldout;
    rows.push({ id: `arith-${i}`, messages, ...(held ? { split: 'heldout' as const, answer } : { split: 'train' as const }) });
  }
  return rows;
}

export function writeJsonl(path: string, rows: readonly unknown[]): string {
  writeFileSync(path, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  return path;
}
