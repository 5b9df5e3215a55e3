// SLOW (about 2 minutes, 6.5 GB of memory): run with `npm run test:slow`. A Yi-6B-shaped model at
// Q8_0 (6.4 GB of weights, more than one 4 GiB wasm memory) loads and generates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { argmax } from '../../src/tensor/ops/sample.js';

const slow = process.env.YI_SLOW_TESTS ? false : 'slow test (2 min, 6.5 GB): set YI_SLOW_TESTS=1 or run npm run test:slow';

test('a Yi-6B-shaped Q8_0 model spans several wasm memories and generates', { skip: slow, timeout: 15 * 60_000 }, async () => {
  const rt = await Runtime.create({ threads: 2 });
  try {
    const model = YiModel.random(rt, preset('yi-6b'), 'q8_0', 7, { contextLength: 64, batch: 8 });
    const arenas = new Set(model.weights.layers.map((l) => l.wq.arena.id));
    assert.ok(rt.bytesInUse > 6.3e9, `${rt.bytesInUse} bytes in use`);
    assert.ok(arenas.size >= 2, 'the layers should need a second arena');
    const prompt = [1, 100, 2000, 30000, 63999];
    const tokens: number[] = [];
    let logits = model.forward(prompt);
    for (let i = 0; i < 4; i++) {
      const values = logits.toArray();
      assert.ok(values.every(Number.isFinite), 'logits must be finite');
      const t = argmax(logits);
      tokens.push(t);
      logits = model.forward([t]);
    }
    // The same prompt again (cache rewound) gives the same greedy tokens.
    model.reset();
    logits = model.forward(prompt);
    assert.equal(argmax(logits), tokens[0]);
    model.dispose();
  } finally {
    await rt.close();
  }
});
