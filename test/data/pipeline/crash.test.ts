// kill -9 in the middle of a task, rerun, compare with a run that was never interrupted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runPipeline, type RunPipelineOptions } from '../../../src/data/pipeline/run.js';
import type { PipelineSpec } from '../../../src/data/pipeline/spec.js';
import { expectedOutput, outputDocs, outputFiles, writeCorpus } from './corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'in');
mkdirSync(input);
const corpus = writeCorpus(input, 80);
// The child's script is written here (a helper file in test/ would be run by `node --test` itself).
const child = join(dir, 'child.mjs');
const runModule = new URL('../../../src/data/pipeline/run.js', import.meta.url).href;
writeFileSync(child, `const { runPipeline } = await import(${JSON.stringify(runModule)});\nawait runPipeline(JSON.parse(process.argv[2]));\n`);
const spec: PipelineSpec = {
  stages: [
    { type: 'test_min_words', options: { min: 3 } },
    { type: 'test_hang', name: 'hang_before' },
    { type: 'test_exact_dedup', name: 'dedup' },
    { type: 'test_upper' },
    { type: 'test_hang', name: 'hang_after' },
  ],
  imports: [fileURLToPath(new URL('./test-stages.js', import.meta.url))],
};
const options = (out: string): RunPipelineOptions => ({ pipeline: spec, input: [input], out: join(dir, out), tasks: 4, workers: 2, checkpointEvery: 10, writeDropped: true });

/** Starts the run in a child process that hangs where `at` says (stage=document), waits until it gets there, and kills it with SIGKILL. */
async function killedAt(out: string, at: string): Promise<void> {
  const signal = join(dir, `${out}.reached`);
  const p = spawn(process.execPath, [child, JSON.stringify(options(out))], { env: { ...process.env, YI_TEST_HANG_AT: at, YI_TEST_HANG_FILE: signal }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  while (!existsSync(signal)) {
    if (done) assert.fail(`the child exited before reaching ${at}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  p.kill('SIGKILL');
  await exited;
}

test('kill -9 mid-task, in the first phase and after the global stage: the rerun gives byte for byte the uninterrupted output', async () => {
  await runPipeline({ ...options('whole'), workers: 0 });
  const whole = outputFiles(join(dir, 'whole'));
  assert.deepEqual(outputDocs(join(dir, 'whole')), expectedOutput(corpus.docs));

  // The stages see documents in task order: hang in the middle of the second file (task 1) in
  // phase 0, and in the middle of the last task in phase 1.
  for (const [out, at] of [['killed-0', 'hang_before=part-1.jsonl.gz:67'], ['killed-1', 'hang_after=part-2.jsonl:70']] as const) {
    await killedAt(out, at);
    const work = join(dir, out, 'work');
    // Killed with a task half done: its checkpoint and committed parts are there.
    const phase = out === 'killed-0' ? 'phase-0' : 'phase-1';
    assert.ok(readdirSync(join(work, 'checkpoints', phase)).length > 0, `${out}: no checkpoint in ${phase}`);
    assert.equal(existsSync(join(dir, out, 'stats.json')), false);
    // Resumed in this thread: the worker count is not part of the plan.
    const r = await runPipeline({ ...options(out), workers: 0 });
    assert.ok(r.tasksDone < 4, `${out}: some tasks were unfinished`);
    assert.deepEqual(outputFiles(join(dir, out)), whole, out);
  }
});
