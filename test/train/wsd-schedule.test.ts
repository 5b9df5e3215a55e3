// The WSD schedule with a fixed step count: warmup, the peak held, a linear decay over the last fifth
// that ends at minLr on the last step; the same line the time-budget planner draws at a steady pace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decayedRate, learningRate, wsdDecayStart } from '../../src/train/schedule.js';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-15;

test('wsd: warmup, stable, then a linear decay over the last 20% to minLr', () => {
  const o = { kind: 'wsd', lr: 1e-3, warmupSteps: 10, totalSteps: 100, minLr: 1e-4 } as const;
  const lrs = Array.from({ length: 100 }, (_, s) => learningRate(o, s));
  assert.deepEqual(lrs.slice(0, 10), Array.from({ length: 10 }, (_, s) => (1e-3 * (s + 1)) / 10));
  assert.ok(lrs.slice(10, 80).every((x) => x === 1e-3), 'the peak holds until step 80');
  assert.equal(wsdDecayStart(100, 10, 0.2), 80);
  // 20 decay steps, each 1/20 of the way from lr to minLr; the last one lands on minLr.
  for (let k = 0; k < 20; k++) assert.ok(close(lrs[80 + k]!, 1e-3 - ((k + 1) / 20) * 9e-4), `step ${80 + k}: ${lrs[80 + k]}`);
  assert.equal(lrs[99], 1e-4);
  // minLr defaults to lr / 10, decayFraction is adjustable.
  assert.equal(learningRate({ kind: 'wsd', lr: 1, warmupSteps: 0, totalSteps: 10 }, 9), 0.1);
  assert.equal(learningRate({ kind: 'wsd', lr: 1, warmupSteps: 0, totalSteps: 10, decayFraction: 0.5 }, 4), 1);
  assert.ok(learningRate({ kind: 'wsd', lr: 1, warmupSteps: 0, totalSteps: 10, decayFraction: 0.5 }, 5) < 1);
});

test('wsd: short runs still decay for at least one step, after the warmup', () => {
  assert.equal(wsdDecayStart(3, 0, 0.2), 2);
  assert.equal(wsdDecayStart(10, 9, 0.5), 9);
  assert.equal(learningRate({ kind: 'wsd', lr: 1, warmupSteps: 0, totalSteps: 1 }, 0), 0.1);
  assert.throws(() => wsdDecayStart(10, 0, 0), /decayFraction must be in \(0, 1\]/);
});

test('decayedRate: linear from the starting rate to minLr', () => {
  assert.equal(decayedRate(1, 0.1, 0), 1);
  assert.equal(decayedRate(1, 0.1, 1), 0.1);
  assert.ok(close(decayedRate(1, 0.1, 0.5), 0.55));
});
