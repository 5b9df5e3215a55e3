// `yi corpus export NAME --out FILE`: writes a corpus bundled through npm as JSONL: documents ({"id", "text",
// ...metadata}), the input of `yi tokenizer train`, `yi tokenize` and `yi data run`; or, for the chat set
// chat-facts, conversations ({"id", "messages", "split", "task", "entity", "answer"}), the input of `yi sft`.
import { InvalidArgumentError, type Command } from 'commander';
import { BUNDLED_CHAT_SETS, BUNDLED_CORPORA, exportCorpus } from '../data/corpora/index.js';
import { exportChatFacts, type ChatFactsSplitChoice } from '../data/corpora/chat-facts/index.js';

function integer(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer of at least ${min}`);
    return n;
  };
}

function share(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number in [0, 1]');
  return n;
}

function splitChoice(v: string): ChatFactsSplitChoice {
  if (v !== 'train' && v !== 'heldout' && v !== 'all') throw new InvalidArgumentError('expected train, heldout or all');
  return v;
}

interface ExportCliOptions {
  out: string;
  split?: ChatFactsSplitChoice;
  seed?: number;
  trainSamples?: number;
  noisy?: number;
  corrupt?: number;
}

export function registerCorpus(program: Command): void {
  const cmd = program.command('corpus').description('corpora bundled through npm, for demos and tests');
  cmd
    .command('list')
    .description('list the bundled corpora')
    .action(() => {
      for (const [k, v] of Object.entries(BUNDLED_CORPORA)) console.log(`${k}\t${v.describe}`);
      for (const [k, v] of Object.entries(BUNDLED_CHAT_SETS)) console.log(`${k}\t${v.describe}`);
    });
  cmd
    .command('export <name>')
    .description('write a bundled corpus as JSONL')
    .requiredOption('--out <file>', 'output .jsonl file')
    .option('--split <split>', 'chat-facts: train, heldout or all (default all)', splitChoice)
    .option('--seed <n>', 'chat-facts: seed of phrasings, split, words, arithmetic and order (default 1)', integer(0))
    .option('--train-samples <n>', 'chat-facts: only the first N training conversations', integer(1))
    .option('--noisy <n>', 'chat-facts: 4N training conversations, --corrupt of them with wrong answers', integer(1))
    .option('--corrupt <share>', 'chat-facts with --noisy: share corrupted (default 0.6)', share)
    .action(async (name: string, o: ExportCliOptions) => {
      if (name in BUNDLED_CHAT_SETS) {
        const s = await exportChatFacts(o.out, { split: o.split, seed: o.seed, trainSamples: o.trainSamples, noisy: o.noisy, corrupt: o.corrupt });
        const noisy = o.noisy !== undefined ? ` (${s.corrupted} with corrupted answers)` : '';
        console.log(`wrote ${s.train + s.heldout} conversations to ${o.out}: ${s.train} train${noisy}, ${s.heldout} held-out`);
        return;
      }
      const chatOnly = (['split', 'seed', 'trainSamples', 'noisy', 'corrupt'] as const).filter((k) => o[k] !== undefined);
      if (chatOnly.length > 0 && name in BUNDLED_CORPORA) {
        throw new Error(`--${chatOnly[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to chat sets (${Object.keys(BUNDLED_CHAT_SETS).join(', ')}), not to '${name}'`);
      }
      const n = await exportCorpus(name, o.out);
      console.log(`wrote ${n} documents to ${o.out}`);
    });
}
