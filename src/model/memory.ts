// What a model needs in memory, computed from its config alone before anything is allocated: a config
// that cannot fit (yi-34b on a laptop, or 1e9 layers) is refused with the figure, instead of growing
// wasm memories until an allocation fails deep inside, or the machine runs out.
// The activation terms follow what the autograd tape keeps (src/tensor/autograd/ops.ts: every op's
// output lives until the step ends) and are checked against the arena's real high-water mark in
// test/model/memory-estimate.test.ts. Shapes: N = B * T tokens, H, Hq * D, Hkv * D, F, V as in trainable.ts.
import { totalmem } from 'node:os';
import { ALIGN, MAX_PAGES, PAGE, RESERVED_BYTES } from '../runtime/arena.js';
import { MAX_ARENAS } from '../runtime/control.js';
import { byteSize, type DType } from '../tensor/dtype.js';
import type { YiConfig } from './config.js';
import { adapterParameterCount, adapterShapes, type LoraOptions } from './lora.js';
import { YiModel } from './model.js';
import { layerBytes } from './weights.js';
import { matrixType } from './weight-types.js';

/** A config (or batch) whose memory exceeds what this machine or a wasm memory can hold. */
export class InsufficientMemoryError extends Error {
  constructor(
    message: string,
    /** Bytes the model needs in all. */
    readonly neededBytes: number,
  ) {
    super(message);
    this.name = 'InsufficientMemoryError';
  }
}

/** One line of an estimate: what it is for and its bytes. */
export interface MemoryPart {
  what: string;
  bytes: number;
}

export interface MemoryEstimate {
  /** Bytes in all (every arena). */
  total: number;
  parts: MemoryPart[];
}

/** What the machine offers; defaults are this process's (tests pass their own). */
export interface MemoryLimits {
  /** Physical memory (default os.totalmem(), or the container's limit when lower). */
  hostBytes?: number;
  /** Largest wasm memory (default 4 GiB, the wasm32 ceiling; Runtime.arenaBytes). */
  arenaBytes?: number;
  /** Threads of the runtime: each has private kernel scratch in every arena. */
  threads?: number;
  /** Scratch bytes per thread per arena (Runtime.scratchBytesPerThread). */
  scratchBytesPerThread?: number;
}

const DEFAULT_SCRATCH = 2 << 20;
/** Share of physical memory a model may take: the OS, Node's own heap and the page cache need the rest. */
export const HOST_SHARE = 0.9;
const f32 = (n: number) => n * 4;

/** Parameters of an untied Yi decoder (embedding, layers, final norm, output head). */
export function parameterCount(cfg: YiConfig): number {
  const q = cfg.heads * cfg.headDim;
  const kv = cfg.kvHeads * cfg.headDim;
  const layer = 2 * cfg.hidden + 2 * q * cfg.hidden + 2 * kv * cfg.hidden + 3 * cfg.ffn * cfg.hidden;
  return 2 * cfg.vocabSize * cfg.hidden + cfg.hidden + cfg.layers * layer;
}

export interface TrainingShape {
  /** Sequences per forward/backward pass (the micro-batch). */
  sequences: number;
  /** Tokens per sequence. */
  seqLen: number;
  /** Block activations recomputed in backward (only each block's input is kept). */
  recompute?: boolean;
  /** AdamW moments counted (false: a model that only computes gradients). Default true. */
  optimizer?: boolean;
  /** LoRA: the base frozen (no gradients, no moments), adapters trained. */
  lora?: Pick<LoraOptions, 'rank' | 'targets'>;
  /** With lora, the frozen projections' type (YiTrainable's baseType). Default f32. */
  baseType?: 'f32' | 'q8_0' | 'q4_0';
}

/**
 * Bytes of one training step in the trainable model's arena: f32 weights, gradients, AdamW moments,
 * the activations the tape keeps for the micro-batch, backward's largest temporaries, RoPE table and
 * kernel scratch.
 */
export function trainingMemory(cfg: YiConfig, shape: TrainingShape, limits: MemoryLimits = {}): MemoryEstimate {
  const P = parameterCount(cfg);
  const N = shape.sequences * shape.seqLen;
  const { hidden: H, ffn: F, vocabSize: V } = cfg;
  const q = cfg.heads * cfg.headDim;
  const kv = cfg.kvHeads * cfg.headDim;
  // Kept per block: attention's normed input, q, k, v, output and its projection, the residual, the
  // MLP's normed input, gate, up, their product, the down projection and the residual; two rstd rows.
  const block = f32(N * (6 * H + 2 * q + 2 * kv + 3 * F + 2));
  // Embedding output, final norm (+ rstd), logits; token ids, targets and positions (i32).
  const head = f32(N * (2 * H + 1 + V + 3));
  const blocks = shape.recompute ? cfg.layers * f32(N * H) + block : cfg.layers * block;
  // Backward of the last block while all of it is still kept: MLP input gradients (gate, up) and the
  // residual's gradient, or attention's dq, dk, dv next to the gradient of its output.
  const backward = f32(N * Math.max(H + 2 * F, H + 2 * q + 2 * kv));
  const parts: MemoryPart[] = [];
  // What the optimizer steps: every weight, or LoRA's adapters (each also keeps u = x A^T [N, r] per block).
  let trained = P;
  let adapterActivations = 0;
  if (shape.lora) {
    const baseType = shape.baseType ?? 'f32';
    const layers = cfg.layers * layerBytes(cfg, 0, (_name, [, cols]) => matrixType(baseType, cols));
    trained = adapterParameterCount(cfg, shape.lora);
    const perLayer = adapterShapes(cfg, shape.lora).length / cfg.layers;
    adapterActivations = f32(N * shape.lora.rank * perLayer) * (shape.recompute ? 1 : cfg.layers);
    parts.push({ what: `frozen base (${baseType} projections, f32 embedding and head)`, bytes: f32(2 * V * H + H) + layers });
    parts.push({ what: 'LoRA adapters (f32)', bytes: f32(trained) });
  } else {
    parts.push({ what: 'weights (f32)', bytes: f32(P) });
  }
  parts.push({ what: 'gradients', bytes: f32(trained) });
  if (shape.optimizer !== false) parts.push({ what: 'AdamW moments', bytes: 2 * f32(trained) });
  parts.push(
    { what: `activations (${shape.sequences} x ${shape.seqLen} tokens${shape.recompute ? ', recomputed' : ''})`, bytes: head + blocks + backward + adapterActivations },
    { what: 'RoPE table and kernel scratch', bytes: f32(shape.seqLen * cfg.headDim) + scratchBytes(limits) + RESERVED_BYTES },
  );
  return { total: sum(parts), parts };
}

export interface InferenceShape {
  dtype: DType;
  /** Positions of the KV cache. */
  contextLength: number;
  /** Tokens per forward step. */
  batch: number;
}

/** Bytes of an inference model (YiModel.create's placement) and the arenas it spreads over. */
export function inferenceMemory(cfg: YiConfig, shape: InferenceShape, limits: MemoryLimits = {}): MemoryEstimate & { arenas: number; largestGroup: number } {
  const { dtype, contextLength: ctx, batch } = shape;
  const matrix = byteSize(matrixType(dtype, cfg.hidden), [cfg.vocabSize, cfg.hidden]);
  const kvCache = 2 * f32(ctx * cfg.kvHeads * cfg.headDim);
  const layer = layerBytes(cfg, 0, (_name, [, cols]) => matrixType(dtype, cols));
  const workspace = YiModel.workspaceBytes(cfg, ctx, batch);
  const embedGroup = matrix + f32(batch * (cfg.hidden + 1));
  const headGroup = matrix + f32(3 * cfg.hidden + cfg.vocabSize);
  // The placer's rule (weights.ts ArenaPlacer): a group goes to the current arena while that leaves a
  // workspace free, else to a fresh one. The embedding goes to the runtime's first arena, layers fill
  // it and then one arena after another (closed form: layers may be many before the check refuses),
  // the head follows the last layer.
  const usable = (limits.arenaBytes ?? MAX_PAGES * PAGE) - RESERVED_BYTES - scratchBytes(limits);
  const slack = 64 * ALIGN;
  const layerGroup = layer + kvCache + slack;
  const room = usable - workspace;
  let used = embedGroup + slack;
  const inFirst = Math.max(0, Math.min(cfg.layers, Math.floor((room - used) / layerGroup)));
  used += inFirst * layerGroup;
  let arenas = 1;
  const left = cfg.layers - inFirst;
  if (left > 0) {
    const perArena = Math.max(1, Math.floor(room / layerGroup));
    const more = Math.ceil(left / perArena);
    arenas += more;
    used = (left - (more - 1) * perArena) * layerGroup;
  }
  if (used + headGroup + slack > room) arenas++;
  const parts: MemoryPart[] = [
    { what: `weights (${dtype})`, bytes: 2 * matrix + cfg.layers * layer + f32(cfg.hidden) },
    { what: `KV cache (${ctx} positions, f32)`, bytes: cfg.layers * kvCache },
    { what: `workspaces and kernel scratch (${arenas} wasm memor${arenas === 1 ? 'y' : 'ies'})`, bytes: arenas * (workspace + scratchBytes(limits) + RESERVED_BYTES) },
  ];
  return { total: sum(parts), parts, arenas, largestGroup: Math.max(embedGroup, headGroup, layer + kvCache) + workspace };
}

/**
 * Refuses (InsufficientMemoryError, with the figures) a training run whose arena would outgrow one wasm
 * memory (the trainable model keeps everything in one) or whose total exceeds this machine's memory.
 */
export function checkTrainingMemory(cfg: YiConfig, shape: TrainingShape, limits: MemoryLimits = {}): MemoryEstimate {
  const est = trainingMemory(cfg, shape, limits);
  const arenaBytes = limits.arenaBytes ?? MAX_PAGES * PAGE;
  const hostBytes = limits.hostBytes ?? machineBytes();
  const hostShort = est.total > hostBytes * HOST_SHARE;
  const what = `${describe(cfg)} needs ~${formatBytes(est.total)} to train with micro-batches of ${shape.sequences} x ${shape.seqLen} tokens (${breakdown(est)})`;
  if (est.total > arenaBytes) {
    throw new InsufficientMemoryError(
      `${what}; training keeps all of it in one wasm memory, which holds at most ${formatCapacity(arenaBytes)}` +
        `${hostShort ? `, and this machine has ${formatBytes(hostBytes)}` : ''}${shrinkHint(cfg, shape)}`,
      est.total,
    );
  }
  if (hostShort) throw new InsufficientMemoryError(`${what}; this machine has ${formatBytes(hostBytes)}${hostNote(est.total, hostBytes)}${shrinkHint(cfg, shape)}`, est.total);
  return est;
}

/**
 * Refuses (InsufficientMemoryError) an inference model whose layer cannot fit one wasm memory, that
 * needs more wasm memories than the runtime supports, or more bytes than this machine has.
 */
export function checkInferenceMemory(cfg: YiConfig, shape: InferenceShape, limits: MemoryLimits = {}): MemoryEstimate {
  const est = inferenceMemory(cfg, shape, limits);
  const arenaBytes = limits.arenaBytes ?? MAX_PAGES * PAGE;
  const hostBytes = limits.hostBytes ?? machineBytes();
  const what = `${describe(cfg)} needs ~${formatBytes(est.total)} to run at ${shape.dtype} with ${shape.contextLength} positions of KV cache (${breakdown(est)})`;
  const group = est.largestGroup + scratchBytes(limits) + RESERVED_BYTES;
  if (group > arenaBytes) {
    throw new InsufficientMemoryError(`${what}; one layer (or the embedding) with its workspace needs ${formatBytes(group)}, more than one wasm memory holds (${formatCapacity(arenaBytes)})`, est.total);
  }
  if (est.arenas > MAX_ARENAS) {
    throw new InsufficientMemoryError(`${what}; that is ${est.arenas} wasm memories, more than the ${MAX_ARENAS} the runtime supports`, est.total);
  }
  if (est.total > hostBytes * HOST_SHARE) {
    throw new InsufficientMemoryError(`${what}; this machine has ${formatBytes(hostBytes)}${hostNote(est.total, hostBytes)} (a quantized --type or a shorter context needs less)`, est.total);
  }
  return est;
}

/** "1.2 GB", "540 GB", "3.1 MB": decimal units, as machines' memory is usually quoted. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [[1e15, 'PB'], [1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'KB']];
  for (const [u, name] of units) if (bytes >= u) return `${(bytes / u).toPrecision(bytes / u >= 100 ? 3 : 2).replace(/\.0+$/, '')} ${name}`;
  return `${bytes} bytes`;
}

/** Why a model smaller than the machine is still refused. */
function hostNote(need: number, host: number): string {
  return need <= host ? `, of which a model may take ${Math.round(HOST_SHARE * 100)}%` : '';
}

/** A wasm memory's capacity as it is defined: "4 GiB" (binary units). */
function formatCapacity(bytes: number): string {
  return bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : 1)} MiB`;
}

function describe(cfg: YiConfig): string {
  const p = parameterCount(cfg);
  const count = p >= 1e12 ? `${(p / 1e12).toPrecision(3)}T` : p >= 1e9 ? `${(p / 1e9).toPrecision(3)}B` : p >= 1e6 ? `${(p / 1e6).toPrecision(3)}M` : `${p}`;
  return `a model of ${count} parameters (${cfg.layers} layers, hidden ${cfg.hidden}, vocabulary ${cfg.vocabSize})`;
}

function breakdown(est: MemoryEstimate): string {
  return est.parts.map((p) => `${p.what} ${formatBytes(p.bytes)}`).join(', ');
}

/** A hint when the activations, not the model, are what does not fit. */
function shrinkHint(cfg: YiConfig, shape: TrainingShape): string {
  const bare = trainingMemory(cfg, { ...shape, sequences: 1, recompute: true }).total;
  const now = trainingMemory(cfg, shape).total;
  return bare < now / 2 ? ' (fewer --micro-batch-tokens or --recompute need less)' : '';
}

/** os.totalmem(), or a cgroup (container) limit below it: what the kernel lets this process use. */
function machineBytes(): number {
  const total = totalmem();
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < total ? limit : total;
}

function scratchBytes(limits: MemoryLimits): number {
  return (limits.threads ?? 1) * (limits.scratchBytesPerThread ?? DEFAULT_SCRATCH);
}

function sum(parts: MemoryPart[]): number {
  return parts.reduce((s, p) => s + p.bytes, 0);
}
