// The block pool alone: least-recently-freed eviction, prefix hits on free cached blocks, and the
// invariant check catching a table that disagrees with the ref counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockPool, BlockPoolInvariantError } from '../../src/serve/block-pool.js';

test('freed blocks keep their hash until allocation evicts them, least recently freed first', () => {
  const pool = new BlockPool(4);
  const [a, b, c, d] = pool.allocate(4) as [number, number, number, number];
  assert.equal(pool.numFree, 0);
  pool.cache(a, 'ha');
  pool.cache(b, 'hb');
  pool.release([b]);
  pool.release([a]);
  assert.equal(pool.lookup('ha'), a);
  assert.equal(pool.lookup('hb'), b);
  // b was freed first: the next allocation evicts it.
  assert.deepEqual(pool.allocate(1), [b]);
  assert.equal(pool.lookup('hb'), undefined);
  assert.equal(pool.lookup('ha'), a);
  // A hit takes a back out of the free queue.
  pool.touch([a]);
  assert.equal(pool.refCount(a), 1);
  assert.equal(pool.numFree, 0);
  pool.check([[a], [b], [c], [d]]);
  pool.release([a, b, c, d]);
  pool.check([]);
  assert.equal(pool.numFree, 4);
});

test('a shared block is freed only when its last holder releases it', () => {
  const pool = new BlockPool(2);
  const [a] = pool.allocate(1) as [number];
  pool.cache(a, 'h');
  pool.touch([a]);
  pool.check([[a], [a]]);
  pool.release([a]);
  assert.equal(pool.numFree, 1);
  pool.release([a]);
  assert.equal(pool.numFree, 2);
  assert.throws(() => pool.release([a]), BlockPoolInvariantError);
});

test('check() catches a block both free and used, and a ref count that disagrees with the tables', () => {
  const pool = new BlockPool(3);
  const [a] = pool.allocate(1) as [number];
  assert.throws(() => pool.check([]), /ref count 1, named by 0/);
  assert.throws(() => pool.check([[a], [a]]), /ref count 1, named by 2/);
  assert.throws(() => pool.check([[a], [(a + 1) % 3]]), /ref count 0, named by 1/);
  pool.check([[a]]);
  assert.throws(() => pool.allocate(3), /3 blocks asked, 2 free/);
});
