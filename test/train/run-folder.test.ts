// What kill -9 leaves in a run's folder is cleaned up on the next start, and the final model/ folder
// is published whole: a kill while it is written leaves the old complete folder or the new one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { preset, toHFConfig } from '../../src/model/config.js';
import { loadModel } from '../../src/model/load.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { pretrain, type PretrainOptions } from '../../src/train/pretrain.js';
import { removeStaleWrites } from '../../src/train/run-folder.js';
import { tokenizeCorpus } from '../../src/train/tokenize.js';
import { repoRoot } from '../paths.js';
import { corpusTexts, writeCorpus, writeTinyTokenizer } from './tokenize-fixtures.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
/** A PID above Linux's largest pid_max (2^22): no process has it. */
const DEAD = 99999999;
const MODEL_FILES = ['model.safetensors', 'config.json', 'tokenizer.model', 'tokenizer_config.json', 'generation_config.json'];
let tmp: string;
let data: string;
let finished: string;
let rt: Runtime;

const model = { ...preset('tiny'), vocabSize: 96 };
const base = (out: string): PretrainOptions => ({
  model, data, out, seqLen: 32, batchTokens: 4 * 32, microBatchTokens: 4 * 32, steps: 4, lr: 3e-3, warmupSteps: 1, evalInterval: 0, evalTokens: 256, checkpointInterval: 2, seed: 3,
});
/** The same run as `base` through the CLI (same settings, so --resume accepts the library's checkpoints). */
const cli = (out: string) => [
  yi, 'pretrain', '--model-config', join(tmp, 'tiny-config.json'), '--data', data, '--out', out, '--seq-len', '32', '--batch-tokens', '128',
  '--micro-batch-tokens', '128', '--steps', '4', '--lr', '3e-3', '--warmup', '1', '--eval-interval', '0', '--eval-tokens', '256',
  '--checkpoint-interval', '2', '--seed', '3', '--threads', '2', '--no-progress', '--resume',
];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-run-folder-'));
  const tok = writeTinyTokenizer(tmp);
  data = join(tmp, 'data');
  await tokenizeCorpus({ tokenizer: tok, inputs: writeCorpus(tmp, corpusTexts(300, 5)), out: data, valFraction: 0.05, threads: 1 });
  writeFileSync(join(tmp, 'tiny-config.json'), JSON.stringify(toHFConfig(model)));
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
  finished = join(tmp, 'finished');
  await pretrain(rt, base(finished));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the finished run whose model/ carries a marker: still there = the old folder. */
function copyOfFinished(name: string): string {
  const out = join(tmp, name);
  cpSync(finished, out, { recursive: true });
  writeFileSync(join(out, 'model', 'OLD'), '');
  return out;
}

function assertCompleteModel(dir: string): void {
  for (const f of MODEL_FILES) assert.ok(existsSync(join(dir, f)), `${dir} lacks ${f}`);
  loadModel(rt, dir, { dtype: 'f32', contextLength: 16 }).dispose();
}

test('stale temp folders and files of dead writers are removed; a live writer\'s are kept', () => {
  const out = join(tmp, 'synthetic');
  mkdirSync(join(out, 'checkpoints', `.step-00000005.tmp-${DEAD}`), { recursive: true });
  writeFileSync(join(out, 'checkpoints', `.step-00000005.tmp-${DEAD}`, 'model.safetensors'), 'partial');
  mkdirSync(join(out, 'checkpoints', `.step-00000007.tmp-${process.pid}`));
  mkdirSync(join(out, 'checkpoints', 'step-00000004'));
  mkdirSync(join(out, 'model'));
  writeFileSync(join(out, 'model', `.config.json.tmp-${DEAD}-k2j4x9`), '{');
  writeFileSync(join(out, `.log.jsonl.tmp-${DEAD}-a1b2c3`), '');
  // The parent process (the test runner) is alive: its temp may be a write in progress.
  writeFileSync(join(out, `.report.md.tmp-${process.ppid}-zz9`), '');
  writeFileSync(join(out, '.hidden'), '');
  const notes = removeStaleWrites([out, join(out, 'checkpoints'), join(out, 'model')]);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), ['step-00000004']);
  assert.deepEqual(readdirSync(join(out, 'model')), []);
  assert.deepEqual(readdirSync(out).sort(), ['.hidden', `.report.md.tmp-${process.ppid}-zz9`, 'checkpoints', 'model']);
  assert.equal(notes.length, 4, notes.join('\n'));
  assert.ok(notes.some((n) => n.includes(`removed unfinished folder ${join(out, 'checkpoints', `.step-00000005.tmp-${DEAD}`)} (its writer, process ${DEAD}, is gone)`)), notes.join('\n'));
  assert.ok(notes.some((n) => /removed unfinished file .*\.log\.jsonl\.tmp-/.test(n)));
});

test('--resume removes the leftovers of killed writers and says so', async () => {
  const out = copyOfFinished('leftovers');
  const stale = join(out, 'checkpoints', `.step-00000003.tmp-${DEAD}`);
  cpSync(join(out, 'checkpoints', 'step-00000004'), stale, { recursive: true });
  writeFileSync(join(out, `.log.jsonl.tmp-${DEAD}-x7y8z9`), '{"type":"tr');
  writeFileSync(join(out, 'model', `.tokenizer_config.json.tmp-${DEAD}-q1w2e3`), '');
  const notes: string[] = [];
  await pretrain(rt, { ...base(out), resume: true, onEvent: (e) => e.type === 'cleanup' && notes.push(...e.notes) });
  assert.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), ['step-00000002', 'step-00000004']);
  assert.ok(!readdirSync(out).some((n) => n.includes('.tmp-')), readdirSync(out).join(' '));
  assert.ok(!readdirSync(join(out, 'model')).some((n) => n.includes('.tmp-')));
  assert.equal(notes.length, 3, notes.join('\n'));
  assert.match(notes.join('\n'), /removed unfinished folder .*\.step-00000003\.tmp-99999999 \(its writer, process 99999999, is gone\)/);
});

test('kill -9 while model/ is written: the old complete folder stays, and the next start finishes the new one', () => {
  const out = copyOfFinished('killed-writing');
  const r = spawnSync(process.execPath, cli(out), { encoding: 'utf8', env: { ...process.env, YI_TEST_CRASH: 'model-partial' } });
  assert.equal(r.signal, 'SIGKILL', `the run was not killed: ${r.stderr}`);
  // The old folder, whole; the new one half-written beside it under a temp name.
  assertCompleteModel(join(out, 'model'));
  assert.ok(existsSync(join(out, 'model', 'OLD')));
  const temps = readdirSync(out).filter((n) => n.startsWith('.model.tmp-'));
  assert.equal(temps.length, 1, readdirSync(out).join(' '));
  assert.ok(existsSync(join(out, temps[0]!, 'model.safetensors')) && !existsSync(join(out, temps[0]!, 'config.json')), 'the crash point is mid-folder');

  const again = spawnSync(process.execPath, cli(out), { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /removed unfinished folder .*\.model\.tmp-\d+ \(its writer, process \d+, is gone\)/);
  assertCompleteModel(join(out, 'model'));
  assert.ok(!existsSync(join(out, 'model', 'OLD')), 'the new folder replaced the old one');
  assert.ok(!readdirSync(out).some((n) => n.startsWith('.model.')), readdirSync(out).join(' '));
});

test('kill -9 between moving the old model/ aside and publishing the new one: the old one is put back', () => {
  const out = copyOfFinished('killed-swapping');
  const r = spawnSync(process.execPath, cli(out), { encoding: 'utf8', env: { ...process.env, YI_TEST_CRASH: 'folder-swap' } });
  assert.equal(r.signal, 'SIGKILL', `the run was not killed: ${r.stderr}`);
  // Never a partial folder under the name: at this instant it is absent, the old one whole beside it.
  assert.ok(!existsSync(join(out, 'model')));
  const aside = readdirSync(out).filter((n) => n.startsWith('.model.old-'));
  assert.equal(aside.length, 1, readdirSync(out).join(' '));
  assertCompleteModel(join(out, aside[0]!));
  // The next start puts the old folder back before anything else (here without finishing the run).
  const notes = removeStaleWrites([out]);
  assert.match(notes.join('\n'), /restored .*model from \.model\.old-\d+/);
  assertCompleteModel(join(out, 'model'));
  assert.ok(existsSync(join(out, 'model', 'OLD')));
  // And a resumed run publishes the new one.
  const again = spawnSync(process.execPath, cli(out), { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assertCompleteModel(join(out, 'model'));
  assert.ok(!existsSync(join(out, 'model', 'OLD')));
  assert.ok(!readdirSync(out).some((n) => n.startsWith('.model.')), readdirSync(out).join(' '));
});
