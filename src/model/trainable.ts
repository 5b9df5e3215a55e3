// The Yi decoder for training: the same weights (YiWeights, Hugging Face names) and the same blocks as
// the inference model in model.ts, run over B sequences of T tokens on an autograd tape. Parameters,
// their gradients and the activations live in one arena (training is for models whose f32 state,
// 4 copies of the weights with AdamW, fits a 4 GiB wasm memory: up to about 200M parameters;
// model/memory.ts refuses a config that cannot fit before anything is allocated).
// Shapes: N = B * T tokens, H = hidden, Hq / Hkv = heads, D = head dim, F = ffn, V = vocab.
import { naming, type Arena } from '../runtime/arena.js';
import type { Runtime } from '../runtime/runtime.js';
import { add, attention, crossEntropy, embedding, linear, reshape, rmsnorm, ropeInPlace, swiglu } from '../tensor/autograd/ops.js';
import { Tape, Var } from '../tensor/autograd/tape.js';
import { ropeTable, type RopeTable } from '../tensor/ops/rope.js';
import { Tensor } from '../tensor/tensor.js';
import { mulberry32 } from '../tensor/random.js';
import { validateConfig, type YiConfig } from './config.js';
import { fillFrom } from './load.js';
import { checkTrainingMemory } from './memory.js';
import { addNeftuneNoise, checkNeftune, type NeftuneOptions } from './neftune.js';
import { segmentLengths, segmentStarts, stepPositions } from './packing.js';
import { LoadError, type WeightSource } from './source.js';
import { layerTensors, parameterShapes, type LayerWeights, type YiWeights } from './weights.js';

/** One trainable tensor: its Hugging Face name, value and gradient (f32, same shape). */
export interface Param {
  name: string;
  value: Tensor;
  grad: Tensor;
  /** Matrices get weight decay; norms (1-D) do not, as in GPT/Llama training recipes. */
  decay: boolean;
}

export type ParamInit =
  /** Normal(0, std) matrices (Hugging Face Llama's initializer_range 0.02), norms 1; seeded. */
  | { kind: 'random'; seed: number; std?: number }
  /** Weights read from a checkpoint (continued pretraining, finetuning). */
  | { kind: 'source'; source: WeightSource };

export interface TrainableOptions {
  /** Longest sequence a batch may have (the RoPE table's size). */
  maxSeqLen: number;
  /** An arena to use (default: a new one). */
  arena?: Arena;
}

export interface StepOptions {
  /** Divides the summed loss (gradient accumulation passes the whole batch's target count). */
  normalizer?: number;
  /** Recompute each block's activations during backward instead of keeping them (less memory, ~1/3 more compute). */
  recompute?: boolean;
  /** RoPE position of each token, [B * T] integers in [0, maxSeqLen) (default i % T; packed samples restart at 0). */
  positions?: ArrayLike<number>;
  /**
   * Packed samples: each token's segment id, [B * T] (default: each row one segment). A token attends
   * only to earlier-or-same tokens of its row with the same id; each id is one contiguous run of its
   * row (model/packing.ts), -1 marks padding.
   */
  segments?: ArrayLike<number>;
  /** NEFTune noise on the input embeddings (model/neftune.ts); lossAndGrad only, loss() never adds it. */
  neftune?: NeftuneOptions;
}

export interface LossSum {
  /** Sum of -ln p(target) over the targets that count. */
  sum: number;
  /** Targets that counted (not -1). */
  count: number;
}

/** Parameters of one layer as tape leaves. */
type LayerVars = { [K in keyof LayerWeights]: Var };

export class YiTrainable {
  readonly params: Param[];
  private readonly byName: Map<string, Param>;
  private readonly rope: RopeTable;

  private constructor(
    readonly rt: Runtime,
    readonly config: YiConfig,
    readonly arena: Arena,
    params: Param[],
    readonly maxSeqLen: number,
  ) {
    this.params = params;
    this.byName = new Map(params.map((p) => [p.name, p]));
    this.rope = ropeTable(rt, { headDim: config.headDim, maxPos: maxSeqLen, base: config.ropeTheta }, arena);
  }

  /** Allocates parameters and gradients (f32) and fills the parameters. */
  static create(rt: Runtime, config: YiConfig, init: ParamInit, opts: TrainableOptions): YiTrainable {
    const cfg = validateConfig({ ...config });
    if (cfg.tieEmbeddings) throw new RangeError('training tied embeddings is not supported (no Yi release ties them)');
    if (!Number.isInteger(opts.maxSeqLen) || opts.maxSeqLen < 1) throw new RangeError(`maxSeqLen must be a positive integer, got ${opts.maxSeqLen}`);
    // The least any use needs (weights, gradients, one sequence's step), refused before allocating;
    // a run that knows its batch and optimizer checks the whole of it (train/pretrain.ts).
    const limits = { arenaBytes: opts.arena?.maxBytes ?? rt.arenaBytes, threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread };
    checkTrainingMemory(cfg, { sequences: 1, seqLen: opts.maxSeqLen, optimizer: false }, limits);
    const arena = opts.arena ?? rt.newArena();
    const params: Param[] = [];
    for (const [name, shape] of parameterShapes(cfg)) {
      const [value, grad] = naming(`parameter ${name}`, () => [Tensor.zeros(rt, 'f32', shape, arena), Tensor.zeros(rt, 'f32', shape, arena)]);
      params.push({ name, value, grad, decay: shape.length > 1 });
    }
    if (init.kind === 'random') initRandom(params, init.seed, init.std ?? 0.02);
    else initFromSource(params, init.source);
    return new YiTrainable(rt, cfg, arena, params, opts.maxSeqLen);
  }

  /** The parameters as the inference model's weight structure (views: no copy). */
  get weights(): YiWeights {
    const v = (name: string) => this.param(name).value;
    return {
      embed: v('model.embed_tokens.weight'),
      layers: Array.from({ length: this.config.layers }, (_, l) => layerTensors(l, v)),
      norm: v('model.norm.weight'),
      lmHead: v('lm_head.weight'),
    };
  }

  param(name: string): Param {
    const p = this.byName.get(name);
    if (!p) throw new RangeError(`no parameter named ${name}`);
    return p;
  }

  get parameterCount(): number {
    return this.params.reduce((s, p) => s + p.value.numel, 0);
  }

  zeroGrad(): void {
    const f = this.arena.f32;
    for (const p of this.params) f.fill(0, p.grad.offset / 4, p.grad.offset / 4 + p.grad.numel);
  }

  /**
   * Forward and backward over B sequences of T tokens: gradients of mean cross-entropy (sum / normalizer)
   * are ADDED to every parameter's grad. inputs, targets: [B * T] row-major; target -1 = not counted.
   */
  lossAndGrad(inputs: ArrayLike<number>, targets: ArrayLike<number>, B: number, T: number, opts: StepOptions = {}): LossSum {
    return this.run(inputs, targets, B, T, true, opts);
  }

  /** The loss only (validation): no gradient is touched, and no NEFTune noise is added (opts.neftune is ignored). */
  loss(inputs: ArrayLike<number>, targets: ArrayLike<number>, B: number, T: number, opts: StepOptions = {}): LossSum {
    return this.run(inputs, targets, B, T, false, { normalizer: opts.normalizer, positions: opts.positions, segments: opts.segments });
  }

  private run(inputs: ArrayLike<number>, targets: ArrayLike<number>, B: number, T: number, train: boolean, opts: StepOptions): LossSum {
    const c = this.config;
    const N = B * T;
    if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) throw new RangeError(`batch must be B >= 1 sequences of T >= 1 tokens, got B=${B}, T=${T}`);
    if (T > this.maxSeqLen) throw new RangeError(`sequences of ${T} tokens exceed maxSeqLen ${this.maxSeqLen}`);
    if (inputs.length !== N || targets.length !== N) throw new RangeError(`inputs and targets must hold B*T = ${N} tokens, got ${inputs.length} and ${targets.length}`);
    for (let i = 0; i < N; i++) {
      const id = inputs[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new RangeError(`inputs[${i}] = ${id} is outside the vocabulary [0, ${c.vocabSize})`);
      const t = targets[i]!;
      if (t !== -1 && (!Number.isInteger(t) || t < 0 || t >= c.vocabSize)) throw new RangeError(`targets[${i}] = ${t} is neither -1 nor in the vocabulary [0, ${c.vocabSize})`);
    }
    // Layout checks before anything is allocated (each throws a StepOptionsError naming the entry).
    const pos = stepPositions(opts.positions, B, T, this.maxSeqLen);
    const starts = opts.segments === undefined ? undefined : segmentStarts(opts.segments, B, T);
    if (train && opts.neftune !== undefined) checkNeftune(opts.neftune);
    const tape = new Tape(this.rt, this.arena);
    try {
      const P = (name: string) => {
        const p = this.param(name);
        return train ? tape.leaf(p.value, p.grad) : tape.leaf(p.value);
      };
      const ids = tape.tensor([N], 'i32');
      const tgt = tape.tensor([N], 'i32');
      const positions = tape.tensor([N], 'i32');
      const segStarts = starts ? tape.tensor([B, T], 'i32') : undefined;
      const iv = this.arena.i32; // after the allocations: growing the memory replaces the view
      for (let i = 0; i < N; i++) {
        iv[ids.offset / 4 + i] = inputs[i]!;
        iv[tgt.offset / 4 + i] = targets[i]!;
      }
      iv.set(pos, positions.offset / 4);
      if (starts && segStarts) iv.set(starts, segStarts.offset / 4);

      // x = embed[tokens]                                       [N, H]
      let x = embedding(tape, P('model.embed_tokens.weight'), ids);
      if (train && opts.neftune !== undefined && opts.neftune.alpha > 0) {
        // In place on the lookup's output: additive noise leaves the table's gradient as it is.
        const lengths = segmentLengths(opts.segments, starts, B, T);
        addNeftuneNoise(this.arena.f32.subarray(x.value.offset / 4, x.value.offset / 4 + N * c.hidden), c.hidden, lengths, opts.neftune);
      }
      for (let l = 0; l < c.layers; l++) {
        const w = layerTensors(l, (name) => P(name)) as LayerVars;
        const block = (t: Tape, h: Var) => this.block(t, h, w, positions, B, T, segStarts);
        x = train && opts.recompute ? recomputed(tape, x, block) : block(tape, x);
      }
      // logits = rmsnorm(x) lm_head^T                            [N, V]
      const xn = rmsnorm(tape, x, P('model.norm.weight'), c.rmsEps);
      const logits = linear(tape, xn, P('lm_head.weight'));
      const ce = crossEntropy(tape, logits, tgt, opts.normalizer);
      if (train) tape.backward(ce.loss);
      return { sum: ce.sum, count: ce.count };
    } finally {
      tape.dispose();
    }
  }

  /** One decoder layer: x + attn(rmsnorm(x)), then + mlp(rmsnorm(.)). x: [N, H]. */
  private block(tape: Tape, x: Var, w: LayerVars, positions: Tensor, B: number, T: number, segStarts?: Tensor): Var {
    const c = this.config;
    const N = B * T;
    // Attention: q, k, v = xb Wq^T, xb Wk^T, xb Wv^T; rope(q, k); causal GQA within each sequence.
    const xb = rmsnorm(tape, x, w.attnNorm, c.rmsEps); //                              [N, H]
    const q = ropeInPlace(tape, reshape(tape, linear(tape, xb, w.wq), [N, c.heads, c.headDim]), positions, this.rope); //   [N, Hq, D]
    const k = ropeInPlace(tape, reshape(tape, linear(tape, xb, w.wk), [N, c.kvHeads, c.headDim]), positions, this.rope); // [N, Hkv, D]
    const v = reshape(tape, linear(tape, xb, w.wv), [B, T, c.kvHeads, c.headDim]); //                                       [B, T, Hkv, D]
    const att = attention(tape, reshape(tape, q, [B, T, c.heads, c.headDim]), reshape(tape, k, [B, T, c.kvHeads, c.headDim]), v, segStarts);
    // x = x + att Wo^T                                                                 [N, H]
    const h = add(tape, x, linear(tape, reshape(tape, att, [N, c.heads * c.headDim]), w.wo));
    // MLP: h + (silu(hb Wgate^T) * (hb Wup^T)) Wdown^T                                 [N, F] -> [N, H]
    const hb = rmsnorm(tape, h, w.ffnNorm, c.rmsEps);
    const ff = swiglu(tape, linear(tape, hb, w.wGate), linear(tape, hb, w.wUp));
    return add(tape, h, linear(tape, ff, w.wDown));
  }

  /** Frees parameters, gradients and tables. */
  dispose(): void {
    for (const p of this.params) {
      p.value.dispose();
      p.grad.dispose();
    }
    this.rope.cos.dispose();
    this.rope.sin.dispose();
  }
}

/**
 * Activation recomputation: runs `fn` on a scratch tape keeping only its output, and during backward
 * runs it again on a fresh tape to get the activations back just for this block's backward.
 */
function recomputed(tape: Tape, x: Var, fn: (t: Tape, x: Var) => Var): Var {
  const copyInto = (dst: Tensor, src: Tensor) => dst.arena.u8.copyWithin(dst.offset, src.offset, src.offset + src.byteLength);
  const first = new Tape(tape.rt, tape.arena);
  let value: Tensor;
  try {
    const y = fn(first, first.leaf(x.value));
    value = tape.tensor(y.value.shape);
    copyInto(value, y.value);
  } finally {
    first.dispose();
  }
  return tape.record(tape.output(value, x), (dOut) => {
    const again = new Tape(tape.rt, tape.arena);
    try {
      const xin = new Var(x.value, true);
      const y = fn(again, xin);
      y.grad = dOut; // owned by the outer tape: the inner one never frees it
      again.backward(y);
      if (xin.grad) {
        const g = xin.grad;
        tape.setOrAddGrad(x, (dst) => copyInto(dst, g));
      }
    } finally {
      again.dispose();
    }
  }, [x.value]);
}

/** Normal(0, std) by Box-Muller from the project's seeded generator; norms exactly 1. */
function initRandom(params: Param[], seed: number, std: number): void {
  const next = mulberry32(seed);
  for (const p of params) {
    const f = p.value.arena.f32.subarray(p.value.offset / 4, p.value.offset / 4 + p.value.numel);
    if (p.value.rank === 1) {
      f.fill(1);
      continue;
    }
    for (let i = 0; i < f.length; i += 2) {
      const u1 = 1 - next(); // (0, 1]: log stays finite
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      const a = 2 * Math.PI * next();
      f[i] = r * Math.cos(a);
      if (i + 1 < f.length) f[i + 1] = r * Math.sin(a);
    }
  }
}

function initFromSource(params: Param[], src: WeightSource): void {
  for (const p of params) {
    const s = src.tensors.get(p.name);
    if (!s) throw new LoadError(src.format, src.path, `tensor ${p.name} is missing`);
    if (s.shape.length !== p.value.rank || s.shape.some((d, i) => d !== p.value.shape[i])) {
      throw new LoadError(src.format, src.path, `tensor ${p.name} has shape [${s.shape.join(', ')}], the config needs [${p.value.shape.join(', ')}]`);
    }
    fillFrom(s, p.value);
  }
}
