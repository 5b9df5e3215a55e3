// gzip, member by member (RFC 1952), over Node's raw inflate. Node's own gunzip stream drops the
// output of its last write when it fails, so a file with bytes after its last member lost all of
// its documents, and a file cut inside its trailer passed unnoticed. Here each member's header
// and trailer (CRC-32 and length) are read and checked, the data decoded before a failure is
// handed out before the failure, and bytes after the last member are reported as trailing
// garbage (as `gzip -d` does: it keeps the data and warns) instead of failing the file.
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';
import { StreamError } from './stream-error.js';

/** Compressed bytes written to the inflater at once: bounds the output one write can make (a "zip bomb" piece). */
const PIECE = 64 << 10;
const OUT_CHUNK = 256 << 10;

/** Bytes waiting to be parsed, as a list of chunks. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.unshift(b);
    this.length += b.length;
  }

  /** The first n bytes (n <= length), without taking them. */
  peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  take(n: number): Buffer {
    const b = Buffer.from(this.peek(n));
    this.skip(n);
    return b;
  }

  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }

  /** Drops the zero bytes at the start; returns how many. */
  skipZeros(): number {
    let n = 0;
    while (this.chunks.length > 0) {
      const c = this.chunks[0]!;
      let i = 0;
      while (i < c.length && c[i] === 0) i++;
      n += i;
      this.length -= i;
      if (i < c.length) {
        this.chunks[0] = c.subarray(i);
        break;
      }
      this.chunks.shift();
    }
    return n;
  }

  /** Everything, up to `max` bytes at a time. */
  takeUpTo(max: number): Buffer {
    return this.take(Math.min(max, this.length));
  }
}

/** The length of the gzip header at the queue's start; 0 when more bytes are needed; throws when it is not one. */
function headerLength(q: ByteQueue): number {
  const h = q.peek(Math.min(q.length, 10));
  if (h[0] !== 0x1f || (h.length > 1 && h[1] !== 0x8b)) throw new StreamError('corrupt', 'not a gzip stream (bad magic bytes)');
  if (h.length < 10) return 0;
  if (h[2] !== 8) throw new StreamError('corrupt', `not a gzip stream (compression method ${h[2]}, expected 8 = deflate)`);
  const flags = h[3]!;
  if (flags & 0xe0) throw new StreamError('corrupt', `gzip header has reserved flags set (0x${flags.toString(16)})`);
  let at = 10;
  const b = q.peek(q.length);
  if (flags & 4) {
    if (b.length < at + 2) return 0;
    at += 2 + b.readUInt16LE(at);
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    const end = b.indexOf(0, at);
    if (end < 0) return 0;
    at = end + 1;
  }
  if (flags & 2) at += 2;
  return b.length >= at ? at : 0;
}

function writeTo(z: InflateRaw, piece: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    z.once('error', onError);
    z.write(piece, () => {
      z.off('error', onError);
      resolve();
    });
  });
}

/** Settles when the inflater's output ends, which it does by itself when its deflate data ends before its input. */
function endOf(z: InflateRaw): Promise<void> {
  const p = new Promise<void>((resolve, reject) => {
    z.once('error', reject);
    z.once('end', resolve);
  });
  p.catch(() => {}); // also reported by the write that fails
  return p;
}

function failure(e: unknown, where: string): StreamError {
  if (e instanceof StreamError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) return new StreamError('truncated', `gzip stream cut short ${where}`);
  return new StreamError('corrupt', `not a valid gzip stream ${where} (${err.message})`);
}

/**
 * The decompressed bytes of a gzip file (one member or many, as Common Crawl's WARC files are).
 * Throws StreamError ('truncated' or 'corrupt') after handing out what decoded before the damage.
 * Bytes after the last member that are not another member go to `onTrailing` (the file ends there).
 */
export async function* gunzip(source: AsyncIterable<Buffer>, onTrailing: (e: StreamError) => void): AsyncGenerator<Buffer> {
  const q = new ByteQueue();
  const input = source[Symbol.asyncIterator]();
  let inputDone = false;
  let members = 0;
  let offset = 0; // compressed bytes consumed before the queue's start
  const more = async (): Promise<boolean> => {
    if (inputDone) return false;
    const r = await input.next();
    if (r.done) inputDone = true;
    else q.push(r.value);
    return !r.done;
  };

  for (;;) {
    // A member's header, or the end of the file.
    let header = 0;
    for (;;) {
      // Zero bytes after a member are padding (Node's gunzip and gzip ignore them too).
      if (members > 0) offset += q.skipZeros();
      if (q.length > 0) {
        try {
          header = headerLength(q);
        } catch (e) {
          if (members === 0) throw e;
          // Not another member: what follows the last one is not gzip data.
          let rest = q.length;
          while (await more()) rest = q.length;
          onTrailing(new StreamError('corrupt', `${rest} bytes of trailing garbage after the gzip data (at byte ${offset}) ignored`));
          return;
        }
        if (header > 0) break;
      }
      if (!(await more())) {
        if (q.length === 0 && members > 0) return;
        throw new StreamError('truncated', members === 0 && q.length === 0 && offset === 0 ? 'empty file: no gzip data (unexpected end of file)' : `gzip stream cut short in a member header (at byte ${offset})`);
      }
    }
    q.skip(header);
    offset += header;

    // The member's deflate data: fed piece by piece until the inflater stops taking input.
    const z = createInflateRaw({ chunkSize: OUT_CHUNK });
    const out: Buffer[] = [];
    let crc = 0;
    let size = 0;
    z.on('data', (b: Buffer) => {
      out.push(b);
      crc = crc32(b, crc);
      size += b.length;
    });
    const finished = endOf(z);
    let fed = 0;
    let ended = false;
    try {
      while (!ended) {
        if (q.length === 0 && !(await more())) break;
        const piece = q.takeUpTo(PIECE);
        await writeTo(z, piece);
        fed += piece.length;
        for (const b of out.splice(0)) yield b;
        // Input left unread: the deflate data ended inside this piece; the rest is the trailer on.
        const unread = fed - z.bytesWritten;
        if (unread > 0) {
          q.unshift(piece.subarray(piece.length - unread));
          ended = true;
        }
      }
      if (!z.writableEnded) z.end();
      await finished;
    } catch (e) {
      for (const b of out.splice(0)) yield b;
      throw failure(e, `in member ${members + 1} (after byte ${offset})`);
    } finally {
      z.destroy();
    }
    for (const b of out.splice(0)) yield b;
    offset += z.bytesWritten;

    // The trailer: CRC-32 and length (mod 2^32) of the member's data.
    while (q.length < 8) {
      if (!(await more())) throw new StreamError('truncated', `gzip stream cut short in member ${members + 1}'s trailer (at byte ${offset})`);
    }
    const t = q.take(8);
    offset += 8;
    if (t.readUInt32LE(0) !== crc >>> 0 || t.readUInt32LE(4) !== size % 2 ** 32) {
      throw new StreamError('corrupt', `gzip member ${members + 1} fails its check (CRC-32 or length; at byte ${offset - 8})`);
    }
    members++;
  }
}
