// Prefix caching on the tiny model: a second request with the same system prompt computes only its
// own suffix (the shared full blocks come from the cache) and still answers exactly as alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { createEngine, serveModelOptions } from '../../src/serve/create-engine.js';
import { EngineOptionsError } from '../../src/serve/engine-options.js';
import { kvBytesPerToken } from '../../src/serve/kv-pool.js';
import { collect, generateAlone, greedy, params, prompt } from './engine-helpers.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
});
after(async () => {
  await rt.close();
});

const cfg = preset('tiny');
const CTX = 96;

test('a second request with the same prefix computes only its suffix, with the same answer as alone', async () => {
  const opts = { sampler: greedy, contextLength: CTX, blockTokens: 16 };
  const model = YiModel.random(rt, cfg, 'f32', 5, serveModelOptions(cfg, opts));
  // The single-sequence reference on its own copy (the engine's pool is the model's KV cache memory).
  const ref = YiModel.random(rt, cfg, 'f32', 5, { contextLength: CTX, batch: 16 });
  try {
    const system = prompt(40, 1, cfg.vocabSize); // two full blocks of 16, and 8 tokens
    const a = [...system, ...prompt(7, 2, cfg.vocabSize)];
    const b = [...system, ...prompt(9, 3, cfg.vocabSize)];
    const engine = createEngine(model, opts);
    const ra = await collect(engine.submit({ id: 'a', promptTokens: a, sampling: params(5) }));
    assert.equal(ra.finish.cachedPromptTokens, 0);
    assert.equal(engine.computedTokensTotal, a.length + 4);
    const before = engine.computedTokensTotal;

    const rb = await collect(engine.submit({ id: 'b', promptTokens: b, sampling: params(5) }));
    assert.equal(rb.finish.cachedPromptTokens, 32);
    assert.equal(engine.stats().prefixCacheHitTokens, 32);
    assert.equal(engine.computedTokensTotal - before, b.length - 32 + 4, 'b computes its suffix and its decodes only');
    assert.deepEqual(rb.tokens, generateAlone(ref, b, 5, CTX));

    // A follow-up turn (a's prompt and answer, then more) finds a's third block too: 48 tokens.
    const c = [...a, ...ra.tokens, ...prompt(6, 4, cfg.vocabSize)];
    const rc = await collect(engine.submit({ id: 'c', promptTokens: c, sampling: params(4) }));
    assert.equal(rc.finish.cachedPromptTokens, 48);
    assert.deepEqual(rc.tokens, generateAlone(ref, c, 4, CTX));
    assert.equal(engine.stats().kvBlocksUsed, 0);
    await engine.close();
  } finally {
    model.dispose();
    ref.dispose();
  }
});

test('without prefix caching nothing is shared', async () => {
  const opts = { sampler: greedy, contextLength: CTX, prefixCaching: false };
  const model = YiModel.random(rt, cfg, 'f32', 5, serveModelOptions(cfg, opts));
  try {
    const system = prompt(40, 1, cfg.vocabSize);
    const engine = createEngine(model, opts);
    await collect(engine.submit({ id: 'a', promptTokens: system, sampling: params(2) }));
    const r = await collect(engine.submit({ id: 'b', promptTokens: system, sampling: params(2) }));
    assert.equal(r.finish.cachedPromptTokens, 0);
    assert.equal(engine.stats().prefixCacheHitTokens, 0);
    await engine.close();
  } finally {
    model.dispose();
  }
});

test('the KV budget is chosen at load: serveModelOptions sizes the model cache, createEngine refuses a budget the model was not loaded for', () => {
  const opts = { sampler: greedy, contextLength: CTX, kvMemory: 10 * 16 * kvBytesPerToken(cfg) };
  const sized = serveModelOptions(cfg, opts);
  assert.equal(sized.contextLength, 160);
  const small = YiModel.random(rt, cfg, 'f32', 5, { contextLength: CTX, batch: 16 });
  try {
    assert.throws(() => createEngine(small, opts), EngineOptionsError);
  } finally {
    small.dispose();
  }
  assert.throws(() => serveModelOptions(cfg, { ...opts, kvMemory: 100 }), /holds no block/);
  assert.throws(() => serveModelOptions(cfg, { ...opts, maxSeqs: 0 }), /--max-seqs must be an integer from 1/);
  assert.throws(() => serveModelOptions(cfg, { ...opts, kvType: 'fp8' as 'int8' }), /--kv-type "fp8": expected f32 or int8/);
});
