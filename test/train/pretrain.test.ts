// Pretraining runs end to end on a tiny model: the loss falls, checkpoints are Hugging Face folders
// that the inference model loads, and a run killed with SIGKILL at a random step then resumed
// continues bit-identically to an uninterrupted run with the same seed and threads.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import { preset } from '../../src/model/config.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { pretrain, type PretrainOptions } from '../../src/train/pretrain.js';
import { tokenizeCorpus } from '../../src/train/tokenize.js';
import { repoRoot } from '../paths.js';
import { corpusTexts, writeCorpus, writeTinyTokenizer } from './tokenize-fixtures.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
let tmp: string;
let data: string;
let rt: Runtime;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-pretrain-'));
  const tok = writeTinyTokenizer(tmp);
  const corpus = writeCorpus(tmp, corpusTexts(1500, 11));
  data = join(tmp, 'data');
  await tokenizeCorpus({ tokenizer: tok, inputs: corpus, out: data, valFraction: 0.05, threads: 1 });
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

const model = { ...preset('tiny'), vocabSize: 96 };
const base = (out: string): PretrainOptions => ({
  model,
  data,
  out,
  seqLen: 32,
  batchTokens: 8 * 32,
  microBatchTokens: 4 * 32,
  steps: 14,
  lr: 3e-3,
  warmupSteps: 2,
  evalInterval: 5,
  evalTokens: 1024,
  checkpointInterval: 3,
  seed: 7,
});

/** The uninterrupted reference run (once per file, whichever test needs it first). */
let plainRun: Promise<string> | undefined;
function plain(): Promise<string> {
  plainRun ??= pretrain(rt, base(join(tmp, 'plain'))).then(() => join(tmp, 'plain'));
  return plainRun;
}

/** The records that must match between runs: everything but timings. */
function trajectory(out: string): string[] {
  return readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      delete r.tokens_per_s;
      delete r.elapsed_s;
      return JSON.stringify(r);
    });
}

test('a tiny model learns: the loss falls and the validation loss is logged', async () => {
  const out = join(tmp, 'events');
  const events: string[] = [];
  const r = await pretrain(rt, { ...base(out), onEvent: (e) => events.push(e.type) });
  assert.equal(r.steps, 14);
  assert.equal(r.tokens, 14 * 256);
  const log = trajectory(out).map((l) => JSON.parse(l) as { type: string; loss?: number; val_loss?: number; step: number });
  const train = log.filter((x) => x.type === 'train');
  const val = log.filter((x) => x.type === 'val');
  assert.equal(train.length, 14);
  const baseline = log.find((x) => x.type === 'baseline') as { unigram_loss?: number } | undefined;
  assert.ok(baseline && baseline.unigram_loss! > 1 && baseline.unigram_loss! < Math.log(96), `unigram baseline ${baseline?.unigram_loss}`);
  assert.deepEqual(val.map((v) => v.step), [5, 10, 14]);
  assert.ok(train[13]!.loss! < train[0]!.loss! - 0.5, `loss ${train[0]!.loss} -> ${train[13]!.loss}`);
  assert.ok(val[2]!.val_loss! < val[0]!.val_loss!, 'validation loss falls');
  assert.ok(events.includes('start') && events.includes('checkpoint'));
  // The newest two checkpoints are kept (steps 12 and 14), each a full Hugging Face folder.
  const ckpts = readdirSync(join(out, 'checkpoints')).sort();
  assert.deepEqual(ckpts, ['step-00000012', 'step-00000014']);
  for (const f of ['model.safetensors', 'config.json', 'tokenizer.model', 'tokenizer_config.json', 'generation_config.json', 'optimizer.safetensors', 'trainer_state.json']) {
    assert.ok(existsSync(join(out, 'checkpoints', 'step-00000014', f)), f);
  }
});

test('the trained model folder loads for inference with its tokenizer', async () => {
  const dir = join(await plain(), 'model');
  const m = loadModel(rt, dir, { dtype: 'f32', contextLength: 64 });
  const tok = Tokenizer.load(dir);
  const logits = m.forward(tok.encode('the model')).toArray();
  assert.equal(logits.length, 96);
  assert.ok(logits.every(Number.isFinite));
  m.dispose();
});

test('an existing run is not overwritten without --resume', async () => {
  await assert.rejects(pretrain(rt, base(await plain())), /already holds a training run.*--resume/);
});

test('resume refuses changed settings', async () => {
  await assert.rejects(pretrain(rt, { ...base(await plain()), lr: 1e-3, resume: true }), /settings differ from the checkpoint's: lr/);
});

test('kill -9 at a random step, then --resume: the loss curve continues bit-identically', async () => {
  const whole = await plain();
  const out = join(tmp, 'killed');
  const args = (extra: string[]) => [
    yi, 'pretrain', '--model-config', join(tmp, 'tiny-config.json'), '--data', data, '--out', out, '--seq-len', '32', '--batch-tokens', '256',
    '--micro-batch-tokens', '128', '--steps', '14', '--lr', '3e-3', '--warmup', '2', '--eval-interval', '5', '--eval-tokens', '1024',
    '--checkpoint-interval', '3', '--seed', '7', '--threads', '2', '--no-progress', ...extra,
  ];
  // The CLI reads the architecture from a config.json: the same as `model` above.
  const { toHFConfig } = await import('../../src/model/config.js');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(tmp, 'tiny-config.json'), JSON.stringify(toHFConfig(model)));
  const killAt = 4 + Math.floor(Math.random() * 8); // 4 .. 11: before, at and between checkpoints
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args([]), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setInterval(() => {
      const log = join(out, 'log.jsonl');
      if (!existsSync(log)) return;
      const steps = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"type":"train"')).length;
      if (steps >= killAt) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 2);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the run ended before it was killed (code ${code}): ${err}`));
    });
  });
  const r = spawnSync(process.execPath, args(['--resume']), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming from .*step-0000/);
  assert.deepEqual(trajectory(out), trajectory(whole), `killed after step ${killAt}`);
  // The final weights are the same bits too.
  assert.deepEqual(readFileSync(join(out, 'model', 'model.safetensors')), readFileSync(join(whole, 'model', 'model.safetensors')));
  assert.ok(existsSync(join(out, 'report.html')) && existsSync(join(out, 'loss.svg')));
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /final validation loss/);
});

test('a damaged checkpoint is refused on --resume, naming the file and what is wrong', async () => {
  const { cpSync, writeFileSync, truncateSync, statSync } = await import('node:fs');
  const src = await plain();
  const damaged = (name: string) => {
    const out = join(tmp, name);
    cpSync(src, out, { recursive: true });
    return { out, ckpt: join(out, 'checkpoints', 'step-00000014') };
  };
  const a = damaged('bad-state');
  writeFileSync(join(a.ckpt, 'trainer_state.json'), '{"format": "yi-ts-trainer-state", "version": 1, "step": -3');
  await assert.rejects(pretrain(rt, { ...base(a.out), resume: true }), /step-00000014\/trainer_state\.json: cannot read the trainer state/);
  const b = damaged('bad-format');
  writeFileSync(join(b.ckpt, 'trainer_state.json'), JSON.stringify({ format: 'something-else', version: 1, step: 14 }));
  await assert.rejects(pretrain(rt, { ...base(b.out), resume: true }), /trainer_state\.json: expected format yi-ts-trainer-state version 1/);
  const c = damaged('bad-moments');
  const opt = join(c.ckpt, 'optimizer.safetensors');
  truncateSync(opt, statSync(opt).size - 100);
  await assert.rejects(pretrain(rt, { ...base(c.out), resume: true }), /optimizer\.safetensors/);
  const d = damaged('bad-weights');
  writeFileSync(join(d.ckpt, 'model.safetensors'), Buffer.from([1, 2, 3]));
  await assert.rejects(pretrain(rt, { ...base(d.out), resume: true }), /model\.safetensors/);
});
