// The recipe end to end at the `tiny` scale (seconds): every stage's outputs exist and load, the loss
// falls, the report covers each stage; a recipe killed in the middle of pretraining continues from its
// checkpoint on --resume instead of starting over (a fixed step count, so that the two runs compare
// bit for bit); a budget too small to keep is reported as exceeded, with why, in the console and the
// report; and the command the recipe suggests at the end works when pasted.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { decompress } from 'fzstd';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import { runRecipe, type RecipeResult } from '../../src/recipe/recipe.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { openTokenDataset } from '../../src/train/shards.js';
import { repoRoot } from '../paths.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
let tmp: string;
let rt: Runtime;
let result: RecipeResult;
const stages: string[] = [];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-recipe-'));
  rt = await Runtime.create({ threads: 2 });
  result = await runRecipe(rt, { out: join(tmp, 'whole'), scale: 'tiny', seed: 1, steps: 60, onEvent: (e) => e.type === 'stage' && e.status === 'done' && stages.push(e.stage) });
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Kept documents per raw source (metadata.source). */
function outputSources(dir: string): Record<string, number> {
  const c: Record<string, number> = {};
  for (const f of readdirSync(dir)) {
    for (const line of Buffer.from(decompress(readFileSync(join(dir, f)))).toString().split('\n')) {
      if (!line) continue;
      const s = String((JSON.parse(line) as { metadata: { source: string } }).metadata.source);
      c[s] = (c[s] ?? 0) + 1;
    }
  }
  return c;
}

function trainLog(out: string): string[] {
  return readFileSync(join(out, 'train', 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.type === 'train')
    .map((r) => JSON.stringify([r.step, r.loss, r.lr, r.grad_norm]));
}

test('every stage runs, in order, and leaves its outputs', () => {
  assert.deepEqual(stages, ['corpus', 'scorers', 'clean', 'tokenizer', 'tokens', 'pretrain', 'sft', 'samples']);
  const out = result.out;
  const s = result.state;
  assert.ok(s.corpus!.bySource.brown! > 0 && s.corpus!.bySource['web-junk']! > 0 && s.corpus!.bySource['near-duplicate']! > 0);
  const clean = JSON.parse(readFileSync(join(out, 'clean', 'stats.json'), 'utf8')) as { documents: { read: number; written: number }; stages: Record<string, { dropped: number }> };
  assert.ok(clean.documents.written > 0 && clean.documents.written < clean.documents.read, `cleaning kept ${clean.documents.written} of ${clean.documents.read}`);
  assert.ok(clean.stages.gopher_quality!.dropped > 0, 'the heuristic rules remove the junk');
  const kept = outputSources(join(out, 'clean', 'data'));
  assert.ok(kept.brown! > 0.6 * s.corpus!.bySource.brown! && kept.chinese! > 0.6 * s.corpus!.bySource.chinese!, `clean English and Chinese mostly survive: ${JSON.stringify(kept)}`);
  assert.equal(kept['web-junk'] ?? 0, 0, 'no web junk survives');
  // The cleaning report shows the topic clusters with their terms and examples.
  assert.match(readFileSync(join(out, 'clean', 'report.md'), 'utf8'), /## Clusters of cluster_filter \(k = 4, \d+ documents\)\n\n\| cluster \| share \| top terms \| examples \|/);
  for (const f of ['perplexity-en.bin', 'perplexity-zh.bin', 'quality.bin', 'coherence.bin', 'safety.bin']) assert.ok(existsSync(join(out, 'scorers', f)), f);
  const tok = Tokenizer.load(join(out, 'tokenizer'));
  assert.equal(tok.vocabSize, s.tokenizer!.vocabSize);
  const ds = openTokenDataset(join(out, 'tokens'));
  assert.ok(ds.split('train').tokens > 10_000 && ds.split('val').tokens > 0);
  ds.close();
});

test('the model folder loads for inference and the loss fell below the start', () => {
  const m = loadModel(rt, result.modelDir, { dtype: 'f32', contextLength: 64 });
  const tok = Tokenizer.load(result.modelDir);
  assert.ok(m.forward(tok.encode('The jury said')).toArray().every(Number.isFinite));
  m.dispose();
  const losses = trainLog(result.out).map((l) => (JSON.parse(l) as number[])[1]!);
  assert.ok(losses[losses.length - 1]! < losses[0]! - 0.5, `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  assert.ok(Number.isFinite(result.state.pretrain!.valLoss), 'a validation loss was measured');
  assert.equal(result.state.samples!.length, 5);
});

test('chat finetuning runs on the chat-facts set: the held-out answer loss falls, the chat model is a chat-ready folder', () => {
  const f = result.state.sft!;
  assert.equal(f.steps, 20, "the scale's fixed steps with --steps");
  assert.ok(f.trainConversations! > 400 && f.heldoutConversations! > 100, JSON.stringify(f));
  assert.equal(f.before!.prompts, 16);
  assert.equal(f.after!.prompts, 16);
  assert.equal(result.chatModelDir, join(result.out, 'sft', 'model'));
  const val = readFileSync(join(result.out, 'sft', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; val_loss: number }).filter((r) => r.type === 'val');
  assert.ok(val[val.length - 1]!.val_loss < val[0]!.val_loss - 0.5, `held-out answer loss ${val[0]!.val_loss} -> ${val[val.length - 1]!.val_loss}`);
  const tc = JSON.parse(readFileSync(join(result.chatModelDir!, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
  assert.match(tc.chat_template ?? '', /<\|im_start\|>/);
});

test('the report has every stage: data with its chart, tokenizer, loss curves, samples, settings', () => {
  const html = readFileSync(result.report.html, 'utf8');
  for (const h of ['<h2>Data</h2>', '<h2>Tokenizer</h2>', '<h2>Pretraining</h2>', '<h2>Samples', '<h2>Settings</h2>', '<h2>Timings</h2>']) assert.ok(html.includes(h), h);
  assert.ok((html.match(/<svg/g) ?? []).length >= 2, 'the pipeline bar chart and the loss curves are inline');
  for (const stage of ['gopher_quality', 'minhash_dedup', 'perplexity', 'cluster_filter']) assert.ok(html.includes(stage), stage);
  const md = readFileSync(result.report.markdown, 'utf8');
  assert.match(md, /## Samples/);
  assert.match(md, /is a small base model \(0\.\d\d M parameters\) pretrained on 61 K tokens: it continues text, it does not follow instructions or chat\. Try it: `npx yi generate -m \S+ -p "The" -n 24`/);
  assert.match(md, /a fixed 60 steps \(--steps\)/);
  // Only the finetuned model is offered for chat.
  assert.doesNotMatch(md, /yi chat --model \S*train\/model/);
  assert.match(md, /`sft\/model` is the base model finetuned for chat \(20 steps on \d+ chat-facts conversations\): held-out exact match \d+% -> \d+%, answers ending with <\|im_end\|> \d+% -> \d+%\. Try it: `npx yi chat --model \S+sft\/model`/);
});

test('a recipe interrupted during pretraining continues with --resume', async () => {
  const out = join(tmp, 'killed');
  const args = [yi, 'recipe', '--scale', 'tiny', '--out', out, '--threads', '2', '--seed', '1', '--steps', '60', '--no-progress'];
  const log = join(out, 'train', 'log.jsonl');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setInterval(() => {
      if (existsSync(log) && readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"type":"train"')).length >= 15) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 1);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the recipe finished before it could be interrupted (code ${code}): ${err}`));
    });
  });
  const state = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')) as { done: Record<string, number> };
  assert.deepEqual(Object.keys(state.done), ['corpus', 'scorers', 'clean', 'tokenizer', 'tokens']);
  const r = spawnSync(process.execPath, [...args, '--resume'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /1\/8 raw corpus: done in an earlier run/);
  assert.match(r.stderr, /resuming from .*step-\d+ \([\d.ms]+ of training counted as spent: /);
  // The pretraining stage counts the training time of the killed run too (up to its last heartbeat).
  const after = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')) as { done: Record<string, number> };
  const ckpts = join(out, 'train', 'checkpoints');
  const last = JSON.parse(readFileSync(join(ckpts, readdirSync(ckpts).sort().at(-1)!, 'trainer_state.json'), 'utf8')) as { elapsedSeconds: number };
  assert.ok(after.done.pretrain! >= last.elapsedSeconds, `pretrain stage ${after.done.pretrain} s, training ${last.elapsedSeconds} s`);
  // It continued: same steps, same numbers as the uninterrupted run (same seed and threads).
  assert.deepEqual(trainLog(out), trainLog(result.out));
  assert.match(r.stdout, /model: {2}\S+ is a small base model/);
});

/** The environment of a command started by `npm start` (npm sets these; INIT_CWD is the caller's folder). */
function npmEnv(cwd: string): NodeJS.ProcessEnv {
  return { ...process.env, npm_command: 'start', npm_lifecycle_event: 'start', INIT_CWD: cwd };
}

test('a budget too small to keep: the console and the report say so and why; the suggested command works', () => {
  // The finished stages of the whole run, then pretraining and the samples again under a budget of
  // 0.6 s that the stages before pretraining alone have overrun.
  const out = join(tmp, 'over');
  cpSync(result.out, out, { recursive: true });
  rmSync(join(out, 'train'), { recursive: true, force: true });
  const state = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')) as Record<string, any>;
  delete state.done.pretrain;
  delete state.done.samples;
  delete state.pretrain;
  delete state.samples;
  delete state.budget;
  writeFileSync(join(out, 'recipe.json'), JSON.stringify(state));
  const r = spawnSync(process.execPath, [yi, 'recipe', '--scale', 'tiny', '--out', out, '--threads', '2', '--seed', '1', '--minutes', '0.01', '--resume', '--no-progress'], { encoding: 'utf8', cwd: repoRoot, env: npmEnv(repoRoot) });
  assert.equal(r.status, 0, r.stderr);
  const why = /the 0\.6 s budget leaves 0\.0 s for pretraining after \d+(\.\d)? s of earlier stages and 10 s kept for the samples; it trains for its minimum of 3\.0 s/;
  assert.match(r.stderr, new RegExp(`over budget: ${why.source}`), 'warned when pretraining starts');
  assert.match(r.stdout, /over budget: \d+(\.\d)? s against the 0\.6 s asked for \(--minutes 0\.01\), because:\n {2}- /);
  assert.match(r.stdout, why);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /Over budget: \d+(\.\d)? s against the 0\.6 s asked for/);
  assert.match(md, why);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<strong>Over budget: /);
  const saved = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8')) as { pretrain: { mode: string; budgetSeconds: number; budget: { decayStart: number } }; budget: { overSeconds: number } };
  assert.equal(saved.pretrain.mode, 'time');
  assert.equal(saved.pretrain.budgetSeconds, 3);
  assert.ok(saved.pretrain.budget.decayStart >= 1, 'a time-budgeted pretraining with its decay');
  assert.ok(saved.budget.overSeconds > 0);

  // The last lines name the model's kind and give a command that runs as printed from the user's shell.
  assert.match(r.stdout, /model: {2}\S+ is a small base model \(0\.\d\d M parameters\) pretrained on \d+ K tokens: it continues text, it does not follow instructions or chat/);
  const command = /^try: {4}(.+)$/m.exec(r.stdout)?.[1];
  assert.ok(command?.startsWith('npx yi generate -m '), `suggested: ${command}`);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'INIT_CWD') delete env[k];
  const g = spawnSync('sh', ['-c', command!], { encoding: 'utf8', cwd: repoRoot, env });
  assert.equal(g.status, 0, `${command}: ${g.stderr}`);
  assert.ok(g.stdout.startsWith('The'), g.stdout);
  assert.match(g.stderr, /generated: \d+ tokens/);
});

test('an existing recipe folder is not overwritten without --resume', async () => {
  await assert.rejects(runRecipe(rt, { out: result.out, scale: 'tiny' }), /already holds a recipe run.*--resume/);
  const r = spawnSync(process.execPath, [yi, 'recipe', '--scale', 'huge'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--scale must be one of tiny, small, medium/);
});
