// The dropout kernel (mulberry32 drawn per element, four lanes and any number of threads at a time)
// against the plain JS loop it replaced: the same elements dropped and the same scaled bits, for odd
// lengths (SIMD tails, chunk edges), several p and seeds (negative, above 2^31), in place, 1 and 2 threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropout } from '../../../src/tensor/ops/dropout.js';
import { mulberry32 } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertSameBits, randomF32, withOneAndTwoThreads } from './helpers.js';

/** The JS loop dropout ran before the kernel: next() < p drops, else x * (1 / (1 - p)) rounded to f32. */
function reference(x: Float32Array, p: number, seed: number): Float32Array {
  const out = new Float32Array(x.length);
  const keep = 1 / (1 - p);
  const next = mulberry32(seed);
  for (let i = 0; i < x.length; i++) out[i] = next() < p ? 0 : x[i]! * keep;
  return out;
}

test('dropout gives the bits of the per-element JS generator loop, for odd lengths, p and seeds, on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    for (const rt of [rt1, rt2]) {
      const arena = rt.newArena();
      for (const n of [1, 3, 4, 5, 31, 33, 1000, 40_003, 70_001]) {
        for (const p of [0, 0.05, 0.3, 0.9]) {
          for (const seed of [0, 1, 0x7fffffff, 0xffffffff, -5, 2 ** 40 + 3]) {
            const xs = randomF32(n, n + 7);
            const want = reference(xs, p, seed);
            const x = Tensor.fromF32(rt, xs, [n], arena);
            const got = dropout(x, p, seed, Tensor.zeros(rt, 'f32', [n], arena)).toArray();
            assertSameBits(got, want, `n=${n} p=${p} seed=${seed} threads=${rt.threads}`);
            if (p === 0.3 && n >= 40_000) {
              const dropped = got.filter((v, i) => v === 0 && xs[i] !== 0).length;
              assert.ok(Math.abs(dropped / n - p) < 0.02, `about 30% dropped: ${dropped} of ${n}`);
            }
            // In place (backward masks its own gradient buffer).
            dropout(x, p, seed, x);
            assertSameBits(x.toArray(), want, `in place n=${n} p=${p} seed=${seed} threads=${rt.threads}`);
            x.dispose();
          }
        }
      }
    }
  });
});
