import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { phasesOf, planTasks, recordPlan, type Plan } from '../../../src/data/pipeline/plan.js';
import type { InputFile } from '../../../src/data/readers/formats.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (source: string, format: InputFile['format'], size: number): InputFile => ({ path: join(dir, source), source, format, size });

test('one task per file by default; extra tasks split the largest splittable files by bytes', async () => {
  const files = [file('a.jsonl', 'jsonl', 1000), file('b.jsonl.gz', 'jsonl.gz', 5000), file('c.jsonl', 'jsonl', 300)];
  assert.deepEqual(await planTasks(files, 1), [{ source: 'a.jsonl' }, { source: 'b.jsonl.gz' }, { source: 'c.jsonl' }]);
  // a: 1000 bytes per task, then 500, then 333 (still more than c's 300), then 250.
  assert.deepEqual(await planTasks(files, 6), [
    { source: 'a.jsonl', bytes: [0, 250] },
    { source: 'a.jsonl', bytes: [250, 500] },
    { source: 'a.jsonl', bytes: [500, 750] },
    { source: 'a.jsonl', bytes: [750, 1000] },
    { source: 'b.jsonl.gz' },
    { source: 'c.jsonl' },
  ]);
  assert.deepEqual((await planTasks(files, 7)).slice(5), [{ source: 'c.jsonl', bytes: [0, 150] }, { source: 'c.jsonl', bytes: [150, 300] }]);
  // A compressed file cannot be split: asking for more tasks than the files allow gives what they allow.
  assert.equal((await planTasks([file('z.jsonl.gz', 'jsonl.gz', 9)], 4)).length, 1);
  assert.equal((await planTasks([file('tiny.jsonl', 'jsonl', 2)], 4)).length, 2);
});

test('Parquet files split at row group boundaries', async () => {
  writeFileSync(join(dir, 'p.parquet'), new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: Array.from({ length: 50 }, (_, i) => `r${i}`), type: 'STRING' }], rowGroupSize: 10 })));
  const tasks = await planTasks([file('p.parquet', 'parquet', 4000)], 3);
  // 5 row groups of 10 rows in 3 tasks: groups 0-1, 2, 3-4.
  assert.deepEqual(tasks, [{ source: 'p.parquet', rows: [0, 20] }, { source: 'p.parquet', rows: [20, 30] }, { source: 'p.parquet', rows: [30, 50] }]);
  assert.equal((await planTasks([file('p.parquet', 'parquet', 4000)], 9)).length, 5);
});

test('the pipeline is cut into phases at its global stages', () => {
  const s = (name: string, global = false) => ({ name, kind: 'filter' as const, global });
  assert.deepEqual(phasesOf([s('a'), s('b')]), [{ index: 0, stages: [0, 1] }]);
  assert.deepEqual(phasesOf([s('a'), s('g', true), s('b'), s('h', true)]), [
    { index: 0, stages: [0] },
    { index: 1, global: 1, stages: [2] },
    { index: 2, global: 3, stages: [] },
  ]);
  assert.deepEqual(phasesOf([s('g', true)]), [{ index: 0, stages: [] }, { index: 1, global: 0, stages: [] }]);
});

test('a rerun with another plan in the same folder is refused, saying what changed', () => {
  const plan: Plan = {
    version: 1,
    pipeline: '[]',
    stages: [],
    inputs: [{ source: 'a.jsonl', format: 'jsonl', size: 10 }],
    tasks: [{ source: 'a.jsonl' }],
    settings: { format: 'jsonl.gz', gzipLevel: 1, field: 'text', idField: 'id', checkpointEvery: 5, writeDropped: false, tokens: null },
  };
  const path = join(dir, 'work', 'plan.json');
  recordPlan(path, plan);
  recordPlan(path, plan);
  assert.throws(() => recordPlan(path, { ...plan, pipeline: '[1]' }), /holds another run .*its pipeline differs/);
  assert.throws(() => recordPlan(path, { ...plan, inputs: [{ source: 'a.jsonl', format: 'jsonl', size: 11 }] }), /its input files differ \(first: a\.jsonl\)/);
  assert.throws(() => recordPlan(path, { ...plan, settings: { ...plan.settings, checkpointEvery: 6 } }), /its setting 'checkpointEvery' differs \(5 then, 6 now\)/);
});
