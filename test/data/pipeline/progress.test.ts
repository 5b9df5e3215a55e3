// What runPipeline reports while it runs: the record count is the input's (the first phase reads it;
// later phases reread the survivors and must not add them again), phases are numbered from 1 in the
// progress labels and in the job log lines alike, and training the default scorer models into the
// cache (seconds, files in the user's home) is announced.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runPipeline, type PipelineProgress } from '../../../src/data/pipeline/run.js';
import type { PipelineSpec } from '../../../src/data/pipeline/spec.js';
import { writeCorpus } from './corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));
process.env.YI_CACHE = join(dir, 'cache');
const input = join(dir, 'in');
mkdirSync(input);
const corpus = writeCorpus(input);
const stagesModule = fileURLToPath(new URL('./test-stages.js', import.meta.url));
// Two global stages: three phases, each rereading what the one before kept.
const spec: PipelineSpec = {
  stages: [{ type: 'test_min_words', options: { min: 3 } }, { type: 'test_exact_dedup', name: 'dedup' }, { type: 'test_upper' }, { type: 'test_exact_dedup', name: 'dedup2' }],
  imports: [stagesModule],
};

for (const workers of [0, 2]) {
  test(`records count the input once, and phases count from 1 everywhere (${workers} workers)`, async () => {
    const events: PipelineProgress[] = [];
    const logs: string[] = [];
    const r = await runPipeline({ pipeline: spec, input: [input], out: join(dir, `w${workers}`), workers, checkpointEvery: 7, pollMs: 10, onProgress: (p) => events.push({ ...p }), onLog: (l) => logs.push(l) });
    const inputRecords = corpus.docs.length + corpus.badLines;
    assert.equal(r.stats!.input.records, inputRecords);
    assert.equal(r.records, inputRecords, 'the result counts input records');
    assert.equal(events.at(-1)!.records, inputRecords, 'the last progress event counts input records');
    assert.ok(events.every((e, i) => i === 0 || e.records >= events[i - 1]!.records));
    const labelled = new Set(events.map((e) => /^phase (\d+)\/3$/.exec(e.step)?.[1]).filter((x) => x !== undefined));
    const logged = new Set(logs.map((l) => /^phase (\d+) task \d+ done/.exec(l)?.[1]).filter((x) => x !== undefined));
    assert.deepEqual([...labelled].sort(), ['1', '2', '3']);
    assert.deepEqual([...logged].sort(), ['1', '2', '3']);
    const indexes = new Set(logs.map((l) => /^index \(phase (\d+)\) task/.exec(l)?.[1]).filter((x) => x !== undefined));
    assert.deepEqual([...indexes].sort(), ['2', '3'], 'a global stage opens phases 2 and 3');
  });
}

test('training the default scorer models into the cache is announced, once', async () => {
  const notices: string[] = [];
  const scorer: PipelineSpec = { stages: [{ type: 'quality_classifier' }, { type: 'coherence' }] };
  await runPipeline({ pipeline: scorer, input: [input], out: join(dir, 'scored'), workers: 0, onNotice: (l) => notices.push(l) });
  const cache = join(dir, 'cache', 'scorers-v1');
  assert.equal(notices.length, 2, notices.join('\n'));
  assert.equal(notices[0], `training the default scorer models (perplexity, quality, coherence, safety) on the bundled reference text into ${cache}: once, a few seconds`);
  assert.match(notices[1]!, /^default scorer models ready in \d+\.\d s$/);
  assert.ok(existsSync(join(cache, 'quality.bin')));
  const again: string[] = [];
  await runPipeline({ pipeline: scorer, input: [input], out: join(dir, 'scored-again'), workers: 0, onNotice: (l) => again.push(l) });
  assert.deepEqual(again, [], 'models in the cache are used without a word');
});
