// Folds AWQ scales into a checkpoint without changing the function it computes: a WeightSource whose
// affected tensors read as f32 with the scales applied row by row as they are read (nothing is held
// in memory beyond the scale vectors, so a model of any size folds in one streaming pass).
import type { SourceTensor, WeightSource } from '../source.js';
import { AwqError } from './errors.js';
import { decodeFloatRow, requireFloat } from './float-rows.js';
import type { LayerScales } from './scales.js';

/** What happens to one tensor: its columns multiplied by `cols`, row r divided by `rows[r]` (a vector's values by `rows`). */
interface Fold {
  cols?: Float32Array;
  rows?: Float32Array;
}

function foldsOf(scales: readonly LayerScales[]): Map<string, Fold> {
  const folds = new Map<string, Fold>();
  const at = (name: string): Fold => {
    let f = folds.get(name);
    if (!f) folds.set(name, (f = {}));
    return f;
  };
  scales.forEach((s, l) => {
    const p = `model.layers.${l}.`;
    if (s.attn) {
      at(p + 'input_layernorm.weight').rows = s.attn;
      for (const m of ['q_proj', 'k_proj', 'v_proj']) at(`${p}self_attn.${m}.weight`).cols = s.attn;
    }
    if (s.o) {
      at(p + 'self_attn.v_proj.weight').rows = s.o;
      at(p + 'self_attn.o_proj.weight').cols = s.o;
    }
    if (s.mlp) {
      at(p + 'post_attention_layernorm.weight').rows = s.mlp;
      for (const m of ['gate_proj', 'up_proj']) at(`${p}mlp.${m}.weight`).cols = s.mlp;
    }
    if (s.down) {
      at(p + 'mlp.up_proj.weight').rows = s.down;
      at(p + 'mlp.down_proj.weight').cols = s.down;
    }
  });
  return folds;
}

function foldTensor(name: string, s: SourceTensor, fold: Fold): SourceTensor {
  const dtype = s.dtype;
  requireFloat(name, dtype);
  const vector = s.shape.length === 1;
  const rows = vector ? 1 : s.shape[0]!;
  const cols = s.shape[s.shape.length - 1]!;
  const check = (what: string, v: Float32Array | undefined, n: number) => {
    if (v && v.length !== n) throw new AwqError(`AWQ ${what} scales for ${name} have ${v.length} values; the tensor needs ${n}`);
  };
  check('column', fold.cols, cols);
  check(vector ? 'value' : 'row', fold.rows, vector ? cols : rows);
  const rowBytes = cols * 4;
  let raw = new Uint8Array(0);
  return {
    dtype: 'f32',
    shape: [...s.shape],
    rowBytes,
    readRows(row, count, dst) {
      if (raw.length < count * s.rowBytes) raw = new Uint8Array(count * s.rowBytes);
      s.readRows(row, count, raw);
      const out = new Float32Array(cols);
      const bytes = new Uint8Array(out.buffer);
      for (let i = 0; i < count; i++) {
        decodeFloatRow(dtype, raw.subarray(i * s.rowBytes, (i + 1) * s.rowBytes), out);
        if (fold.cols) for (let c = 0; c < cols; c++) out[c] = out[c]! * fold.cols[c]!;
        if (fold.rows) {
          if (vector) for (let c = 0; c < cols; c++) out[c] = out[c]! / fold.rows[c]!;
          else {
            const d = fold.rows[row + i]!;
            for (let c = 0; c < cols; c++) out[c] = out[c]! / d;
          }
        }
        dst.set(bytes, i * rowBytes);
      }
    },
  };
}

/**
 * `src` with `scales[l]` folded into layer l (scales.ts says where each vector goes). The result
 * shares `src`'s files: closing it closes `src`.
 */
export function foldScales(src: WeightSource, scales: readonly LayerScales[]): WeightSource {
  if (scales.length > src.config.layers) throw new AwqError(`AWQ scales for ${scales.length} layers; the model has ${src.config.layers}`);
  const folds = foldsOf(scales);
  const tensors = new Map<string, SourceTensor>();
  for (const [name, s] of src.tensors) {
    const f = folds.get(name);
    tensors.set(name, f ? foldTensor(name, s, f) : s);
  }
  for (const name of folds.keys()) if (!src.tensors.has(name)) throw new AwqError(`${src.path}: tensor ${name} is missing; AWQ scales cannot be folded into it`);
  return { ...src, tensors, close: () => src.close() };
}
