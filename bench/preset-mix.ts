// Preset models in llama-quantize's mixes (q4_k_m, q5_k_m, q6_k ...): made by our own `yi quantize`
// (quantizeCheckpoint) from the preset's F32 file, or its Q8_0 file when the F32 one would pass
// MIX_F32_LIMIT bytes (Yi-6B: 24 GB), and cached beside them. Both engines then time that one file.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openGGUF } from '../src/formats/gguf.js';
import { preset } from '../src/model/config.js';
import { CONVERT_TYPES } from '../src/model/convert.js';
import { QUANTIZE_FILE_TYPE, QUANTIZE_TYPES, quantizeCheckpoint, type QuantizeType } from '../src/model/quantize.js';
import type { Runtime } from '../src/runtime/runtime.js';
import { defaultBenchCacheDir, presetGGUF } from './preset-gguf.js';

/** Largest F32 preset file a mix is quantized from; larger models start from their Q8_0 file. */
export const MIX_F32_LIMIT = 4e9;

/** Whether `type` is a quantization mix that only `yi quantize` writes (not a `yi convert` type). */
export function isMixPresetType(type: string | undefined): type is QuantizeType {
  const t = (type ?? '').toLowerCase();
  return (QUANTIZE_TYPES as readonly string[]).includes(t) && !(CONVERT_TYPES as readonly string[]).includes(t);
}

function paramBytesF32(name: string): number {
  const c = preset(name);
  const layer = 2 * c.hidden * c.heads * c.headDim + 2 * c.hidden * c.kvHeads * c.headDim + 3 * c.hidden * c.ffn;
  return 4 * (c.layers * layer + 2 * c.vocabSize * c.hidden);
}

/** A cached mix file is current when it opens, is newer than its source, and has the mix's file type and the source's name. */
function isCachedMix(path: string, source: string, type: QuantizeType): boolean {
  if (!existsSync(path) || statSync(path).mtimeMs < statSync(source).mtimeMs) return false;
  try {
    const f = openGGUF(path);
    const s = openGGUF(source);
    try {
      return f.metadata.get('general.file_type') === QUANTIZE_FILE_TYPE[type] && f.metadata.get('general.name') === s.metadata.get('general.name');
    } finally {
      f.close();
      s.close();
    }
  } catch {
    return false;
  }
}

export interface PresetMixOptions {
  preset: string;
  type: QuantizeType;
  seed?: number;
  cacheDir?: string;
  /** Called before a file is (re)written, with its path. */
  onWrite?: (path: string) => void;
}

/** The path of the preset's mix GGUF in the cache, quantized first if missing or stale. */
export async function presetMixGGUF(rt: Runtime, opts: PresetMixOptions): Promise<{ path: string; written: boolean }> {
  const type = opts.type.toLowerCase() as QuantizeType;
  const seed = opts.seed ?? 1;
  const from = paramBytesF32(opts.preset) <= MIX_F32_LIMIT ? 'f32' : 'q8_0';
  const source = presetGGUF(rt, { preset: opts.preset, type: from, seed, cacheDir: opts.cacheDir, onWrite: opts.onWrite }).path;
  const path = join(opts.cacheDir ?? defaultBenchCacheDir(), `${opts.preset}-${type}-seed${seed}.gguf`);
  if (isCachedMix(path, source, type)) return { path, written: false };
  opts.onWrite?.(path);
  await quantizeCheckpoint(source, path, { type, runtime: rt });
  return { path, written: true };
}
