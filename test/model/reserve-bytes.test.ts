// ModelOptions.reserveBytes: every arena that holds layers keeps that much free after loading, for a
// caller's buffers next to the layers (the serving engine's step workspace).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';

let rt: Runtime;
before(async () => {
  // Small arenas, so that the model spreads over several and the reserve decides where layers go.
  rt = await Runtime.create({ threads: 1, arenaBytes: 8 << 20 });
});
after(async () => {
  await rt.close();
});

test('reserveBytes stays free in every arena holding layers', () => {
  const cfg = { ...preset('tiny'), layers: 6, hidden: 256, ffn: 512 };
  const reserve = 3 << 20;
  const model = YiModel.random(rt, cfg, 'f32', 1, { contextLength: 64, batch: 8, reserveBytes: reserve });
  try {
    const arenas = new Set(model.weights.layers.map((l) => l.wq.arena));
    assert.ok(arenas.size > 1, `expected the layers to spread over arenas, got ${arenas.size}`);
    for (const a of arenas) assert.ok(a.available >= reserve, `arena ${a.id}: ${a.available} bytes free, ${reserve} reserved`);
  } finally {
    model.dispose();
  }
  assert.throws(() => YiModel.random(rt, cfg, 'f32', 1, { contextLength: 64, reserveBytes: -1 }), /reserveBytes must be an integer >= 0/);
});
