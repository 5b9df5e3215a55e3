// The Yi decoder for training: the same weights (YiWeights, Hugging Face names) and the same blocks as
// the inference model in model.ts, run over B sequences of T tokens on an autograd tape. Parameters,
// their gradients and the activations live in one arena (training is for models whose f32 state,
// 4 copies of the weights with AdamW, fits a 4 GiB wasm memory: up to about 200M parameters;
// model/memory.ts refuses a config that cannot fit before anything is allocated).
// Shapes: N = B * T tokens, H = hidden, Hq / Hkv = heads, D = head dim, F = ffn, V = vocab.
import { naming, type Arena } from '../runtime/arena.js';
import type { Runtime } from '../runtime/runtime.js';
import { add, attention, crossEntropy, embedding, reshape, rmsnorm, ropeInPlace, swiglu } from '../tensor/autograd/ops.js';
import { FrozenWeight, linear } from '../tensor/autograd/lora.js';
import { Tape, Var } from '../tensor/autograd/tape.js';
import { ropeTable, type RopeTable } from '../tensor/ops/rope.js';
import { Tensor } from '../tensor/tensor.js';
import { castInto } from '../tensor/ops/cast.js';
import { mulberry32 } from '../tensor/random.js';
import { validateConfig, type YiConfig } from './config.js';
import { fillFrom } from './load.js';
import { adapterShapes, baseWeightName, dropoutSeed, initLoraA, LoraError, loraScale, validateLoraOptions, type LoraOptions, type LoraTarget } from './lora.js';
import { checkTrainingMemory } from './memory.js';
import { addNeftuneNoise, checkNeftune, type NeftuneOptions } from './neftune.js';
import { segmentLengths, segmentStarts, stepPositions } from './packing.js';
import { LoadError, type WeightSource } from './source.js';
import { matrixType } from './weight-types.js';
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
  /**
   * LoRA adapters on the layers' projections: the base model is frozen (no gradients), and `params`
   * (what the optimizer steps) holds only the adapters, under PEFT's names. Default: full finetuning.
   */
  lora?: LoraOptions;
  /**
   * With `lora`, how the frozen projections are held: f32 (default), or q8_0 / q4_0 for QLoRA-style
   * memory savings (a matrix whose rows are not whole 32-weight blocks stays f16). The embedding,
   * lm_head and norms stay f32.
   */
  baseType?: BaseType;
}

/** How a frozen LoRA base holds its projections. */
export type BaseType = 'f32' | 'q8_0' | 'q4_0';

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
  /**
   * Seed of this pass's LoRA dropout masks (each projection's mask is derived from it). Default: the
   * LoRA seed mixed with the count of lossAndGrad calls so far; a resumed run passes its own to stay exact.
   */
  dropoutSeed?: number;
}

export interface LossSum {
  /** Sum of -ln p(target) over the targets that count. */
  sum: number;
  /** Targets that counted (not -1). */
  count: number;
}

/** Parameters of one layer as tape leaves. */
type LayerVars = { [K in keyof LayerWeights]: Var };

/** One LoRA adapter of the trainable model: A [r, in] and B [out, r] on a frozen base projection. */
export interface LoraAdapter {
  layer: number;
  target: LoraTarget;
  a: Param;
  b: Param;
}

export class YiTrainable {
  /** What the optimizer steps: every weight, or with LoRA only the adapters. */
  readonly params: Param[];
  private readonly byName: Map<string, Param>;
  private readonly rope: RopeTable;
  /** With LoRA: the base weights (no gradients), by Hugging Face name. */
  readonly frozen: ReadonlyMap<string, Tensor>;
  /** With LoRA: the adapters, by the Hugging Face name of the base weight each modifies. */
  readonly adapters: ReadonlyMap<string, LoraAdapter>;
  /** lossAndGrad calls so far (the default dropout seed's counter). */
  private passes = 0;

  private constructor(
    readonly rt: Runtime,
    readonly config: YiConfig,
    readonly arena: Arena,
    params: Param[],
    readonly maxSeqLen: number,
    /** The LoRA settings (validated), when the model trains adapters. */
    readonly lora?: LoraOptions,
    frozen: Map<string, Tensor> = new Map(),
    adapters: Map<string, LoraAdapter> = new Map(),
  ) {
    this.params = params;
    this.byName = new Map(params.map((p) => [p.name, p]));
    this.frozen = frozen;
    this.adapters = adapters;
    this.rope = ropeTable(rt, { headDim: config.headDim, maxPos: maxSeqLen, base: config.ropeTheta }, arena);
  }

  /** Allocates parameters and gradients (f32) and fills the parameters. */
  static create(rt: Runtime, config: YiConfig, init: ParamInit, opts: TrainableOptions): YiTrainable {
    const cfg = validateConfig({ ...config });
    if (cfg.tieEmbeddings) throw new RangeError('training tied embeddings is not supported (no Yi release ties them)');
    if (!Number.isInteger(opts.maxSeqLen) || opts.maxSeqLen < 1) throw new RangeError(`maxSeqLen must be a positive integer, got ${opts.maxSeqLen}`);
    // The least any use needs (weights, gradients, one sequence's step), refused before allocating;
    // a run that knows its batch and optimizer checks the whole of it (train/pretrain.ts).
    const lora = opts.lora ? validateLoraOptions(opts.lora) : undefined;
    const baseType = opts.baseType ?? 'f32';
    if (!['f32', 'q8_0', 'q4_0'].includes(baseType)) throw new LoraError(`baseType must be f32, q8_0 or q4_0, got ${JSON.stringify(baseType)}`);
    if (!lora && baseType !== 'f32') throw new LoraError(`a ${baseType} base cannot be trained: baseType ${baseType} needs lora (the base is then frozen)`);
    const limits = { arenaBytes: opts.arena?.maxBytes ?? rt.arenaBytes, threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread };
    checkTrainingMemory(cfg, { sequences: 1, seqLen: opts.maxSeqLen, optimizer: false, lora, baseType }, limits);
    const arena = opts.arena ?? rt.newArena();
    const newParam = (name: string, shape: number[]): Param => {
      const [value, grad] = naming(`parameter ${name}`, () => [Tensor.zeros(rt, 'f32', shape, arena), Tensor.zeros(rt, 'f32', shape, arena)]);
      return { name, value, grad, decay: shape.length > 1 };
    };
    const base: [string, Tensor][] = [];
    const params: Param[] = [];
    const frozen = new Map<string, Tensor>();
    for (const [name, shape] of parameterShapes(cfg)) {
      if (!lora) {
        const p = newParam(name, shape);
        params.push(p);
        base.push([name, p.value]);
        continue;
      }
      // Frozen: no gradient. Only the layers' projections take a block type (the embedding and lm_head stay f32).
      const type = shape.length === 2 && name.startsWith('model.layers.') ? matrixType(baseType, shape[1]!) : 'f32';
      const t = naming(`frozen ${name}`, () => Tensor.zeros(rt, type, shape, arena));
      frozen.set(name, t);
      base.push([name, t]);
    }
    if (init.kind === 'random') initRandom(base, init.seed, init.std ?? 0.02);
    else initFromSource(base, init.source);
    const adapters = new Map<string, LoraAdapter>();
    if (lora) {
      for (const s of adapterShapes(cfg, lora)) {
        const ad: LoraAdapter = { layer: s.layer, target: s.target, a: newParam(s.a.name, s.a.shape), b: newParam(s.b.name, s.b.shape) };
        params.push(ad.a, ad.b);
        adapters.set(baseWeightName(s.layer, s.target), ad);
      }
      // B = 0 (as allocated): the adapted model starts as the base.
      initLoraA(lora.seed, [...adapters.values()].map((ad) => ({ values: ad.a.value.arena.f32.subarray(ad.a.value.offset / 4, ad.a.value.offset / 4 + ad.a.value.numel), fanIn: ad.a.value.shape[1]! })));
    }
    return new YiTrainable(rt, cfg, arena, params, opts.maxSeqLen, lora, frozen, adapters);
  }

  /** The model's weights (the base's, without adapters, under LoRA) as the inference model's weight structure (views: no copy). */
  get weights(): YiWeights {
    const v = (name: string) => this.frozen.get(name) ?? this.param(name).value;
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

  /** Trainable parameters (under LoRA: the adapters' only). */
  get parameterCount(): number {
    return this.params.reduce((s, p) => s + p.value.numel, 0);
  }

  /** LoRA's scale alpha / r (or alpha / sqrt(r)); undefined without LoRA. */
  get loraScale(): number | undefined {
    return this.lora ? loraScale(this.lora) : undefined;
  }

  /**
   * A weight as a tape leaf: a parameter (with its gradient when training), or under LoRA a frozen
   * weight carrying its adapter, whose dropout is on only when training.
   */
  private leaf(tape: Tape, name: string, train: boolean, stepSeed: number): Var {
    const p = this.byName.get(name);
    if (p) return train ? tape.leaf(p.value, p.grad) : tape.leaf(p.value);
    const w = this.frozen.get(name);
    if (!w) throw new RangeError(`no parameter named ${name}`);
    const ad = this.adapters.get(name);
    if (!ad || !this.lora) return new FrozenWeight(w);
    const v = (q: Param) => (train ? tape.leaf(q.value, q.grad) : tape.leaf(q.value));
    return new FrozenWeight(w, { a: v(ad.a), b: v(ad.b), scale: loraScale(this.lora), dropout: train ? this.lora.dropout : 0, seed: dropoutSeed(stepSeed, ad.layer, ad.target) });
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
    const stepSeed = train && this.lora ? (opts.dropoutSeed ?? dropoutSeed(this.lora.seed, this.passes++, 'q')) : 0;
    try {
      const P = (name: string) => this.leaf(tape, name, train, stepSeed);
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
    for (const t of this.frozen.values()) t.dispose();
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
  // The output needs a gradient even where x does not (a frozen embedding under LoRA): the block's
  // own parameters do. (Only training recomputes.)
  return tape.record(new Var(value, true), (dOut) => {
    const again = new Tape(tape.rt, tape.arena);
    try {
      const xin = new Var(x.value, x.requiresGrad);
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

/**
 * Normal(0, std) by Box-Muller from the project's seeded generator; norms exactly 1. One stream over
 * the tensors in order, whatever their type (a block-typed one is drawn in f32 and converted), so a
 * frozen base gets the same values as the trainable one.
 */
function initRandom(tensors: [string, Tensor][], seed: number, std: number): void {
  const next = mulberry32(seed);
  for (const [, t] of tensors) {
    if (t.dtype === 'f32') {
      fillNormal(t, next, std);
      continue;
    }
    const stage = Tensor.empty(t.rt, 'f32', t.shape, t.arena);
    try {
      castInto(fillNormal(stage, next, std), t);
    } finally {
      stage.dispose();
    }
  }
}

function fillNormal(t: Tensor, next: () => number, std: number): Tensor {
  const f = t.arena.f32.subarray(t.offset / 4, t.offset / 4 + t.numel);
  if (t.rank === 1) {
    f.fill(1);
    return t;
  }
  for (let i = 0; i < f.length; i += 2) {
    const u1 = 1 - next(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    const a = 2 * Math.PI * next();
    f[i] = r * Math.cos(a);
    if (i + 1 < f.length) f[i + 1] = r * Math.sin(a);
  }
  return t;
}

/** Fills each tensor from the checkpoint's tensor of that name, converting to the tensor's type. */
function initFromSource(tensors: [string, Tensor][], src: WeightSource): void {
  for (const [name, t] of tensors) {
    const s = src.tensors.get(name);
    if (!s) throw new LoadError(src.format, src.path, `tensor ${name} is missing`);
    if (s.shape.length !== t.rank || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new LoadError(src.format, src.path, `tensor ${name} has shape [${s.shape.join(', ')}], the config needs [${t.shape.join(', ')}]`);
    }
    fillFrom(s, t);
  }
}
