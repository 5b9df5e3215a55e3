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

test('chunks are aligned and cover every unit exactly once', async () => {
  const { chunkUnits } = await import('../../src/runtime/control.js');
  for (const total of [1, 3, 17, 33, 100, 4097]) {
    for (const align of [1, 4, 8, 64]) {
      for (const n of [1, 2, 3, 8]) {
        const chunk = chunkUnits(total, align, n);
        assert.equal(chunk % align, 0);
        assert.ok(Math.ceil(total / chunk) <= n * 4);
        assert.ok(chunk * Math.ceil(total / chunk) >= total);
      }
    }
  }
});

test('a kernel that traps in a worker raises an error and the pool keeps working', async () => {
  const rt = await Runtime.create({ threads: 2 });
  try {
    const a = rt.arenas[0]!;
    const buf = rt.alloc(4096 * 4);
    const out = rt.alloc(128);
    // Share 1 (the worker's) reads far past the end of memory.
    const bad = a.memory.buffer.byteLength - 4096 * 2;
    assert.throws(() => rt.parallel('read_sum', a, [bad, out.offset, 2048], 4096 * 4, 2048), /out of bounds/);
    rt.parallel('read_sum', a, [buf.offset, out.offset, 2048], 4096, 2048);
    assert.equal(a.f32[out.offset / 4], 0);
  } finally {
    await rt.close();
  }
});

test('unknown kernels and bad thread counts are rejected with their names', async () => {
  await assert.rejects(Runtime.create({ threads: 0 }), /threads must be an integer from 1 to 256, got 0/);
  const rt = await Runtime.create({ threads: 1 });
  try {
    assert.throws(() => rt.parallel('no_such_kernel', rt.arenas[0]!, [], 1), /no kernel named 'no_such_kernel'/);
  } finally {
    await rt.close();
  }
});

test('thousands of back-to-back jobs of varying size all complete with correct results', async () => {
  const rt = await Runtime.create({ threads: 2 });
  try {
    const a = rt.arenas[0]!;
    const maxChunks = 64;
    const align = 1024;
    const buf = rt.alloc(maxChunks * align * 4);
    const out = rt.alloc(maxChunks * 64);
    a.f32.fill(1, buf.offset / 4, buf.offset / 4 + maxChunks * align);
    for (let i = 0; i < 3000; i++) {
      const chunks = 1 + ((i * 7919) % maxChunks);
      const n = chunks * align;
      a.f32.fill(0, out.offset / 4, out.offset / 4 + maxChunks * 16);
      rt.parallel('read_sum', a, [buf.offset, out.offset, align], n, align);
      let s = 0;
      for (let c = 0; c < chunks; c++) s += a.f32[out.offset / 4 + c * 16]!;
      assert.equal(s, n, `job ${i}`);
    }
  } finally {
    await rt.close();
  }
});
