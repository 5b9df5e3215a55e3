// safetensors (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}),
// then the data area; offsets are relative to the data area. Reading checks the header against
// the file (bounded length, known dtypes, sizes that match shapes, ranges inside the data area,
// no overlaps) before any tensor is touched. Writing follows the reference implementation
// (huggingface/safetensors tensor.rs `prepare`): tensors ordered by descending dtype alignment,
// then name; header JSON padded with spaces to a multiple of 8 bytes.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { BufferedWriter, dataByteLength, writeData, writeFileAtomic, type ByteStream } from './atomic.js';
import { SafetensorsError } from './errors.js';
import { readFully } from './file-reader.js';
import { show } from './json-fields.js';

/** Byte sizes of the dtypes we read and write. Sub-byte types (F4, F6_*) are not supported. */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type SafetensorsDType = keyof typeof DTYPE_BYTES;
/** The reference Dtype enum's order (increasing alignment); the writer sorts by it, descending. */
const DTYPE_ORDER: readonly SafetensorsDType[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

/** The reference implementation's limit on the header (MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

export function safetensorsDTypeBytes(d: SafetensorsDType): number {
  return DTYPE_BYTES[d];
}
export function isSafetensorsDType(d: unknown): d is SafetensorsDType {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, d);
}

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Absolute offset in `file`. */
  offset: number;
  byteLength: number;
  /** The file holding the data (the shard, for a sharded checkpoint). */
  file: string;
}

export interface SafetensorsFile {
  /** The file, or the directory for a sharded checkpoint. */
  path: string;
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  /** Reads a tensor's bytes into dst (exactly byteLength long, e.g. a window of wasm memory) or a new buffer. */
  readTensorBytes(name: string, dst?: Uint8Array): Uint8Array;
  close(): void;
}

export function openSafetensors(path: string): SafetensorsFile {
  const fd = openSync(path, 'r');
  try {
    const { tensors, metadata } = parseHeader(path, fd);
    let closed = false;
    return {
      path,
      tensors,
      metadata,
      readTensorBytes(name, dst) {
        if (closed) throw new SafetensorsError(path, `readTensorBytes(${name}): the file is closed`);
        return readInfo(fd, path, lookup(tensors, path, name), dst);
      },
      close() {
        if (!closed) closeSync(fd);
        closed = true;
      },
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function lookup(tensors: Map<string, SafetensorsTensorInfo>, path: string, name: string): SafetensorsTensorInfo {
  const info = tensors.get(name);
  if (!info) throw new SafetensorsError(path, `no tensor named ${JSON.stringify(name)}`);
  return info;
}

function readInfo(fd: number, path: string, info: SafetensorsTensorInfo, dst?: Uint8Array): Uint8Array {
  const out = dst ?? new Uint8Array(info.byteLength);
  if (out.length !== info.byteLength) throw new SafetensorsError(path, `readTensorBytes(${info.name}): destination has ${out.length} bytes, the tensor has ${info.byteLength}`);
  const got = readFully(fd, out, info.offset);
  if (got !== info.byteLength) throw new SafetensorsError(info.file, `tensor ${info.name}: file shrank while reading (got ${got} of ${info.byteLength} bytes)`);
  return out;
}

function parseHeader(path: string, fd: number): { tensors: Map<string, SafetensorsTensorInfo>; metadata: Record<string, string> } {
  const fail = (detail: string): never => {
    throw new SafetensorsError(path, detail);
  };
  const size = fstatSync(fd).size;
  if (size < 8) fail(`header length: the file has ${size} bytes, fewer than the 8-byte header length`);
  const lenBytes = new Uint8Array(8);
  readFully(fd, lenBytes, 0);
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n}: larger than the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(size - 8)) fail(`header length ${n} runs past end of file (size ${size})`);
  const headerLen = Number(n);
  const raw = new Uint8Array(headerLen);
  if (readFully(fd, raw, 8) !== headerLen) fail('header: file shrank while reading');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('header: not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`header: expected a JSON object starting with "{", got ${JSON.stringify(text.slice(0, 20))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`header: invalid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('header: expected a JSON object');

  const dataStart = 8 + headerLen;
  const dataSize = size - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('__metadata__: expected an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') fail(`__metadata__.${k}: expected a string, got ${show(s)}`);
        metadata[k] = s as string;
      }
      continue;
    }
    const at = `tensor ${JSON.stringify(name)}`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${at}: expected an object with dtype, shape, data_offsets`);
    const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>;
    if (!isSafetensorsDType(dtype)) fail(`${at} dtype: expected one of ${DTYPE_ORDER.join(', ')}, got ${show(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${at} shape: expected an array of non-negative integers, got ${show(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${at} data_offsets: expected [begin, end] non-negative integers, got ${show(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(`${at} data_offsets [${begin}, ${end}]: end before begin`);
    if (end > dataSize) fail(`${at} data_offsets [${begin}, ${end}] runs past end of file (data area has ${dataSize} bytes)`);
    let numel = 1;
    for (const d of shape as number[]) numel *= d;
    const want = numel * DTYPE_BYTES[dtype as SafetensorsDType];
    if (end - begin !== want) fail(`${at}: ${dtype} [${(shape as number[]).join(', ')}] needs ${want} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`);
    tensors.set(name, { name, dtype: dtype as SafetensorsDType, shape: [...(shape as number[])], offset: dataStart + begin, byteLength: want, file: path });
  }
  // As the reference implementation requires (Metadata::validate, MetadataIncompleteBuffer): the
  // tensors, in offset order, cover the data area exactly, without gaps, overlaps or trailing bytes;
  // so data moved by a stray insertion or cut cannot be read as weights.
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  let start = dataStart;
  let prev: SafetensorsTensorInfo | undefined;
  for (const t of sorted) {
    if (t.offset !== start) {
      const where = prev ? `where tensor ${JSON.stringify(prev.name)} ends` : 'the start of the data area';
      fail(`tensor ${JSON.stringify(t.name)} data_offsets [${t.offset - dataStart}, ${t.offset - dataStart + t.byteLength}]: expected to begin at ${start - dataStart}, ${where} (${t.offset < start ? 'overlap' : 'gap'})`);
    }
    start += t.byteLength;
    prev = t;
  }
  if (start !== size) fail(`the tensors cover ${start - dataStart} bytes of the ${dataSize}-byte data area; the rest is not any tensor's data`);
  return { tensors, metadata };
}

/**
 * A checkpoint directory: model.safetensors.index.json (sharded: its weight_map names the shard of
 * each tensor) or a single model.safetensors. The result reads tensors from whichever shard holds them.
 */
export function openSafetensorsDir(dir: string): SafetensorsFile {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (!existsSync(indexPath)) {
    const single = join(dir, 'model.safetensors');
    if (!existsSync(single)) throw new SafetensorsError(dir, 'expected model.safetensors or model.safetensors.index.json');
    return openSafetensors(single);
  }
  const fail = (detail: string): never => {
    throw new SafetensorsError(indexPath, detail);
  };
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    return fail(`invalid JSON (${(e as Error).message})`);
  }
  if (typeof index !== 'object' || index === null || Array.isArray(index)) return fail('expected a JSON object');
  const { weight_map: weightMap, metadata: meta } = index as Record<string, unknown>;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) return fail('weight_map: expected an object of tensor name -> shard file');
  const metadata: Record<string, string> = {};
  if (meta !== undefined) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('metadata: expected an object');
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) metadata[k] = typeof v === 'string' ? v : jsonText(v);
  }

  const shards = new Map<string, SafetensorsFile>();
  const closeAll = () => shards.forEach((s) => s.close());
  try {
    const tensors = new Map<string, SafetensorsTensorInfo>();
    const listed = new Map<string, Set<string>>();
    for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
      if (typeof file !== 'string' || file === '' || isAbsolute(file) || normalize(file).startsWith('..')) {
        fail(`weight_map.${name}: expected a shard file name inside ${dir}, got ${show(file)}`);
      }
      const shardPath = join(dir, file as string);
      let shard = shards.get(file as string);
      if (!shard) {
        if (!existsSync(shardPath) || !statSync(shardPath).isFile()) fail(`weight_map.${name}: shard ${file} does not exist`);
        shard = openSafetensors(shardPath);
        shards.set(file as string, shard);
        listed.set(file as string, new Set());
      }
      const info = shard.tensors.get(name);
      if (!info) throw new SafetensorsError(shardPath, `tensor ${JSON.stringify(name)} is listed for this shard in model.safetensors.index.json but the shard does not hold it`);
      tensors.set(name, info);
      listed.get(file as string)!.add(name);
    }
    for (const [file, shard] of shards) {
      for (const name of shard.tensors.keys()) {
        if (!listed.get(file)!.has(name)) {
          throw new SafetensorsError(join(dir, file), `tensor ${JSON.stringify(name)} is in this shard but model.safetensors.index.json maps it ${tensors.has(name) ? 'to another shard' : 'nowhere'}`);
        }
      }
    }
    const byFile = new Map([...shards.values()].map((s) => [s.path, s]));
    return {
      path: dir,
      tensors,
      metadata,
      readTensorBytes(name, dst) {
        const info = lookup(tensors, dir, name);
        return byFile.get(info.file)!.readTensorBytes(name, dst);
      },
      close: closeAll,
    };
  } catch (e) {
    closeAll();
    throw e;
  }
}

export interface SafetensorsWriteTensor<D extends Uint8Array | ByteStream = Uint8Array> {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  /** Whole or streamed (see ByteStream in atomic.ts). */
  data: D;
}

/** Writes one safetensors file atomically (temp file, fsync, rename). */
export function writeSafetensors(path: string, tensors: readonly SafetensorsWriteTensor<Uint8Array | ByteStream>[], metadata?: Record<string, string>): void {
  const fail = (detail: string): never => {
    throw new SafetensorsError(path, detail);
  };
  const names = new Set<string>();
  for (const t of tensors) {
    const at = `tensor ${JSON.stringify(t.name)}`;
    if (t.name === '__metadata__') fail(`${at}: the name is reserved`);
    if (names.has(t.name)) fail(`${at}: duplicate name`);
    names.add(t.name);
    if (!isSafetensorsDType(t.dtype)) fail(`${at} dtype: expected one of ${DTYPE_ORDER.join(', ')}, got ${JSON.stringify(t.dtype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${at} shape: expected non-negative integers, got [${t.shape.join(', ')}]`);
    let numel = 1;
    for (const d of t.shape) numel *= d;
    const want = numel * DTYPE_BYTES[t.dtype];
    if (dataByteLength(t.data) !== want) fail(`${at} data: ${t.dtype} [${t.shape.join(', ')}] needs ${want} bytes, got ${dataByteLength(t.data)}`);
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`__metadata__.${k}: expected a string`);
  }
  // The reference order: descending dtype (alignment), then name by code point (Rust's str Ord).
  const order = [...tensors].sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || cmpCodePoints(a.name, b.name));
  // No prototype: a tensor named __proto__ must become an ordinary key.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of order) {
    const n = dataByteLength(t.data);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_BYTES) fail(`header: ${padded} bytes is over the ${MAX_HEADER_BYTES}-byte limit`);
  writeFileAtomic(path, (fd) => {
    const w = new BufferedWriter(fd);
    w.u64(padded);
    w.bytes(json);
    for (let i = json.length; i < padded; i++) w.u8(0x20);
    for (const t of order) writeData(w, t.data, fail, `tensor ${JSON.stringify(t.name)} data`);
    w.flush();
  });
}

/** A value back as JSON text; a value nested too deeply to serialize becomes its short preview. */
function jsonText(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return show(v);
  }
}

/** Byte-wise UTF-8 order equals code point order; JS's default compares UTF-16 units. */
function cmpCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
