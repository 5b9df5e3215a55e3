// The first-hour mistakes with model commands: a run folder, a tokenizer or a weights file given
// as -m, a path that does not exist, a --ctx beyond the model, and BOS handling in
// `yi tokenizer encode`. Each must fail (or behave) with a message saying what to give instead.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LoadError, openWeights } from '../../src/model/source.js';
import { modelFoldersIn } from '../../src/model/model-path.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-paths-'));
after(() => rmSync(work, { recursive: true, force: true }));

// A run folder shaped like `yi recipe`'s: train/model, train/checkpoints/step-N, tokenizer/.
const run = join(work, 'run');
const fixture = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const tokenizerModel = encodeModelProto(tinyTokenizerProto());
for (const d of ['train/model', 'train/checkpoints/step-00000002', 'train/checkpoints/step-00000010']) {
  cpSync(fixture, join(run, d), { recursive: true });
  writeFileSync(join(run, d, 'tokenizer.model'), tokenizerModel);
}
mkdirSync(join(run, 'tokenizer'));
writeFileSync(join(run, 'tokenizer', 'tokenizer.model'), tokenizerModel);

function yiRun(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8', input: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function fails(args: string[], pattern: RegExp): void {
  const r = yiRun(...args);
  assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}\n${r.out}${r.err}`);
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  assert.doesNotMatch(r.err, /ENOENT|TypeError|RangeError|\n\s+at /);
}

test('model folders inside a run folder come final model first, then the latest checkpoint', () => {
  assert.deepEqual(modelFoldersIn(run), [
    join(run, 'train', 'model'),
    join(run, 'train', 'checkpoints', 'step-00000010'),
    join(run, 'train', 'checkpoints', 'step-00000002'),
  ]);
  assert.deepEqual(modelFoldersIn(join(run, 'train', 'checkpoints')).map((p) => p.slice(-13)), ['step-00000010', 'step-00000002']);
  assert.deepEqual(modelFoldersIn(join(run, 'tokenizer')), []);
});

test('a run folder given as a model names the model folder inside it (library and CLI)', () => {
  assert.throws(() => openWeights(run), (e) => e instanceof LoadError && e.message.includes(`the model folder inside it is ${join(run, 'train', 'model')}`));
  fails(['generate', '-m', run, '-p', 'x'], new RegExp(`not a model folder \\(no config.json\\); the model folder inside it is ${join(run, 'train', 'model')}`));
  fails(['chat', '-m', join(run, 'train'), '-s', 'x'], /the model folder inside it is .*train.model \(also: .*step-00000010/);
  fails(['generate', '-m', join(run, 'train', 'checkpoints'), '-p', 'x'], /the model folder inside it is .*step-00000010/);
});

test('a tokenizer, a weights file or a missing path given as a model says what a model is', () => {
  fails(['generate', '-m', join(run, 'tokenizer'), '-p', 'x'], /run.tokenizer: a tokenizer folder \(tokenizer.model\), not a model: expected a Hugging Face model folder \(config.json \+ model.safetensors\) or a .gguf file/);
  fails(['generate', '-m', join(run, 'tokenizer', 'tokenizer.model'), '-p', 'x'], /tokenizer.model: a tokenizer file, not a model/);
  fails(['generate', '-m', join(run, 'train', 'model', 'model.safetensors'), '-p', 'x'], /one weights file: give its folder .*train.model, which holds config.json too/);
  fails(['generate', '-m', join(run, 'nope'), '-p', 'x'], /run.nope: no such file or folder \(expected a Hugging Face model folder/);
  const empty = join(work, 'empty');
  mkdirSync(empty);
  fails(['generate', '-m', empty, '-p', 'x'], /empty: no config.json in this folder/);
});

test('--ctx beyond the model maximum is refused before loading, naming the config field', () => {
  const model = join(run, 'train', 'model');
  fails(['generate', '-m', model, '-p', 'x', '-c', '100000'], /--ctx 100000 is more than .*model can take: 64 positions \(max_position_embeddings in its config.json\); give --ctx 64 or less/);
  const ok = yiRun('generate', '-m', model, '-p', 'hi', '-c', '64', '-n', '2', '--temperature', '0', '--quiet');
  assert.equal(ok.code, 0, ok.err);
});

test('yi tokenizer encode follows the tokenizer on BOS unless --bos or --no-bos says otherwise', () => {
  const dir = join(work, 'tok-bos');
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.model'), tokenizerModel);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: true, add_eos_token: false }));
  const ids = (...flags: string[]) => {
    const r = yiRun('tokenizer', 'encode', '--tokenizer', dir, '--text', 'ab', ...flags);
    assert.equal(r.code, 0, r.err);
    return r.out.trim();
  };
  const plain = ids('--no-bos');
  assert.ok(!plain.startsWith('1 '), plain);
  assert.equal(ids(), `1 ${plain}`);
  assert.equal(ids('--bos'), `1 ${plain}`);
  assert.equal(ids('--eos', '--no-bos'), `${plain} 2`);
  const help = yiRun('tokenizer', 'encode', '--help').out;
  assert.match(help, /--no-bos/);
  assert.match(help, /default: as the\s+tokenizer says/);
});
