// LoRA (Hu et al. 2021) as PEFT does it: each targeted projection W [out, in] of a frozen base gains
// y = x W^T + scale * dropout(x) A^T B^T, with A [r, in] ~ kaiming-uniform(a = sqrt(5)) (that is
// U(-1/sqrt(in), 1/sqrt(in))), B [out, r] = 0, so an untrained adapter leaves the model exactly as it was.
// scale = alpha / r (PEFT's default) or alpha / sqrt(r) (rsLoRA). Adapters are named as PEFT saves them,
// so the trainable model's parameters are the adapter file's tensors.
import { mulberry32 } from '../tensor/random.js';
import type { YiConfig } from './config.js';
import { layerMatrixShapes, type LayerWeights } from './weights.js';

/** The projections of a decoder layer an adapter can be put on (PEFT's target_modules, short). */
export type LoraTarget = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

export const LORA_TARGETS: readonly LoraTarget[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

export interface LoraOptions {
  /** r: the adapter's inner width. */
  rank: number;
  /** lora_alpha: the update is scaled by alpha / r (alpha / sqrt(r) with rslora). */
  alpha: number;
  /** Dropout probability on the adapter's input (training only), in [0, 1). */
  dropout: number;
  targets: LoraTarget[];
  /** Seeds A's initialization and the dropout masks. */
  seed: number;
  /** rsLoRA's scale alpha / sqrt(r) (PEFT's use_rslora). Default false. */
  rslora?: boolean;
}

/** Bad LoRA settings (a rank of 0, an unknown target...): the message names the setting. */
export class LoraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoraError';
  }
}

/** Hugging Face module path (under model.layers.N.) and the LayerWeights field of each target. */
export const TARGET_MODULES: Readonly<Record<LoraTarget, { module: string; field: keyof LayerWeights }>> = {
  q: { module: 'self_attn.q_proj', field: 'wq' },
  k: { module: 'self_attn.k_proj', field: 'wk' },
  v: { module: 'self_attn.v_proj', field: 'wv' },
  o: { module: 'self_attn.o_proj', field: 'wo' },
  gate: { module: 'mlp.gate_proj', field: 'wGate' },
  up: { module: 'mlp.up_proj', field: 'wUp' },
  down: { module: 'mlp.down_proj', field: 'wDown' },
};

/** The target a PEFT target_modules name (q_proj, gate_proj...) stands for, if any. */
export function targetOfModule(name: string): LoraTarget | undefined {
  return LORA_TARGETS.find((t) => TARGET_MODULES[t].module.endsWith('.' + name));
}

/** The PEFT module name (q_proj ...) of a target. */
export function moduleName(t: LoraTarget): string {
  return TARGET_MODULES[t].module.split('.')[1]!;
}

/** `q,k,v` or `q_proj,v_proj` (PEFT's spelling), or `all` -> targets in layer order; LoraError otherwise. */
export function parseLoraTargets(s: string): LoraTarget[] {
  const names = s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (names.length === 1 && names[0] === 'all') return [...LORA_TARGETS];
  const out = new Set<LoraTarget>();
  for (const n of names) {
    const t = (LORA_TARGETS as readonly string[]).includes(n) ? (n as LoraTarget) : targetOfModule(n);
    if (!t) throw new LoraError(`LoRA target ${JSON.stringify(n)}: expected one of ${LORA_TARGETS.join(', ')} (or ${LORA_TARGETS.map(moduleName).join(', ')}, or all)`);
    out.add(t);
  }
  if (out.size === 0) throw new LoraError('LoRA targets: expected at least one of ' + LORA_TARGETS.join(', '));
  return LORA_TARGETS.filter((t) => out.has(t));
}

/** Refuses settings PEFT would refuse or that make no adapter; returns the options with targets in layer order. */
export function validateLoraOptions(o: LoraOptions): LoraOptions {
  if (!Number.isSafeInteger(o.rank) || o.rank < 1) throw new LoraError(`LoRA rank must be an integer >= 1, got ${o.rank}`);
  if (!Number.isFinite(o.alpha) || o.alpha <= 0) throw new LoraError(`LoRA alpha must be a positive number, got ${o.alpha}`);
  if (!Number.isFinite(o.dropout) || o.dropout < 0 || o.dropout >= 1) throw new LoraError(`LoRA dropout must be in [0, 1), got ${o.dropout}`);
  if (!Number.isSafeInteger(o.seed)) throw new LoraError(`LoRA seed must be an integer, got ${o.seed}`);
  if (!Array.isArray(o.targets) || o.targets.length === 0) throw new LoraError('LoRA needs at least one target (q, k, v, o, gate, up, down)');
  for (const t of o.targets) if (!LORA_TARGETS.includes(t)) throw new LoraError(`LoRA target ${JSON.stringify(t)}: expected one of ${LORA_TARGETS.join(', ')}`);
  return { ...o, targets: LORA_TARGETS.filter((t) => o.targets.includes(t)) };
}

/** What multiplies B A x: alpha / r, or alpha / sqrt(r) with rsLoRA (PEFT's LoraLayer.update_layer). */
export function loraScale(o: Pick<LoraOptions, 'rank' | 'alpha' | 'rslora'>): number {
  return o.rslora ? o.alpha / Math.sqrt(o.rank) : o.alpha / o.rank;
}

/** PEFT's saved name of an adapter matrix: base_model.model.model.layers.{l}.self_attn.q_proj.lora_A.weight. */
export function loraParamName(layer: number, target: LoraTarget, which: 'A' | 'B'): string {
  return `base_model.model.model.layers.${layer}.${TARGET_MODULES[target].module}.lora_${which}.weight`;
}

/** The Hugging Face name of the base weight an adapter modifies. */
export function baseWeightName(layer: number, target: LoraTarget): string {
  return `model.layers.${layer}.${TARGET_MODULES[target].module}.weight`;
}

/** One adapter's place and shapes: A [r, in], B [out, r]. */
export interface AdapterShape {
  layer: number;
  target: LoraTarget;
  a: { name: string; shape: [number, number] };
  b: { name: string; shape: [number, number] };
}

/** Every adapter of a config and options, in layer then target order (the order of the optimizer's params). */
export function adapterShapes(cfg: YiConfig, o: Pick<LoraOptions, 'rank' | 'targets'>): AdapterShape[] {
  const shapes = layerMatrixShapes(cfg);
  const out: AdapterShape[] = [];
  for (let layer = 0; layer < cfg.layers; layer++) {
    for (const target of LORA_TARGETS.filter((t) => o.targets.includes(t))) {
      const [rows, cols] = shapes[TARGET_MODULES[target].field as keyof typeof shapes];
      out.push({ layer, target, a: { name: loraParamName(layer, target, 'A'), shape: [o.rank, cols] }, b: { name: loraParamName(layer, target, 'B'), shape: [rows, o.rank] } });
    }
  }
  return out;
}

/** Adapter parameters of a config: r (in + out) per targeted matrix per layer. */
export function adapterParameterCount(cfg: YiConfig, o: Pick<LoraOptions, 'rank' | 'targets'>): number {
  return adapterShapes(cfg, o).reduce((s, a) => s + a.a.shape[0] * a.a.shape[1] + a.b.shape[0] * a.b.shape[1], 0);
}

/**
 * Fills A matrices as torch.nn.init.kaiming_uniform_(a=sqrt(5)) does for a [r, in] weight: gain
 * sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in) = 1 / sqrt(in). One seeded stream over the
 * adapters in order, so a seed gives the same adapters on every machine (not torch's numbers).
 */
export function initLoraA(seed: number, matrices: readonly { values: Float32Array; fanIn: number }[]): void {
  const next = mulberry32(seed);
  for (const { values, fanIn } of matrices) {
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < values.length; i++) values[i] = (2 * next() - 1) * bound;
  }
}

/**
 * The seed of one projection's dropout mask in one step: distinct per (step seed, layer, target), the
 * same when a block is recomputed in backward.
 */
export function dropoutSeed(stepSeed: number, layer: number, target: LoraTarget): number {
  let h = Math.imul((stepSeed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (layer + 1) ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = Math.imul(h ^ (LORA_TARGETS.indexOf(target) + 1) ^ (h >>> 16), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
