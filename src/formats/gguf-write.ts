// GGUF v3 writer. Streams header, metadata, tensor table and tensor data into a temp file, then
// fsyncs and renames it over the target (see atomic.ts). Tensor data starts at an aligned offset and
// every tensor, the last one included, is padded to the alignment, as llama.cpp's own writer does.
import { BufferedWriter, dataByteLength, writeData, writeFileAtomic } from './atomic.js';
import { GGUFError } from './errors.js';
import { alignUp } from './gguf-read.js';
import { ggmlByteLength, ggmlTypeName, isKnownGGMLType } from './ggml-types.js';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GGUFTyped,
  GGUFValueType,
  type GGUFValue,
  type GGUFWriteOptions,
} from './gguf-types.js';

/** llama.cpp rejects tensor names of GGML_MAX_NAME (64) bytes or more. */
const MAX_NAME_BYTES = 63;

const utf8 = new TextEncoder();

export function writeGGUF(path: string, opts: GGUFWriteOptions): void {
  const fail = (detail: string): never => {
    throw new GGUFError(path, detail);
  };
  const alignment = opts.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    fail(`alignment: expected a power of two, got ${alignment}`);
  }

  const entries: [string, GGUFValue | GGUFTyped][] =
    opts.metadata instanceof Map ? [...opts.metadata.entries()] : Object.entries(opts.metadata);
  const given = entries.find(([k]) => k === 'general.alignment');
  if (given) {
    const v = given[1] instanceof GGUFTyped ? given[1].value : given[1];
    if (v !== alignment) fail(`metadata general.alignment is ${String(v)} but the alignment option is ${alignment}`);
  } else if (alignment !== GGUF_DEFAULT_ALIGNMENT) {
    entries.push(['general.alignment', new GGUFTyped(GGUFValueType.UINT32, alignment)]);
  }

  // Validate everything and lay out the data section before creating any file.
  const names = new Set<string>();
  const offsets: number[] = [];
  let dataSize = 0;
  opts.tensors.forEach((t, i) => {
    const ctx = `tensor #${i} (${t.name})`;
    const nameBytes = utf8.encode(t.name).length;
    if (nameBytes === 0 || nameBytes > MAX_NAME_BYTES) fail(`${ctx} name: expected 1 to ${MAX_NAME_BYTES} bytes, got ${nameBytes}`);
    if (names.has(t.name)) fail(`${ctx}: duplicate tensor name`);
    names.add(t.name);
    if (t.shape.length < 1 || t.shape.length > 4 || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`${ctx} shape: expected 1 to 4 non-negative integers, got [${t.shape.join(', ')}]`);
    }
    if (!isKnownGGMLType(t.type)) fail(`${ctx} type: ${ggmlTypeName(t.type)} is not a ggml type`);
    let bytes = 0;
    try {
      bytes = ggmlByteLength(t.type, t.shape);
    } catch (e) {
      fail(`${ctx} shape: ${(e as Error).message}`);
    }
    if (dataByteLength(t.data) !== bytes) fail(`${ctx} data: ${ggmlTypeName(t.type)} [${t.shape.join(', ')}] needs ${bytes} bytes, got ${dataByteLength(t.data)}`);
    offsets.push(dataSize);
    dataSize = alignUp(dataSize + bytes, alignment);
  });

  writeFileAtomic(path, (fd) => {
    const w = new BufferedWriter(fd);
    w.u32(GGUF_MAGIC);
    w.u32(GGUF_VERSION);
    w.u64(opts.tensors.length);
    w.u64(entries.length);
    for (const [key, value] of entries) {
      writeString(w, key);
      writeTopValue(w, value, `metadata ${key}`, fail);
    }
    opts.tensors.forEach((t, i) => {
      writeString(w, t.name);
      w.u32(t.shape.length);
      // GGUF lists ne[0] (the fastest-varying dimension) first: our shape reversed.
      for (let d = t.shape.length - 1; d >= 0; d--) w.u64(t.shape[d]!);
      w.u32(t.type);
      w.u64(offsets[i]!);
    });
    w.zeros(alignUp(w.position, alignment) - w.position);
    const dataStart = w.position;
    opts.tensors.forEach((t, i) => {
      writeData(w, t.data, fail, `tensor #${i} (${t.name}) data`);
      w.zeros(alignUp(w.position - dataStart, alignment) - (w.position - dataStart));
    });
    w.flush();
  });
}

function writeString(w: BufferedWriter, s: string): void {
  const b = utf8.encode(s);
  w.u64(b.length);
  w.bytes(b);
}

type Fail = (detail: string) => never;

function isArrayValue(v: unknown): v is GGUFValue[] | ArrayBufferView {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

/** Writes type id + value; a GGUFTyped fixes the (element) type, a plain value is inferred. */
function writeTopValue(w: BufferedWriter, v: GGUFValue | GGUFTyped, where: string, fail: Fail): void {
  if (v instanceof GGUFTyped) {
    if (isArrayValue(v.value)) {
      const elem = v.type === GGUFValueType.ARRAY ? inferElementType(v.value, where, fail) : v.type;
      w.u32(GGUFValueType.ARRAY);
      writeArray(w, elem, v.value, where, fail);
    } else {
      if (v.type === GGUFValueType.ARRAY) fail(`${where}: type ARRAY given for a value that is not an array`);
      w.u32(v.type);
      writeScalar(w, v.type, v.value, where, fail);
    }
    return;
  }
  const type = inferType(v, where, fail);
  w.u32(type);
  if (type === GGUFValueType.ARRAY) writeArray(w, inferElementType(v as GGUFValue[], where, fail), v as GGUFValue[], where, fail);
  else writeScalar(w, type, v, where, fail);
}

function inferType(v: GGUFValue, where: string, fail: Fail): GGUFValueType {
  switch (typeof v) {
    case 'string':
      return GGUFValueType.STRING;
    case 'boolean':
      return GGUFValueType.BOOL;
    case 'bigint':
      return v < 0n ? GGUFValueType.INT64 : GGUFValueType.UINT64;
    case 'number':
      if (!Number.isInteger(v)) return GGUFValueType.FLOAT32;
      if (v >= 0 && v <= 0xffffffff) return GGUFValueType.UINT32;
      if (v >= -0x80000000 && v < 0) return GGUFValueType.INT32;
      return v < 0 ? GGUFValueType.INT64 : GGUFValueType.UINT64;
    default:
      if (isArrayValue(v)) return GGUFValueType.ARRAY;
      return fail(`${where}: cannot store a value of type ${typeof v} in GGUF`);
  }
}

function inferElementType(v: GGUFValue[] | ArrayBufferView, where: string, fail: Fail): GGUFValueType {
  if (v instanceof Uint8Array) return GGUFValueType.UINT8;
  if (v instanceof Int8Array) return GGUFValueType.INT8;
  if (v instanceof Uint16Array) return GGUFValueType.UINT16;
  if (v instanceof Int16Array) return GGUFValueType.INT16;
  if (v instanceof Uint32Array) return GGUFValueType.UINT32;
  if (v instanceof Int32Array) return GGUFValueType.INT32;
  if (v instanceof Float32Array) return GGUFValueType.FLOAT32;
  if (v instanceof Float64Array) return GGUFValueType.FLOAT64;
  if (v instanceof BigUint64Array) return GGUFValueType.UINT64;
  if (v instanceof BigInt64Array) return GGUFValueType.INT64;
  if (!Array.isArray(v)) return fail(`${where}: unsupported typed array ${v.constructor.name}`);
  // An empty plain array carries no element type; readers give back [] for an empty string array.
  if (v.length === 0) return GGUFValueType.STRING;
  const first = v[0];
  if (typeof first === 'string') return GGUFValueType.STRING;
  if (typeof first === 'boolean') return GGUFValueType.BOOL;
  if (isArrayValue(first)) return GGUFValueType.ARRAY;
  if (typeof first === 'number') {
    // Plain number arrays: i32 when every value is an integer in range, else f32 (token types, scores).
    const ints = (v as unknown[]).every((x) => typeof x === 'number' && Number.isInteger(x) && x >= -0x80000000 && x <= 0x7fffffff);
    return ints ? GGUFValueType.INT32 : GGUFValueType.FLOAT32;
  }
  if (typeof first === 'bigint') return GGUFValueType.INT64;
  return fail(`${where}: cannot store an array of ${typeof first} in GGUF`);
}

function writeArray(w: BufferedWriter, elem: GGUFValueType, v: GGUFValue[] | ArrayBufferView, where: string, fail: Fail): void {
  const items = v as ArrayLike<GGUFValue>;
  w.u32(elem);
  w.u64(items.length);
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    if (elem === GGUFValueType.ARRAY) {
      if (!isArrayValue(x)) fail(`${where} element ${i}: expected an array`);
      writeArray(w, inferElementType(x as GGUFValue[], `${where} element ${i}`, fail), x as GGUFValue[], `${where} element ${i}`, fail);
    } else {
      writeScalar(w, elem, x, where, fail, i);
    }
  }
}

const INT_RANGES: Partial<Record<GGUFValueType, [number, number]>> = {
  [GGUFValueType.UINT8]: [0, 0xff],
  [GGUFValueType.INT8]: [-0x80, 0x7f],
  [GGUFValueType.UINT16]: [0, 0xffff],
  [GGUFValueType.INT16]: [-0x8000, 0x7fff],
  [GGUFValueType.UINT32]: [0, 0xffffffff],
  [GGUFValueType.INT32]: [-0x80000000, 0x7fffffff],
};

function writeScalar(w: BufferedWriter, type: GGUFValueType, v: GGUFValue, where: string, fail: Fail, index = -1): void {
  const at = index >= 0 ? `${where} element ${index}` : where;
  const range = INT_RANGES[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      fail(`${at}: expected an integer in [${range[0]}, ${range[1]}], got ${String(v)}`);
    }
  }
  switch (type) {
    case GGUFValueType.UINT8:
      return w.u8(v as number);
    case GGUFValueType.INT8:
      return w.i8(v as number);
    case GGUFValueType.UINT16:
      return w.u16(v as number);
    case GGUFValueType.INT16:
      return w.i16(v as number);
    case GGUFValueType.UINT32:
      return w.u32(v as number);
    case GGUFValueType.INT32:
      return w.i32(v as number);
    case GGUFValueType.FLOAT32:
    case GGUFValueType.FLOAT64:
      if (typeof v !== 'number') fail(`${at}: expected a number, got ${typeof v}`);
      return type === GGUFValueType.FLOAT32 ? w.f32(v as number) : w.f64(v as number);
    case GGUFValueType.UINT64:
    case GGUFValueType.INT64: {
      if (!(typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v)))) fail(`${at}: expected an integer, got ${String(v)}`);
      const b = BigInt(v as number | bigint);
      const ok = type === GGUFValueType.UINT64 ? b >= 0n && b < 1n << 64n : b >= -(1n << 63n) && b < 1n << 63n;
      if (!ok) fail(`${at}: ${b} does not fit ${type === GGUFValueType.UINT64 ? 'UINT64' : 'INT64'}`);
      return type === GGUFValueType.UINT64 ? w.u64(b) : w.i64(b);
    }
    case GGUFValueType.BOOL:
      if (typeof v !== 'boolean') fail(`${at}: expected a boolean, got ${typeof v}`);
      return w.u8(v ? 1 : 0);
    case GGUFValueType.STRING:
      if (typeof v !== 'string') fail(`${at}: expected a string, got ${typeof v}`);
      return writeString(w, v as string);
    default:
      fail(`${at}: unknown GGUF value type ${type}`);
  }
}
