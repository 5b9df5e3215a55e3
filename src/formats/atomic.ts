// Atomic file replacement: write a temp file next to the target, fsync it, rename it over the
// target, then fsync the directory. A crash leaves either the old file or the new one, never a
// partial file under the target's name (DESIGN.md: partial outputs never replace good ones).
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Calls `write(fd)` on a fresh temp file, then publishes it as `path`. On error the temp file is removed. */
export function writeFileAtomic(path: string, write: (fd: number) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const fd = openSync(tmp, 'wx', 0o644);
  let ok = false;
  try {
    write(fd);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) {
      try {
        unlinkSync(tmp);
      } catch {
        // the write error is the one worth reporting
      }
    }
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** Writes text (UTF-8) atomically. */
export function writeTextAtomic(path: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  writeFileAtomic(path, (fd) => writeAll(fd, bytes));
}

/** Writes a value as JSON (indented by `indent` spaces, 0 = compact) plus a newline, atomically. */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): void {
  writeTextAtomic(path, JSON.stringify(value, null, indent) + '\n');
}

/**
 * Removes the temp files that writes of `path` by killed processes left behind (`.NAME.tmp-*`). Call it
 * only where no other process may be writing `path` at the same time (e.g. the owner of a task).
 */
export function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // no folder yet: nothing to clean
  }
  for (const n of names) if (n.startsWith(prefix)) rmSync(join(dirname(path), n), { force: true });
}

/** fsync a directory so the rename itself is durable. Some platforms cannot open directories: best effort. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows); the data itself is already synced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes all of `bytes` at the fd's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    // Chunks below 2 GiB: a single write call cannot take more.
    const n = writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

/**
 * Buffers many small writes (headers, metadata) into large ones, and passes big payloads
 * (tensor data) straight through without a copy.
 */
export class BufferedWriter {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private used = 0;
  /** Bytes written so far (buffered or not): the file offset of the next byte. */
  position = 0;

  constructor(
    private readonly fd: number,
    size = 1 << 20,
  ) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** Room for n bytes in the buffer; returns the offset to write them at. */
  private reserve(n: number): number {
    if (this.used + n > this.buf.length) this.flush();
    const at = this.used;
    this.used += n;
    this.position += n;
    return at;
  }

  u8(v: number): void {
    this.view.setUint8(this.reserve(1), v);
  }
  i8(v: number): void {
    this.view.setInt8(this.reserve(1), v);
  }
  u16(v: number): void {
    this.view.setUint16(this.reserve(2), v, true);
  }
  i16(v: number): void {
    this.view.setInt16(this.reserve(2), v, true);
  }
  u32(v: number): void {
    this.view.setUint32(this.reserve(4), v, true);
  }
  i32(v: number): void {
    this.view.setInt32(this.reserve(4), v, true);
  }
  f32(v: number): void {
    this.view.setFloat32(this.reserve(4), v, true);
  }
  f64(v: number): void {
    this.view.setFloat64(this.reserve(8), v, true);
  }
  u64(v: number | bigint): void {
    this.view.setBigUint64(this.reserve(8), BigInt(v), true);
  }
  i64(v: number | bigint): void {
    this.view.setBigInt64(this.reserve(8), BigInt(v), true);
  }

  bytes(b: Uint8Array): void {
    if (b.length <= this.buf.length / 4) {
      this.buf.set(b, this.reserve(b.length));
      return;
    }
    this.flush();
    writeAll(this.fd, b);
    this.position += b.length;
  }

  zeros(n: number): void {
    for (let i = 0; i < n; i++) this.u8(0);
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

/**
 * Tensor bytes given piece by piece, so that a writer never holds a whole tensor (or model) in
 * memory: `write` calls `emit` with consecutive chunks, `byteLength` bytes in all. A chunk is
 * consumed before `emit` returns, so it may be a reused buffer (e.g. a window of wasm memory).
 */
export interface ByteStream {
  byteLength: number;
  write(emit: (chunk: Uint8Array) => void): void;
}

/** Bytes of a tensor's data, given whole or as a stream. */
export function dataByteLength(data: Uint8Array | ByteStream): number {
  return data instanceof Uint8Array ? data.length : data.byteLength;
}

/** Writes whole or streamed data; a stream that emits more or fewer bytes than it declared fails. */
export function writeData(w: BufferedWriter, data: Uint8Array | ByteStream, fail: (detail: string) => never, what: string): void {
  if (data instanceof Uint8Array) {
    w.bytes(data);
    return;
  }
  let n = 0;
  data.write((chunk) => {
    n += chunk.length;
    if (n > data.byteLength) fail(`${what}: the stream emitted more than the declared ${data.byteLength} bytes`);
    w.bytes(chunk);
  });
  if (n !== data.byteLength) fail(`${what}: the stream emitted ${n} bytes, declared ${data.byteLength}`);
}
