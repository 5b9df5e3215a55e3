// Bounded, buffered reads from a file descriptor. Parsers of untrusted headers (GGUF metadata,
// safetensors JSON) read through this so that every length is checked against the file size
// before anything is allocated, and the file is never read whole.
import { readSync } from 'node:fs';

/** Reads exactly dst.length bytes at `position`, or returns the number actually available. */
export function readFully(fd: number, dst: Uint8Array, position: number): number {
  let done = 0;
  while (done < dst.length) {
    // One read call takes at most 2 GiB - 1; stay well below.
    const n = readSync(fd, dst, done, Math.min(dst.length - done, 1 << 30), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

const CHUNK = 1 << 20;

export class BoundedReader {
  /** Absolute file offset of the next byte to read. */
  pos = 0;
  /** What is being read, for error messages ("metadata key #12 (tokenizer.ggml.tokens)"). */
  ctx = '';
  /** Element index inside an array being read, or -1; kept apart from ctx so loops build no strings. */
  elem = -1;
  /** Reads end here, at the file's end unless a section has a smaller budget (e.g. GGUF metadata). */
  limit: number;
  /** Names the limit in messages when it is below the file's end. */
  limitWhat = '';
  private readonly buf = new Uint8Array(CHUNK);
  private readonly view = new DataView(this.buf.buffer);
  private bufStart = 0;
  private bufEnd = 0;
  // ignoreBOM: keep a leading U+FEFF; Llama's vocabulary has it as a token of its own (id 30143).
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    readonly fd: number,
    readonly size: number,
    /** Throws the format's error type with this detail. */
    readonly fail: (detail: string) => never,
  ) {
    this.limit = size;
  }

  /** The current context for messages, e.g. "metadata key #3 (general.name) element 7". */
  where(): string {
    return this.elem >= 0 ? `${this.ctx} element ${this.elem}` : this.ctx;
  }

  get remaining(): number {
    return this.size - this.pos;
  }

  /** Fails unless n more bytes exist within the limit; `what` names the field ("string length 4294967295"). */
  need(n: number, what: string): void {
    this.inFile(n, what);
    if (n > this.limit - this.pos) this.fail(`${this.where()} ${what} runs past ${this.limitWhat}`);
  }

  /** Fails unless n more bytes exist in the file (whatever the limit). */
  inFile(n: number, what: string): void {
    if (n > this.size - this.pos) this.fail(`${this.where()} ${what} runs past end of file (size ${this.size})`);
  }

  /** Makes [pos, pos + n) available in buf (n <= CHUNK) and returns its index in buf. */
  private window(n: number, what: string): number {
    this.need(n, what);
    if (this.pos < this.bufStart || this.pos + n > this.bufEnd) {
      const want = Math.min(CHUNK, this.size - this.pos);
      const got = readFully(this.fd, this.buf.subarray(0, want), this.pos);
      if (got < n) this.fail(`${this.where()} ${what}: file shrank while reading (got ${got} of ${n} bytes at offset ${this.pos})`);
      this.bufStart = this.pos;
      this.bufEnd = this.pos + got;
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.window(1, what));
  }
  i8(what: string): number {
    return this.view.getInt8(this.window(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.window(2, what), true);
  }
  i16(what: string): number {
    return this.view.getInt16(this.window(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.window(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.window(4, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.window(4, what), true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.window(8, what), true);
  }
  /** A u64 as a number when it is at most 2^53 - 1, else a bigint. */
  u64(what: string): number | bigint {
    const at = this.window(8, what);
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    if (hi <= 0x1fffff) return hi * 4294967296 + lo;
    return this.view.getBigUint64(at, true);
  }
  /** An i64 as a number when |v| <= 2^53 - 1, else a bigint. */
  i64(what: string): number | bigint {
    const v = this.view.getBigInt64(this.window(8, what), true);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }
  /** A u64 used as a count or length: must be a safe integer (anything larger cannot fit a file anyway). */
  count(what: string): number {
    const v = this.u64(what);
    if (typeof v === 'bigint') this.fail(`${this.where()} ${what} ${v} runs past end of file (size ${this.size})`);
    return v;
  }

  /** n bytes decoded as UTF-8. GGUF requires valid UTF-8; invalid sequences become U+FFFD rather than failing the load. */
  utf8String(n: number, what: string): string {
    this.need(n, what);
    if (n <= CHUNK) {
      const at = this.window(n, what);
      return this.utf8.decode(this.buf.subarray(at, at + n));
    }
    return this.utf8.decode(this.copy(n, what));
  }

  /** n bytes in a fresh buffer of their own (offset 0, so typed arrays over it are aligned). */
  copy(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = new Uint8Array(n);
    if (n <= CHUNK) {
      const at = this.window(n, what);
      out.set(this.buf.subarray(at, at + n));
      return out;
    }
    const got = readFully(this.fd, out, this.pos);
    if (got < n) this.fail(`${this.where()} ${what}: file shrank while reading (got ${got} of ${n} bytes at offset ${this.pos})`);
    this.pos += n;
    return out;
  }
}
