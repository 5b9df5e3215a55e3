// `yi data train-*` as registered on a `data` command (the executor's src/cli/data.ts adds them to
// the yi program), run in-process with their output captured.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { registerDataTrainCommands } from '../../src/cli/data-train.js';
import { TextClassifier } from '../../src/data/scorers/classifier-model.js';
import { PerplexityModel } from '../../src/data/scorers/perplexity-model.js';
import { brownDocuments } from '../../src/data/scorers/reference-corpus.js';

const work = mkdtempSync(join(tmpdir(), 'yi-data-train-'));
after(() => rmSync(work, { recursive: true, force: true }));

const docs = brownDocuments({ maxFiles: 30, paragraphsPerDocument: 3 });
const corpus = join(work, 'ref.jsonl');
writeFileSync(corpus, docs.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
const whole = join(work, 'whole.jsonl');
writeFileSync(whole, brownDocuments({ maxFiles: 30 }).map((t) => JSON.stringify({ text: t })).join('\n') + '\n');

async function yi(...args: string[]): Promise<string> {
  const program = new Command().name('yi').exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerDataTrainCommands(program.command('data'));
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await program.parseAsync(['node', 'yi', 'data', ...args]);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

test('yi data train-perplexity writes a model with measured cutoffs and reports speed and size', async () => {
  const out = join(work, 'ppl.kn');
  const text = await yi('train-perplexity', '--input', corpus, '--out', out, '--order', '4', '--prune', '0,0,1', '--held-out', '0.2', '--no-progress');
  assert.match(text, /trained a 4-gram model on \d+ tokens .* tokens\/s/);
  assert.match(text, /cutoffs \(held-out\): head < [\d.]+ <= middle < [\d.]+ <= tail/);
  const m = PerplexityModel.load(out);
  assert.equal(m.lm.order, 4);
  assert.deepEqual(m.info.training.prune, [0, 0, 1]);
});

test('yi data train-quality, train-coherence and train-safety write classifiers and print held-out metrics', async () => {
  const q = join(work, 'quality.bin');
  assert.match(await yi('train-quality', '--positive', corpus, '--out', q, '--bucket-bits', '14', '--char-ngrams', 'none'), /negatives: synthetic web junk[\s\S]*accuracy [\d.]+% at p >= 0.25, .* AUC [01]\.\d+/);
  assert.deepEqual(TextClassifier.load(q, 'quality').features, { kind: 'ngrams', buckets: 1 << 14, word_ngrams: 2, char_ngrams: [0, 0] });
  const c = join(work, 'coherence.bin');
  assert.match(await yi('train-coherence', '--input', whole, '--out', c, '--max-sentences', '8'), /trained on \d+ coherent and \d+ spliced documents/);
  assert.equal(TextClassifier.load(c, 'coherence').features.kind, 'coherence');
  const lists = join(work, 'lists');
  mkdirSync(lists);
  writeFileSync(join(lists, 'spam.txt'), 'buy now\n');
  const s = join(work, 'safety.bin');
  assert.match(await yi('train-safety', '--safe', corpus, '--lists', lists, '--out', s, '--bucket-bits', '12'), /word lists: spam \(1\)/);
  assert.deepEqual(TextClassifier.load(s, 'safety').extra.lists, { spam: ['buy now'] });
});

test('bad flags and missing inputs fail with a message naming the flag', async () => {
  await assert.rejects(yi('train-quality', '--out', join(work, 'x.bin')), /give the training text: --positive <paths\.\.\.>, --bundled, or both/);
  await assert.rejects(yi('train-perplexity', '--input', corpus, '--out', join(work, 'x.kn'), '--order', 'five'), /--order must be an integer from 1 to 12 \(got 'five'\)/);
  await assert.rejects(yi('train-quality', '--positive', corpus, '--out', join(work, 'x.bin'), '--char-ngrams', '3'), /--char-ngrams must be 2 comma-separated numbers/);
  await assert.rejects(yi('train-perplexity', '--input', corpus, '--out', join(work, 'x.kn'), '--text-unit', 'page'), /--text-unit must be 'file' or 'line'/);
  await assert.rejects(yi('train-quality', '--out', join(work, 'x.bin')), /positive/);
});
