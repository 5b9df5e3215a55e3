// `yi data ...` end to end, as a user runs them: a child process per command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PIPELINE } from '../../src/data/pipelines/index.js';
import { repoRoot } from '../paths.js';
import { writeCorpus } from '../data/pipeline/corpus.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-cli-data-'));
after(() => rmSync(work, { recursive: true, force: true }));
const input = join(work, 'in');
mkdirSync(input);
const corpus = writeCorpus(input, 20);
const stagesModule = join(repoRoot, 'dist', 'test', 'data', 'pipeline', 'test-stages.js');

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8', input: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('yi data run: a YAML pipeline with its own stage module, 2 workers; a rerun finds it done; yi data report rewrites the report', () => {
  const pipeline = join(work, 'p.yaml');
  writeFileSync(pipeline, `imports: [${JSON.stringify(stagesModule)}]\nstages:\n  - type: test_min_words\n    options: { min: 3 }\n  - type: test_exact_dedup\n    name: dedup\n`);
  const out = join(work, 'out');
  const a = run('data', 'run', pipeline, '--input', input, '--out', out, '--tasks', '4', '--workers', '2', '--write-dropped', '--checkpoint-every', '5');
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /4 of 4 tasks \(0 done before\): 13 jobs run/);
  assert.match(a.out, new RegExp(`${corpus.docs.length} documents read, \\d+ written`));
  // Not a terminal: plain log lines instead of a bar.
  assert.match(a.err, /\[data\] phase 1 task 0 done: \d+ documents in, \d+ out/);
  assert.match(a.err, /\[data\] phase 2 task 3 done: /, 'phases count from 1, as in the progress labels');
  assert.doesNotMatch(a.err, /phase 0/);
  for (const f of ['stats.json', 'report.md', 'report.html', 'data/00003.jsonl.zst', 'dropped/00003-1.jsonl.gz']) assert.ok(existsSync(join(out, f)), f);
  const b = run('data', 'run', pipeline, '--input', input, '--out', out, '--tasks', '4', '--workers', '2', '--write-dropped', '--checkpoint-every', '5', '--no-progress');
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /4 of 4 tasks \(4 done before\): 0 jobs run/);
  assert.equal(b.err, '');
  rmSync(join(out, 'report.md'));
  const c = run('data', 'report', out);
  assert.equal(c.code, 0, c.err);
  assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes('| 2 | dedup | dedup (global) |'));
});

test('yi data run: unknown stage types, bad flags and a changed plan fail with one clear line', () => {
  const bad = join(work, 'bad.yaml');
  writeFileSync(bad, 'stages:\n  - type: no_such_stage\n');
  const a = run('data', 'run', bad, '--input', input, '--out', join(work, 'bad-out'));
  assert.equal(a.code, 1);
  assert.match(a.err, /^yi: .*bad\.yaml: stages\[0\]: unknown stage type 'no_such_stage' \(known types: /);
  assert.equal(existsSync(join(work, 'bad-out')), false);
  assert.match(run('data', 'run', bad, '--input', input, '--out', join(work, 'x'), '--workers', 'two').err, /--workers must be a whole number >= 0 \(got 'two'\)/);
  const changed = run('data', 'run', join(work, 'p.yaml'), '--input', input, '--out', join(work, 'out'), '--tasks', '3');
  assert.match(changed.err, /the output folder holds another run .*task split differs/);
});

test('yi data stages lists registered types; yi data pipeline prints the default as YAML', () => {
  const a = run('data', 'stages', '--import', stagesModule);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^test_exact_dedup\ttest: exact-duplicate removal \(global\)$/m);
  const b = run('data', 'pipeline');
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(parseYaml(b.out), { stages: DEFAULT_PIPELINE.stages });
});

test('yi data run default: every stage of the cascade runs as it is, the learned scorers on default models trained into the cache', () => {
  const out = join(work, 'default');
  const cache = join(work, 'cache');
  const r = spawnSync(process.execPath, [yi, 'data', 'run', 'default', '--input', input, '--out', out, '--workers', '2', '--no-progress'], { encoding: 'utf8', input: '', env: { ...process.env, YI_CACHE: cache } });
  assert.equal(r.status, 0, r.stderr);
  const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as { stages: Record<string, { total: number }> };
  for (const s of DEFAULT_PIPELINE.stages) assert.ok(stats.stages[s.type], `stage ${s.type} ran`);
  for (const f of ['perplexity-en.bin', 'perplexity-zh.bin', 'quality.bin', 'coherence.bin', 'safety.bin']) assert.ok(existsSync(join(cache, 'scorers-v1', f)), f);
  // Training them is announced (even with --no-progress: it writes to the cache and takes seconds).
  assert.match(r.stderr, new RegExp(`\\[data\\] training the default scorer models \\(perplexity, quality, coherence, safety\\) on the bundled reference text into ${join(cache, 'scorers-v1').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: once, a few seconds`));
  // A model that does not exist is an error naming it, not a silent fallback.
  const p = join(work, 'bad.yaml');
  writeFileSync(p, 'stages:\n  - type: quality_classifier\n    options: { model: missing.bin }\n');
  const bad = run('data', 'run', p, '--input', input, '--out', join(work, 'bad'));
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /missing\.bin/);
});
