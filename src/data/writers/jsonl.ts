// Compressed JSONL: .jsonl.zst (zstd, the pipeline's default output) or .jsonl.gz. A part is a
// series of compressed blocks (one gzip member or zstd frame per ~1 MiB of JSON) and a task's final
// file is its parts concatenated: gzip and zstd readers both take concatenated members / frames as
// one stream.
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { removeStaleTemps, writeAll, writeFileAtomic } from '../../formats/atomic.js';
import type { Doc } from '../types.js';
import { PartFiles } from './parts.js';
import type { OutputWriter, PartSink } from './types.js';

export interface JsonlWriterOptions<T> {
  name: string;
  /** Where the part files go. */
  partsDir: string;
  /** The final file of a task. */
  finalPath: (task: number) => string;
  /** The JSON value written for one item (one line). */
  toRecord: (item: T) => unknown;
  /** Compresses one block into a self-contained gzip member or zstd frame (see jsonlCodec). */
  codec: JsonlCodec;
}

export interface JsonlCodec {
  /** 'jsonl.gz' or 'jsonl.zst'. */
  extension: string;
  compress(data: Uint8Array): Uint8Array;
}

/** gzip at `level` (1 fast .. 9 small). */
export function gzipCodec(level: number): JsonlCodec {
  return { extension: 'jsonl.gz', compress: (d) => gzipSync(d, { level }) };
}

const MEMBER_BYTES = 1 << 20;

/** The record of a kept document: `{"id", "text", "metadata"}` (what the JSONL reader reads back). */
export const docRecord = (d: Doc): unknown => ({ id: d.id, text: d.text, metadata: d.metadata });

class JsonlPart<T> implements PartSink<T> {
  private lines: string[] = [];
  private bytes = 0;
  private members = 0;

  constructor(
    private readonly files: PartFiles,
    private readonly task: number,
    private readonly part: number,
    private readonly tmp: string,
    private readonly fd: number,
    private readonly toRecord: (item: T) => unknown,
    private readonly codec: JsonlCodec,
  ) {}

  write(item: T): void {
    const line = JSON.stringify(this.toRecord(item)) + '\n';
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= MEMBER_BYTES) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0 && this.members > 0) return;
    writeAll(this.fd, this.codec.compress(Buffer.from(this.lines.join(''))));
    this.members++;
    this.lines = [];
    this.bytes = 0;
  }

  commit(): void {
    // An empty part is still one (empty) member or frame, so that every part is a valid file.
    if (this.lines.length > 0 || this.members === 0) this.flush();
    this.files.publish(this.tmp, this.fd, this.task, this.part);
  }
}

export class JsonlWriter<T> implements OutputWriter<T> {
  readonly name: string;
  private readonly files: PartFiles;

  constructor(private readonly opts: JsonlWriterOptions<T>) {
    this.name = opts.name;
    this.files = new PartFiles(opts.partsDir, opts.codec.extension);
  }

  openPart(task: number, part: number): PartSink<T> {
    const { tmp, fd } = this.files.openTemp(task, part);
    return new JsonlPart(this.files, task, part, tmp, fd, this.opts.toRecord, this.opts.codec);
  }

  discardParts(task: number, from: number): void {
    this.files.discard(task, from);
  }

  async finishTask(task: number, parts: number): Promise<string[]> {
    const final = this.opts.finalPath(task);
    mkdirSync(dirname(final), { recursive: true });
    removeStaleTemps(final); // a run killed while joining this task's parts
    const buf = Buffer.allocUnsafe(1 << 20);
    writeFileAtomic(final, (out) => {
      for (let p = 0; p < parts; p++) {
        const fd = openSync(this.files.path(task, p), 'r');
        try {
          for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) writeAll(out, buf.subarray(0, n));
        } finally {
          closeSync(fd);
        }
      }
    });
    return [final];
  }

  removeParts(task: number): void {
    this.files.remove(task);
  }
}
