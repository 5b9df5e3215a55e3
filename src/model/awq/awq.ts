// The AWQ scale search over a whole model (AutoAWQ's layer loop): the float model runs layer by layer
// over the calibration tokens; in each layer every group of matrices sharing an input gets the scales
// that minimise its rounded output error (search.ts), measured with the types the file will use, on
// the output AutoAWQ inspects: the attention block for q/k/v, the MLP for gate/up (block-error.ts),
// the matrix itself for o_proj and down_proj (group-error.ts). AutoAWQ's weight clipping search
// (auto_clip) is not done: the k-quant quantizers already search each block's scale and minimum.
// Because folding the scales leaves the float function unchanged (fold.ts), each layer's inputs are
// those of the original model, and one forward pass serves every group.
import type { Runtime } from '../../runtime/runtime.js';
import type { ConvertType } from '../convert.js';
import type { WeightSource } from '../source.js';
import type { LayerWeights } from '../weights.js';
import type { Calibration } from './calibration.js';
import { isRounding, roundTrip } from './fake-quant.js';
import { groupError, type GroupMatrix } from './group-error.js';
import { embedTokens, LayerRunner, type GroupInputs } from './layer-runner.js';
import { canScaleO, GROUP_MATRICES, GROUPS, groupWidth, type GroupName, type LayerScales } from './scales.js';
import { meanAbs, searchScales } from './search.js';
import { blockError } from './block-error.js';

/** The type a matrix (Hugging Face name, row length) is stored in. */
export type TypeOf = (hfName: string, cols: number) => ConvertType;

export interface AwqSearchOptions {
  /** Points of the alpha grid over [0, 1] (default 20). */
  grid?: number;
  /** Called after each searched group with (done, total, what). */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** What the search found for one group. */
export interface AwqGroupReport {
  layer: number;
  group: GroupName;
  alpha: number;
  /** Mean squared error of the inspected output on the calibration tokens: AWQ's, and plain rounding's. */
  error: number;
  rtnError: number;
}

export interface AwqSearchResult {
  scales: LayerScales[];
  groups: AwqGroupReport[];
  /** Groups left unscaled and why (v -> o under GQA; groups whose matrices stay float). */
  skipped: string[];
}

const FIELD: Readonly<Record<string, keyof LayerWeights>> = {
  'self_attn.q_proj': 'wq',
  'self_attn.k_proj': 'wk',
  'self_attn.v_proj': 'wv',
  'self_attn.o_proj': 'wo',
  'mlp.gate_proj': 'wGate',
  'mlp.up_proj': 'wUp',
  'mlp.down_proj': 'wDown',
};

export const DEFAULT_AWQ_GRID = 20;

/** The groups searched in a model of `src`'s config, and the reasons others are not. */
function groupsOf(src: WeightSource, typeOf: TypeOf): { groups: GroupName[]; skipped: string[] } {
  const cfg = src.config;
  const groups: GroupName[] = [];
  const skipped: string[] = [];
  for (const g of GROUPS) {
    if (g === 'o' && !canScaleO(cfg)) {
      skipped.push(`o_proj's input (v_proj -> o_proj): ${cfg.heads} query heads share ${cfg.kvHeads} KV heads, so v_proj's rows cannot absorb per-column scales (AutoAWQ skips it under GQA too)`);
      continue;
    }
    const types = GROUP_MATRICES[g].map((m) => typeOf(`model.layers.0.${m}.weight`, groupWidth(cfg, g)));
    if (!types.some(isRounding)) {
      skipped.push(`${GROUP_MATRICES[g].join(', ')}: stored as ${[...new Set(types)].join('/')}, not rounded to blocks`);
      continue;
    }
    groups.push(g);
  }
  return { groups, skipped };
}

/** Searches every layer's scales on `calib`; the runtime's threads run the kernels. */
export function searchAwqScales(rt: Runtime, src: WeightSource, calib: Calibration, typeOf: TypeOf, opts: AwqSearchOptions = {}): AwqSearchResult {
  const cfg = src.config;
  const { groups, skipped } = groupsOf(src, typeOf);
  const grid = opts.grid ?? DEFAULT_AWQ_GRID;
  const N = calib.tokens.length;
  const runner = new LayerRunner(rt, src, calib.seqLen);
  const scales: LayerScales[] = [];
  const reports: AwqGroupReport[] = [];
  const total = cfg.layers * groups.length;
  try {
    // x = embed[tokens]                                                                 [N, H]
    const x = embedTokens(src, calib.tokens);
    const inputs = groupInputs(cfg, groups, N);
    for (let l = 0; l < cfg.layers; l++) {
      const w = runner.loadLayer(l);
      try {
        runner.run(w, x, inputs);
        const ls: LayerScales = {};
        for (const g of groups) {
          const r = searchScales(meanAbs(inputs[g], groupWidth(cfg, g)), grid, groupObjective(runner, w, l, g, inputs[g], typeOf));
          if (r.scales) ls[g] = r.scales;
          reports.push({ layer: l, group: g, alpha: r.alpha, error: r.error, rtnError: r.rtnError });
          opts.onProgress?.(reports.length, total, `layer ${l} ${g}`);
        }
        scales.push(ls);
      } finally {
        runner.disposeLayer(w);
      }
    }
  } finally {
    runner.dispose();
  }
  return { scales, groups: reports, skipped };
}

/** One layer's rounding error: how far the rounded layer's output is from the float one. */
export interface LayerError {
  layer: number;
  /** ||rounded out - float out||^2 / ||float out - in||^2 over all tokens: the error relative to what the layer adds to the residual stream. */
  relative: number;
}

/**
 * The rounding error of each layer of `src` on `tokens` (e.g. held-out text): every matrix of the
 * layer rounded to its type (fake-quant.ts), run on the float model's input to that layer, compared
 * with the float layer's output. The residual stream is not rescaled by a fold, so the figure of a
 * folded source (fold.ts) and of the original compare directly: they are the AWQ file's and plain
 * rounding's.
 */
export function measureLayerErrors(rt: Runtime, src: WeightSource, calib: Calibration, typeOf: TypeOf): LayerError[] {
  const cfg = src.config;
  const runner = new LayerRunner(rt, src, calib.seqLen);
  const out: LayerError[] = [];
  try {
    const x = embedTokens(src, calib.tokens);
    for (let l = 0; l < cfg.layers; l++) {
      const xin = x.slice();
      const xq = x.slice();
      const w = runner.loadLayer(l);
      try {
        runner.run(w, x);
        for (const [m, field] of Object.entries(FIELD)) {
          const t = w[field];
          roundTrip(rt, t, typeOf(`model.layers.${l}.${m}.weight`, t.cols), t);
        }
        runner.run(w, xq);
      } finally {
        runner.disposeLayer(w);
      }
      let err = 0;
      let add = 0;
      for (let i = 0; i < x.length; i++) {
        err += (xq[i]! - x[i]!) ** 2;
        add += (x[i]! - xin[i]!) ** 2;
      }
      out.push({ layer: l, relative: err / add });
    }
  } finally {
    runner.dispose();
  }
  return out;
}

function groupInputs(cfg: WeightSource['config'], groups: readonly GroupName[], N: number): GroupInputs {
  return Object.fromEntries(GROUPS.map((g) => [g, new Float32Array(groups.includes(g) ? N * groupWidth(cfg, g) : 0)])) as GroupInputs;
}

/**
 * The error a group's scales are judged by, as AutoAWQ inspects it: for q/k/v the attention block's
 * output (through the float o_proj), for gate/up the MLP's (through the float down_proj), for o_proj
 * and down_proj their own output.
 */
function groupObjective(runner: LayerRunner, w: LayerWeights, l: number, g: GroupName, X: Float32Array, typeOf: TypeOf): (s?: Float32Array) => number {
  const rt = runner.rt;
  const mats = groupMatrices(w, l, g, typeOf);
  if (g === 'o' || g === 'down') return (s) => groupError(rt, runner.arena, X, mats, s);
  const kind = g === 'attn' ? 'attention' : 'mlp';
  const ref = new Float32Array((X.length / runner.config.hidden) * runner.config.hidden);
  runner.block(kind, w, X, ref);
  const fields = GROUP_MATRICES[g].map((m) => FIELD[m]!);
  const bm = fields.map((field, i) => ({ field, type: mats[i]!.type }));
  return (s) => blockError(runner, kind, w, X, bm, ref, s);
}

function groupMatrices(w: LayerWeights, l: number, g: GroupName, typeOf: TypeOf): GroupMatrix[] {
  return GROUP_MATRICES[g].map((m) => {
    const t = w[FIELD[m]!];
    return { w: t, type: typeOf(`model.layers.${l}.${m}.weight`, t.cols) };
  });
}
