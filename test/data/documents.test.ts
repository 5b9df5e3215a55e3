import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DocumentError, listCorpusFiles, readDocuments } from '../../src/data/documents.js';
import { repoRoot } from '../paths.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-docs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const put = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const all = async (paths: string[], opts = {}) => {
  const out: string[] = [];
  for await (const d of readDocuments(paths, opts)) out.push(d);
  return out;
};

const records = [{ text: 'first 第一' }, { text: 'second\nwith a newline' }, { text: '🙂 third' }];
const jsonl = records.map((r) => JSON.stringify(r)).join('\n') + '\n';

test('JSONL plain, gzip and zstd give the same documents', async () => {
  const want = records.map((r) => r.text);
  assert.deepEqual(await all([put('a.jsonl', jsonl)]), want);
  assert.deepEqual(await all([put('a.jsonl.gz', gzipSync(jsonl))]), want);
  // Made with the zstd CLI (test/fixtures/docs.jsonl.zst), so the test needs no zstd encoder.
  assert.deepEqual(await all([join(repoRoot, 'test', 'fixtures', 'docs.jsonl.zst')]), ['zstd one', '二つ目 zstd']);
  // CRLF lines, blank lines and another field name.
  assert.deepEqual(await all([put('b.jsonl', '{"body":"x"}\r\n\r\n{"body":"y"}')], { field: 'body' }), ['x', 'y']);
});

test('Parquet: a string column, across several row groups, nulls skipped', async () => {
  const texts = Array.from({ length: 25 }, (_, i) => (i === 7 ? null : `row ${i} 行`));
  const buf = parquetWriteBuffer({ columnData: [{ name: 'id', data: texts.map((_, i) => i), type: 'INT32' }, { name: 'content', data: texts, type: 'STRING' }], rowGroupSize: 10 });
  const p = put('c.parquet', new Uint8Array(buf));
  assert.deepEqual(await all([p], { field: 'content' }), texts.filter((t) => t !== null));
  await assert.rejects(all([p]), /c\.parquet: no column 'text' \(columns: id, content\)/);
});

test('text files are one document each, or one per line; folders are walked in name order', async () => {
  mkdirSync(join(dir, 'corpus/sub'), { recursive: true });
  put('corpus/b.txt', 'bee\n\nbee two\n');
  put('corpus/a.txt', 'ay');
  put('corpus/sub/c.jsonl', '{"text":"see"}\n');
  put('corpus/ignored.bin', 'x');
  assert.deepEqual(listCorpusFiles([join(dir, 'corpus')]).map((f) => f.slice(dir.length + 1)), ['corpus/a.txt', 'corpus/b.txt', 'corpus/sub/c.jsonl']);
  assert.deepEqual(await all([join(dir, 'corpus')]), ['ay', 'bee\n\nbee two\n', 'see']);
  assert.deepEqual(await all([join(dir, 'corpus')], { textUnit: 'line' }), ['ay', 'bee', 'bee two', 'see']);
});

test('bad input names the file (and line) and what is wrong', async () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['bad.jsonl', '{"text":"ok"}\n{oops}\n', /bad\.jsonl:2: not valid JSON/],
    ['nofield.jsonl', '{"content":"x"}\n', /nofield\.jsonl:1: field 'text' is missing/],
    ['num.jsonl', '{"text":5}\n', /num\.jsonl:1: field 'text' is a number, not a string/],
    ['latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]), /latin1\.txt: not valid UTF-8 text/],
    ['broken.jsonl.gz', gzipSync(jsonl).subarray(0, 20), /broken\.jsonl\.gz: not a valid gzip stream/],
    ['broken.jsonl.zst', new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]), /broken\.jsonl\.zst: not a valid zstd stream/],
    ['broken.parquet', 'PAR1 not really', /broken\.parquet: not a readable Parquet file/],
  ];
  for (const [name, data, pattern] of cases) {
    await assert.rejects(all([put(name, data)]), (e: Error) => e instanceof DocumentError && pattern.test(e.message), name);
  }
  assert.throws(() => listCorpusFiles([put('x.csv', 'a,b')]), /x\.csv: unknown corpus format/);
  assert.throws(() => listCorpusFiles([join(dir, 'missing')]), /missing: no such file or folder/);
});
