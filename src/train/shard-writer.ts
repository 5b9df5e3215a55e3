// Writing token shards and the dataset manifest (format: shard-format.ts).
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { syncDir, writeAll, writeFileAtomic } from '../formats/atomic.js';
import { dtypeBytes, encodeHeader, indexOffsetOf, MANIFEST_FILE, SHARD_HEADER_BYTES, type DatasetMeta, type ShardEntry, type TokenDtype } from './shard-format.js';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Writes one shard by streaming: tokens go to a hidden temp file next to the target
 * (`.train-00000.tok.partial`), the index and the header are added by finish(), which fsyncs and
 * renames it into place. A crash leaves at most the temp file, which the next writer overwrites.
 */
export class ShardWriter {
  readonly width: 2 | 4;
  private readonly tmp: string;
  private fd: number | undefined;
  private readonly buf: Uint16Array | Uint32Array;
  private used = 0;
  private tokenCount = 0;
  /** Start offset of each document; a plain array grows without a copy of everything. */
  private readonly starts: number[] = [];

  constructor(
    readonly path: string,
    readonly opts: { dtype: TokenDtype; vocabSize: number; eosId: number },
  ) {
    if (!LITTLE_ENDIAN) throw new Error('token shards are little-endian; this machine is big-endian');
    this.width = dtypeBytes(opts.dtype);
    if (opts.vocabSize > 2 ** (8 * this.width)) throw new Error(`a vocabulary of ${opts.vocabSize} does not fit ${opts.dtype}`);
    this.buf = this.width === 2 ? new Uint16Array(1 << 20) : new Uint32Array(1 << 20);
    this.tmp = join(dirname(path), `.${basename(path)}.partial`);
    this.fd = openSync(this.tmp, 'w', 0o644);
    writeAll(this.fd, new Uint8Array(SHARD_HEADER_BYTES)); // placeholder until finish()
  }

  get tokens(): number {
    return this.tokenCount;
  }

  get documents(): number {
    return this.starts.length;
  }

  /** Appends one document: its ids, EOS included (the caller decides what a document ends with). */
  appendDocument(ids: ArrayLike<number>): void {
    if (this.fd === undefined) throw new Error(`${this.path}: shard already finished`);
    if (ids.length === 0) throw new Error(`${this.path}: a document needs at least one token`);
    this.starts.push(this.tokenCount);
    const vocab = this.opts.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < vocab && Number.isInteger(id))) throw new Error(`${this.path}: document ${this.starts.length - 1}: token ${id} is not an id of a ${vocab}-piece vocabulary`);
      this.buf[this.used++] = id;
      if (this.used === this.buf.length) this.flush();
    }
    this.tokenCount += ids.length;
  }

  private flush(): void {
    writeAll(this.fd!, new Uint8Array(this.buf.buffer, 0, this.used * this.width));
    this.used = 0;
  }

  /** Writes the index and header, fsyncs, renames the shard into place; returns its manifest entry. */
  finish(): ShardEntry {
    if (this.fd === undefined) throw new Error(`${this.path}: shard already finished`);
    const fd = this.fd;
    this.flush();
    const indexOffset = indexOffsetOf(this.tokenCount, this.width);
    writeAll(fd, new Uint8Array(indexOffset - (SHARD_HEADER_BYTES + this.tokenCount * this.width)));
    const index = new BigUint64Array(this.starts.length);
    for (let i = 0; i < this.starts.length; i++) index[i] = BigInt(this.starts[i]!);
    writeAll(fd, new Uint8Array(index.buffer));
    const header = encodeHeader({ width: this.width, tokens: this.tokenCount, documents: this.starts.length, tokensOffset: SHARD_HEADER_BYTES, indexOffset, vocabSize: this.opts.vocabSize, eosId: this.opts.eosId });
    if (writeSync(fd, header, 0, header.length, 0) !== header.length) throw new Error(`${this.tmp}: short write of the header`);
    fsyncSync(fd);
    closeSync(fd);
    this.fd = undefined;
    renameSync(this.tmp, this.path);
    syncDir(dirname(this.path));
    return { file: basename(this.path), tokens: this.tokenCount, documents: this.starts.length };
  }

  /** Drops the temp file (an error path; the target is left as it was). */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }
}

/** Writes dataset.json atomically. */
export function writeDatasetMeta(dir: string, meta: DatasetMeta): void {
  const bytes = new TextEncoder().encode(JSON.stringify(meta, null, 2) + '\n');
  writeFileAtomic(join(dir, MANIFEST_FILE), (fd) => writeAll(fd, bytes));
}
