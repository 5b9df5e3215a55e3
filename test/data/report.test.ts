import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Plan } from '../../src/data/pipeline/plan.js';
import { emptyTaskStats, TaskStatsRecorder } from '../../src/data/pipeline/stats.js';
import { droppedByStage, mergeRunStats, renderHtml, renderMarkdown } from '../../src/data/report.js';

const plan: Plan = {
  version: 1,
  pipeline: '',
  stages: [
    { name: 'rules', type: 'gopher_quality', kind: 'filter', global: false },
    { name: 'pii', type: 'pii', kind: 'transform', global: false },
    { name: 'dedup', kind: 'dedup', global: true },
  ],
  inputs: [],
  tasks: [{ source: 'a.jsonl' }, { source: 'b.jsonl' }],
  settings: { format: 'jsonl.gz', gzipLevel: 1, field: 'text', idField: 'id', checkpointEvery: 10, writeDropped: false, tokens: null },
};
const doc = (id: string, text = `text of ${id}`) => ({ id, text, metadata: {} });

function phase0(task: number) {
  const r = new TaskStatsRecorder(emptyTaskStats(['rules', 'pii']));
  r.read(`f${task}.jsonl`, { error: 'bad_json', detail: `f${task}.jsonl:1: oops` });
  for (let i = 0; i < 5; i++) {
    r.read(`f${task}.jsonl`, { doc: doc(`${task}-${i}`) });
    r.stats.docsIn++;
    if (i < 2) r.dropped('rules', i === 0 ? 'too_short' : 'no_stop_words', doc(`${task}-${i}`, 'a ```code``` <b>|' + 'x'.repeat(400)));
    else {
      r.kept('rules');
      r.kept('pii', { email: 1 });
      r.stats.docsOut++;
    }
  }
  return { stats: r.stats, files: [`/out/data/${task}.jsonl.gz`, `/out/work/phase-0/${task}.jsonl.gz`] };
}

function phase1(task: number) {
  const r = new TaskStatsRecorder(emptyTaskStats(['dedup']));
  for (let i = 2; i < 5; i++) {
    r.stats.docsIn++;
    if (task === 1 && i === 2) r.dropped('dedup', 'duplicate', doc(`${task}-${i}`));
    else {
      r.kept('dedup');
      r.stats.docsOut++;
    }
  }
  return { stats: r.stats, files: [] };
}

test('task stats merge into run stats: per-stage counts, reasons and counters, file errors, examples in task order', () => {
  const s = mergeRunStats(plan, [[phase0(0), phase0(1)], [phase1(0), phase1(1)]], '/out');
  assert.deepEqual(s.documents, { read: 10, written: 5 });
  assert.deepEqual(s.stages, {
    rules: { total: 10, kept: 6, dropped: 4, dropped_too_short: 2, dropped_no_stop_words: 2 },
    pii: { total: 6, kept: 6, dropped: 0, email: 6 },
    dedup: { total: 6, kept: 5, dropped: 1, dropped_duplicate: 1 },
  });
  assert.deepEqual(s.input, { files: 2, records: 12, docs: 10, errors: { bad_json: 2 }, skipped: {} });
  assert.deepEqual(s.examples.rules!.too_short!.map((e) => e.id), ['0-0', '1-0']);
  assert.equal(s.examples.rules!.too_short![0]!.text.length, 301);
  assert.deepEqual(s.outputs, ['data/0.jsonl.gz', 'data/1.jsonl.gz']);
  assert.deepEqual(droppedByStage(s), [
    { category: 'rules', value: 2, series: 'too_short' },
    { category: 'rules', value: 2, series: 'no_stop_words' },
    { category: 'pii', value: 0, series: '(none)' },
    { category: 'dedup', value: 1, series: 'duplicate' },
  ]);

  const md = renderMarkdown(s, 'chart.svg');
  assert.ok(md.includes('10 documents read from 2 files (12 records: 2 errors, 0 skipped); 5 written (50.0% kept); 2 tasks, 2 phases.'));
  assert.ok(md.includes('| 1 | rules | filter | 10 | 6 | 4 | 40.0% | too_short 2, no_stop_words 2 | - |'));
  assert.ok(md.includes('| 3 | dedup | dedup (global) | 6 | 5 | 1 | 10.0% | duplicate 1 | - |'));
  assert.ok(md.includes('![Documents each stage removed, by reason](chart.svg)'));
  // Example text holding a fence goes in a longer fence, truncated.
  assert.ok(md.includes('````text\na ```code``` <b>|' + 'x'.repeat(300 - 17) + '…\n````'));
  const html = renderHtml(s, '<svg></svg>');
  assert.ok(html.includes('<figure><svg></svg>'));
  assert.ok(html.includes('<li><code>f0.jsonl:1: oops</code></li>'));
  assert.ok(!html.includes('<b>|'));
});
