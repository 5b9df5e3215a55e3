import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Arena, RESERVED_BYTES } from '../../src/runtime/arena.js';
import { loadKernelModule } from '../../src/runtime/module.js';
import { Runtime } from '../../src/runtime/runtime.js';

const GiB = 2 ** 30;

test('the allocator reuses freed blocks and merges neighbours', () => {
  const a = new Arena(0, loadKernelModule(), 16 << 20);
  const x = a.alloc(1000);
  const y = a.alloc(64);
  const z = a.alloc(4096);
  assert.equal(x, RESERVED_BYTES);
  assert.equal(x % 64, 0);
  assert.equal(y, x + 1024);
  a.u8.fill(7, y, y + 64);
  a.release(x);
  a.release(y);
  // x and y merged: a block of 1088 bytes fits where they were, zero-filled.
  const w = a.alloc(1088);
  assert.equal(w, x);
  assert.ok(a.u8.subarray(w, w + 1088).every((b) => b === 0));
  a.release(w);
  a.release(z);
  assert.equal(a.used, 0);
  // Everything folded back into the tail.
  assert.equal(a.alloc(64), RESERVED_BYTES);
});

test('memory handed back to the tail is zero again when allocated from the tail', () => {
  const a = new Arena(2, loadKernelModule(), 1 << 20);
  const x = a.alloc(4096);
  a.u8.fill(9, x, x + 4096);
  a.release(x); // folds into the tail: top moves back over bytes that still hold 9s
  const y = a.alloc(8192);
  assert.equal(y, x);
  assert.ok(a.u8.subarray(y, y + 8192).every((b) => b === 0));
});

test('an allocation that does not fit names the arena and sizes', () => {
  const a = new Arena(3, loadKernelModule(), 1 << 20);
  assert.throws(() => a.alloc(2 << 20), /arena 3: cannot allocate 2097152 bytes/);
  assert.throws(() => a.release(12345), /unknown offset/);
});

test('more than 4 GiB of tensors spread over several arenas, and kernels run in each (Yi-6B Q8_0 pattern)', async () => {
  const rt = await Runtime.create({ threads: 2 });
  try {
    // Yi-6B at Q8_0: per layer q,o 4096x4096; k,v 512x4096; gate, up, down 11008x4096; 34/32 bytes per weight.
    const q8 = (rows: number, cols: number) => (rows * cols * 34) / 32;
    const perLayer = [q8(4096, 4096), q8(512, 4096), q8(512, 4096), q8(4096, 4096), q8(11008, 4096), q8(11008, 4096), q8(11008, 4096)];
    const places = [rt.alloc(q8(64000, 4096))];
    for (let l = 0; l < 32; l++) for (const b of perLayer) places.push(rt.alloc(b));
    places.push(rt.alloc(q8(64000, 4096)));
    const total = places.length;
    assert.ok(rt.bytesInUse > 6.3e9, `only ${rt.bytesInUse} bytes allocated`);
    assert.ok(rt.arenas.length >= 2, 'expected the allocations to need a second arena');
    for (const a of rt.arenas) assert.ok(a.memory.buffer.byteLength <= 4 * GiB);
    // Mark the first and last 64 bytes of each buffer with its index; nothing may overlap.
    const sizes = [q8(64000, 4096), ...Array.from({ length: 32 }, () => perLayer).flat(), q8(64000, 4096)];
    places.forEach((p, i) => {
      p.arena.u8.fill(i & 255, p.offset, p.offset + 64);
      p.arena.u8.fill(i & 255, p.offset + sizes[i]! - 64, p.offset + sizes[i]!);
    });
    places.forEach((p, i) => {
      assert.equal(p.arena.u8[p.offset], i & 255);
      assert.equal(p.arena.u8[p.offset + sizes[i]! - 1], i & 255);
    });
    // A parallel kernel over a buffer in the last arena (high addresses) sees the data written there.
    const last = places[total - 1]!;
    assert.ok(last.arena.id >= 1);
    const n = 1 << 16;
    last.arena.f32.fill(0.5, last.offset / 4, last.offset / 4 + n);
    const out = rt.alloc(64 * 2, last.arena);
    rt.parallel('read_sum', last.arena, [last.offset, out.offset, n / 2], n, n / 2);
    const f = last.arena.f32;
    assert.equal(f[out.offset / 4]! + f[out.offset / 4 + 16]!, n * 0.5);
  } finally {
    await rt.close();
  }
});
