// Configs that cannot fit are refused by the commands up front, with the figure, in one line, before
// anything is allocated or written (not after growing memory until the machine runs out).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { preset, toHFConfig } from '../../src/model/config.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tokenizeCorpus } from '../../src/train/tokenize.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';
import { corpusTexts, writeCorpus, writeTinyTokenizer } from '../train/tokenize-fixtures.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-memory-'));
let data: string;
after(() => rmSync(work, { recursive: true, force: true }));
before(async () => {
  data = join(work, 'data');
  await tokenizeCorpus({ tokenizer: writeTinyTokenizer(work), inputs: writeCorpus(work, corpusTexts(50, 3)), out: data, valFraction: 0.1, threads: 1 });
});

function run(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8', env: { ...process.env, YI_THREADS: '2' } });
  return { code: r.status, err: r.stderr };
}

function refused(r: { code: number | null; err: string }, re: RegExp): void {
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, re);
  assert.equal(r.err.trim().split('\n').length, 1, `one line, no stack trace: ${r.err}`);
}

test('yi pretrain refuses yi-34b and yi-6b with what they need and what one wasm memory holds', () => {
  for (const [name, params] of [['yi-34b', '34\\.4B'], ['yi-6b', '6\\.06B']] as const) {
    const out = join(work, `run-${name}`);
    const r = run('pretrain', '--model-config', name, '--no-vocab-from-data', '--data', data, '--out', out, '--steps', '1', '--seq-len', '256', '--batch-tokens', '1024');
    refused(r, new RegExp(`^yi: a model of ${params} parameters .* needs ~\\d+ GB to train with micro-batches of 4 x 256 tokens \\(weights \\(f32\\) \\d+ GB, gradients \\d+ GB, AdamW moments \\d+ GB, activations .*\\); training keeps all of it in one wasm memory, which holds at most 4 GiB`));
    assert.ok(!existsSync(out), 'nothing was written');
  }
});

test('yi pretrain refuses a config.json with 1e9 layers before computing anything from it', () => {
  const path = join(work, 'huge-config.json');
  writeFileSync(path, JSON.stringify({ ...toHFConfig(preset('tiny')), num_hidden_layers: 1e9 }));
  refused(run('pretrain', '--model-config', path, '--data', data, '--out', join(work, 'run-huge'), '--steps', '1'), /huge-config\.json: field layers: expected a positive integer of at most 1024, got 1000000000/);
});

test('yi generate refuses a model whose layer cannot fit one wasm memory, before loading it', () => {
  const model = join(work, 'wide');
  cpSync(join(repoRoot, 'test', 'fixtures', 'yi-tiny'), model, { recursive: true });
  const wide = { ...preset('yi-6b'), hidden: 65536, heads: 512, kvHeads: 64, ffn: 262144 };
  writeFileSync(join(model, 'config.json'), JSON.stringify(toHFConfig(wide)));
  writeFileSync(join(model, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
  refused(run('generate', '-m', model, '-p', 'x', '-n', '1'), /needs ~\d+(\.\d+)? TB to run at f32 with \d+ positions of KV cache .* one layer \(or the embedding\) with its workspace needs \d+ GB, more than one wasm memory holds \(4 GiB\)/);
});
