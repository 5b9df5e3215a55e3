// Types shared by the GGUF reader and writer (spec: ggml-org/ggml docs/gguf.md, version 3).
import type { ByteStream } from './atomic.js';

/** Metadata value type ids (gguf_type). */
export const GGUFValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GGUFValueType = (typeof GGUFValueType)[keyof typeof GGUFValueType];

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/**
 * A metadata value as read. Integers are numbers unless a 64-bit value lies beyond 2^53 (then bigint);
 * numeric arrays are typed arrays of the stored width; string and bool arrays are plain arrays.
 */
export type GGUFValue =
  | number
  | bigint
  | boolean
  | string
  | string[]
  | boolean[]
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
  | GGUFValue[];

/**
 * A value with an explicit GGUF type, for the writer: JavaScript numbers do not say whether they are
 * u32 or f32, and llama.cpp checks key types (e.g. llama.rope.freq_base must be FLOAT32 even when it
 * is 10000). For arrays, `type` is the element type, or ARRAY to infer it from the value.
 */
export class GGUFTyped {
  constructor(
    readonly type: GGUFValueType,
    readonly value: GGUFValue,
  ) {}
}

/** Shorthands: gguf.u32(4096), gguf.f32(1e-5), gguf.arrayOf(GGUFValueType.INT32, [1, 2]). */
export const gguf = {
  u8: (v: number) => new GGUFTyped(GGUFValueType.UINT8, v),
  i8: (v: number) => new GGUFTyped(GGUFValueType.INT8, v),
  u16: (v: number) => new GGUFTyped(GGUFValueType.UINT16, v),
  i16: (v: number) => new GGUFTyped(GGUFValueType.INT16, v),
  u32: (v: number) => new GGUFTyped(GGUFValueType.UINT32, v),
  i32: (v: number) => new GGUFTyped(GGUFValueType.INT32, v),
  f32: (v: number) => new GGUFTyped(GGUFValueType.FLOAT32, v),
  u64: (v: number | bigint) => new GGUFTyped(GGUFValueType.UINT64, v),
  i64: (v: number | bigint) => new GGUFTyped(GGUFValueType.INT64, v),
  f64: (v: number) => new GGUFTyped(GGUFValueType.FLOAT64, v),
  bool: (v: boolean) => new GGUFTyped(GGUFValueType.BOOL, v),
  str: (v: string) => new GGUFTyped(GGUFValueType.STRING, v),
  /** An array whose elements have this type (numbers given as a plain array are converted). */
  arrayOf: (elementType: GGUFValueType, v: GGUFValue) => new GGUFTyped(elementType, v),
};

export interface GGUFTensorInfo {
  name: string;
  /** Row-major, outermost first: GGUF's ne[] reversed. */
  shape: number[];
  /** Numeric ggml type id (see ggml-types.ts). */
  type: number;
  typeName: string;
  /** Absolute file offset of the first byte. */
  offset: number;
  byteLength: number;
}

export interface GGUFFile {
  path: string;
  version: number;
  metadata: Map<string, GGUFValue>;
  /**
   * The stored type of each metadata key (ARRAY for arrays: their element type shows in the typed
   * array's class). Lets a tool rewrite a file keeping u32 apart from f32 (see GGUFTyped).
   */
  metadataTypes: Map<string, GGUFValueType>;
  tensors: GGUFTensorInfo[];
  /** Absolute offset of the tensor data section. */
  dataOffset: number;
  alignment: number;
  close(): void;
  /** Reads a tensor's bytes (GGUF order) into dst (exactly info.byteLength long) or a new buffer. */
  readTensorBytes(info: GGUFTensorInfo, dst?: Uint8Array): Uint8Array;
}

export interface GGUFWriteTensor<D extends Uint8Array | ByteStream = Uint8Array> {
  name: string;
  /** Row-major, outermost first. */
  shape: readonly number[];
  /** ggml type id. */
  type: number;
  /** The tensor's bytes in GGUF order, whole or streamed (see ByteStream in atomic.ts). */
  data: D;
}

export interface GGUFWriteOptions {
  metadata: Map<string, GGUFValue | GGUFTyped> | Record<string, GGUFValue | GGUFTyped>;
  tensors: readonly GGUFWriteTensor<Uint8Array | ByteStream>[];
  /** Tensor data alignment; written as general.alignment when not the default 32. */
  alignment?: number;
}
