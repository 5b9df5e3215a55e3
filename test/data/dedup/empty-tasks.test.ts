import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterFactories } from '../../../src/data/cluster/index.js';
import { dedupFactories } from '../../../src/data/dedup/index.js';
import { isGlobalStage } from '../../../src/data/types.js';
import { doc, runStage } from './run-global.js';

test('every global stage runs over empty tasks, empty documents and a run with no documents at all', async () => {
  const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
  const tasks = [[], [doc('a', text), doc('b', ''), doc('c', text)], []];
  for (const [type, make] of [...Object.entries(dedupFactories), ...Object.entries(clusterFactories)]) {
    const stage = make(type === 'exact_substring_dedup' ? { minBytes: 20 } : {});
    if (!isGlobalStage(stage)) continue;
    const run = await runStage(stage, tasks);
    assert.equal(run.kept.flat().length + run.dropped.flat().length, 3, type);
    // c repeats a: every dedup stage removes it (or its text); the clusterer keeps both.
    const c = run.kept[1]!.find((d) => d.id === 'c');
    assert.ok(type === 'cluster_filter' ? c?.text === text : c === undefined || c.text !== text, type);
    const none = await runStage(stage, [[], []]);
    assert.deepEqual(none.kept, [[], []], type);
  }
});
