// AWQ's per-channel scales (Lin et al. 2023, "AWQ: Activation-aware Weight Quantization"): an input
// channel that carries large activations gets its weight column multiplied by s > 1 before rounding,
// and whatever produces that channel is divided by s, so the float function is unchanged while the
// rounding error of the salient columns shrinks by 1/s.
import type { YiConfig } from '../config.js';

/**
 * The scales of one layer, one per group of matrices that read the same input. Each scale vector s
 * multiplies the columns of the group's matrices and divides what produces the input:
 *   attn [H]:       input_layernorm /= s;          q_proj, k_proj, v_proj columns *= s
 *   mlp  [H]:       post_attention_layernorm /= s; gate_proj, up_proj columns *= s
 *   down [F]:       up_proj rows /= s;             down_proj columns *= s   (silu(g) * u is linear in u)
 *   o    [Hq * D]:  v_proj rows /= s;              o_proj columns *= s      (only when Hq == Hkv: under
 *                  GQA one v channel feeds several o_proj columns, and AutoAWQ skips the pair too)
 * A group without a vector is left as it is.
 */
export interface LayerScales {
  attn?: Float32Array;
  mlp?: Float32Array;
  down?: Float32Array;
  o?: Float32Array;
}

export type GroupName = keyof LayerScales;

/** The groups of a layer in the order AutoAWQ searches them. */
export const GROUPS: readonly GroupName[] = ['attn', 'o', 'mlp', 'down'];

/** Whether v_proj's rows can absorb o_proj's input scales: one v channel per o_proj column (no GQA). */
export function canScaleO(cfg: YiConfig): boolean {
  return cfg.heads === cfg.kvHeads;
}

/** Channels of a group's input. */
export function groupWidth(cfg: YiConfig, g: GroupName): number {
  return g === 'down' ? cfg.ffn : g === 'o' ? cfg.heads * cfg.headDim : cfg.hidden;
}

/** Hugging Face names (within a layer) of the matrices that read a group's input. */
export const GROUP_MATRICES: Readonly<Record<GroupName, readonly string[]>> = {
  attn: ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj'],
  o: ['self_attn.o_proj'],
  mlp: ['mlp.gate_proj', 'mlp.up_proj'],
  down: ['mlp.down_proj'],
};

/**
 * AutoAWQ's scale for exponent alpha: mean|x|^alpha per channel (at least 1e-4), divided by
 * sqrt(max * min) so the scales straddle 1 and no column grows without bound.
 */
export function scalesFor(meanAbs: Float32Array, alpha: number): Float32Array {
  const s = new Float32Array(meanAbs.length);
  let max = 0;
  let min = Infinity;
  for (let i = 0; i < s.length; i++) {
    const v = Math.max(1e-4, Math.pow(meanAbs[i]!, alpha));
    s[i] = v;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const norm = Math.sqrt(max * min);
  for (let i = 0; i < s.length; i++) {
    const v = s[i]! / norm;
    s[i] = Number.isFinite(v) && v > 0 ? v : 1;
  }
  return s;
}
