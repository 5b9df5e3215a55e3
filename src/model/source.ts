// Where weights come from: a Hugging Face folder (config.json + safetensors) or a GGUF file, both
// seen the same way: a config and, per Hugging Face tensor name, a dtype, a shape and a way to read
// whole rows in the file's own encoding. GGUF's q/k rows are permuted back to Hugging Face's order.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FormatError } from '../formats/errors.js';
import { dtypeOfGGMLType, ggmlTypeName } from '../formats/ggml-types.js';
import type { KType } from '../tensor/dtype.js';
import { openGGUF } from '../formats/gguf.js';
import { readHFConfig } from '../formats/hf-config.js';
import { canonicalHFName, ggufToHFName, ggufToHFRowOrder, isIgnoredHFTensor, ropePermutedKind } from '../formats/llama-names.js';
import { openSafetensorsDir } from '../formats/safetensors.js';
import { fromGGUFMetadata, fromHFConfig, type YiConfig } from './config.js';
import { notAModelFile, notAModelFolder } from './model-path.js';

/** Encodings a weight can have in a file that the loader understands. */
export type SourceDType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | KType;

/** The GGUF tensor types a model's weights may have, as named in errors. */
const GGUF_WEIGHT_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'];

export interface SourceTensor {
  dtype: SourceDType;
  /** [rows, cols] for matrices, [n] for vectors (Hugging Face orientation). */
  shape: number[];
  /** Bytes of one row in the file's encoding. */
  rowBytes: number;
  /** Reads rows [row, row + count) into dst (count * rowBytes bytes, e.g. a window of wasm memory). */
  readRows(row: number, count: number, dst: Uint8Array): void;
}

export interface WeightSource {
  path: string;
  format: 'safetensors' | 'gguf';
  config: YiConfig;
  /** By Hugging Face name (model.layers.0.self_attn.q_proj.weight). */
  tensors: Map<string, SourceTensor>;
  /** The file's tensors that have no Hugging Face name (GGUF: rope_freqs.weight ...), by their file names. */
  unmapped?: string[];
  close(): void;
}

export class LoadError extends FormatError {}

function preadFully(fd: number, dst: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < dst.length) {
    const n = readSync(fd, dst, done, dst.length - done, position + done);
    if (n === 0) throw new LoadError('load', file, `file ended while reading ${dst.length} bytes at ${position}`);
    done += n;
  }
}

/** The config of the model at `path` (a Hugging Face folder or GGUF), its weights left unread. */
export function readModelConfig(path: string): YiConfig {
  const src = openWeights(path);
  try {
    return src.config;
  } finally {
    src.close();
  }
}

/** Opens a Hugging Face folder (or its config.json) or a .gguf file. */
export function openWeights(path: string): WeightSource {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new LoadError('load', path, 'no such file or folder (expected a Hugging Face model folder or a .gguf file)');
  }
  if (st.isDirectory()) {
    if (!existsSync(join(path, 'config.json'))) throw new LoadError('load', path, notAModelFolder(path));
    return openHF(path);
  }
  if (path.endsWith('.gguf')) return openGGUFWeights(path);
  if (basename(path) === 'config.json') return openHF(join(path, '..'));
  throw new LoadError('load', path, notAModelFile(path));
}

function openHF(dir: string): WeightSource {
  const config = fromHFConfig(readHFConfig(join(dir, 'config.json')), join(dir, 'config.json'));
  const st = openSafetensorsDir(dir);
  const fds = new Map<string, number>();
  const fdOf = (file: string) => {
    let fd = fds.get(file);
    if (fd === undefined) fds.set(file, (fd = openSync(file, 'r')));
    return fd;
  };
  const tensors = new Map<string, SourceTensor>();
  const fileName = new Map<string, string>();
  try {
    for (const [name, info] of st.tensors) {
      if (isIgnoredHFTensor(name)) continue;
      const dtype = ({ F32: 'f32', F16: 'f16', BF16: 'bf16' } as Record<string, SourceDType>)[info.dtype];
      if (!dtype) throw new LoadError('safetensors', info.file, `tensor ${name} has dtype ${info.dtype}; weights must be F32, F16 or BF16`);
      const rowBytes = (info.shape[info.shape.length - 1] ?? 1) * (dtype === 'f32' ? 4 : 2);
      const canonical = canonicalHFName(name);
      // ln1 and input_layernorm are one tensor under two names: both in a file would leave one unread.
      const other = fileName.get(canonical);
      if (other !== undefined) throw new LoadError('safetensors', info.file, `tensors ${other} and ${name} are the same weight (${canonical}) under two names`);
      fileName.set(canonical, name);
      tensors.set(canonical, {
        dtype,
        shape: info.shape,
        rowBytes,
        readRows(row, count, dst) {
          preadFully(fdOf(info.file), dst.subarray(0, count * rowBytes), info.offset + row * rowBytes, info.file);
        },
      });
    }
  } catch (e) {
    st.close();
    throw e;
  }
  return {
    path: dir,
    format: 'safetensors',
    config,
    tensors,
    close() {
      for (const fd of fds.values()) closeSync(fd);
      st.close();
    },
  };
}

function openGGUFWeights(path: string): WeightSource {
  const g = openGGUF(path);
  let config: YiConfig;
  const tensors = new Map<string, SourceTensor>();
  const unmapped: string[] = [];
  let fd = -1;
  try {
    config = fromGGUFMetadata(g.metadata, { source: path, tensorNames: g.tensors.map((t) => t.name) });
    for (const info of g.tensors) {
      const name = ggufToHFName(info.name);
      if (!name) {
        unmapped.push(info.name); // rope_freqs and other tensors the forward pass does not read
        continue;
      }
      const dtype = dtypeOfGGMLType(info.type) as SourceDType | undefined;
      if (!dtype || !GGUF_WEIGHT_TYPES.includes(dtype)) {
        throw new LoadError('gguf', path, `tensor ${info.name} has type ${ggmlTypeName(info.type)}; supported: ${GGUF_WEIGHT_TYPES.map((t) => t.toUpperCase()).join(', ')}`);
      }
      const rows = info.shape.length > 1 ? info.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
      const rowBytes = info.byteLength / rows;
      const kind = ropePermutedKind(name);
      let order: Int32Array | undefined;
      tensors.set(name, {
        dtype,
        shape: info.shape,
        rowBytes,
        readRows(row, count, dst) {
          if (kind) {
            // llama.cpp's converter interleaved q/k rows for its RoPE; undo it row by row (HF row r is
            // GGUF row order[r]), so nothing beyond the rows asked for is read or kept.
            order ??= ggufToHFRowOrder(rows, kind === 'q' ? config.heads : config.kvHeads);
            for (let i = 0; i < count; i++) {
              preadFully(fd, dst.subarray(i * rowBytes, (i + 1) * rowBytes), info.offset + order[row + i]! * rowBytes, path);
            }
            return;
          }
          preadFully(fd, dst.subarray(0, count * rowBytes), info.offset + row * rowBytes, path);
        },
      });
    }
    fd = openSync(path, 'r');
  } catch (e) {
    g.close();
    throw e;
  }
  return {
    path,
    format: 'gguf',
    config,
    tensors,
    unmapped,
    close() {
      closeSync(fd);
      g.close();
    },
  };
}

