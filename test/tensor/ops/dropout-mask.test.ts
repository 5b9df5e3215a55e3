// A dropout mask drawn once as bits (what LoRA's forward draws and its backward reuses) gives the bits
// of dropout() drawing it per call: same elements dropped, same scaling, any length (partial words), p
// and seed, in place too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDropoutMask, dropout, dropoutMask } from '../../../src/tensor/ops/dropout.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertSameBits, randomF32, runtime } from './helpers.js';

test('applyDropoutMask(x, dropoutMask(n, p, seed)) has the bits of dropout(x, p, seed) for odd lengths, p and seeds', async () => {
  const rt = await runtime(1);
  const arena = rt.newArena();
  for (const n of [1, 31, 32, 33, 95, 1000, 4097]) {
    for (const p of [0, 0.05, 0.3, 0.9]) {
      for (const seed of [0, 1, 0x7fffffff, 0xffffffff, -5]) {
        const x = Tensor.fromF32(rt, randomF32(n, n + seed), [n], arena);
        const want = dropout(x, p, seed, Tensor.zeros(rt, 'f32', [n], arena)).toArray();
        const mask = dropoutMask(n, p, seed);
        assert.equal(mask.length, Math.ceil(n / 32));
        const got = applyDropoutMask(x, mask, p, Tensor.zeros(rt, 'f32', [n], arena)).toArray();
        assertSameBits(got, want, `n=${n} p=${p} seed=${seed}`);
        // The dropped elements are the mask's set bits, and none at p = 0.
        let dropped = 0;
        for (let i = 0; i < n; i++) dropped += (mask[i >> 5]! >>> (i & 31)) & 1;
        if (p === 0) assert.equal(dropped, 0);
        if (n >= 1000 && p > 0) assert.ok(Math.abs(dropped / n - p) < 0.05, `about p of ${n} dropped at p=${p}: ${dropped}`);
        // In place (the gradient path masks its own buffer).
        applyDropoutMask(x, mask, p, x);
        assertSameBits(x.toArray(), want, `in place n=${n} p=${p} seed=${seed}`);
      }
    }
  }

});

test('applyDropoutMask refuses a mask that does not cover the tensor', async () => {
  const rt = await runtime(1);
  const arena = rt.newArena();
  const x = Tensor.fromF32(rt, randomF32(33, 1), [33], arena);
  assert.throws(() => applyDropoutMask(x, dropoutMask(32, 0.1, 1), 0.1, x), /mask of 1 words does not cover 33 elements/);
  assert.throws(() => dropoutMask(10, 1, 1), /p must be in \[0, 1\)/);

});
