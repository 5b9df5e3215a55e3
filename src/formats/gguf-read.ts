// GGUF reader (versions 2 and 3). The header, metadata and tensor table are parsed with bounded,
// buffered reads through a file descriptor: every count and length is checked against the file
// size before it is used, so a corrupt or truncated file fails with a GGUFError naming the field,
// never with a crash, a hang or a huge allocation. Tensor data is not read until asked for.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import { GGUFError } from './errors.js';
import { BoundedReader, readFully } from './file-reader.js';
import { ggmlBlock, ggmlTypeName, isKnownGGMLType } from './ggml-types.js';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUFValueType,
  type GGUFFile,
  type GGUFTensorInfo,
  type GGUFValue,
} from './gguf-types.js';

/** ggml tensors have at most 4 dimensions (GGML_MAX_DIMS). */
const MAX_DIMS = 4;
/** llama.cpp refuses tensor names of GGML_MAX_NAME (64) bytes or more. */
const MAX_TENSOR_NAME_BYTES = 63;

/**
 * Bounds on metadata, checked before anything is allocated: a length that fits a large sparse file
 * would otherwise make the reader allocate gigabytes (or hit V8's ~512 M-character string limit).
 * The largest real files stay far below: vocabularies have up to ~256k tokens (merges a few hundred
 * thousand), chat templates some hundred KB, an embedded tokenizer.json some tens of MB.
 */
export const GGUF_READ_LIMITS = {
  /** One metadata string (key or value). */
  maxStringBytes: 64 << 20,
  /** Elements of one metadata array (nested arrays count each level's own elements). */
  maxArrayLength: 1 << 24,
  /** The whole key-value section. */
  maxMetadataBytes: 256 << 20,
} as const;
/** Arrays of arrays are legal but nobody nests deeply; a bound keeps a crafted file from blowing the stack. */
const MAX_ARRAY_DEPTH = 8;
/** Smallest encodings, to bound counts before looping: a key-value pair (empty key, u32 type, 1-byte value) and a tensor info. */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

/** Bytes of one value of a fixed-size type, or the smallest encoding of a variable one. */
function minValueBytes(type: number): number | undefined {
  switch (type) {
    case GGUFValueType.UINT8:
    case GGUFValueType.INT8:
    case GGUFValueType.BOOL:
      return 1;
    case GGUFValueType.UINT16:
    case GGUFValueType.INT16:
      return 2;
    case GGUFValueType.UINT32:
    case GGUFValueType.INT32:
    case GGUFValueType.FLOAT32:
      return 4;
    case GGUFValueType.UINT64:
    case GGUFValueType.INT64:
    case GGUFValueType.FLOAT64:
    case GGUFValueType.STRING: // the u64 length
      return 8;
    case GGUFValueType.ARRAY: // element type + count
      return 12;
    default:
      return undefined;
  }
}

export function openGGUF(path: string): GGUFFile {
  if (endianness() !== 'LE') throw new GGUFError(path, 'this reader supports little-endian hosts only');
  const fd = openSync(path, 'r');
  try {
    return parse(path, fd);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function parse(path: string, fd: number): GGUFFile {
  const size = fstatSync(fd).size;
  const fail = (detail: string): never => {
    throw new GGUFError(path, detail);
  };
  const r = new BoundedReader(fd, size, fail);

  r.ctx = 'header';
  const magic = r.u32('magic');
  if (magic !== GGUF_MAGIC) fail(`header magic: expected "GGUF" (0x${GGUF_MAGIC.toString(16)}), got 0x${magic.toString(16).padStart(8, '0')}`);
  const version = r.u32('version');
  if (version === 1) fail('header version 1: GGUF v1 (32-bit counts) is not supported; expected 2 or 3');
  if (version !== 2 && version !== 3) {
    // A byte-swapped small number means a big-endian file.
    const swapped = ((version & 0xff) << 24) | ((version >>> 8) & 0xff) << 16 | ((version >>> 16) & 0xff) << 8 | (version >>> 24);
    if (swapped === 2 || swapped === 3) fail(`header version: big-endian GGUF (version ${swapped}) is not supported`);
    fail(`header version: expected 2 or 3, got ${version}`);
  }
  const tensorCount = r.count('tensor count');
  const kvCount = r.count('metadata count');
  if (kvCount * MIN_KV_BYTES > r.remaining) fail(`header metadata count ${kvCount} runs past end of file (size ${size})`);
  if (tensorCount * MIN_TENSOR_INFO_BYTES > r.remaining) fail(`header tensor count ${tensorCount} runs past end of file (size ${size})`);

  const metadata = new Map<string, GGUFValue>();
  const metadataTypes = new Map<string, GGUFValueType>();
  const metadataStart = r.pos;
  // The section can only be as large as the file; a file larger than the limit is checked as it is read.
  r.limit = Math.min(size, metadataStart + GGUF_READ_LIMITS.maxMetadataBytes);
  r.limitWhat = `the metadata section's ${GGUF_READ_LIMITS.maxMetadataBytes}-byte limit`;
  for (let i = 0; i < kvCount; i++) {
    r.ctx = `metadata key #${i}`;
    const key = readString(r);
    r.ctx = `metadata key #${i} (${key})`;
    if (metadata.has(key)) fail(`${r.ctx}: duplicate key`);
    const type = r.u32('value type');
    metadata.set(key, readValue(r, type, 0));
    metadataTypes.set(key, type as GGUFValueType);
  }
  r.limit = size;

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (metadata.has('general.alignment')) {
    const a = metadata.get('general.alignment');
    if (typeof a !== 'number' || !Number.isInteger(a) || a <= 0 || (a & (a - 1)) !== 0 || a > 2 ** 30) {
      fail(`metadata general.alignment: expected a power of two, got ${String(a)}`);
    }
    alignment = a as number;
  }

  interface RawInfo {
    name: string;
    shape: number[];
    type: number;
    rel: number;
  }
  const raw: RawInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    r.ctx = `tensor #${i}`;
    const name = readString(r, MAX_TENSOR_NAME_BYTES);
    r.ctx = `tensor #${i} (${name})`;
    if (names.has(name)) fail(`${r.ctx}: duplicate tensor name`);
    names.add(name);
    const nDims = r.u32('dimension count');
    if (nDims > MAX_DIMS) fail(`${r.ctx} dimension count: expected at most ${MAX_DIMS}, got ${nDims}`);
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const n = r.u64(`ne[${d}]`);
      if (typeof n === 'bigint') fail(`${r.ctx} ne[${d}] ${n} is too large`);
      ne.push(n as number);
    }
    const type = r.u32('type');
    if (!isKnownGGMLType(type)) fail(`${r.ctx} type: ${ggmlTypeName(type)} is not a ggml type this reader knows`);
    const rel = r.u64('offset');
    if (typeof rel === 'bigint') fail(`${r.ctx} offset ${rel} runs past end of file (size ${size})`);
    raw.push({ name, shape: ne.reverse(), type, rel: rel as number });
  }
  const dataOffset = alignUp(r.pos, alignment);

  // Tensor data is laid out as llama.cpp's gguf.cpp requires: in table order, each tensor at the
  // running sum of the previous tensors' sizes, each padded to the alignment. A type or shape that
  // does not match the bytes stored (F32 data relabelled Q8_0) moves that sum off the next offset.
  let expected = 0;
  const tensors: GGUFTensorInfo[] = raw.map((t, i) => {
    const ctx = `tensor #${i} (${t.name})`;
    const { blockSize, typeSize } = ggmlBlock(t.type);
    const typeName = ggmlTypeName(t.type);
    let n = 1;
    for (const d of t.shape) n *= d;
    // Each dimension is below 2^53, but the product may not be; the size check below bounds it anyway.
    if (!Number.isSafeInteger(n)) fail(`${ctx} shape [${t.shape.join(', ')}] has too many elements`);
    const rowLen = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
    if (rowLen % blockSize !== 0) fail(`${ctx} shape [${t.shape.join(', ')}]: ${typeName} rows must be a multiple of ${blockSize} elements`);
    const byteLength = (n / blockSize) * typeSize;
    if (t.rel % alignment !== 0) fail(`${ctx} offset ${t.rel}: expected a multiple of the alignment ${alignment}`);
    if (t.rel !== expected) {
      const prev = i > 0 ? tensorDesc(raw[i - 1]!, expected) : '';
      fail(`${ctx} offset ${t.rel}: expected ${expected}${prev}; a type or shape does not match the data stored`);
    }
    const offset = dataOffset + t.rel;
    if (offset + byteLength > size) {
      fail(`${ctx} data [${offset}, ${offset + byteLength}) (${typeName} [${t.shape.join(', ')}]) runs past end of file (size ${size})`);
    }
    expected = alignUp(t.rel + byteLength, alignment);
    return { name: t.name, shape: t.shape, type: t.type, typeName, offset, byteLength };
  });
  const last = tensors[tensors.length - 1];
  if (last && size - (last.offset + last.byteLength) >= alignment) {
    // Writers pad the last tensor to the alignment and stop: more bytes mean it holds more data than
    // its type and shape say (the next-offset check above cannot see this for the last one).
    fail(
      `tensor #${tensors.length - 1} (${last.name}) data ends at ${last.offset + last.byteLength} (${last.typeName} [${last.shape.join(', ')}]) ` +
        `but the file has ${size - (last.offset + last.byteLength)} more bytes (size ${size}); a type or shape does not match the data stored`,
    );
  }

  let closed = false;
  return {
    path,
    version,
    metadata,
    metadataTypes,
    tensors,
    dataOffset,
    alignment,
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
    readTensorBytes(info: GGUFTensorInfo, dst?: Uint8Array): Uint8Array {
      if (closed) fail(`readTensorBytes(${info.name}): the file is closed`);
      if (info.offset < dataOffset || info.offset + info.byteLength > size) {
        fail(`readTensorBytes(${info.name}): [${info.offset}, ${info.offset + info.byteLength}) is not inside this file's data`);
      }
      const out = dst ?? new Uint8Array(info.byteLength);
      if (out.length !== info.byteLength) fail(`readTensorBytes(${info.name}): destination has ${out.length} bytes, the tensor has ${info.byteLength}`);
      const got = readFully(fd, out, info.offset);
      if (got !== info.byteLength) fail(`tensor ${info.name}: file shrank while reading (got ${got} of ${info.byteLength} bytes)`);
      return out;
    },
  };
}

/** ", where tensor p (Q8_0 [2, 32], 68 bytes) ends" for offset messages. */
function tensorDesc(p: { name: string; shape: number[]; type: number }, end: number): string {
  const { blockSize, typeSize } = ggmlBlock(p.type);
  const bytes = (p.shape.reduce((a, b) => a * b, 1) / blockSize) * typeSize;
  return `, where the previous tensor ${p.name} (${ggmlTypeName(p.type)} [${p.shape.join(', ')}], ${bytes} bytes) ends (padded to ${end})`;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** A gguf_string: u64 byte length, then UTF-8 bytes (no terminator); at most `max` bytes. */
function readString(r: BoundedReader, max = GGUF_READ_LIMITS.maxStringBytes): string {
  const n = r.count('string length');
  r.inFile(n, `string length ${n}`);
  if (n > max) r.fail(`${r.where()} string length ${n}: more than the ${max}-byte limit`);
  r.need(n, `string length ${n}`);
  return r.utf8String(n, `string length ${n}`);
}

function readValue(r: BoundedReader, type: number, depth: number): GGUFValue {
  switch (type) {
    case GGUFValueType.UINT8:
      return r.u8('value');
    case GGUFValueType.INT8:
      return r.i8('value');
    case GGUFValueType.UINT16:
      return r.u16('value');
    case GGUFValueType.INT16:
      return r.i16('value');
    case GGUFValueType.UINT32:
      return r.u32('value');
    case GGUFValueType.INT32:
      return r.i32('value');
    case GGUFValueType.FLOAT32:
      return r.f32('value');
    case GGUFValueType.UINT64:
      return r.u64('value');
    case GGUFValueType.INT64:
      return r.i64('value');
    case GGUFValueType.FLOAT64:
      return r.f64('value');
    case GGUFValueType.BOOL:
      return readBool(r);
    case GGUFValueType.STRING:
      return readString(r);
    case GGUFValueType.ARRAY:
      return readArray(r, depth + 1);
    default:
      return r.fail(`${r.where()} value type: expected 0..12, got ${type}`);
  }
}

function readBool(r: BoundedReader): boolean {
  const b = r.u8('bool');
  if (b > 1) r.fail(`${r.where()} bool: expected 0 or 1, got ${b}`);
  return b === 1;
}

function readArray(r: BoundedReader, depth: number): GGUFValue {
  if (depth > MAX_ARRAY_DEPTH) r.fail(`${r.where()}: arrays nested deeper than ${MAX_ARRAY_DEPTH} levels`);
  const type = r.u32('array element type');
  const min = minValueBytes(type);
  if (min === undefined) return r.fail(`${r.where()} array element type: expected 0..12, got ${type}`);
  const n = r.count('array length');
  r.inFile(n * min, `array length ${n}`);
  if (n > GGUF_READ_LIMITS.maxArrayLength) r.fail(`${r.where()} array length ${n}: more than the ${GGUF_READ_LIMITS.maxArrayLength}-element limit`);
  r.need(n * min, `array length ${n}`);
  const outer = r.elem;
  try {
    switch (type) {
      case GGUFValueType.UINT8:
        return r.copy(n, 'array');
      case GGUFValueType.INT8:
        return new Int8Array(r.copy(n, 'array').buffer);
      case GGUFValueType.UINT16:
        return new Uint16Array(r.copy(n * 2, 'array').buffer);
      case GGUFValueType.INT16:
        return new Int16Array(r.copy(n * 2, 'array').buffer);
      case GGUFValueType.UINT32:
        return new Uint32Array(r.copy(n * 4, 'array').buffer);
      case GGUFValueType.INT32:
        return new Int32Array(r.copy(n * 4, 'array').buffer);
      case GGUFValueType.FLOAT32:
        return new Float32Array(r.copy(n * 4, 'array').buffer);
      case GGUFValueType.UINT64:
        return new BigUint64Array(r.copy(n * 8, 'array').buffer);
      case GGUFValueType.INT64:
        return new BigInt64Array(r.copy(n * 8, 'array').buffer);
      case GGUFValueType.FLOAT64:
        return new Float64Array(r.copy(n * 8, 'array').buffer);
      case GGUFValueType.BOOL: {
        const out: boolean[] = new Array(n);
        for (let i = 0; i < n; i++) {
          r.elem = i;
          out[i] = readBool(r);
        }
        return out;
      }
      case GGUFValueType.STRING: {
        const out: string[] = new Array(n);
        for (let i = 0; i < n; i++) {
          r.elem = i;
          out[i] = readString(r);
        }
        return out;
      }
      default: {
        const out: GGUFValue[] = new Array(n);
        for (let i = 0; i < n; i++) {
          r.elem = i;
          out[i] = readArray(r, depth + 1);
        }
        return out;
      }
    }
  } finally {
    r.elem = outer;
  }
}
