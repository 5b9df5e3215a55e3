// A packed step whose segment buffer grows the arena's memory still writes its ids, positions and
// segments: the i32 view is taken after the last allocation (a grown wasm memory detaches older views).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 1, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
});

test('the first packed loss on a fresh model, each step buffer a page or more, runs and counts its targets', () => {
  const cfg = { ...preset('tiny'), vocabSize: 96, maxPositions: 128 };
  // Its own arena, grown to just what the weights need: every 64 KiB step buffer grows the memory.
  const m = YiTrainable.create(rt, cfg, { kind: 'random', seed: 1 }, { maxSeqLen: 128 });
  const B = 128;
  const T = 128;
  const N = B * T;
  const inputs = Int32Array.from({ length: N }, (_, i) => 3 + (i % 90));
  const targets = Int32Array.from({ length: N }, (_, i) => (i % T === T - 1 || i % T === 63 ? -1 : 3 + ((i + 1) % 90)));
  // Two samples a row: positions restart at 64.
  const segments = Int32Array.from({ length: N }, (_, i) => (i % T < 64 ? 0 : 1));
  const positions = Int32Array.from({ length: N }, (_, i) => (i % T) % 64);
  const r = m.loss(inputs, targets, B, T, { positions, segments });
  assert.equal(r.count, B * (T - 2));
  assert.ok(Number.isFinite(r.sum) && r.sum > 0);
  m.dispose();
});
