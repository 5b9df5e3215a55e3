// YI_BENCH_SERVE_LEVELS picks the serving benchmarks' concurrency levels; a bad value is a typed error naming it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchLevelsError, serveLevels } from '../../bench/serve-levels.js';

test('serve bench levels: defaults when unset, the listed ones when set, a typed error otherwise', () => {
  assert.deepEqual(serveLevels([1, 4, 8, 16], undefined), [1, 4, 8, 16]);
  assert.deepEqual(serveLevels([1, 4], ' '), [1, 4]);
  assert.deepEqual(serveLevels([1, 4, 8, 16], '1, 8,16'), [1, 8, 16]);
  for (const bad of ['0', '1,x', '2.5', '1,,8', '300']) {
    assert.throws(() => serveLevels([1], bad), (e: unknown) => e instanceof BenchLevelsError && e.message.includes('YI_BENCH_SERVE_LEVELS'), bad);
  }
});
