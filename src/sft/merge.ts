// `yi lora merge`: folds a LoRA adapter into its base, W' = W + scale * B A (PEFT's merge_and_unload),
// and writes a complete Hugging Face folder: the base's files (config.json, tokenizer files...) copied,
// its tensors in one model.safetensors, each targeted projection merged in the base's own dtype and the
// rest copied byte for byte. The folder is written under a temp name and renamed into place whole.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ByteStream } from '../formats/atomic.js';
import { readHFConfig } from '../formats/hf-config.js';
import { canonicalHFName } from '../formats/llama-names.js';
import { openSafetensorsDir, writeSafetensors, type SafetensorsTensorInfo, type SafetensorsWriteTensor } from '../formats/safetensors.js';
import { fromHFConfig } from '../model/config.js';
import { baseWeightName, loraParamName, loraScale } from '../model/lora.js';
import { notAModelFolder } from '../model/model-path.js';
import { LoadError } from '../model/source.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../tensor/half.js';
import { publishFolder, tempFolder } from '../train/run-folder.js';
import { AdapterError, checkAdapterFits, loadLoraAdapter } from './peft.js';

export interface MergeOptions {
  /** The base model: a Hugging Face folder (config.json + safetensors). */
  model: string;
  /** The PEFT adapter folder. */
  adapter: string;
  /** The merged model's folder (replaced whole once complete). */
  out: string;
  /** After each tensor written: (done, total, name). */
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface MergeResult {
  out: string;
  /** Projections the adapter changed. */
  merged: number;
  /** Tensors written in all. */
  tensors: number;
  /** The scale B A was multiplied by (alpha / r, or alpha / sqrt(r)). */
  scale: number;
}

type Matrix = { shape: [number, number]; values: Float32Array };

/** Bytes read at a time when copying a tensor that is not merged. */
const COPY_CHUNK = 4 << 20;

export function mergeLoraAdapter(opts: MergeOptions): MergeResult {
  const { model, out } = opts;
  if (!existsSync(model) || !statSync(model).isDirectory() || !existsSync(join(model, 'config.json'))) {
    throw new LoadError('load', model, existsSync(model) && statSync(model).isDirectory() ? notAModelFolder(model) : 'no such folder (expected a Hugging Face model folder: config.json + safetensors)');
  }
  for (const [what, p] of [['--model', model], ['--adapter', opts.adapter]] as const) {
    if (resolve(out) === resolve(p)) throw new AdapterError(out, `the output folder must differ from ${what} (it is replaced whole)`);
  }
  const cfg = fromHFConfig(readHFConfig(join(model, 'config.json')), join(model, 'config.json'));
  const adapter = loadLoraAdapter(opts.adapter);
  checkAdapterFits(adapter, cfg);
  const scale = loraScale(adapter.options);
  // Base weight name (canonical) -> the adapter's A and B.
  const merges = new Map<string, { a: Matrix; b: Matrix }>();
  for (let l = 0; l < cfg.layers; l++) {
    for (const t of adapter.options.targets) merges.set(baseWeightName(l, t), { a: adapter.tensors.get(loraParamName(l, t, 'A'))!, b: adapter.tensors.get(loraParamName(l, t, 'B'))! });
  }
  const st = openSafetensorsDir(model);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const tmp = tempFolder(resolve(out));
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    for (const f of readdirSync(model)) {
      const from = join(model, f);
      if (!statSync(from).isFile() || f.endsWith('.safetensors') || f === 'model.safetensors.index.json' || f.endsWith('.bin')) continue;
      copyFileSync(from, join(tmp, f));
    }
    const infos = [...st.tensors.values()];
    const seen = new Set<string>();
    const tensors: SafetensorsWriteTensor<Uint8Array | ByteStream>[] = infos.map((info) => {
      const m = merges.get(canonicalHFName(info.name));
      if (!m) return { name: info.name, dtype: info.dtype, shape: info.shape, data: fileStream(info) };
      seen.add(canonicalHFName(info.name));
      return { name: info.name, dtype: info.dtype, shape: info.shape, data: mergedStream(info, m.a, m.b, scale) };
    });
    for (const name of merges.keys()) if (!seen.has(name)) throw new AdapterError(model, `tensor ${name}, which the adapter modifies, is not in the model's safetensors`);
    let done = 0;
    const progress = tensors.map((t) => ({
      ...t,
      data: {
        byteLength: (t.data as ByteStream).byteLength,
        write(emit: (chunk: Uint8Array) => void) {
          (t.data as ByteStream).write(emit);
          opts.onProgress?.(++done, tensors.length, t.name);
        },
      },
    }));
    writeSafetensors(join(tmp, 'model.safetensors'), progress, { format: 'pt' });
    publishFolder(tmp, resolve(out));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    st.close();
  }
  return { out, merged: merges.size, tensors: st.tensors.size, scale };
}

/** A tensor's bytes streamed from its file in chunks (nothing of the model is held whole). */
function fileStream(info: SafetensorsTensorInfo): ByteStream {
  return {
    byteLength: info.byteLength,
    write(emit) {
      const fd = openSync(info.file, 'r');
      try {
        const buf = new Uint8Array(Math.min(COPY_CHUNK, info.byteLength));
        for (let done = 0; done < info.byteLength; ) {
          const want = Math.min(buf.length, info.byteLength - done);
          const n = readSync(fd, buf, 0, want, info.offset + done);
          if (n === 0) throw new AdapterError(info.file, `tensor ${info.name}: the file ended while copying it`);
          emit(buf.subarray(0, n));
          done += n;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** W + scale * B A, row by row in float64, then rounded to W's dtype. W: [out, in], B: [out, r], A: [r, in]. */
function mergedStream(info: SafetensorsTensorInfo, a: Matrix, b: Matrix, scale: number): ByteStream {
  const [rows, cols] = info.shape as [number, number];
  const r = a.shape[0];
  const width = info.dtype === 'F32' ? 4 : 2;
  if (!['F32', 'F16', 'BF16'].includes(info.dtype)) throw new AdapterError(info.file, `tensor ${info.name}: dtype ${info.dtype}; a merged weight must be F32, F16 or BF16`);
  return {
    byteLength: info.byteLength,
    write(emit) {
      const fd = openSync(info.file, 'r');
      try {
        const raw = new Uint8Array(cols * width);
        const dv = new DataView(raw.buffer);
        const acc = new Float64Array(cols);
        for (let o = 0; o < rows; o++) {
          if (readSync(fd, raw, 0, raw.length, info.offset + o * raw.length) !== raw.length) throw new AdapterError(info.file, `tensor ${info.name}: the file ended at row ${o}`);
          acc.fill(0);
          for (let j = 0; j < r; j++) {
            const c = scale * b.values[o * r + j]!;
            if (c === 0) continue;
            const row = j * cols;
            for (let i = 0; i < cols; i++) acc[i]! += c * a.values[row + i]!;
          }
          for (let i = 0; i < cols; i++) {
            if (info.dtype === 'F32') dv.setFloat32(4 * i, dv.getFloat32(4 * i, true) + acc[i]!, true);
            else if (info.dtype === 'F16') dv.setUint16(2 * i, f32ToF16Bits(f16BitsToF32(dv.getUint16(2 * i, true)) + acc[i]!), true);
            else dv.setUint16(2 * i, f32ToBf16Bits(bf16BitsToF32(dv.getUint16(2 * i, true)) + acc[i]!), true);
          }
          emit(raw);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}
