// `yi convert --type q8_0|q4_0` and `yi generate --type q8_0|q4_0` on a model shaped like the recipe's
// tiny one (ffn 172: w_down's rows are not whole 32-weight blocks), as a user runs them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { writeModelFolder } from '../../src/train/checkpoint.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-cli-fallback-'));
const model = join(work, 'tiny-recipe-shape');
after(() => rmSync(work, { recursive: true, force: true }));

before(async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 32 << 20 });
  try {
    const m = YiTrainable.create(rt, { ...preset('tiny'), vocabSize: 96, maxPositions: 64 }, { kind: 'random', seed: 4 }, { maxSeqLen: 8 });
    writeModelFolder(model, m);
    m.dispose();
  } finally {
    await rt.close();
  }
  writeFileSync(join(model, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
});

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8', input: '', env: { ...process.env, YI_THREADS: '2' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const warningLines = (err: string) => err.split('\n').filter((l) => l.startsWith('warning:'));

const fellBack = (type: string, name: string) =>
  `warning: 2 of 16 matrices kept in f16 instead of ${type}, their rows not being whole 32-weight blocks (as llama.cpp does): ${name} (2 tensors, rows of 172)`;

test('yi convert --type q8_0 then yi generate on the GGUF, and yi generate --type q8_0 on the folder, give the same text', () => {
  const gguf = join(work, 'tiny.q8_0.gguf');
  const c = run('convert', model, gguf, '--type', 'q8_0', '--quiet');
  assert.equal(c.code, 0, c.err);
  assert.deepEqual(warningLines(c.err), [fellBack('q8_0', 'blk.*.ffn_down.weight')]);
  assert.match(c.out, /GGUF, q8_0, 21 tensors, tokenizer/);

  const g = run('generate', '-m', gguf, '-p', 'hello', '--temperature', '0', '-n', '4');
  assert.equal(g.code, 0, g.err);
  assert.ok(g.out.startsWith('hello'), g.out);
  assert.match(g.err, /generated: 4 tokens/);
  assert.deepEqual(warningLines(g.err), []); // the file's own types: nothing falls back

  const l = run('generate', '-m', model, '--type', 'q8_0', '-p', 'hello', '--temperature', '0', '-n', '4');
  assert.equal(l.code, 0, l.err);
  assert.deepEqual(warningLines(l.err), [fellBack('q8_0', 'model.layers.*.mlp.down_proj.weight')]);
  assert.match(l.err, /: 2 layers, q8_0\+f16 weights,/);
  // The GGUF and load-time quantization hold the same weights.
  assert.equal(l.out, g.out);
});

test('yi generate --type q4_0 on the folder runs, with one warning line (none with --quiet)', () => {
  const l = run('generate', '-m', model, '--type', 'q4_0', '-p', 'hello', '--temperature', '0', '-n', '4');
  assert.equal(l.code, 0, l.err);
  assert.match(l.err, /generated: 4 tokens/);
  assert.deepEqual(warningLines(l.err), [fellBack('q4_0', 'model.layers.*.mlp.down_proj.weight')]);
  const q = run('generate', '-m', model, '--type', 'q4_0', '-p', 'hello', '--temperature', '0', '-n', '4', '--quiet');
  assert.equal(q.code, 0, q.err);
  assert.equal(q.err, '');
  assert.equal(q.out, l.out);
});
