// A stage name becomes a folder of the run (work/stages/<name>), where global stages create and
// delete their task files: a name such as '../../../x' must fail before anything is written, and
// nothing outside the output folder is ever written or deleted.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { lineDedup } from '../../../src/data/dedup/index.js';
import { RunLayout } from '../../../src/data/pipeline/layout.js';
import { unsafeName } from '../../../src/data/pipeline/names.js';
import { runPipeline } from '../../../src/data/pipeline/run.js';
import { loadPipelineFile, PipelineError } from '../../../src/data/pipeline/spec.js';

const root = mkdtempSync(join(tmpdir(), 'yi-escape-'));
after(() => rmSync(root, { recursive: true, force: true }));
const input = join(root, 'in');
mkdirSync(input);
writeFileSync(join(input, 'a.jsonl'), ['one two three', 'four five six', 'one two three'].map((text) => JSON.stringify({ text })).join('\n') + '\n');
// What a name three levels up from out/work/stages would reach: a folder holding a task's files.
const victim = join(root, 'victim');
mkdirSync(victim);
writeFileSync(join(victim, 't00000.json'), '{"keep": "me"}');
writeFileSync(join(victim, 't00000-r0000.ldr'), 'keep me too');
const ESCAPE = '../../../victim';

function untouched(): void {
  assert.deepEqual(readdirSync(victim).sort(), ['t00000-r0000.ldr', 't00000.json']);
  assert.deepEqual(readdirSync(root).sort(), ['in', 'out', 'p.yaml', 'victim'].filter((f) => existsSync(join(root, f))).sort());
}

test('a pipeline file naming a stage with a path fails naming the file and the field', () => {
  const p = join(root, 'p.yaml');
  writeFileSync(p, `stages:\n  - type: line_dedup\n    name: ${JSON.stringify(ESCAPE)}\n`);
  assert.throws(
    () => loadPipelineFile(p),
    (e: unknown) => e instanceof PipelineError && e.message.startsWith(`${p}: stages[0].name: "../../../victim" is not a valid name: expected 1 to 64 letters`),
  );
});

test('a global stage named with a path writes and deletes nothing outside the output folder', async () => {
  const out = join(root, 'out');
  // A spec given in code (no file to check it) and Stage objects (no spec at all) are checked too.
  await assert.rejects(
    runPipeline({ pipeline: { stages: [{ type: 'line_dedup', name: ESCAPE }] }, input: [input], out, workers: 0 }),
    (e: unknown) => e instanceof PipelineError && /^pipeline: stages\[0\]\.name: "\.\.\/\.\.\/\.\.\/victim" is not a valid name/.test((e as Error).message),
  );
  untouched();
  await assert.rejects(
    runPipeline({ pipeline: [lineDedup({ name: ESCAPE })], input: [input], out, workers: 0 }),
    (e: unknown) => e instanceof PipelineError && /^pipeline: stage #0: "\.\.\/\.\.\/\.\.\/victim" is not a valid name/.test((e as Error).message),
  );
  untouched();
  // A safe name runs, inside the output folder.
  const r = await runPipeline({ pipeline: [lineDedup({ name: 'lines-v1.5' })], input: [input], out, workers: 0 });
  assert.equal(r.stats!.documents.read, 3);
  untouched();
});

test('names that could leave or hide in a folder are refused; ordinary ones pass', () => {
  for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', '/abs', '.hidden', '-flag', 'x'.repeat(65), 'nul\u0000', 'a b', 'é']) {
    assert.ok(unsafeName(bad), `refused: ${JSON.stringify(bad)}`);
  }
  for (const good of ['line_dedup', 'dedup-2', 'v1.5', 'A', 'x'.repeat(64)]) assert.equal(unsafeName(good), undefined, good);
  assert.ok(unsafeName(3));
  // The layout checks again, whatever a caller passed.
  const layout = new RunLayout(join(root, 'out'));
  assert.equal(layout.stageDir('minhash'), resolve(root, 'out', 'work', 'stages', 'minhash'));
  for (const bad of ['..', '../../x', 'a/../../b']) assert.throws(() => layout.stageDir(bad), PipelineError);
});
