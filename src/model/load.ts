// Loads a Yi/Llama checkpoint (Hugging Face folder or GGUF file) into a YiModel, tensor by tensor,
// straight into wasm memory: same-encoding weights are read in place; others are read a few rows at
// a time and converted (f16/bf16 -> f32, quantizing, or GGUF blocks -> the x4 layout).
import type { Runtime } from '../runtime/runtime.js';
import { isKType, isKX4, isQuantized, type DType } from '../tensor/dtype.js';
import { castInto } from '../tensor/ops/cast.js';
import { kDequantizeAt, kRepackAt } from '../tensor/ops/kquant.js';
import { quantBytes } from '../tensor/ops/quant.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInferenceMemory } from './memory.js';
import { YiModel, type ModelOptions } from './model.js';
import { nonFiniteError, scanningReads, type TensorNonFinite } from './finite.js';
import { openWeights, type SourceTensor, type WeightSource } from './source.js';
import { selectTensors, unusedWarning } from './tensor-set.js';
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
  /** Refuse a file with tensors the model does not read (default: warn and ignore them). */
  strict?: boolean;
  /** Scan every weight for NaN and infinite values as it is read (one more pass over the bytes); fail naming each tensor that has some. */
  check?: boolean;
  /** Receives what loading has to say: warnings about the file (ignored tensors, an lm_head kept untied) and
   *  notes that are no fault of the file (matrices that fell back from `dtype`); default: printed to stderr. */
  onMessage?: (message: string, level: LoadMessageLevel) => void;
}

/** A load message's weight: 'warning' is about the file; a 'note' is about choices made for it (`--quiet` silences notes). */
export type LoadMessageLevel = 'warning' | 'note';

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
  const say = opts.onMessage ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const warn = (m: string) => say(m, 'warning');
  // Every tensor is checked against the config before anything is allocated.
  const { sources, unused, tiedHeadInFile } = selectTensors(src, { strict: opts.strict });
  if (unused.length > 0) warn(unusedWarning(src, unused));
  const total = 3 + cfg.layers * 9;
  let done = 0;
  const nonFinite = new Map<string, TensorNonFinite>();
  let embed: Tensor | undefined;
  const want = opts.dtype;
  const typeOf: MatrixTypes = want ? (_name, [, cols]) => matrixType(want, cols) : (name) => sources.get(name)!.dtype;
  const fallbacks: WeightFallback[] = [];
  const model = YiModel.create(
    rt,
    cfg,
    typeOf,
    (name, t) => {
      let s = sources.get(name)!;
      if (opts.check) {
        const raw = s;
        s = scanningReads(raw, (n) => nonFinite.set(name, { n, dtype: raw.dtype }));
      }
      if (want && t.rank === 2 && t.dtype !== want) fallbacks.push({ name, cols: t.cols, wanted: want, got: t.dtype });
      fillFrom(s, t);
      if (name === 'model.embed_tokens.weight') embed = t;
      if (name === 'lm_head.weight' && tiedHeadInFile && embed && !sameBytes(embed, t)) {
        warn(
          `${src.path}: tie_word_embeddings is true but lm_head.weight differs from model.embed_tokens.weight; ` +
            'both are used as stored (untied), as transformers does. Set tie_word_embeddings to false to silence this warning.',
        );
      }
      opts.onProgress?.(++done, total);
    },
    opts,
  );
  if (nonFinite.size > 0) {
    model.dispose();
    throw nonFiniteError(src, nonFinite);
  }
  const summary = fallbackSummary(fallbacks, 2 + cfg.layers * 7);
  if (summary) say(summary, 'note');
  return model;
}

function sameBytes(a: Tensor, b: Tensor): boolean {
  const x = a.bytes();
  const y = b.bytes();
  return Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(y.buffer, y.byteOffset, y.length));
}

/** Copies a source tensor into `t`, converting its encoding when it differs. */
export function fillFrom(s: SourceTensor, t: Tensor): void {
  const rows = t.rank === 1 ? 1 : t.rows;
  if (s.dtype === t.dtype && !isQuantized(t.dtype) && !isKX4(t.dtype)) {
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
      if (isKType(s.dtype) && isKX4(s.dtype) && s.dtype === t.dtype) {
        kRepackAt(rt, arena, s.dtype, raw.offset, dst.offset, n, cols);
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
  if (isKType(dtype)) {
    kDequantizeAt(rt, arena, dtype, raw, out.offset, count);
    return;
  }
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
