// The KV cache's memory, seen as blocks. The pool is the model's own KV cache memory: each layer's
// f32 [contextLength, Hkv, D] keys and values sit in the layer's arena (the model's loader places a
// layer and its cache together), viewed here as [blocks, blockTokens, Hkv, D]. So the layers of one
// arena form that arena's pool, block b means the same positions in every layer (one block table
// serves all layers), and the loader's memory checks already count the pool. Its size is chosen when
// the model is loaded: serveModelOptions turns a byte budget (--kv-memory) into that contextLength.
import type { YiModel } from '../model/model.js';
import type { YiConfig } from '../model/config.js';
import type { Tensor } from '../tensor/tensor.js';
import { EngineOptionsError } from './engine-options.js';

export interface LayerKV {
  k: Tensor; // f32 [blocks, blockTokens, Hkv, D]
  v: Tensor;
}

/** Bytes of K and V one token takes over all layers (f32 elements). */
export function kvBytesPerToken(cfg: YiConfig): number {
  return cfg.layers * 2 * cfg.kvHeads * cfg.headDim * 4;
}

export class KVPool {
  private constructor(
    readonly layers: LayerKV[],
    readonly numBlocks: number,
    readonly blockTokens: number,
    /** Bytes of K and V per token over all layers. */
    readonly bytesPerToken: number,
  ) {}

  /** The model's KV cache as floor(contextLength / blockTokens) blocks per layer. */
  static fromModel(model: YiModel, blockTokens: number): KVPool {
    const c = model.config;
    const numBlocks = Math.floor(model.contextLength / blockTokens);
    if (numBlocks < 1) {
      throw new EngineOptionsError(`the model's KV cache holds ${model.contextLength} positions, less than one block of ${blockTokens}: load it with serveModelOptions (a larger contextLength)`);
    }
    const shape = [numBlocks, blockTokens, c.kvHeads, c.headDim];
    const layers = model.weights.layers.map((_, l) => {
      const { k, v } = model.kvCache(l);
      return { k: k.slice(0, numBlocks * blockTokens).reshape(shape), v: v.slice(0, numBlocks * blockTokens).reshape(shape) };
    });
    return new KVPool(layers, numBlocks, blockTokens, kvBytesPerToken(c));
  }

  /** Bytes the pool holds. */
  get bytes(): number {
    return this.numBlocks * this.blockTokens * this.bytesPerToken;
  }
}
