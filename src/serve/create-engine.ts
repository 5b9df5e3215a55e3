// An engine over a loaded YiModel: the KV pool from the byte budget, the batched step, the settings.
import type { YiModel } from '../model/model.js';
import { YiBatchRunner } from './batch-step.js';
import { LLMEngine } from './engine.js';
import { checkInt, ENGINE_DEFAULTS, EngineOptionsError, type EngineOptions } from './engine-options.js';
import { KVPool } from './kv-pool.js';

/**
 * Builds the engine for `model` (its weights are read in place; the model's own single-sequence KV
 * cache is not used, so load it with a small contextLength to save that memory). The KV pool takes
 * `kvMemory` bytes; the engine's context length is capped at what the pool holds.
 */
export function createEngine(model: YiModel, opts: EngineOptions): LLMEngine {
  const cfg = model.config;
  const blockTokens = checkInt('--block-tokens', opts.blockTokens ?? ENGINE_DEFAULTS.blockTokens, 1, 4096);
  const wantContext = checkInt('--context-length', opts.contextLength ?? Math.min(cfg.maxPositions, 4096), 2, cfg.maxPositions);
  const maxSeqs = checkInt('--max-seqs', opts.maxSeqs ?? ENGINE_DEFAULTS.maxSeqs, 1, 4096);
  const maxBatchedTokens = checkInt('--max-batched-tokens', opts.maxBatchedTokens ?? ENGINE_DEFAULTS.maxBatchedTokens, 1, 1 << 20);
  const maxWaiting = checkInt('--max-waiting', opts.maxWaiting ?? ENGINE_DEFAULTS.maxWaiting, 0);
  if ((opts.kvType ?? 'f32') !== 'f32') throw new EngineOptionsError(`--kv-type ${opts.kvType}: only f32 is implemented`);
  const perToken = KVPool.bytesPerToken(model);
  const kvMemory = opts.kvMemory ?? Math.max(blockTokens * perToken, Math.min(maxSeqs * wantContext * perToken, ENGINE_DEFAULTS.maxKvMemory));
  checkInt('--kv-memory', kvMemory, 1);
  // Scores of one attention row live in a thread's scratch.
  if (wantContext * 4 > model.rt.scratchBytesPerThread) {
    throw new EngineOptionsError(`--context-length ${wantContext} needs ${wantContext * 4} bytes of attention scores per thread, more than the runtime's scratchBytesPerThread (${model.rt.scratchBytesPerThread})`);
  }
  const pool = KVPool.create(model, kvMemory, blockTokens);
  const contextLength = Math.min(wantContext, pool.numBlocks * blockTokens);
  let runner: YiBatchRunner;
  try {
    runner = new YiBatchRunner(model, pool, { maxTokens: maxBatchedTokens, maxSeqs, contextLength });
  } catch (e) {
    pool.dispose();
    throw e;
  }
  try {
    return new LLMEngine(runner, {
    modelName: opts.modelName ?? 'yi',
    contextLength,
    maxSeqs,
    maxBatchedTokens,
    maxWaiting,
    numBlocks: pool.numBlocks,
    blockTokens,
    kvBytesPerToken: perToken,
    prefixCaching: opts.prefixCaching ?? true,
      sampler: opts.sampler,
    });
  } catch (e) {
    runner.dispose();
    throw e;
  }
}
