import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../src/runtime/runtime.js';

test('a parallel read_sum over 2 threads covers every element once', async () => {
  const rt = await Runtime.create({ threads: 2 });
  try {
    const n = 1 << 20;
    const buf = rt.alloc(n * 4);
    const out = rt.alloc(64 * 64);
    const f = buf.arena.f32;
    for (let i = 0; i < n; i++) f[buf.offset / 4 + i] = 1;
    const chunk = n / 2;
    rt.parallel('read_sum', buf.arena, [buf.offset, out.offset, chunk], n, chunk);
    const o = buf.arena.f32;
    assert.equal(o[out.offset / 4]! + o[out.offset / 4 + 16]!, n);
  } finally {
    await rt.close();
  }
});
