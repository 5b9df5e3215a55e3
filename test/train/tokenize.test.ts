import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openTokenDataset, type TokenSplit } from '../../src/train/shards.js';
import { isValidationDocument, PROGRESS_FILE, tokenizeCorpus, type TokenizeCorpusOptions } from '../../src/train/tokenize.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { repoRoot } from '../paths.js';
import { tempDir } from './dataset-helpers.js';
import { corpusTexts, writeCorpus, writeTinyTokenizer, writeWideTokenizer } from './tokenize-fixtures.js';

const work = tempDir('yi-tokenize-');
after(() => rmSync(work, { recursive: true, force: true }));
const tokenizer = writeTinyTokenizer(work);
const texts = corpusTexts(400, 11);
const inputs = writeCorpus(work, texts);
let outs = 0;
const newOut = (): string => join(work, `out-${outs++}`);
const base = (o: Partial<TokenizeCorpusOptions> = {}): TokenizeCorpusOptions => ({ tokenizer, inputs, out: newOut(), valFraction: 0.1, shardTokens: 2000, threads: 1, batchDocuments: 5, ...o });

/** Every file of a folder and its bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

function documentsOf(split: TokenSplit): number[][] {
  const docs: number[][] = [];
  for (let i = 0; i < split.documents; i++) {
    const a = split.documentStart(i);
    docs.push([...split.read(a, split.documentStart(i + 1) - a)]);
  }
  return docs;
}

// One uninterrupted run that the other tests compare against.
const reference = await tokenizeCorpus(base());
const referenceFiles = snapshot(reference.dir);

test('every non-empty document is written once, in input order within its split, ending with EOS', () => {
  const tok = Tokenizer.load(tokenizer);
  const { meta } = reference;
  assert.equal(meta.dtype, 'uint16');
  assert.deepEqual([meta.vocabSize, meta.eosId, meta.bosId, meta.addBos], [96, 2, 1, false]);
  assert.equal(meta.tokenizer.sha256, createHash('sha256').update(readFileSync(tokenizer)).digest('hex'));
  assert.equal(meta.source?.inputDocuments, texts.length + 1); // the empty one is read, not written
  assert.ok(meta.splits.train.shards.length > 5 && meta.splits.val.shards.length >= 1);
  assert.ok(meta.splits.train.shards.every((s) => s.tokens <= 2000));
  assert.ok(!existsSync(join(reference.dir, PROGRESS_FILE)), 'the progress file is gone once dataset.json is written');
  const ds = openTokenDataset(reference.dir, { verify: true });
  try {
    for (const name of ['train', 'val'] as const) {
      const want = texts.filter((t) => isValidationDocument(t, 0.1) === (name === 'val'));
      assert.ok(want.length > 10, `${name} has documents`);
      const docs = documentsOf(ds.split(name));
      assert.equal(docs.length, want.length);
      for (const [i, ids] of docs.entries()) {
        assert.equal(ids.at(-1), 2, 'ends with EOS');
        assert.equal(ids.indexOf(2), ids.length - 1, 'one EOS per document');
        assert.deepEqual(ids.slice(0, -1), tok.encode(want[i]!, { addBos: false }));
        assert.equal(tok.decode(ids.slice(0, -1)), want[i]);
      }
    }
  } finally {
    ds.close();
  }
});

test('the split is the same for the same text wherever it stands', () => {
  const val = texts.filter((t) => isValidationDocument(t, 0.1)).length;
  assert.ok(val > 20 && val < 60, `about 10% of 400 (got ${val})`);
  for (const t of texts) assert.equal(isValidationDocument(t, 0.1), isValidationDocument(t.slice(), 0.1));
  assert.equal(texts.filter((t) => isValidationDocument(t, 0)).length, 0);
});

test('worker threads give byte-identical output', async () => {
  const r = await tokenizeCorpus(base({ threads: 3 }));
  assert.deepEqual(snapshot(r.dir), referenceFiles);
});

test('an aborted run resumes after its last finished shard to the same bytes', async () => {
  const opts = base();
  const stop = new AbortController();
  let shards = 0;
  await assert.rejects(
    tokenizeCorpus({ ...opts, signal: stop.signal, onShard: () => ++shards === 3 && stop.abort(new Error('stop here')) }),
    /stop here/,
  );
  assert.ok(!existsSync(join(opts.out, 'dataset.json')));
  assert.ok(existsSync(join(opts.out, PROGRESS_FILE)));
  await assert.rejects(tokenizeCorpus(opts), /holds an unfinished run .*pass resume/);
  await assert.rejects(tokenizeCorpus({ ...opts, resume: true, valFraction: 0.2 }), /started with a different validation fraction \(was 0\.1, now 0\.2\)/);
  const r = await tokenizeCorpus({ ...opts, resume: true, threads: 2 });
  assert.ok(r.resumed && !r.alreadyComplete);
  assert.ok(r.progress.documents < texts.length, 'the finished shards were not encoded again');
  assert.deepEqual(snapshot(opts.out), referenceFiles);
  // Resuming a finished dataset does nothing; starting over in it is refused.
  const again = await tokenizeCorpus({ ...opts, resume: true });
  assert.ok(again.alreadyComplete);
  assert.deepEqual(again.meta, r.meta);
  await assert.rejects(tokenizeCorpus(opts), /already holds a dataset/);
});

test('a run killed with SIGKILL mid-shard resumes to the same bytes', async () => {
  const opts = base({ threads: 2 });
  const child = join(repoRoot, 'dist', 'test', 'train', 'tokenize-child.js');
  const r = spawnSync(process.execPath, [child, JSON.stringify({ ...opts, killAfterBatches: 13 })], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const left = readdirSync(opts.out);
  assert.ok(left.some((f) => f.endsWith('.partial')), `a half-written shard was left: ${left.join(', ')}`);
  assert.ok(!left.includes('dataset.json'));
  await tokenizeCorpus({ ...opts, resume: true });
  assert.deepEqual(snapshot(opts.out), referenceFiles);
});

test('addBos starts each document with BOS', async () => {
  const r = await tokenizeCorpus(base({ addBos: true, valFraction: 0 }));
  assert.equal(r.meta.addBos, true);
  assert.equal(r.meta.splits.val.tokens, 0);
  const ds = openTokenDataset(r.dir, { verify: true });
  const docs = documentsOf(ds.split('train'));
  ds.close();
  assert.equal(docs.length, texts.length);
  for (const d of docs) assert.ok(d[0] === 1 && d.at(-1) === 2 && d.indexOf(1, 1) < 0);
});

test('a vocabulary over 65536 ids gives uint32 shards with the same documents', async () => {
  const wide = writeWideTokenizer(work);
  const r = await tokenizeCorpus(base({ tokenizer: wide }));
  assert.equal(r.meta.dtype, 'uint32');
  assert.equal(r.meta.vocabSize, 70000);
  const a = openTokenDataset(r.dir, { verify: true });
  const b = openTokenDataset(reference.dir);
  try {
    const wideIds = documentsOf(a.split('train'));
    const tinyIds = documentsOf(b.split('train'));
    assert.equal(wideIds.length, tinyIds.length);
    // Same documents; characters moved up by the 69904 inserted pieces.
    const shift = (id: number): number => (id >= 5 ? id + 69904 : id);
    assert.deepEqual(wideIds, tinyIds.map((d) => d.map(shift)));
    assert.ok(wideIds.flat().some((id) => id > 65535));
  } finally {
    a.close();
    b.close();
  }
});

test('bad options and folders fail naming what is wrong', async () => {
  await assert.rejects(tokenizeCorpus(base({ tokenizer: join(work, 'nope.model') })), /tokenizer .*nope\.model: no such file or folder/);
  await assert.rejects(tokenizeCorpus(base({ valFraction: 1 })), /valFraction must be in \[0, 1\)/);
  await assert.rejects(tokenizeCorpus(base({ shardTokens: 0 })), /shardTokens must be a positive integer/);
  await assert.rejects(tokenizeCorpus(base({ inputs: [join(work, 'none.jsonl')] })), /none\.jsonl: no such file or folder/);
  await assert.rejects(tokenizeCorpus(base({ out: work })), /is not empty/);
});
