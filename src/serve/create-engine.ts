// An engine over a YiModel: the model's KV cache memory as the block pool, the batched step, the
// settings. serveModelOptions sizes that memory from a byte budget when the model is loaded;
// openEngine does both.
import type { YiConfig } from '../model/config.js';
import { loadModel, type LoadOptions } from '../model/load.js';
import type { ModelOptions, YiModel } from '../model/model.js';
import { readModelConfig } from '../model/source.js';
import type { Runtime } from '../runtime/runtime.js';
import { YiBatchRunner, type BatchLimits } from './batch-step.js';
import { LLMEngine } from './engine.js';
import { checkInt, ENGINE_DEFAULTS, EngineOptionsError, type EngineOptions, type KVType } from './engine-options.js';
import { int8CachePositions, KVPool, kvBytesPerToken } from './kv-pool.js';

/** The engine's limits for a config, defaults applied and checked (flags named as the CLI spells them). */
function resolve(cfg: YiConfig, opts: EngineOptions): { blockTokens: number; contextLength: number; maxSeqs: number; maxBatchedTokens: number; maxWaiting: number; kvType: KVType } {
  const kvType = opts.kvType ?? 'f32';
  if (kvType !== 'f32' && kvType !== 'int8') throw new EngineOptionsError(`--kv-type ${JSON.stringify(kvType)}: expected f32 or int8`);
  return {
    kvType,
    blockTokens: checkInt('--block-tokens', opts.blockTokens ?? ENGINE_DEFAULTS.blockTokens, 1, 4096),
    contextLength: checkInt('--context-length', opts.contextLength ?? Math.min(cfg.maxPositions, 4096), 2, cfg.maxPositions),
    maxSeqs: checkInt('--max-seqs', opts.maxSeqs ?? ENGINE_DEFAULTS.maxSeqs, 1, 4096),
    maxBatchedTokens: checkInt('--max-batched-tokens', opts.maxBatchedTokens ?? ENGINE_DEFAULTS.maxBatchedTokens, 1, 1 << 20),
    maxWaiting: checkInt('--max-waiting', opts.maxWaiting ?? ENGINE_DEFAULTS.maxWaiting, 0),
  };
}

/**
 * How to load a model that will serve an engine with `opts`: its KV cache (the engine's block pool)
 * holds `kvMemory` bytes (default: maxSeqs full contexts, at most 1 GiB, at least one context), and
 * every arena keeps room for the engine's step buffers. Pass the result to loadModel / YiModel.create.
 */
export function serveModelOptions(cfg: YiConfig, opts: Omit<EngineOptions, 'sampler'>): Required<Pick<ModelOptions, 'contextLength' | 'batch' | 'reserveBytes'>> {
  const r = resolve(cfg, { ...opts, sampler: () => ({ sample: () => ({ token: 0 }) }) });
  const perToken = kvBytesPerToken(cfg, r.kvType, r.blockTokens);
  const kvMemory = opts.kvMemory ?? Math.max(r.contextLength * perToken, Math.min(r.maxSeqs * r.contextLength * perToken, ENGINE_DEFAULTS.maxKvMemory));
  checkInt('--kv-memory', kvMemory, 1);
  const blocks = Math.floor(kvMemory / (r.blockTokens * perToken));
  if (blocks < 1) throw new EngineOptionsError(`--kv-memory ${kvMemory} bytes holds no block: one block of ${r.blockTokens} tokens takes ${r.blockTokens * perToken} bytes`);
  const limits: BatchLimits = { maxTokens: r.maxBatchedTokens, maxSeqs: r.maxSeqs, contextLength: Math.min(r.contextLength, blocks * r.blockTokens) };
  // The model's own forward (unused by the engine) keeps a small batch.
  const positions = r.kvType === 'int8' ? int8CachePositions(cfg, blocks, r.blockTokens) : blocks * r.blockTokens;
  return { contextLength: positions, batch: 16, reserveBytes: YiBatchRunner.workspaceBytes(cfg, limits, r.blockTokens) };
}

/**
 * Builds the engine for `model`: its weights are read in place and its KV cache memory becomes the
 * block pool (floor(model.contextLength / blockTokens) blocks; size it with serveModelOptions), so
 * the model must not run forward() while the engine serves. The engine's context length is capped at
 * the pool's capacity, so that a request alone always fits. The model stays the caller's to dispose
 * (after engine.close()).
 */
export function createEngine(model: YiModel, opts: EngineOptions): LLMEngine {
  const cfg = model.config;
  const r = resolve(cfg, opts);
  const pool = KVPool.fromModel(model, r.blockTokens, r.kvType);
  if (opts.kvMemory !== undefined && pool.bytes + r.blockTokens * pool.bytesPerToken <= opts.kvMemory) {
    throw new EngineOptionsError(`--kv-memory ${opts.kvMemory}: the model's KV cache holds ${pool.bytes} bytes; load the model with serveModelOptions(config, options) to size it`);
  }
  const contextLength = Math.min(r.contextLength, pool.numBlocks * r.blockTokens);
  // Scores of one attention row live in a thread's scratch.
  if (contextLength * 4 > model.rt.scratchBytesPerThread) {
    throw new EngineOptionsError(`--context-length ${contextLength} needs ${contextLength * 4} bytes of attention scores per thread, more than the runtime's scratchBytesPerThread (${model.rt.scratchBytesPerThread})`);
  }
  const runner = new YiBatchRunner(model, pool, { maxTokens: r.maxBatchedTokens, maxSeqs: r.maxSeqs, contextLength });
  try {
    return new LLMEngine(runner, {
      modelName: opts.modelName ?? 'yi',
      contextLength,
      maxSeqs: r.maxSeqs,
      maxBatchedTokens: r.maxBatchedTokens,
      maxWaiting: r.maxWaiting,
      numBlocks: pool.numBlocks,
      blockTokens: r.blockTokens,
      kvBytesPerToken: pool.bytesPerToken,
      prefixCaching: opts.prefixCaching ?? true,
      sampler: opts.sampler,
    });
  } catch (e) {
    runner.dispose();
    throw e;
  }
}

/** Loads the model at `path` sized for the engine (serveModelOptions) and builds the engine. The
 *  caller disposes the model after engine.close(). */
export function openEngine(rt: Runtime, path: string, opts: EngineOptions & { load?: Omit<LoadOptions, keyof ModelOptions> }): { engine: LLMEngine; model: YiModel } {
  const cfg = readModelConfig(path);
  const model = loadModel(rt, path, { ...opts.load, ...serveModelOptions(cfg, opts) });
  try {
    return { engine: createEngine(model, opts), model };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
