// Bytes of an input file (plain, gzip or zstd), and its lines with their offsets. A byte range
// [start, end) of a plain file owns the lines that begin inside it, so ranges that tile a file
// read every line exactly once whatever the cut points.
import { Decompress } from 'fzstd';
import { createReadStream } from 'node:fs';
import { gunzip } from './gzip.js';
import { StreamError } from './stream-error.js';

export type Compression = 'none' | 'gzip' | 'zstd';

export { StreamError, type StreamFailure } from './stream-error.js';

const CHUNK = 1 << 20;

export interface ChunkOptions {
  /** Byte of the (uncompressed) file to start at; compressed files are read from their start. */
  start?: number;
  /**
   * Told about bytes after the end of the compressed data (the decoded data is kept, the rest of
   * the file is not read). Without it, they fail the stream after the decoded data is handed out.
   */
  onTrailing?: (e: StreamError) => void;
}

/** zstd frames, decoded as they come; what decoded before a failure is handed out before it. */
async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const pending: Uint8Array[] = [];
  const z = new Decompress((chunk) => pending.push(chunk));
  const out = function* () {
    for (const c of pending.splice(0)) yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  };
  let bytes = 0;
  for await (const buf of source) {
    bytes += buf.length;
    let failed: unknown;
    try {
      z.push(buf as Buffer);
    } catch (e) {
      failed = e;
    }
    yield* out();
    if (failed) throw new StreamError('corrupt', `not a valid zstd stream (${(failed as Error).message})`);
  }
  // zstd -d says the same of an empty file: it holds no frame, so it is not a zstd file.
  if (bytes === 0) throw new StreamError('truncated', 'empty file: no zstd frame (unexpected end of file)');
  try {
    z.push(new Uint8Array(0), true);
  } catch (e) {
    yield* out();
    const msg = (e as Error).message;
    throw new StreamError(/EOF|end/i.test(msg) ? 'truncated' : 'corrupt', `zstd stream ${/EOF|end/i.test(msg) ? 'cut short' : 'invalid'} (${msg})`);
  }
  yield* out();
}

/** Decompressed bytes of `path` (from byte `o.start` of a plain file), chunk by chunk. */
export async function* fileChunks(path: string, compression: Compression, o: ChunkOptions = {}): AsyncGenerator<Buffer> {
  const start = o.start ?? 0;
  if (compression !== 'none' && start !== 0) throw new Error(`${path}: a compressed file is read from its start`);
  const source = createReadStream(path, { start, highWaterMark: CHUNK });
  let trailing: StreamError | undefined;
  try {
    if (compression === 'zstd') yield* unzstd(source as AsyncIterable<Buffer>);
    else if (compression === 'gzip') yield* gunzip(source as AsyncIterable<Buffer>, (e) => (trailing = e));
    else yield* source as AsyncIterable<Buffer>;
  } catch (e) {
    if (e instanceof StreamError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.syscall) throw new StreamError('unreadable', `cannot read (${err.code ?? err.message})`);
    throw e;
  } finally {
    source.destroy();
  }
  if (trailing) {
    if (!o.onTrailing) throw trailing;
    o.onTrailing(trailing);
  }
}

export interface Line {
  /** The line without its '\n' (and without a '\r' before it). Valid until the next line is taken. */
  bytes: Buffer;
  /** Byte offset of the line's first byte in the uncompressed stream. */
  offset: number;
}

/**
 * Lines of a byte stream that starts at `offset`, up to the first line that begins at or after
 * `end`. With `dropFirst`, the first segment (up to and including the first '\n') is skipped:
 * it belongs to the previous range.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, offset: number, end = Infinity, dropFirst = false): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingStart = offset;
  let at = offset; // offset of chunk[0]
  let skipping = dropFirst;
  const take = (bytes: Buffer, lineStart: number): Line => {
    const len = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    return { bytes: bytes.subarray(0, len), offset: lineStart };
  };
  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        if (!skipping) pending.push(chunk.subarray(pos));
        break;
      }
      if (skipping) {
        skipping = false;
      } else {
        if (pendingStart >= end) return;
        const piece = chunk.subarray(pos, nl);
        const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        yield take(bytes, pendingStart);
      }
      pos = nl + 1;
      pendingStart = at + pos;
    }
    at += chunk.length;
  }
  if (!skipping && pendingStart < end && pending.length > 0) yield take(pending.length === 1 ? pending[0]! : Buffer.concat(pending), pendingStart);
}

/** Number of '\n' bytes in [0, end) of a plain file: the line number of the line starting at `end`. */
export async function countNewlines(path: string, end: number): Promise<number> {
  if (end <= 0) return 0;
  let n = 0;
  for await (const buf of createReadStream(path, { start: 0, end: end - 1, highWaterMark: CHUNK })) {
    const b = buf as Buffer;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  }
  return n;
}
