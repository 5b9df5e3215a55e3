// `yi tokenize` as a user runs it: a child process per command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openTokenDataset } from '../../src/train/shards.js';
import { repoRoot } from '../paths.js';
import { tempDir } from '../train/dataset-helpers.js';
import { corpusTexts, writeCorpus, writeTinyTokenizer } from '../train/tokenize-fixtures.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = tempDir('yi-cli-tokenize-');
after(() => rmSync(work, { recursive: true, force: true }));
const tokenizer = writeTinyTokenizer(work);
const texts = corpusTexts(120, 5);
const inputs = writeCorpus(work, texts);

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('yi tokenize writes a dataset, reports its splits, and a resume of a finished one does nothing', () => {
  const out = join(work, 'ds');
  const args = ['tokenize', '--tokenizer', tokenizer, '--input', ...inputs, '--out', out, '--val-fraction', '0.2', '--shard-tokens', '1500', '--threads', '2'];
  const r = run(...args);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^encoded 120 documents, \d+ tokens, [\d.]+ MB in [\d.]+ s \([\d.]+ MB\/s\)\n/);
  const ds = openTokenDataset(out, { verify: true });
  const { train, val } = ds.meta.splits;
  ds.close();
  assert.equal(train.documents + val.documents, 120);
  assert.ok(val.documents > 0 && train.shards.length > 1);
  assert.ok(r.out.includes(`train: ${train.tokens} tokens, ${train.documents} documents, ${train.shards.length} shards\n`));
  assert.ok(r.out.includes(`val: ${val.tokens} tokens, ${val.documents} documents, ${val.shards.length} shards\n`));
  assert.match(r.out, /wrote .*dataset\.json \(uint16, vocabulary 96, eos 2\)/);
  const again = run(...args, '--resume');
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /already complete/);
});

test('bad flags and inputs give one-line errors naming the flag or file', () => {
  const common = ['--tokenizer', tokenizer, '--input', ...inputs];
  const cases: [string[], RegExp][] = [
    [['tokenize', ...common, '--out', join(work, 'a'), '--val-fraction', '1.5'], /--val-fraction must be a number in \[0, 1\) \(got '1\.5'\)/],
    [['tokenize', ...common, '--out', join(work, 'b'), '--shard-tokens', '1e3.5'], /--shard-tokens must be a positive integer/],
    [['tokenize', ...common, '--out', join(work, 'c'), '--threads', '0'], /--threads must be a positive integer/],
    [['tokenize', '--tokenizer', join(work, 'missing.model'), '--input', ...inputs, '--out', join(work, 'd')], /missing\.model: no such file or folder/],
    [['tokenize', '--tokenizer', tokenizer, '--input', join(work, 'x.csv'), '--out', join(work, 'e')], /x\.csv: no such file or folder/],
    [['tokenize', ...common, '--out', work], /is not empty/],
  ];
  for (const [args, expected] of cases) {
    const r = run(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, expected);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.ok(r.err.startsWith('yi: '), r.err);
  }
});
