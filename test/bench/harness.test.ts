// `npm run bench -- --json` promises one figure per line in one schema (bench, case, threads, value,
// unit), so that figures can be tracked over time: breakdown tables must not add other shapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reporter } from '../../bench/harness.js';

const figure = { bench: 'train-step', case: 'gemm AB 4096x256x688', threads: 2, value: 118.2, unit: 'ms' };

test('with --json a breakdown table prints its figures in the common schema, not its rows', () => {
  const lines: string[] = [];
  const rep = reporter(true, (s) => lines.push(s));
  rep.add({ bench: 'train', case: 'step', threads: 1, value: 1341, unit: 'tokens/s' });
  rep.table('train', 'One step by kernel', ['kernel', 'ms'], [['gemm AB 4096x256x688', 118.2]], [figure]);
  rep.flush();
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(objects.length, 2);
  for (const o of objects) assert.deepEqual(Object.keys(o).sort(), ['bench', 'case', 'threads', 'unit', 'value']);
  assert.deepEqual(objects[1], figure);
});

test('without --json the breakdown is printed as a table after the figures', () => {
  const lines: string[] = [];
  const rep = reporter(false, (s) => lines.push(s));
  rep.add({ bench: 'train', case: 'step', threads: 1, value: 1341, unit: 'tokens/s' });
  rep.table('train', 'One step by kernel', ['kernel', 'ms'], [['gemm AB 4096x256x688', 118.2]], [figure]);
  rep.flush('Training');
  const text = lines.join('\n');
  assert.ok(text.indexOf('tokens/s') < text.indexOf('One step by kernel'), text);
  assert.match(text, /gemm AB 4096x256x688 +│ +118/);
});
