// Loads a Yi/Llama checkpoint (Hugging Face folder or GGUF file) into a YiModel, tensor by tensor,
// straight into wasm memory: same-encoding weights are read in place; others are read a few rows at
// a time and converted (f16/bf16 -> f32, quantizing, or GGUF blocks -> the x4 layout).
import type { Runtime } from '../runtime/runtime.js';
import { isQuantized, type DType } from '../tensor/dtype.js';
import { castInto } from '../tensor/ops/cast.js';
import { quantBytes } from '../tensor/ops/quant.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInferenceMemory } from './memory.js';
import { YiModel, type ModelOptions } from './model.js';
import { LoadError, openWeights, type SourceTensor, type WeightSource } from './source.js';
import { fallbackSummary, matrixType, type WeightFallback } from './weight-types.js';
import { STAGING_ROWS, type MatrixTypes } from './weights.js';

export interface LoadOptions extends ModelOptions {
  /**
   * Matrix dtype in memory (default: each matrix as stored in the file). A block type (q8_0, q4_0)
   * leaves matrices whose rows are not whole 32-weight blocks in f16 (weight-types.ts). Norms are f32.
   */
  dtype?: DType;
  /** Called after each tensor with (done, total) for a progress display. */
  onProgress?: (done: number, total: number) => void;
  /** Called once with one line when some matrices could not take `dtype` and fell back. */
  onWarning?: (message: string) => void;
}

/** Opens `path` (a Hugging Face model folder or a .gguf file) and loads it. */
export function loadModel(rt: Runtime, path: string, opts: LoadOptions = {}): YiModel {
  const src = openWeights(path);
  try {
    return loadFromSource(rt, src, opts);
  } finally {
    src.close();
  }
}

export function loadFromSource(rt: Runtime, src: WeightSource, opts: LoadOptions = {}): YiModel {
  const cfg = src.config;
  // Refused with the figure before the first byte is allocated (defaults as in YiModel.create); a
  // mixed file is estimated at the type of its first attention matrix.
  const dtype = opts.dtype ?? src.tensors.get('model.layers.0.self_attn.q_proj.weight')?.dtype ?? 'f32';
  checkInferenceMemory(cfg, { dtype, contextLength: opts.contextLength ?? Math.min(cfg.maxPositions, 4096), batch: opts.batch ?? 128 }, { arenaBytes: rt.arenaBytes, threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread });
  const total = 3 + cfg.layers * 9;
  let done = 0;
  // Checked before a type is picked from it, so a file that disagrees with its config fails here.
  const sourceOf = (name: string, shape: readonly number[]): SourceTensor => {
    let s = src.tensors.get(name);
    if (!s && name === 'lm_head.weight' && cfg.tieEmbeddings) s = src.tensors.get('model.embed_tokens.weight');
    if (!s) throw new LoadError(src.format, src.path, `tensor ${name} is missing`);
    if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
      throw new LoadError(src.format, src.path, `tensor ${name} has shape [${s.shape.join(', ')}], the config needs [${shape.join(', ')}]`);
    }
    return s;
  };
  const want = opts.dtype;
  const typeOf: MatrixTypes = want ? (_name, [, cols]) => matrixType(want, cols) : (name, shape) => sourceOf(name, shape).dtype;
  const fallbacks: WeightFallback[] = [];
  const model = YiModel.create(
    rt,
    cfg,
    typeOf,
    (name, t) => {
      const s = sourceOf(name, t.shape);
      if (want && t.rank === 2 && t.dtype !== want) fallbacks.push({ name, cols: t.cols, wanted: want, got: t.dtype });
      fillFrom(s, t);
      opts.onProgress?.(++done, total);
    },
    opts,
  );
  const summary = fallbackSummary(fallbacks, 2 + cfg.layers * 7);
  if (summary) opts.onWarning?.(summary);
  return model;
}

/** Copies a source tensor into `t`, converting its encoding when it differs. */
export function fillFrom(s: SourceTensor, t: Tensor): void {
  const rows = t.rank === 1 ? 1 : t.rows;
  if (s.dtype === t.dtype && !isQuantized(t.dtype)) {
    s.readRows(0, rows, t.bytes());
    return;
  }
  const rt = t.rt;
  const arena = t.arena;
  const cols = t.cols;
  const chunk = Math.min(STAGING_ROWS, rows);
  const raw = rt.alloc(chunk * s.rowBytes, arena);
  const f32 = Tensor.zeros(rt, 'f32', [chunk, cols], arena);
  try {
    for (let r = 0; r < rows; r += chunk) {
      const n = Math.min(chunk, rows - r);
      s.readRows(r, n, arena.u8.subarray(raw.offset, raw.offset + n * s.rowBytes));
      const dst = t.rank === 1 ? t.reshape([1, cols]) : t.slice(r, n);
      if (isQuantized(s.dtype) && s.dtype === t.dtype) {
        // GGUF blocks -> x4 layout, bytes only.
        rt.parallel('repack_to_x4', arena, [raw.offset, dst.offset, n, cols, quantBytes(s.dtype)], Math.ceil(n / 4) * 4, 4, 16);
        continue;
      }
      const stage = f32.slice(0, n);
      decodeToF32(s.dtype, raw.offset, stage, n * cols);
      castInto(stage, dst);
    }
  } finally {
    rt.release(raw);
    f32.dispose();
  }
}

/** Decodes `count` values of a file encoding at `raw` (same arena) into the f32 tensor `out`. */
function decodeToF32(dtype: SourceTensor['dtype'], raw: number, out: Tensor, count: number): void {
  const rt = out.rt;
  const arena = out.arena;
  switch (dtype) {
    case 'f32':
      arena.u8.copyWithin(out.offset, raw, raw + count * 4);
      return;
    case 'f16':
    case 'bf16':
      rt.parallel(`convert_${dtype}_f32`, arena, [raw, out.offset], count, 8, 1 << 14);
      return;
    case 'q8_0':
    case 'q4_0':
      rt.parallel('dequantize_gguf', arena, [raw, out.offset, quantBytes(dtype)], count / 32, 1, 256);
      return;
  }
}
