import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { lineDedup } from '../../../src/data/dedup/line-dedup.js';
import { ccnetNormalize } from '../../../src/data/dedup/normalize.js';
import type { Doc } from '../../../src/data/types.js';
import { prose, vocabulary } from './corpus.js';
import { doc, indexAll, mulberry32, runStage, splitTasks } from './run-global.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('a line stays only in the first document that has it, at its first occurrence; normalisation as CCNet', async () => {
  const docs = [
    doc('a', 'Header line\nUnique zero\n\nFooter © 2023'),
    doc('b', '  HEADER LINE  \nUnique one\nUnique one\n\nFooter © 1999\nLast of b'),
    doc('c', 'Unique zero\n\nHeader line'),
    doc('d', '……\n\n'),
    doc('e', 'Header line，\nNew 1 line\nnew 2 LINE'),
  ];
  const run = await runStage(lineDedup(), [docs]);
  assert.deepEqual(
    run.kept[0]!.map((d) => [d.id, d.text]),
    [
      ['a', 'Header line\nUnique zero\n\nFooter © 2023'],
      // header (case and spaces), the repeat within b, the footer (digits -> 0) go; one blank stays.
      ['b', 'Unique one\n\nLast of b'],
      // nothing with content: kept untouched (not this stage's business)
      ['d', '……\n\n'],
      // the full-width comma is deleted by the normalisation: a duplicate of a's header; the second
      // line equals the first after lowercasing and digits -> 0
      ['e', 'New 1 line'],
    ],
  );
  assert.deepEqual(run.dropped[0], [{ id: 'c', reason: 'line_dedup_empty' }]);
  assert.equal(run.counts.lines_removed, 3 + 2 + 2);
  assert.equal(run.counts.chars_removed, docs[1]!.text.length - 'Unique one\n\nLast of b'.length + docs[2]!.text.length + docs[4]!.text.length - 'New 1 line'.length);
});

/** CCNet's loop over all documents in order, with a plain Set, for comparison. */
function reference(docs: readonly Doc[]): Map<string, string | null> {
  const seen = new Set<string>();
  const out = new Map<string, string | null>();
  for (const d of docs) {
    const inDoc = new Set<string>();
    const kept: string[] = [];
    let content = 0;
    let removed = 0;
    let removedSinceContent = false;
    let lastBlank = true;
    for (const line of d.text.split('\n')) {
      const n = ccnetNormalize(line);
      if (!n) {
        if (removedSinceContent && lastBlank) continue;
        kept.push(line);
        lastBlank = true;
        continue;
      }
      if (seen.has(n) || inDoc.has(n)) {
        removed++;
        removedSinceContent = true;
        continue;
      }
      inDoc.add(n);
      kept.push(line);
      content++;
      lastBlank = false;
      removedSinceContent = false;
    }
    for (const n of inDoc) seen.add(n);
    out.set(d.id, removed && !content ? null : kept.join('\n'));
  }
  return out;
}

test('the same output as one sequential pass, whatever the tasks, run sizes and combine batches', async () => {
  const vocab = vocabulary(500);
  const rnd = mulberry32(21);
  const boiler = Array.from({ length: 15 }, () => prose(rnd, vocab, 6));
  const docs: Doc[] = [];
  for (let i = 0; i < 60; i++) {
    const lines: string[] = [];
    const n = 3 + Math.floor(rnd() * 10);
    const allBoilerplate = i % 7 === 6;
    for (let k = 0; k < n; k++) {
      const r = allBoilerplate ? 0 : rnd();
      lines.push(r < 0.35 ? boiler[Math.floor(rnd() * boiler.length)]! : r < 0.45 ? '' : prose(rnd, vocab, 4 + Math.floor(rnd() * 6)));
    }
    docs.push(doc(`d${i}`, lines.join('\n')));
  }
  const want = reference(docs);
  assert.ok([...want.values()].some((t) => t === null), 'the corpus has documents that lose every line');
  for (const [tasks, opts] of [
    [1, {}],
    [4, {}],
    [4, { runEntries: 7, combineEntries: 40 }],
    [9, { runEntries: 1, combineEntries: 1 }],
  ] as const) {
    const run = await runStage(lineDedup(opts), splitTasks(docs, tasks));
    const got = new Map<string, string | null>();
    run.kept.flat().forEach((d) => got.set(d.id, d.text));
    run.dropped.flat().forEach((d) => got.set(d.id, null));
    for (const d of docs) assert.equal(got.get(d.id), want.get(d.id), `${tasks} tasks ${JSON.stringify(opts)}: ${d.id}`);
    assert.ok(run.dropped.flat().every((d) => d.reason === 'line_dedup_empty'));
  }
});

test('filter refuses a document whose text changed after index', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-lines-'));
  dirs.push(dir);
  const stage = lineDedup();
  const docs = [doc('a', 'one\ntwo'), doc('b', 'two\nthree')];
  await indexAll(stage, [docs], dir);
  await stage.combine({ dir, tasks: 1 });
  const f = await stage.filter({ dir, task: 0, tasks: 1 });
  assert.throws(() => f.process(doc('a', 'one\nfour')), /document 'a' has a line index never saw/);
  assert.deepEqual(f.process(docs[1]!), { keep: true, doc: doc('b', 'three'), counts: { lines_removed: 1, chars_removed: 4 } });
  assert.throws(() => lineDedup({ runEntries: 0 }), /line_dedup: option 'runEntries' must be a whole number/);
});
