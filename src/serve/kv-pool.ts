// The KV cache's memory, seen as blocks. The pool is the model's own KV cache memory: each layer's
// f32 [contextLength, Hkv, D] keys and values sit in the layer's arena (the model's loader places a
// layer and its cache together), viewed here as [blocks, blockTokens, Hkv, D]. So the layers of one
// arena form that arena's pool, block b means the same positions in every layer (one block table
// serves all layers), and the loader's memory checks already count the pool. Its size is chosen when
// the model is loaded: serveModelOptions turns a byte budget (--kv-memory) into that contextLength.
// With int8 K/V (--kv-type int8) the same bytes hold int8 blocks and their scales instead.
import type { YiModel } from '../model/model.js';
import type { YiConfig } from '../model/config.js';
import { i8RegionBlocks } from '../tensor/ops/paged-attention-i8.js';
import type { Tensor } from '../tensor/tensor.js';
import { EngineOptionsError, type KVType } from './engine-options.js';

export interface LayerKV {
  /** f32: [blocks, blockTokens, Hkv, D]; int8: the layer's whole cache tensor, whose bytes hold the
   *  int8 region (src/tensor/ops/paged-attention-i8.ts). */
  k: Tensor;
  v: Tensor;
}

/** Bytes of K and V one token takes over all layers: f32 elements, or int8 ones with one f32 scale
 *  per block and kv head spread over the block's tokens. */
export function kvBytesPerToken(cfg: YiConfig, kvType: KVType = 'f32', blockTokens = 16): number {
  const perHead = kvType === 'int8' ? cfg.headDim + 4 / blockTokens : cfg.headDim * 4;
  return cfg.layers * 2 * cfg.kvHeads * perHead;
}

/** Positions of an f32 KV cache [positions, Hkv, D] whose bytes hold `blocks` int8 blocks (with scales). */
export function int8CachePositions(cfg: YiConfig, blocks: number, blockTokens: number): number {
  // i8RegionBlocks' count: the blocks with their scales, and 64 bytes for the quants' alignment.
  const bytes = blocks * (blockTokens * cfg.kvHeads * cfg.headDim + cfg.kvHeads * 4) + 64;
  return Math.ceil(bytes / (cfg.kvHeads * cfg.headDim * 4));
}

export class KVPool {
  private constructor(
    readonly layers: LayerKV[],
    readonly numBlocks: number,
    readonly blockTokens: number,
    /** Bytes of K and V per token over all layers. */
    readonly bytesPerToken: number,
    readonly kvType: KVType,
  ) {}

  /** The model's KV cache as blocks: floor(contextLength / blockTokens) f32 ones per layer, or as
   *  many int8 ones (about 4x) as its bytes hold. */
  static fromModel(model: YiModel, blockTokens: number, kvType: KVType = 'f32'): KVPool {
    const c = model.config;
    if (kvType === 'int8') {
      const layers = model.weights.layers.map((_, l) => model.kvCache(l));
      const numBlocks = i8RegionBlocks(layers[0]!.k.byteLength, blockTokens, c.kvHeads, c.headDim);
      if (numBlocks < 1) throw new EngineOptionsError(`the model's KV cache holds ${model.contextLength} positions, less than one int8 block of ${blockTokens}: load it with serveModelOptions`);
      return new KVPool(layers, numBlocks, blockTokens, kvBytesPerToken(c, 'int8', blockTokens), 'int8');
    }
    const numBlocks = Math.floor(model.contextLength / blockTokens);
    if (numBlocks < 1) {
      throw new EngineOptionsError(`the model's KV cache holds ${model.contextLength} positions, less than one block of ${blockTokens}: load it with serveModelOptions (a larger contextLength)`);
    }
    const shape = [numBlocks, blockTokens, c.kvHeads, c.headDim];
    const layers = model.weights.layers.map((_, l) => {
      const { k, v } = model.kvCache(l);
      return { k: k.slice(0, numBlocks * blockTokens).reshape(shape), v: v.slice(0, numBlocks * blockTokens).reshape(shape) };
    });
    return new KVPool(layers, numBlocks, blockTokens, kvBytesPerToken(c), 'f32');
  }

  /** Bytes the pool's blocks take. */
  get bytes(): number {
    return this.numBlocks * this.blockTokens * this.bytesPerToken;
  }
}
