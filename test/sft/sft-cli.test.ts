// `yi sft` as a user runs it: a finetuning that prints the `yi chat` command to run next, clear
// one-line errors for bad input, and a run killed with SIGKILL mid-training that --resume finishes
// with weights bit-identical to an uninterrupted run's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { registerSft } from '../../src/cli/sft.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { runYi, yi, yiEnv } from '../cli/yi-cli.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { arithmeticRows, writeJsonl, writeTinyChatModel } from './sft-fixtures.js';

let tmp: string;
let base: string;
let data: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-sft-cli-'));
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  base = writeTinyChatModel(rt, join(tmp, 'base'));
  await rt.close();
  data = writeJsonl(join(tmp, 'chat.jsonl'), arithmeticRows(40, 6));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const common = ['--seq-len', '128', '--batch', '4', '--lr', '3e-3', '--eval-max-tokens', '4', '--no-progress', '--threads', '2'];

test('yi sft finetunes, writes the model and report, and prints `yi chat --model OUT/model` next', () => {
  const out = join(tmp, 'run');
  const r = runYi(['sft', '--model', base, '--data', data, '--out', out, '--steps', '4', '--eval-generations', '3', ...common]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /done: step 4/);
  assert.match(r.out, /held-out exact match \d+\.\d% -> \d+\.\d%; answers ending with <\|im_end\|> /);
  assert.match(r.out, /next: .* chat --model .*run\/model/);
  assert.match(r.err, /data: 34 training conversations .* 6 held out/);
  for (const f of ['model/model.safetensors', 'model/tokenizer_config.json', 'report.html', 'report.md', 'log.jsonl', 'eval/before.jsonl', 'eval/after.jsonl']) assert.ok(existsSync(join(out, f)), f);
});

/** Runs `yi sft ...args` in this process (commander and the action as the CLI has them); resolves to the error it throws. */
async function sftError(args: string[]): Promise<Error | undefined> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerSft(program);
  try {
    await program.parseAsync(['node', 'yi', 'sft', ...args]);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

test('yi sft refuses bad input with a typed error naming what is wrong', async () => {
  const noMarkers = join(tmp, 'plain.model');
  const proto = tinyTokenizerProto();
  proto.pieces = proto.pieces.map((p) => (p.piece === '<|im_start|>' ? { ...p, piece: '<|a|>' } : p.piece === '<|im_end|>' ? { ...p, piece: '<|b|>' } : p));
  writeFileSync(noMarkers, encodeModelProto(proto));
  const bad = join(tmp, 'bad.jsonl');
  writeFileSync(bad, '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": "x"}\n');
  // Each case: flags replacing the defaults (--model, --data), further flags, the error expected.
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ '--data': join(tmp, 'missing.jsonl') }, [], /missing\.jsonl: no such data file/],
    [{ '--model': join(tmp, 'nope') }, [], /--model .*nope: no such file or folder/],
    [{}, ['--epochs', '1'], /give --steps or --epochs, not both/],
    [{}, ['--neftune-alpha', '-1'], /--neftune-alpha must be a number from 0/],
    [{}, ['--batch', '6', '--micro-batch', '4'], /batch \(6 sequences\) must be a multiple of microBatch \(4 sequences\)/],
    [{}, ['--seq-len', '4096'], /seqLen 4096 exceeds the model's max positions 128/],
    [{}, ['--tokenizer', noMarkers], /plain\.model: the tokenizer has no <\|im_start\|> token/],
    [{}, ['--lora-base', 'q4_0'], /--lora-base needs --lora-rank/],
    [{}, ['--lora-rank', '4', '--lora-targets', 'q,zz'], /LoRA target "zz": expected one of q, k, v, o, gate, up, down/],
    [{ '--data': bad }, [], /no conversation to train on/],
    [{ '--data': bad }, ['--strict'], /bad\.jsonl:1: messages: nothing to learn from/],
  ];
  for (const [flags, extra, want] of cases) {
    const given = { '--model': base, '--data': data, ...flags };
    const e = await sftError([...Object.entries(given).flat(), '--out', join(tmp, 'err'), '--steps', '1', ...common, ...extra]);
    const what = JSON.stringify([flags, extra]);
    assert.ok(e, `${what}: no error`);
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError) && e.constructor !== Error, `${what}: untyped ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, want, what);
  }
  // As a user sees one: a single line, no stack trace.
  const r = runYi(['sft', '--model', base, '--data', bad, '--out', join(tmp, 'err'), '--strict', ...common]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^yi: .*bad\.jsonl:1: messages: nothing to learn from.*\n$/);
});

test('kill -9 during training, then --resume: the final weights are bit-identical to an uninterrupted run', async () => {
  const args = (out: string, extra: string[] = []) => ['sft', '--model', base, '--data', data, '--out', out, '--steps', '30', '--checkpoint-interval', '3', '--eval-interval', '4', '--eval-generations', '0', ...common, ...extra];
  const whole = join(tmp, 'whole');
  assert.equal(runYi(args(whole)).code, 0);
  const out = join(tmp, 'killed');
  const killAt = 4 + Math.floor(Math.random() * 12); // 4 .. 15: at and between checkpoints
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [yi, ...args(out)], { stdio: ['ignore', 'ignore', 'pipe'], env: yiEnv() });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setInterval(() => {
      const log = join(out, 'log.jsonl');
      if (!existsSync(log)) return;
      if (readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"type":"train"')).length >= killAt) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 5);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the run ended by itself (code ${code}) before step ${killAt}: ${err}`));
    });
  });
  assert.equal(existsSync(join(out, 'model')), false);
  const r = runYi(args(out, ['--resume']));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /resuming from .*step-\d{8}/);
  const weights = (dir: string) => readFileSync(join(dir, 'model', 'model.safetensors'));
  assert.ok(weights(out).equals(weights(whole)), 'final weights differ after kill + resume');
});
