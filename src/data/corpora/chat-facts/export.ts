// `yi corpus export chat-facts`: the set (or one split of it, or the noisy variant of its training split) as
// JSONL, one conversation a line, written atomically.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeTextAtomic } from '../../../formats/atomic.js';
import { buildChatFacts, DEFAULT_SEED } from './build.js';
import { ChatFactsError } from './errors.js';
import { noisyTrainingLines } from './noisy.js';
import type { ChatFactsLine } from './types.js';

export type ChatFactsSplitChoice = 'train' | 'heldout' | 'all';

export interface ChatFactsExportOptions {
  split?: ChatFactsSplitChoice;
  seed?: number;
  /** Keep only the first N training conversations (of the seeded order): the clean side of the experiment. */
  trainSamples?: number;
  /** Replace the training split by the noisy variant with 4N conversations. */
  noisy?: number;
  /** Share of the noisy conversations corrupted (default 0.6). */
  corrupt?: number;
}

export interface ChatFactsExportSummary {
  train: number;
  heldout: number;
  corrupted: number;
}

function checkCount(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new ChatFactsError(`${flag}: expected a positive integer, got ${v}`);
}

/** The lines an export writes: training lines (clean, first N, or noisy), then held-out lines, as the split asks. */
export async function chatFactsLines(o: ChatFactsExportOptions = {}): Promise<ChatFactsLine[]> {
  const split = o.split ?? 'all';
  if (!['train', 'heldout', 'all'].includes(split)) throw new ChatFactsError(`--split: expected train, heldout or all, got '${split}'`);
  const seed = o.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ChatFactsError(`--seed: expected an integer in [0, 2^32), got ${seed}`);
  checkCount('--train-samples', o.trainSamples);
  checkCount('--noisy', o.noisy);
  if (o.corrupt !== undefined && o.noisy === undefined) throw new ChatFactsError('--corrupt applies to the noisy variant only: add --noisy N');
  if (o.trainSamples !== undefined && o.noisy !== undefined) throw new ChatFactsError('--train-samples and --noisy exclude each other (the noisy variant has 4N training conversations)');
  if ((o.trainSamples !== undefined || o.noisy !== undefined) && split === 'heldout') throw new ChatFactsError('--train-samples and --noisy shape the training split: not with --split heldout');
  const samples = await buildChatFacts({ seed });
  const train = samples.filter((s) => s.line.split === 'train');
  let trainLines: ChatFactsLine[];
  if (o.noisy !== undefined) {
    trainLines = noisyTrainingLines(train, { n: o.noisy, corrupt: o.corrupt ?? 0.6, seed });
  } else {
    if (o.trainSamples !== undefined && o.trainSamples > train.length) {
      throw new ChatFactsError(`--train-samples ${o.trainSamples}: the set has ${train.length} training conversations at this seed`);
    }
    trainLines = train.slice(0, o.trainSamples ?? train.length).map((s) => s.line);
  }
  const heldoutLines = samples.filter((s) => s.line.split === 'heldout').map((s) => s.line);
  return [...(split === 'heldout' ? [] : trainLines), ...(split === 'train' ? [] : heldoutLines)];
}

/** Writes the export as JSONL (temp file + rename); returns what it wrote. */
export async function exportChatFacts(out: string, o: ChatFactsExportOptions = {}): Promise<ChatFactsExportSummary> {
  const folder = dirname(resolve(out));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ChatFactsError(`--out ${out}: the folder ${folder} does not exist`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new ChatFactsError(`--out ${out}: is a folder, expected a .jsonl file path`);
  const lines = await chatFactsLines(o);
  writeTextAtomic(out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return {
    train: lines.filter((l) => l.split === 'train').length,
    heldout: lines.filter((l) => l.split === 'heldout').length,
    corrupted: lines.filter((l) => l.corruption !== undefined).length,
  };
}
