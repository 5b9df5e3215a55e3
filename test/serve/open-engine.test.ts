// openEngine: the yi-tiny fixture loaded for serving (its KV cache sized from the byte budget) and
// answering; the model stays usable by its owner once the engine is closed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Runtime } from '../../src/runtime/runtime.js';
import { openEngine } from '../../src/serve/create-engine.js';
import { kvBytesPerToken } from '../../src/serve/kv-pool.js';
import { repoRoot } from '../paths.js';
import { collect, greedy, params } from './engine-helpers.js';

test('openEngine loads a model with a KV pool of --kv-memory bytes and serves it', async () => {
  const rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  try {
    const path = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
    // yi-tiny: 2 layers x K and V x 2 kv heads x head dim 16 x 4 bytes = 512 bytes per token.
    const { engine, model } = openEngine(rt, path, { sampler: greedy, kvMemory: 5 * 16 * 512 + 100, load: { dtype: 'f32' } });
    try {
      const perToken = kvBytesPerToken(model.config);
      assert.equal(perToken, 512);
      assert.equal(engine.stats().kvBytesPerToken, perToken);
      assert.equal(engine.stats().kvBlocksTotal, 5);
      assert.equal(engine.contextLength, 64, 'the config maxPositions (64) fits 5 blocks of 16');
      const r = await collect(engine.submit({ id: 'a', promptTokens: [1, 5, 9, 14], sampling: params(6) }));
      assert.equal(r.tokens.length, 6);
      await engine.close();
    } finally {
      model.dispose();
    }
  } finally {
    await rt.close();
  }
});
