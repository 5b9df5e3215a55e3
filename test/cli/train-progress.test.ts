// Training progress without a terminal prints by steps (every 10) and by time (every 10 s) alike: fast
// steps do not flood the log, slow steps still show signs of life.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusLine } from '../../src/cli/status-line.js';
import { trainProgress } from '../../src/cli/train-progress.js';
import { FakeClock, FakeLog } from './fake-terminal.js';

/** The steps that got a log line when each of `steps` steps takes `stepMs`. */
function printedSteps(steps: number, stepMs: number): number[] {
  const log = new FakeLog();
  const clock = new FakeClock();
  const p = trainProgress({ threads: 1, flavor: 'simd128' }, true, new StatusLine(log, { now: clock.now }));
  p.onEvent({ type: 'start', step: 0, steps, parameters: 1e6, batchTokens: 1024, microBatches: 1, unigramLoss: 5 });
  for (let step = 1; step <= steps; step++) {
    clock.advance(stepMs);
    p.onEvent({ type: 'train', step, steps, tokens: step * 1024, loss: 5, lr: 1e-3, gradNorm: 1, tokensPerSecond: 1000, elapsedSeconds: (step * stepMs) / 1000 });
  }
  p.stop();
  return log.lines().filter((l) => l.startsWith('step ')).map((l) => Number(/^step (\d+)\//.exec(l)![1]));
}

test('fast steps: a line every 10 steps and at the last', () => {
  assert.deepEqual(printedSteps(35, 50), [10, 20, 30, 35]);
});

test('a step a minute: a line every step, not every 10 minutes', () => {
  assert.deepEqual(printedSteps(5, 60_000), [1, 2, 3, 4, 5]);
});

test('steps of 3 s: a line every 10 s between the tens', () => {
  assert.deepEqual(printedSteps(20, 3000), [4, 8, 10, 14, 18, 20]);
});

test('the start line tells a time budget and its first estimate', () => {
  const log = new FakeLog();
  const p = trainProgress({ threads: 1, flavor: 'simd128' }, true, new StatusLine(log, { now: () => 0 }));
  p.onEvent({ type: 'start', step: 0, steps: 438, budgetSeconds: 540, parameters: 1e6, batchTokens: 1024, microBatches: 1, unigramLoss: 5 });
  assert.match(log.text, /time budget 9m00s \(about 438 steps, re-planned as it runs\)/);
});

test('a resume says how much training time it counts as spent, the heartbeat\'s when the run trained past its checkpoint', () => {
  const log = new FakeLog();
  const p = trainProgress({ threads: 1, flavor: 'simd128' }, true, new StatusLine(log, { now: () => 0 }));
  const resumedSeconds = { seconds: 130, checkpointSeconds: 118, heartbeatSeconds: 130, heartbeatFile: 'run/heartbeat.json' };
  p.onEvent({ type: 'start', step: 40, steps: 438, budgetSeconds: 540, parameters: 1e6, batchTokens: 1024, microBatches: 1, resumedFrom: 'run/checkpoints/step-00000040', resumedSeconds, unigramLoss: 5 });
  assert.match(log.text, /resuming from run\/checkpoints\/step-00000040 \(2m10s of training counted as spent: 1m58s at the checkpoint and 12s trained after it before the run stopped \(run\/heartbeat\.json\)\): /);
  const atCheckpoint = new FakeLog();
  trainProgress({ threads: 1, flavor: 'simd128' }, true, new StatusLine(atCheckpoint, { now: () => 0 })).onEvent({
    type: 'start', step: 40, steps: 438, parameters: 1e6, batchTokens: 1024, microBatches: 1, resumedFrom: 'ckpt', resumedSeconds: { ...resumedSeconds, seconds: 118, heartbeatSeconds: 100 }, unigramLoss: 5,
  });
  assert.match(atCheckpoint.text, /resuming from ckpt \(1m58s of training counted as spent: as at the checkpoint\): /);
});
