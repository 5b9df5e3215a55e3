import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveRank } from '../../../src/data/pipeline/rank.js';

test('rank and world: options, then Slurm arrays, then Kubernetes indexed jobs, else 0 of 1', () => {
  assert.deepEqual(resolveRank({}, {}), { rank: 0, world: 1, from: 'single' });
  assert.deepEqual(resolveRank({ rank: 2, world: 4 }, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '8' }), { rank: 2, world: 4, from: 'options' });
  // Array indices may start at 1 (--array=1-8).
  assert.deepEqual(resolveRank({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '8', SLURM_ARRAY_TASK_MIN: '1' }), { rank: 2, world: 8, from: 'slurm' });
  assert.deepEqual(resolveRank({}, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '6' }), { rank: 5, world: 6, from: 'slurm' });
  assert.deepEqual(resolveRank({}, { JOB_COMPLETION_INDEX: '3', YI_WORLD_SIZE: '4' }), { rank: 3, world: 4, from: 'kubernetes' });
  assert.deepEqual(resolveRank({ world: 5 }, { JOB_COMPLETION_INDEX: '4' }), { rank: 4, world: 5, from: 'kubernetes' });
});

test('impossible ranks fail with what to set', () => {
  assert.throws(() => resolveRank({}, { JOB_COMPLETION_INDEX: '1' }), /world size is not: pass --world N or set YI_WORLD_SIZE/);
  assert.throws(() => resolveRank({}, { SLURM_ARRAY_TASK_ID: '1' }), /SLURM_ARRAY_TASK_COUNT is not/);
  assert.throws(() => resolveRank({ rank: 4, world: 4 }, {}), /rank 4 is not below the world size 4/);
  assert.throws(() => resolveRank({ world: 0 }, {}), /world must be at least 1/);
  assert.throws(() => resolveRank({}, { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' }), /SLURM_ARRAY_TASK_ID must be a whole number/);
});
