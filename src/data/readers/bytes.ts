// Bytes of an input file (plain, gzip or zstd), and its lines with their offsets. A byte range
// [start, end) of a plain file owns the lines that begin inside it, so ranges that tile a file
// read every line exactly once whatever the cut points.
import { Decompress } from 'fzstd';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd';

/** Why a file's stream stopped early: cut short, bytes that are not the declared format, or no access. */
export type StreamFailure = 'truncated' | 'corrupt' | 'unreadable';

export class StreamError extends Error {
  constructor(
    readonly failure: StreamFailure,
    message: string,
  ) {
    super(message);
  }
}

const CHUNK = 1 << 20;

/** Decompressed bytes of `path` from byte `start` of the (uncompressed) file, chunk by chunk. */
export async function* fileChunks(path: string, compression: Compression, start = 0): AsyncGenerator<Buffer> {
  if (compression !== 'none' && start !== 0) throw new Error(`${path}: a compressed file is read from its start`);
  const source = createReadStream(path, { start, highWaterMark: CHUNK });
  try {
    if (compression === 'zstd') {
      const pending: Uint8Array[] = [];
      const z = new Decompress((chunk) => pending.push(chunk));
      for await (const buf of source) {
        try {
          z.push(buf as Buffer);
        } catch (e) {
          throw new StreamError('corrupt', `not a valid zstd stream (${(e as Error).message})`);
        }
        for (const c of pending.splice(0)) yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      }
      try {
        z.push(new Uint8Array(0), true);
      } catch (e) {
        const msg = (e as Error).message;
        throw new StreamError(/EOF|end/i.test(msg) ? 'truncated' : 'corrupt', `zstd stream ${/EOF|end/i.test(msg) ? 'cut short' : 'invalid'} (${msg})`);
      }
      for (const c of pending.splice(0)) yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      return;
    }
    const stream = compression === 'gzip' ? source.pipe(createGunzip({ chunkSize: CHUNK })) : source;
    // pipe() does not forward the source's errors to the gunzip stream.
    if (compression === 'gzip') source.on('error', (e) => stream.destroy(e));
    for await (const buf of stream) yield buf as Buffer;
  } catch (e) {
    if (e instanceof StreamError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.syscall) throw new StreamError('unreadable', `cannot read (${err.code ?? err.message})`);
    if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) throw new StreamError('truncated', `gzip stream cut short (${err.message})`);
    throw new StreamError('corrupt', `not a valid gzip stream (${err.message})`);
  } finally {
    source.destroy();
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
