// The weights of a Yi (Llama-architecture) decoder, placed in arenas layer by layer so that a model
// larger than one 4 GiB wasm memory spreads over several while each layer's operands share one.
import type { Arena } from '../runtime/arena.js';
import type { Runtime } from '../runtime/runtime.js';
import { byteSize, type DType } from '../tensor/dtype.js';
import { castInto } from '../tensor/ops/cast.js';
import { Tensor } from '../tensor/tensor.js';
import type { YiConfig } from './config.js';

export interface LayerWeights {
  attnNorm: Tensor; // [hidden] f32
  wq: Tensor; // [heads * headDim, hidden]
  wk: Tensor; // [kvHeads * headDim, hidden]
  wv: Tensor; // [kvHeads * headDim, hidden]
  wo: Tensor; // [hidden, heads * headDim]
  ffnNorm: Tensor; // [hidden] f32
  wGate: Tensor; // [ffn, hidden]
  wUp: Tensor; // [ffn, hidden]
  wDown: Tensor; // [hidden, ffn]
}

export interface YiWeights {
  embed: Tensor; // [vocab, hidden]
  layers: LayerWeights[];
  norm: Tensor; // [hidden] f32
  lmHead: Tensor; // [vocab, hidden]
}

/** Names of a layer's matrices and their shapes [rows, cols] for a config. */
export function layerMatrixShapes(cfg: YiConfig): Record<Exclude<keyof LayerWeights, 'attnNorm' | 'ffnNorm'>, [number, number]> {
  const q = cfg.heads * cfg.headDim;
  const kv = cfg.kvHeads * cfg.headDim;
  return {
    wq: [q, cfg.hidden],
    wk: [kv, cfg.hidden],
    wv: [kv, cfg.hidden],
    wo: [cfg.hidden, q],
    wGate: [cfg.ffn, cfg.hidden],
    wUp: [cfg.ffn, cfg.hidden],
    wDown: [cfg.hidden, cfg.ffn],
  };
}

/** Every parameter's Hugging Face name and shape, in the order of a checkpoint. */
export function parameterShapes(cfg: YiConfig): [string, number[]][] {
  const out: [string, number[]][] = [['model.embed_tokens.weight', [cfg.vocabSize, cfg.hidden]]];
  for (let l = 0; l < cfg.layers; l++) {
    layerTensors(l, (name, field) => out.push([name, layerTensorShape(cfg, field)]));
  }
  out.push(['model.norm.weight', [cfg.hidden]]);
  out.push(['lm_head.weight', [cfg.vocabSize, cfg.hidden]]);
  return out;
}

/** The shape of a layer tensor: [hidden] for the norms, the matrix shape otherwise. */
export function layerTensorShape(cfg: YiConfig, field: keyof LayerWeights): number[] {
  return field === 'attnNorm' || field === 'ffnNorm' ? [cfg.hidden] : layerMatrixShapes(cfg)[field];
}

/** A layer's tensors by field, each got by its Hugging Face name (the one place for the names). */
export function layerTensors<T>(l: number, get: (name: string, field: keyof LayerWeights) => T): { [K in keyof LayerWeights]: T } {
  const p = `model.layers.${l}.`;
  return {
    attnNorm: get(p + 'input_layernorm.weight', 'attnNorm'),
    wq: get(p + 'self_attn.q_proj.weight', 'wq'),
    wk: get(p + 'self_attn.k_proj.weight', 'wk'),
    wv: get(p + 'self_attn.v_proj.weight', 'wv'),
    wo: get(p + 'self_attn.o_proj.weight', 'wo'),
    ffnNorm: get(p + 'post_attention_layernorm.weight', 'ffnNorm'),
    wGate: get(p + 'mlp.gate_proj.weight', 'wGate'),
    wUp: get(p + 'mlp.up_proj.weight', 'wUp'),
    wDown: get(p + 'mlp.down_proj.weight', 'wDown'),
  };
}

/**
 * Picks arenas for groups of buffers that must share one (a layer's weights and its KV cache). Every
 * arena keeps `reserveBytes` free for what is allocated after placement (the forward pass's workspace)
 * and for the f32 staging that fills weights; a new arena starts when the current one cannot take a
 * whole group on top of that reserve.
 */
export class ArenaPlacer {
  private current?: Arena;

  constructor(
    private readonly rt: Runtime,
    private readonly reserveBytes: number,
  ) {}

  place(bytes: number): Arena {
    // Each buffer may lose up to 64 bytes to alignment; 64 buffers of slack is plenty per group.
    const need = bytes + 64 * 64 + this.reserveBytes;
    if (this.current && this.current.available >= need) return this.current;
    const reuse = this.current === undefined ? this.rt.arenas.find((a) => a.available >= need) : undefined;
    const arena = reuse ?? this.rt.newArena();
    if (arena.available < need) {
      throw new RangeError(`a layer of ${bytes} bytes plus ${this.reserveBytes} bytes of workspace does not fit in one arena (${arena.available} bytes free)`);
    }
    this.current = arena;
    return arena;
  }
}

/**
 * The type of each weight matrix, by Hugging Face name and shape [rows, cols]: matrices of one model
 * may differ (a GGUF's per-tensor types, or a block type's fallback for rows that are not whole blocks).
 */
export type MatrixTypes = (name: string, shape: readonly [number, number]) => DType;

/** Bytes of layer `l`'s weights, each matrix in its own type (norms stay f32). */
export function layerBytes(cfg: YiConfig, l: number, typeOf: MatrixTypes): number {
  let b = 0;
  layerTensors(l, (name, field) => {
    const shape = layerTensorShape(cfg, field);
    b += shape.length === 1 ? byteSize('f32', shape) : byteSize(typeOf(name, shape as [number, number]), shape);
  });
  return b;
}

/** Rows staged in f32 at a time when filling a weight (a multiple of 4: quantized row groups). */
export const STAGING_ROWS = 64;

/** Bytes of f32 staging a weight of `cols` columns needs while it is filled. */
export function stagingBytes(cols: number): number {
  return STAGING_ROWS * cols * 4;
}

/**
 * Fills a weight of any dtype, STAGING_ROWS rows at a time: `produce` writes f32 values of rows
 * [row, row + count) into `dst`, which castInto then stores (quantizing if needed). The f32 staging
 * lives in the weight's arena and is freed at the end, so a model never exists twice in memory.
 */
export function fillRows(weight: Tensor, produce: (row: number, count: number, dst: Float32Array) => void): void {
  const rows = weight.rows;
  const cols = weight.cols;
  const w2 = weight.reshape([rows, cols]);
  if (weight.dtype === 'f32') {
    produce(0, rows, w2.arena.f32.subarray(w2.offset / 4, w2.offset / 4 + rows * cols));
    return;
  }
  const stage = Tensor.zeros(weight.rt, 'f32', [Math.min(STAGING_ROWS, rows), cols], weight.arena);
  try {
    for (let r = 0; r < rows; r += STAGING_ROWS) {
      const n = Math.min(STAGING_ROWS, rows - r);
      const st = stage.slice(0, n);
      produce(r, n, st.arena.f32.subarray(st.offset / 4, st.offset / 4 + n * cols));
      castInto(st, w2.slice(r, n));
    }
  } finally {
    stage.dispose();
  }
}

/** Random values uniform in [-scale, scale) into a weight of any dtype. */
export function fillUniform(weight: Tensor, scale: number, next: () => number): void {
  fillRows(weight, (_r, _n, dst) => {
    for (let i = 0; i < dst.length; i++) dst[i] = (next() * 2 - 1) * scale;
  });
}
