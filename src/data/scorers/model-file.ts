// The one file format of the learned scorers: a JSON header followed by little-endian typed arrays.
//
//   bytes 0..7    magic "YISCORER"
//   bytes 8..11   u32 header length H
//   bytes 12..    H bytes of UTF-8 JSON: { format_version, scorer, model, ..., arrays: { name: { dtype, offset, length } } }
//   then          zero padding to a multiple of 8, then the data section; each array starts at
//                 data start + offset (a multiple of 8) and holds `length` elements of `dtype`.
//
// Readers check every offset and length against the file's real size before touching the data,
// and name the file and the field in every error. Writes are atomic (temp file + rename).
import { closeSync, fstatSync, openSync } from 'node:fs';
import { BufferedWriter, writeFileAtomic } from '../../formats/atomic.js';
import { FormatError } from '../../formats/errors.js';
import { readFully } from '../../formats/file-reader.js';

export const MAGIC = 'YISCORER';
export const FORMAT_VERSION = 1;

export class ScorerModelError extends FormatError {
  constructor(file: string, detail: string) {
    super('scorer model', file, detail);
  }
}

export type ArrayDType = 'u8' | 'u32' | 'f32' | 'f64';
export type TypedArray = Uint8Array | Uint32Array | Float32Array | Float64Array;

const BYTES: Record<ArrayDType, number> = { u8: 1, u32: 4, f32: 4, f64: 8 };

function dtypeOf(a: TypedArray): ArrayDType {
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Float32Array) return 'f32';
  return 'f64';
}

interface ArrayEntry {
  dtype: ArrayDType;
  offset: number;
  length: number;
}

/** What every scorer file's header has; models add their own fields. */
export interface ScorerHeader {
  format_version: number;
  /** Which stage the file is for: 'perplexity', 'quality', 'coherence', 'safety'. */
  scorer: string;
  /** How the file's arrays are to be read: 'kneser-ney', 'logistic'. */
  model: string;
  [field: string]: unknown;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Writes `header` and `arrays` atomically to `path`. */
export function writeScorerFile(path: string, header: Omit<ScorerHeader, 'format_version'>, arrays: Record<string, TypedArray>): void {
  const entries: Record<string, ArrayEntry> = {};
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    entries[name] = { dtype: dtypeOf(a), offset, length: a.length };
    offset = align8(offset + a.byteLength);
  }
  const json = new TextEncoder().encode(JSON.stringify({ format_version: FORMAT_VERSION, ...header, arrays: entries }));
  writeFileAtomic(path, (fd) => {
    const w = new BufferedWriter(fd);
    w.bytes(new TextEncoder().encode(MAGIC));
    w.u32(json.length);
    w.bytes(json);
    w.zeros(align8(w.position) - w.position);
    const dataStart = w.position;
    for (const [name, a] of Object.entries(arrays)) {
      w.zeros(dataStart + entries[name]!.offset - w.position);
      // Little-endian on every platform Node runs on; the bytes are the array's own.
      w.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    w.flush();
  });
}

/** A scorer file read back: its header and its arrays (each a fresh, aligned typed array). */
export interface ScorerFile {
  path: string;
  header: ScorerHeader;
  /** The array named `name`, checked to have `dtype` (and `length` when given). */
  array<T extends ArrayDType>(name: string, dtype: T, length?: number): T extends 'u8' ? Uint8Array : T extends 'u32' ? Uint32Array : T extends 'f32' ? Float32Array : Float64Array;
  /** Fails with the file's name and the field. */
  fail(detail: string): never;
}

/** Reads and checks a scorer file; `scorer` is the kind the caller expects (its absence is an error). */
export function readScorerFile(path: string, scorer: string): ScorerFile {
  const fail = (detail: string): never => {
    throw new ScorerModelError(path, detail);
  };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return fail(`cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(12);
    if (readFully(fd, head, 0) < 12) fail(`file of ${size} bytes is too short for a scorer model (magic + header length)`);
    const magic = new TextDecoder().decode(head.subarray(0, 8));
    if (magic !== MAGIC) fail(`not a yi scorer model (magic '${magic.replace(/[^\x20-\x7e]/g, '?')}', expected '${MAGIC}')`);
    const hlen = new DataView(head.buffer).getUint32(8, true);
    if (hlen > size - 12) fail(`header length ${hlen} runs past end of file (size ${size})`);
    const hbytes = new Uint8Array(hlen);
    readFully(fd, hbytes, 12);
    let header: ScorerHeader;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hbytes)) as ScorerHeader;
    } catch (e) {
      return fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
    if (header.format_version !== FORMAT_VERSION) fail(`format_version ${JSON.stringify(header.format_version)} is not supported (this build reads ${FORMAT_VERSION})`);
    if (header.scorer !== scorer) fail(`is a '${String(header.scorer)}' scorer model, expected a '${scorer}' one`);
    const dataStart = align8(12 + hlen);
    const arrays = (header as { arrays?: unknown }).arrays;
    if (typeof arrays !== 'object' || arrays === null) fail(`header field 'arrays' is missing or not an object`);
    const loaded = new Map<string, TypedArray>();
    for (const [name, raw] of Object.entries(arrays as Record<string, unknown>)) {
      const e = raw as Partial<ArrayEntry>;
      const where = `array '${name}'`;
      if (typeof e !== 'object' || e === null || !(e.dtype! in BYTES)) fail(`${where}: dtype ${JSON.stringify(e?.dtype)} is not one of u8, u32, f32, f64`);
      if (!Number.isSafeInteger(e.offset) || e.offset! < 0 || e.offset! % 8 !== 0) fail(`${where}: offset ${JSON.stringify(e.offset)} is not a non-negative multiple of 8`);
      if (!Number.isSafeInteger(e.length) || e.length! < 0) fail(`${where}: length ${JSON.stringify(e.length)} is not a non-negative integer`);
      const bytes = e.length! * BYTES[e.dtype!];
      if (dataStart + e.offset! + bytes > size) fail(`${where}: ${bytes} bytes at data offset ${e.offset} run past end of file (size ${size})`);
      const buf = new Uint8Array(bytes);
      readFully(fd, buf, dataStart + e.offset!);
      const ab = buf.buffer;
      loaded.set(name, e.dtype === 'u8' ? buf : e.dtype === 'u32' ? new Uint32Array(ab) : e.dtype === 'f32' ? new Float32Array(ab) : new Float64Array(ab));
    }
    return {
      path,
      header,
      fail,
      array(name, dtype, length) {
        const a = loaded.get(name);
        if (!a) fail(`array '${name}' is missing`);
        if (dtypeOf(a!) !== dtype) fail(`array '${name}' has dtype ${dtypeOf(a!)}, expected ${dtype}`);
        if (length !== undefined && a!.length !== length) fail(`array '${name}' has ${a!.length} elements, expected ${length}`);
        return a as never;
      },
    };
  } finally {
    closeSync(fd);
  }
}

/** Header field readers that fail with the field's name. */
export function headerNumber(f: ScorerFile, field: string, check: (v: number) => boolean = Number.isFinite, expected = 'a finite number'): number {
  const v = f.header[field];
  if (typeof v !== 'number' || !check(v)) f.fail(`header field '${field}' is ${JSON.stringify(v)}, expected ${expected}`);
  return v as number;
}

export function headerObject(f: ScorerFile, field: string): Record<string, unknown> {
  const v = f.header[field];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) f.fail(`header field '${field}' is missing or not an object`);
  return v as Record<string, unknown>;
}
