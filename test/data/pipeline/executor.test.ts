import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { runPipeline, type RunPipelineOptions } from '../../../src/data/pipeline/run.js';
import type { PipelineSpec } from '../../../src/data/pipeline/spec.js';
import { readSlice } from '../../../src/data/readers/index.js';
import type { Doc, DocStage } from '../../../src/data/types.js';
import { encodeModelProto } from '../../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizer, tinyTokenizerProto } from '../../model/tiny-tokenizer.js';
import { openTokenDataset } from '../../../src/train/shards.js';
import { expectedOutput, outputDocs, outputFiles, writeCorpus } from './corpus.js';
import { exactDedup, minWords, upper } from './test-stages.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-exec-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'in');
mkdirSync(input);
const corpus = writeCorpus(input);
const stagesModule = fileURLToPath(new URL('./test-stages.js', import.meta.url));
const spec: PipelineSpec = {
  stages: [{ type: 'test_min_words', options: { min: 3 } }, { type: 'test_exact_dedup', name: 'dedup' }, { type: 'test_upper' }],
  imports: [stagesModule],
};
const run = (name: string, o: Partial<RunPipelineOptions> = {}) => runPipeline({ pipeline: spec, input: [input], out: join(dir, name), checkpointEvery: 7, writeDropped: true, workers: 0, pollMs: 10, ...o });

test('Stage objects run in this thread: output, per-stage stats, reader errors, dropped documents and examples', async () => {
  const r = await runPipeline({ pipeline: [minWords('min_words', 3), upper('upper')], input: [input], out: join(dir, 'objects'), writeDropped: true, checkpointEvery: 4 });
  const kept = corpus.docs.filter((d) => d.text.split(' ').length >= 3);
  assert.deepEqual(outputDocs(join(dir, 'objects')), kept.map((d) => ({ ...d, text: d.text.toUpperCase() })));
  const s = r.stats!;
  assert.deepEqual(s.documents, { read: corpus.docs.length, written: kept.length });
  assert.deepEqual(s.stages.min_words, {
    total: corpus.docs.length,
    kept: kept.length,
    dropped: corpus.docs.length - kept.length,
    words: kept.reduce((n, d) => n + d.text.split(' ').length, 0),
    dropped_too_few_words: corpus.docs.length - kept.length,
  });
  assert.equal(s.stages.upper!.changed_chars, kept.reduce((n, d) => n + [...d.text].filter((c) => c.toUpperCase() !== c).length, 0));
  assert.deepEqual(s.files['part-2.jsonl']!.errors, { bad_json: 1 });
  assert.match(s.files['part-2.jsonl']!.examples[0]!, /^part-2\.jsonl:10: /);
  assert.equal(s.input.records, corpus.docs.length + corpus.badLines);
  // Up to three examples per rule, the first ones in input order.
  const short = corpus.docs.filter((d) => d.text.split(' ').length < 3);
  assert.deepEqual(s.examples.min_words!.too_few_words, short.slice(0, 3).map((d) => ({ id: d.id, text: d.text })));
  const dropped = readdirSync(join(dir, 'objects', 'dropped')).flatMap((f) => gunzipSync(readFileSync(join(dir, 'objects', 'dropped', f))).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  assert.deepEqual(dropped, short.map((d) => ({ id: d.id, stage: 'min_words', reason: 'too_few_words', text: d.text, metadata: d.metadata })));
  for (const f of ['stats.json', 'report.md', 'report.html', 'report-stages.svg']) assert.ok(existsSync(join(dir, 'objects', f)), f);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'objects', 'stats.json'), 'utf8')), s);
  await assert.rejects(runPipeline({ pipeline: [upper('u')], input: [input], out: join(dir, 'objects2'), workers: 2 }), /runs in this thread \(workers: 0\)/);
});

test('a global stage across tasks and workers: the same bytes with 0 or 2 workers and with 2 ranks, the same documents with any task count', async () => {
  const want = expectedOutput(corpus.docs);
  const one = await run('one-task', { tasks: 1 });
  assert.deepEqual(outputDocs(join(dir, 'one-task')), want);
  const long = corpus.docs.filter((d) => d.text.split(' ').length >= 3).length;
  assert.ok(long - want.length > 10);
  assert.deepEqual(one.stats!.stages.dedup, { total: long, kept: want.length, dropped: long - want.length, dropped_duplicate: long - want.length });

  const inThread = await run('w0', { tasks: 5 });
  assert.equal(inThread.tasks, 5);
  await run('w2', { tasks: 5, workers: 2 });
  const [r0, r1] = await Promise.all([run('ranks', { tasks: 5, rank: 0, world: 2 }), run('ranks', { tasks: 5, rank: 1, world: 2 })]);
  assert.equal(r1!.stats, undefined);
  assert.deepEqual([r0!.myTasks, r1!.myTasks], [3, 2]);
  const base = outputFiles(join(dir, 'w0'));
  assert.ok(base.has('data/00004.jsonl.zst') && base.has('dropped/00004-1.jsonl.gz') && base.has('stats.json'));
  for (const other of ['w2', 'ranks']) assert.deepEqual(outputFiles(join(dir, other)), base, other);
  assert.deepEqual(outputDocs(join(dir, 'w0')), want);
  assert.deepEqual(inThread.stats!.stages, one.stats!.stages);
  assert.deepEqual(inThread.stats!.examples, one.stats!.examples);
  // The work files between phases are gone once used; the global stage keeps its own folder.
  assert.deepEqual(readdirSync(join(dir, 'w0', 'work', 'phase-0')), []);
  assert.ok(existsSync(join(dir, 'w0', 'work', 'stages', 'dedup', 'drop.json')));
});

test('a rerun skips the finished tasks and leaves the output as it was; another plan in the same folder is refused', async () => {
  const before = outputFiles(join(dir, 'w0'));
  const again = await run('w0', { tasks: 5, workers: 2 });
  assert.deepEqual([again.tasksDone, again.jobsRun], [5, 0]);
  assert.deepEqual(outputFiles(join(dir, 'w0')), before);
  await assert.rejects(run('w0', { tasks: 4 }), /holds another run .*task split differs \(5 tasks then, 4 now/);
});

test('a failing stage stops the run naming stage, document and task; the rerun resumes from the checkpoint to the same output', async () => {
  const failAt = 'part-0.jsonl:30';
  let armed = true;
  const flaky: DocStage = {
    name: 'flaky',
    kind: 'filter',
    process: (doc: Doc) => {
      if (armed && doc.id === failAt) throw new Error('model file vanished');
      return { keep: true, doc };
    },
  };
  const pipeline = [minWords('min_words', 3), flaky, upper('upper')];
  await assert.rejects(runPipeline({ pipeline, input: [input], out: join(dir, 'flaky'), checkpointEvery: 4, writeDropped: true }), /phase 1 task 0: stage 'flaky' failed on document 'part-0\.jsonl:30' \(task 0\): model file vanished/);
  assert.ok(existsSync(join(dir, 'flaky', 'work', 'checkpoints', 'phase-0', '00000.json')));
  armed = false;
  const r = await runPipeline({ pipeline, input: [input], out: join(dir, 'flaky'), checkpointEvery: 4, writeDropped: true });
  await runPipeline({ pipeline, input: [input], out: join(dir, 'steady'), checkpointEvery: 4, writeDropped: true });
  assert.deepEqual(outputFiles(join(dir, 'flaky')), outputFiles(join(dir, 'steady')));
  assert.equal(r.stats!.stages.flaky!.total, r.stats!.stages.min_words!.kept);
});

test('Parquet output and token shards from the same run', async () => {
  const tokModel = join(dir, 'tokenizer.model');
  writeFileSync(tokModel, encodeModelProto(tinyTokenizerProto()));
  await runPipeline({ pipeline: [minWords('min_words', 3)], input: [input], out: join(dir, 'pq'), format: 'parquet', tokens: { tokenizer: tokModel, valFraction: 0 }, checkpointEvery: 10 });
  const kept = corpus.docs.filter((d) => d.text.split(' ').length >= 3);
  const fromParquet: Doc[] = [];
  for (const f of readdirSync(join(dir, 'pq', 'data')).sort()) for await (const it of readSlice({ path: join(dir, 'pq', 'data', f), source: 'x', format: 'parquet' })) if ('doc' in it) fromParquet.push(it.doc);
  assert.deepEqual(fromParquet, kept);
  const tok = tinyTokenizer();
  // The token dataset `yi pretrain` reads: every kept document, in order, ending with EOS.
  const ds = openTokenDataset(join(dir, 'pq', 'tokens'));
  const train = ds.split('train');
  const want = kept.map((d) => tok.encode(d.text, { addEos: true }));
  assert.equal(train.documents, want.length);
  const got = Array.from({ length: train.documents }, (_, i) => Array.from(train.read(train.documentStart(i), train.documentStart(i + 1) - train.documentStart(i))));
  assert.deepEqual(got, want);
  ds.close();
});

test('a global stage in a Stage-object pipeline, and an empty task', async () => {
  mkdirSync(join(dir, 'in2'));
  writeFileSync(join(dir, 'in2', 'a.jsonl'), '{"text":"x y z"}\n{"text":"x y z"}\n');
  writeFileSync(join(dir, 'in2', 'b.jsonl'), '\n');
  const r = await runPipeline({ pipeline: [exactDedup('dedup')], input: [join(dir, 'in2')], out: join(dir, 'small') });
  assert.deepEqual(outputDocs(join(dir, 'small')).map((d) => d.id), ['a.jsonl:0']);
  assert.deepEqual(r.stats!.documents, { read: 2, written: 1 });
});
