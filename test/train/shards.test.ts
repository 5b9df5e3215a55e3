import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inspectShard, openTokenDataset, SHARD_HEADER_BYTES, ShardWriter, TokenShardError } from '../../src/train/shards.js';
import { randomDocs, tempDir, writeTestDataset, type TestDataset } from './dataset-helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function fresh(): string {
  const d = tempDir('yi-shards-');
  dirs.push(d);
  return d;
}

function roundTrip(vocabSize: number, eosId: number): void {
  const dir = fresh();
  const d: TestDataset = { vocabSize, eosId, docs: { train: randomDocs(60, vocabSize, eosId, 40, 1), val: randomDocs(7, vocabSize, eosId, 40, 2) }, shardTokens: 300 };
  const meta = writeTestDataset(dir, d);
  assert.equal(meta.dtype, vocabSize <= 65536 ? 'uint16' : 'uint32');
  assert.ok(meta.splits.train.shards.length >= 3, 'several train shards');
  const ds = openTokenDataset(dir, { verify: true });
  try {
    for (const name of ['train', 'val'] as const) {
      const docs = d.docs[name]!;
      const stream = docs.flat();
      const split = ds.split(name);
      assert.equal(split.tokens, stream.length);
      assert.equal(split.documents, docs.length);
      assert.deepEqual([...split.read(0, split.tokens)], stream);
      // Windows that cross shard boundaries, read into a caller's (larger) array.
      const into = new Uint32Array(64);
      for (let start = 0; start + 50 <= stream.length; start += 37) {
        const got = split.read(start, 50, into);
        assert.equal(got, into);
        assert.deepEqual([...got.subarray(0, 50)], stream.slice(start, start + 50));
      }
      let at = 0;
      for (let i = 0; i < docs.length; i++) {
        assert.equal(split.documentStart(i), at, `document ${i}`);
        at += docs[i]!.length;
      }
      assert.equal(split.documentStart(docs.length), split.tokens);
    }
    for (const e of meta.splits.train.shards) {
      const info = inspectShard(join(dir, e.file));
      assert.deepEqual(info, { dtype: meta.dtype, tokens: e.tokens, documents: e.documents, vocabSize, eosId });
    }
  } finally {
    ds.close();
  }
}

test('shards round-trip tokens and document boundaries as uint16', () => roundTrip(1000, 2));

test('shards round-trip ids above 65535 as uint32', () => roundTrip(70000, 69999));

test('a uint16 shard is 64 header bytes, 2 bytes per token padded to 8, then 8 bytes per document', () => {
  const dir = fresh();
  const w = new ShardWriter(join(dir, 'train-00000.tok'), { dtype: 'uint16', vocabSize: 300, eosId: 2 });
  w.appendDocument([258, 7, 2]);
  w.appendDocument([9, 2]);
  assert.deepEqual(w.finish(), { file: 'train-00000.tok', tokens: 5, documents: 2 });
  const b = readFileSync(join(dir, 'train-00000.tok'));
  assert.equal(b.length, 64 + 16 + 16);
  assert.equal(b.subarray(0, 8).toString('latin1'), 'YITOKSHD');
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  assert.deepEqual([v.getUint32(8, true), v.getUint32(12, true)], [1, 2]);
  assert.deepEqual([16, 24, 32, 40].map((o) => Number(v.getBigUint64(o, true))), [5, 2, 64, 80]);
  assert.deepEqual([v.getUint32(48, true), v.getUint32(52, true)], [300, 2]);
  assert.deepEqual([...b.subarray(64, 74)], [2, 1, 7, 0, 2, 0, 9, 0, 2, 0]);
  assert.deepEqual([...b.subarray(74, 80)], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([Number(v.getBigUint64(80, true)), Number(v.getBigUint64(88, true))], [0, 3]);
});

test('the writer refuses ids outside the vocabulary and leaves no file behind', () => {
  const dir = fresh();
  const path = join(dir, 'val-00000.tok');
  const w = new ShardWriter(path, { dtype: 'uint16', vocabSize: 100, eosId: 2 });
  assert.throws(() => w.appendDocument([5, 100, 2]), /val-00000\.tok: document 0: token 100 is not an id of a 100-piece vocabulary/);
  assert.throws(() => w.appendDocument([]), /at least one token/);
  w.abort();
  assert.throws(() => statSync(path));
  assert.throws(() => new ShardWriter(path, { dtype: 'uint16', vocabSize: 70000, eosId: 2 }), /does not fit uint16/);
});

test('reads outside a split are range errors naming the split', () => {
  const dir = fresh();
  writeTestDataset(dir, { vocabSize: 50, eosId: 0, docs: { train: randomDocs(5, 50, 0, 10, 3) }, shardTokens: 20 });
  const ds = openTokenDataset(dir);
  const t = ds.split('train');
  assert.throws(() => t.read(t.tokens - 2, 3), /split 'train': cannot read tokens/);
  assert.throws(() => t.read(-1, 1), RangeError);
  assert.throws(() => t.read(0, 4, new Uint32Array(3)), /holds 3 tokens, 4 asked/);
  assert.throws(() => t.documentStart(6), /no document 6 \(it has 5\)/);
  assert.equal(ds.split('val').tokens, 0);
  assert.deepEqual([...ds.split('val').read(0, 0)], []);
  ds.close();
  assert.throws(() => t.read(0, 1), /closed/);
});

/** A fresh two-shard dataset, then `damage` applied to it; returns the error openTokenDataset throws. */
function openDamaged(damage: (dir: string) => void, opts = {}): Error {
  const dir = fresh();
  writeTestDataset(dir, { vocabSize: 1000, eosId: 2, docs: { train: randomDocs(20, 1000, 2, 30, 4), val: randomDocs(3, 1000, 2, 30, 5) }, shardTokens: 200 });
  damage(dir);
  try {
    openTokenDataset(dir, opts).close();
  } catch (e) {
    return e as Error;
  }
  assert.fail('the damaged dataset opened');
}

function patch(file: string, at: number, bytes: number[]): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Uint8Array.from(bytes), 0, bytes.length, at);
  closeSync(fd);
}

function editMeta(dir: string, edit: (m: Record<string, any>) => void): void {
  const m = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8'));
  edit(m);
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify(m));
}

test('damaged shards and manifests fail with the file and the field', () => {
  const cases: [string, (dir: string) => void, RegExp, object?][] = [
    ['truncated shard', (d) => truncateSync(join(d, 'train-00001.tok'), statSync(join(d, 'train-00001.tok')).size - 3), /train-00001\.tok: truncated: \d+ bytes, the header promises/],
    ['truncated header', (d) => truncateSync(join(d, 'train-00000.tok'), 10), /train-00000\.tok: truncated: 10 bytes, shorter than the 64-byte header/],
    ['trailing bytes', (d) => writeFileSync(join(d, 'val-00000.tok'), 'xy', { flag: 'a' }), /val-00000\.tok: 2 bytes of trailing data/],
    ['bad magic', (d) => patch(join(d, 'train-00000.tok'), 0, [0x47]), /train-00000\.tok: magic is "GITOKSHD"/],
    ['unknown version', (d) => patch(join(d, 'train-00000.tok'), 8, [9]), /header field 'version' is 9/],
    ['dtype mismatch', (d) => editMeta(d, (m) => ((m.vocabSize = 70000), (m.dtype = 'uint32'))), /train-00000\.tok: dtype mismatch: header field 'token_bytes' is 2, dataset\.json says uint32/],
    ['dtype against vocabulary', (d) => editMeta(d, (m) => (m.dtype = 'uint32')), /field 'dtype': expected "uint16" for a vocabulary of 1000/],
    ['token count mismatch', (d) => editMeta(d, (m) => ((m.splits.train.shards[0].tokens += 1), (m.splits.train.tokens += 1), (m.totals.tokens += 1))), /train-00000\.tok: header field 'tokens' is \d+, dataset\.json says/],
    ['split sum', (d) => editMeta(d, (m) => (m.splits.val.documents = 99)), /field 'splits\.val\.documents': expected 3 \(the sum over its shards\), got 99/],
    ['path outside the folder', (d) => editMeta(d, (m) => (m.splits.val.shards[0].file = '../val-00000.tok')), /field 'splits\.val\.shards\[0\]\.file': expected a plain file name/],
    ['missing shard', (d) => rmSync(join(d, 'train-00001.tok')), /train-00001\.tok: cannot open the shard listed in dataset\.json \(ENOENT\)/],
    ['wrong format', (d) => editMeta(d, (m) => (m.format = 'other')), /dataset\.json: field 'format'/],
    ['not JSON', (d) => writeFileSync(join(d, 'dataset.json'), '{'), /dataset\.json: not valid JSON/],
    ['no manifest', (d) => rmSync(join(d, 'dataset.json')), /dataset\.json: cannot read the manifest \(ENOENT\)/],
    ['token id >= vocab (verify)', (d) => patch(join(d, 'train-00000.tok'), SHARD_HEADER_BYTES + 6, [0xe8, 0x03]), /train-00000\.tok: token 3 is 1000, not below vocabSize 1000/, { verify: true }],
    ['document without EOS (verify)', (d) => patch(join(d, 'val-00000.tok'), SHARD_HEADER_BYTES + (inspectShard(join(d, 'val-00000.tok')).tokens - 1) * 2, [7, 0]), /val-00000\.tok: the last document does not end with EOS \(2\): it ends with 7/, { verify: true }],
  ];
  for (const [what, damage, expected, opts] of cases) {
    const e = openDamaged(damage, opts);
    assert.ok(e instanceof TokenShardError, `${what}: ${e.message}`);
    assert.match(e.message, expected, what);
  }
});

test('verify catches a document index that does not increase', () => {
  const e = openDamaged((d) => {
    const f = join(d, 'val-00000.tok');
    patch(f, statSync(f).size - 8, [0, 0, 0, 0, 0, 0, 0, 0]);
  }, { verify: true });
  assert.match(e.message, /val-00000\.tok: document index: document 2 starts at 0, not after document 1/);
});
