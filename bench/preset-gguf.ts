// A preset's random-weight model as a GGUF file, so that `yi bench --preset NAME --llama-bench PATH`
// times our engine and llama.cpp on the very same weights. The weights are a WeightSource (Hugging
// Face names and row order, each row in the file's encoding) whose rows are generated on demand from
// a seed, row by row: the writer and a test's loader can read any rows in any order and get the same
// bytes, and no model is ever held whole in JavaScript memory (Yi-6B at Q8_0 is 6.4 GB).
//
// The file is what `yi convert --type T` would write for such a model: llama.cpp's tensor names, q/k
// rows permuted for its interleaved RoPE, norms in F32, general.file_type of the type; llama.cpp's
// "no_vocab" tokenizer with llama.vocab_size tokens (llama-bench feeds random token ids, so no
// vocabulary is needed). Written atomically into a cache folder and reused when its yi_ts.bench.* keys
// match the request.
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ByteStream } from '../src/formats/atomic.js';
import { GGMLType } from '../src/formats/ggml-types.js';
import { gguf, openGGUF, writeGGUF, type GGUFTyped, type GGUFValue, type GGUFWriteTensor } from '../src/formats/gguf.js';
import { hfToGGUFName, hfToGGUFRowOrder, ropePermutedKind } from '../src/formats/llama-names.js';
import { fromGGUFMetadata, preset, toGGUFMetadata, type YiConfig } from '../src/model/config.js';
import { CONVERT_TYPES, GGUF_FILE_TYPE, type ConvertType } from '../src/model/convert.js';
import type { SourceTensor, WeightSource } from '../src/model/source.js';
import { matrixType } from '../src/model/weight-types.js';
import { parameterShapes } from '../src/model/weights.js';
import type { Runtime } from '../src/runtime/runtime.js';
import { blockBytes, QK } from '../src/tensor/dtype.js';
import { quantBytes } from '../src/tensor/ops/quant.js';
import { mulberry32 } from '../src/tensor/random.js';

/** Bumped whenever the generated weights or the file layout change, so that old cached files are rewritten. */
export const PRESET_GGUF_VERSION = 1;

/** A request that cannot be served (unknown type, a cache folder that cannot be made); one line for the CLI. */
export class PresetGGUFError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresetGGUFError';
  }
}

// The types parsePresetType accepts (CONVERT_TYPES); k-quants come from `yi quantize`, not from here.
const GGML_OF: Readonly<Partial<Record<ConvertType, number>>> = { f32: GGMLType.F32, f16: GGMLType.F16, bf16: GGMLType.BF16, q8_0: GGMLType.Q8_0, q4_0: GGMLType.Q4_0 };

function ggmlOf(t: ConvertType): number {
  const g = GGML_OF[t];
  if (g === undefined) throw new PresetGGUFError(`--type ${t}: expected one of ${CONVERT_TYPES.join(', ')}`);
  return g;
}

/** f32 values generated and encoded per kernel call: about this many bytes. */
const CHUNK_BYTES = 4 << 20;

function rowBytesOf(t: ConvertType, cols: number): number {
  if (t === 'q8_0' || t === 'q4_0') return (cols / QK) * blockBytes[t];
  return cols * (t === 'f32' ? 4 : 2);
}

/** A 32-bit seed per (model seed, tensor, row), so that every row can be generated alone. */
function rowSeed(seed: number, tensor: number, row: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(tensor + 1, 0xc2b2ae35) ^ Math.imul(row + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** The types a preset model can be written in: the encodings `yi convert` writes. */
export function parsePresetType(type: string | undefined): ConvertType {
  const t = (type ?? 'q8_0').toLowerCase();
  if (!(CONVERT_TYPES as readonly string[]).includes(t)) throw new PresetGGUFError(`--type ${JSON.stringify(type)}: expected one of ${CONVERT_TYPES.join(', ')}`);
  return t as ConvertType;
}

/** A generated tensor: rows can also be read in any order (the writer's permuted q/k rows). */
interface GeneratedTensor extends SourceTensor {
  dtype: ConvertType;
  readRowList(rows: ArrayLike<number>, dst: Uint8Array): void;
}

/**
 * The weights of a random model of `cfg`: matrices uniform in +-1/sqrt(cols) in `type` (a block type
 * falls back to f16 where rows are not whole blocks, as convert and the loader do), norms 1 +- 0.1 in
 * f32. `rt` runs the encoders (llama.cpp's reference quantizer, the f16/bf16 converters).
 */
export function presetWeights(rt: Runtime, cfg: YiConfig, type: ConvertType, seed = 1, path = `random ${type} weights`): WeightSource & { tensors: Map<string, GeneratedTensor> } {
  const tensors = new Map<string, GeneratedTensor>();
  const shapes = parameterShapes(cfg).filter(([name]) => !(cfg.tieEmbeddings && name === 'lm_head.weight'));
  shapes.forEach(([name, shape], index) => {
    const cols = shape[shape.length - 1]!;
    const dtype = shape.length === 1 ? 'f32' : matrixType(type, cols);
    const scale = 1 / Math.sqrt(cols);
    const isNorm = shape.length === 1;
    const readRowList = (rows: ArrayLike<number>, dst: Uint8Array): void =>
      encodeRows(rt, dtype, cols, rows, dst, (row, out) => {
        const next = mulberry32(rowSeed(seed, index, row));
        if (isNorm) for (let i = 0; i < cols; i++) out[i] = 1 + (next() - 0.5) * 0.2;
        else for (let i = 0; i < cols; i++) out[i] = (next() * 2 - 1) * scale;
      });
    tensors.set(name, {
      dtype,
      shape: [...shape],
      rowBytes: rowBytesOf(dtype, cols),
      readRowList,
      readRows: (row, count, dst) => readRowList(Array.from({ length: count }, (_, i) => row + i), dst),
    });
  });
  return { path, format: 'gguf', config: cfg, tensors, close() {} };
}

/** Generates rows `rows` (f32 values by `produce`) and encodes them into dst, one chunk at a time. */
function encodeRows(rt: Runtime, dtype: ConvertType, cols: number, rows: ArrayLike<number>, dst: Uint8Array, produce: (row: number, out: Float32Array) => void): void {
  const rowBytes = rowBytesOf(dtype, cols);
  const n = rows.length;
  if (dst.length < n * rowBytes) throw new RangeError(`encodeRows: ${n} rows of ${rowBytes} bytes need ${n * rowBytes} bytes, got ${dst.length}`);
  const chunk = Math.max(1, Math.min(n, Math.floor(CHUNK_BYTES / (cols * 4))));
  const f32 = rt.alloc(chunk * cols * 4);
  const arena = f32.arena;
  const out = dtype === 'f32' ? f32 : rt.alloc(chunk * rowBytes, arena);
  try {
    for (let r = 0; r < n; r += chunk) {
      const m = Math.min(chunk, n - r);
      const values = arena.f32.subarray(f32.offset / 4, f32.offset / 4 + m * cols);
      for (let i = 0; i < m; i++) produce(rows[r + i]!, values.subarray(i * cols, (i + 1) * cols));
      const count = m * cols;
      switch (dtype) {
        case 'f32':
          break;
        case 'f16':
        case 'bf16':
          rt.parallel(`convert_f32_${dtype}`, arena, [f32.offset, out.offset], count, 8, 1 << 14);
          break;
        case 'q8_0':
        case 'q4_0':
          rt.parallel('quantize_gguf', arena, [f32.offset, out.offset, cols, quantBytes(dtype)], m, 1, Math.max(1, Math.ceil((64 * 1024) / (cols * 4))));
          break;
      }
      dst.set(arena.u8.subarray(out.offset, out.offset + m * rowBytes), r * rowBytes);
    }
  } finally {
    if (out !== f32) rt.release(out);
    rt.release(f32);
  }
}

/** The tensor's rows as GGUF stores them (q/k permuted), streamed a chunk at a time. */
function ggufStream(cfg: YiConfig, name: string, t: GeneratedTensor): ByteStream {
  const rows = t.shape.length === 2 ? t.shape[0]! : 1;
  const kind = ropePermutedKind(name);
  const order = kind && rows > 1 ? hfToGGUFRowOrder(rows, kind === 'q' ? cfg.heads : cfg.kvHeads) : undefined;
  return {
    byteLength: rows * t.rowBytes,
    write(emit) {
      const chunk = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / t.rowBytes)));
      const buf = new Uint8Array(chunk * t.rowBytes);
      for (let r = 0; r < rows; r += chunk) {
        const n = Math.min(chunk, rows - r);
        const list = order ? order.subarray(r, r + n) : Array.from({ length: n }, (_, i) => r + i);
        t.readRowList(list, buf);
        emit(buf.subarray(0, n * t.rowBytes));
      }
    },
  };
}

export interface PresetGGUFKey {
  preset: string;
  type: ConvertType;
  seed: number;
}

/** GGUF metadata of a preset model file: the config, the file type, no vocabulary, and the cache key. */
function presetMetadata(cfg: YiConfig, key: PresetGGUFKey): Map<string, GGUFValue | GGUFTyped> {
  const m = new Map<string, GGUFValue | GGUFTyped>([
    ['general.architecture', 'llama'],
    ['general.name', `yi-ts bench ${key.preset} (random weights, seed ${key.seed})`],
    ['general.file_type', gguf.u32(GGUF_FILE_TYPE[key.type])],
    // GGML_QUANT_VERSION (ggml.h), as convert_hf_to_gguf.py writes it.
    ['general.quantization_version', gguf.u32(2)],
  ]);
  // The preset config, including the vocabulary size that llama.cpp's "no_vocab" reads.
  for (const [k, v] of toGGUFMetadata(cfg)) if (!m.has(k)) m.set(k, v);
  m.set('tokenizer.ggml.model', 'no_vocab');
  m.set('yi_ts.bench.preset', key.preset);
  m.set('yi_ts.bench.type', key.type);
  m.set('yi_ts.bench.seed', gguf.u32(key.seed));
  m.set('yi_ts.bench.version', gguf.u32(PRESET_GGUF_VERSION));
  return m;
}

/** Writes the random model of `cfg` (presetWeights with the key's type and seed) to `path`, atomically. */
export function writePresetGGUF(rt: Runtime, path: string, cfg: YiConfig, key: PresetGGUFKey): void {
  const src = presetWeights(rt, cfg, key.type, key.seed, path);
  const tensors: GGUFWriteTensor<ByteStream>[] = [...src.tensors].map(([name, t]) => {
    const gname = hfToGGUFName(name);
    if (gname === undefined) throw new PresetGGUFError(`tensor ${name} has no llama.cpp name`);
    return { name: gname, shape: t.shape, type: ggmlOf(t.dtype), data: ggufStream(cfg, name, t) };
  });
  writeGGUF(path, { metadata: presetMetadata(cfg, key), tensors });
}

/** Whether `path` is a complete preset file written for `key` by this version (else it is rewritten). */
export function isCachedPresetGGUF(path: string, cfg: YiConfig, key: PresetGGUFKey): boolean {
  if (!existsSync(path)) return false;
  try {
    const f = openGGUF(path);
    try {
      const m = f.metadata;
      if (m.get('yi_ts.bench.version') !== PRESET_GGUF_VERSION || m.get('yi_ts.bench.preset') !== key.preset) return false;
      if (m.get('yi_ts.bench.type') !== key.type || m.get('yi_ts.bench.seed') !== key.seed) return false;
      const stored: Record<string, unknown> = { ...fromGGUFMetadata(m, { source: path, tensorNames: f.tensors.map((t) => t.name) }) };
      // Field by field: a preset's keys may come in another order than the reader's (spread defaults).
      const want = Object.entries(cfg);
      return want.length === Object.keys(stored).length && want.every(([k, v]) => stored[k] === v);
    } finally {
      f.close();
    }
  } catch {
    // Unreadable or truncated (openGGUF checks every tensor against the file's size): write it again.
    return false;
  }
}

/** ~/.cache/yi-ts/bench ($XDG_CACHE_HOME/yi-ts/bench when set). */
export function defaultBenchCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'yi-ts', 'bench');
}

export interface PresetGGUFOptions {
  preset: string;
  type: ConvertType;
  seed?: number;
  /** Folder of the cached files (default defaultBenchCacheDir()). */
  cacheDir?: string;
  /** Called before a file is (re)written, with its path. */
  onWrite?: (path: string) => void;
}

/** The path of the preset's GGUF in the cache, written first if missing or stale. */
export function presetGGUF(rt: Runtime, opts: PresetGGUFOptions): { path: string; written: boolean } {
  const cfg = preset(opts.preset);
  const key: PresetGGUFKey = { preset: opts.preset, type: opts.type, seed: opts.seed ?? 1 };
  const dir = opts.cacheDir ?? defaultBenchCacheDir();
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new PresetGGUFError(`cannot create the bench cache folder ${dir}: ${(e as Error).message}`);
  }
  const path = join(dir, `${key.preset}-${key.type}-seed${key.seed}.gguf`);
  if (isCachedPresetGGUF(path, cfg, key)) return { path, written: false };
  opts.onWrite?.(path);
  writePresetGGUF(rt, path, cfg, key);
  return { path, written: true };
}
