// The KV cache's memory: one pool per arena holding the K and V blocks of the layers placed there
// (a layer's kernels see one wasm memory), sized from a byte budget. Block b of every layer belongs
// to the same sequence positions, so one block table serves all layers.
import type { YiModel } from '../model/model.js';
import { naming, OutOfArenaMemory, type Arena } from '../runtime/arena.js';
import { byteSize } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { EngineOptionsError } from './engine-options.js';

export interface LayerKV {
  k: Tensor; // f32 [blocks, blockTokens, Hkv, D]
  v: Tensor;
}

export class KVPool {
  /** Per layer, views into its arena's pool. */
  readonly layers: LayerKV[] = [];
  private readonly pools: Tensor[] = [];

  private constructor(
    readonly numBlocks: number,
    readonly blockTokens: number,
    /** Bytes of K and V per token over all layers. */
    readonly bytesPerToken: number,
  ) {}

  /** Bytes of K and V one token takes over all layers of the model (f32 elements). */
  static bytesPerToken(model: YiModel): number {
    const c = model.config;
    return c.layers * 2 * c.kvHeads * c.headDim * 4;
  }

  /** A pool of floor(kvMemory / (blockTokens * bytesPerToken)) blocks, split over the layers' arenas. */
  static create(model: YiModel, kvMemory: number, blockTokens: number): KVPool {
    const c = model.config;
    const perToken = KVPool.bytesPerToken(model);
    const numBlocks = Math.floor(kvMemory / (blockTokens * perToken));
    if (numBlocks < 1) {
      throw new EngineOptionsError(`--kv-memory ${kvMemory} bytes holds no block: one block of ${blockTokens} tokens takes ${blockTokens * perToken} bytes`);
    }
    const pool = new KVPool(numBlocks, blockTokens, perToken);
    const byArena = new Map<Arena, number[]>();
    model.weights.layers.forEach((l, i) => {
      const list = byArena.get(l.wq.arena) ?? [];
      list.push(i);
      byArena.set(l.wq.arena, list);
    });
    const shape = [numBlocks, blockTokens, c.kvHeads, c.headDim];
    try {
      for (const [arena, layers] of byArena) {
        const all = naming(`the KV pool of layers ${layers[0]}..${layers[layers.length - 1]} (--kv-memory)`, () =>
          Tensor.empty(model.rt, 'f32', [layers.length * 2, ...shape], arena),
        );
        pool.pools.push(all);
        layers.forEach((l, j) => {
          pool.layers[l] = { k: all.slice(2 * j, 1).reshape(shape), v: all.slice(2 * j + 1, 1).reshape(shape) };
        });
      }
    } catch (e) {
      pool.dispose();
      if (e instanceof OutOfArenaMemory) {
        throw new EngineOptionsError(`--kv-memory: ${numBlocks} blocks (${(numBlocks * blockTokens * perToken) / 2 ** 20} MiB) do not fit next to the weights: ${e.message}`);
      }
      throw e;
    }
    return pool;
  }

  /** Bytes the pool holds. */
  get bytes(): number {
    return this.pools.reduce((s, p) => s + byteSize('f32', p.shape), 0);
  }

  dispose(): void {
    for (const p of this.pools) p.dispose();
    this.pools.length = 0;
  }
}
