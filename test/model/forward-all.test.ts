// YiModel.forwardAll: the logits of every position of a multi-step prompt, against forward() token
// by token (the decode path); the rows skipped by `from` are the only ones missing; the cache ends
// where forward() leaves it; 1 and 2 threads agree bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { useRuntimePair } from './runtimes.js';

const rts = useRuntimePair();
const cfg = preset('tiny');
const tokens = Array.from({ length: 21 }, (_, i) => (i * 29 + 7) % cfg.vocabSize);

function all(model: YiModel, from = 0): Map<number, Float32Array> {
  const rows = new Map<number, Float32Array>();
  model.reset();
  model.forwardAll(tokens, (i, row) => rows.set(i, row.slice()), from);
  return rows;
}

test('forwardAll gives each position the logits forward() gives it token by token', () => {
  for (const type of ['f32', 'q8_0'] as const) {
    const model = YiModel.random(rts.rt2, cfg, type, 7, { contextLength: 32, batch: 8 });
    const rows = all(model);
    assert.deepEqual([...rows.keys()], tokens.map((_, i) => i));
    assert.equal(model.position, tokens.length);
    model.reset();
    let worst = 0;
    for (const [i, t] of tokens.entries()) {
      const want = model.forward([t]).toArray();
      const got = rows.get(i)!;
      assert.equal(got.length, cfg.vocabSize);
      for (let v = 0; v < want.length; v++) worst = Math.max(worst, Math.abs(got[v]! - want[v]!));
    }
    // As prefill vs decode (prefill.test.ts): f32 rounding only; q8_0 may cross an int8 rounding step.
    assert.ok(worst < (type === 'f32' ? 1e-4 : 5e-2), `${type}: ${worst}`);
    // The last row is forward()'s answer for the whole prompt (its head runs a GEMV, not a GEMM: rounding differs).
    model.reset();
    const last = model.forward(tokens).toArray();
    const row = rows.get(tokens.length - 1)!;
    for (let v = 0; v < last.length; v++) assert.ok(Math.abs(last[v]! - row[v]!) < 1e-4, `${type} logit ${v}: ${last[v]} vs ${row[v]}`);
    model.dispose();
  }
});

test('from skips the head for earlier rows only (across a step boundary), with the same values', () => {
  const model = YiModel.random(rts.rt2, cfg, 'f32', 8, { contextLength: 32, batch: 8 });
  const full = all(model);
  const part = all(model, 11);
  assert.deepEqual([...part.keys()], tokens.map((_, i) => i).filter((i) => i >= 11));
  for (const [i, row] of part) assert.deepEqual(row, full.get(i));
  assert.equal(all(model, 99).size, 0);
  assert.equal(model.position, tokens.length, 'skipped rows still enter the cache');
  model.dispose();
});

test('forwardAll is bit-identical on 1 and 2 threads', () => {
  const a = YiModel.random(rts.rt1, cfg, 'q8_0', 9, { contextLength: 32, batch: 8 });
  const b = YiModel.random(rts.rt2, cfg, 'q8_0', 9, { contextLength: 32, batch: 8 });
  assert.deepEqual(all(a), all(b));
  a.dispose();
  b.dispose();
});
