// AutoAWQ's objective for the matrices that read a normed input (q/k/v after input_layernorm,
// gate/up after post_attention_layernorm): the mean squared error of the whole sub-block's output
// (attention through o_proj, or the MLP through down_proj) when those matrices are rounded with
// scales s and the rest stays float. The per-matrix error alone misleads here: an error in q or k
// passes through the softmax, and one in gate through the SiLU, each with its own weight.
// With the fold, the block reads xb / s and holds Q(W s): exactly the file's computation.
import { Tensor } from '../../tensor/tensor.js';
import type { ConvertType } from '../convert.js';
import type { LayerWeights } from '../weights.js';
import { roundTrip } from './fake-quant.js';
import type { BlockWeights, LayerRunner } from './layer-runner.js';

/** A matrix of the group (a field of the layer's weights) and the type the file stores it in. */
export interface BlockMatrix {
  field: keyof LayerWeights;
  type: ConvertType;
}

/** Mean squared difference of the sub-block's output from `ref` (its float output on X) with the group rounded under scales s (undefined: plain rounding). */
export function blockError(runner: LayerRunner, kind: 'attention' | 'mlp', w: LayerWeights, X: Float32Array, mats: readonly BlockMatrix[], ref: Float32Array, s?: Float32Array): number {
  const rt = runner.rt;
  const rounded: Tensor[] = [];
  try {
    const weights: LayerWeights = { ...w };
    for (const m of mats) {
      const src = w[m.field];
      const rows = src.rows;
      const cols = src.cols;
      const q = Tensor.zeros(rt, 'f32', [rows, cols], runner.arena);
      rounded.push(q);
      const v = q.arena.f32.subarray(q.offset / 4, q.offset / 4 + rows * cols);
      v.set(src.arena.f32.subarray(src.offset / 4, src.offset / 4 + rows * cols));
      if (s) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[r * cols + c] = v[r * cols + c]! * s[c]!;
      roundTrip(rt, q, m.type, q);
      weights[m.field] = q;
    }
    let xs = X;
    if (s) {
      const width = s.length;
      xs = new Float32Array(X.length);
      for (let i = 0; i < X.length; i++) xs[i] = X[i]! / s[i % width]!;
    }
    const out = new Float32Array(ref.length);
    runner.block(kind, weights as BlockWeights, xs, out);
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += (out[i]! - ref[i]!) ** 2;
    return sum / out.length;
  } finally {
    for (const q of rounded) q.dispose();
  }
}
