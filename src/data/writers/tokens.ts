// Token shards: the kept documents tokenized and handed to a shard format. INTEGRATION POINT:
// the shard file format belongs to src/train/shards.ts (the pretraining reader); it plugs in
// as a `TokenShardFormat` registered by name in ./token-formats.ts. This file does the
// tokenizing and the part/resume bookkeeping, the format only writes (and optionally joins) files.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import type { Doc } from '../types.js';
import { pad, PartFiles } from './parts.js';
import type { OutputWriter, PartSink } from './types.js';

/** What a token-shard file format provides to the pipeline. */
export interface TokenShardFormat {
  /** Extension of one shard file, without the dot (e.g. 'bin'). */
  readonly extension: string;
  /** Writes one shard holding these documents' token ids, in order, to `path` (a temp name the caller renames). */
  writeShard(path: string, docs: readonly Uint32Array[], vocabSize: number): void;
  /** Joins shards into one file at `path` (a temp name); without it, a task's parts stay separate shards. */
  concatShards?(parts: readonly string[], path: string): void;
}

const formats = new Map<string, TokenShardFormat>();

export function registerTokenShardFormat(name: string, format: TokenShardFormat): void {
  if (formats.has(name)) throw new Error(`token shard format '${name}' is registered twice`);
  formats.set(name, format);
}

export function tokenShardFormatNames(): string[] {
  return [...formats.keys()].sort();
}

export function tokenShardFormat(name: string): TokenShardFormat {
  const f = formats.get(name);
  if (!f) {
    const known = tokenShardFormatNames();
    throw new Error(`unknown token shard format '${name}' (${known.length ? `known: ${known.join(', ')}` : 'none is registered: src/data/writers/token-formats.ts connects src/train/shards.ts'})`);
  }
  return f;
}

export interface TokenWriterOptions {
  tokenizer: Tokenizer;
  format: TokenShardFormat;
  partsDir: string;
  /** Folder of the final shards: <task>.<ext>, or <task>-<part>.<ext> when the format cannot join shards. */
  outDir: string;
  /** Default false. */
  addBos?: boolean;
  /** Default true: documents end with EOS so that packed sequences keep their boundaries. */
  addEos?: boolean;
}

class TokenPart implements PartSink<Doc> {
  private docs: Uint32Array[] = [];
  constructor(
    private readonly w: TokenWriterOptions,
    private readonly files: PartFiles,
    private readonly task: number,
    private readonly part: number,
  ) {}

  write(doc: Doc): void {
    this.docs.push(Uint32Array.from(this.w.tokenizer.encode(doc.text, { addBos: this.w.addBos ?? false, addEos: this.w.addEos ?? true })));
  }

  commit(): void {
    const final = this.files.path(this.task, this.part);
    mkdirSync(dirname(final), { recursive: true });
    const tmp = final + '.tmp';
    this.w.format.writeShard(tmp, this.docs, this.w.tokenizer.vocabSize);
    renameSync(tmp, final);
  }
}

export class TokenShardWriter implements OutputWriter<Doc> {
  readonly name = 'tokens';
  private readonly files: PartFiles;

  constructor(private readonly w: TokenWriterOptions) {
    this.files = new PartFiles(w.partsDir, w.format.extension);
  }

  openPart(task: number, part: number): PartSink<Doc> {
    return new TokenPart(this.w, this.files, task, part);
  }

  discardParts(task: number, from: number): void {
    this.files.discard(task, from);
  }

  async finishTask(task: number, parts: number): Promise<string[]> {
    mkdirSync(this.w.outDir, { recursive: true });
    const ext = this.w.format.extension;
    const partPaths = Array.from({ length: parts }, (_, p) => this.files.path(task, p));
    if (this.w.format.concatShards) {
      const final = join(this.w.outDir, `${pad(task)}.${ext}`);
      const tmp = final + '.tmp';
      try {
        this.w.format.concatShards(partPaths, tmp);
        renameSync(tmp, final);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      return [final];
    }
    // Parts move into place: idempotent, since a moved part is found at its final name.
    return partPaths.map((part, p) => {
      const final = join(this.w.outDir, `${pad(task)}-${pad(p)}.${ext}`);
      if (existsSync(part)) renameSync(part, final);
      else if (!existsSync(final)) throw new Error(`token shard part ${part} is missing`);
      return final;
    });
  }

  removeParts(task: number): void {
    this.files.remove(task);
  }
}
