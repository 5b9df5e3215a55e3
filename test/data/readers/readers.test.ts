import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { WARCRecord, WARCSerializer } from 'warcio';
import { htmlToText, InputError, listInputFiles, readSlice, type ReadItem, type Slice } from '../../../src/data/readers/index.js';
import { repoRoot } from '../../paths.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-readers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const put = (name: string, data: string | Uint8Array): string => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  return p;
};
const items = async (slice: Slice, opts = {}, skip = 0): Promise<ReadItem[]> => {
  const out: ReadItem[] = [];
  for await (const it of readSlice(slice, opts, skip)) out.push(it);
  return out;
};
const docs = (list: ReadItem[]) => list.flatMap((i) => ('doc' in i ? [i.doc] : []));

test('JSONL: text, own id or <file>:<line>, other fields and a metadata object as metadata; plain, gzip and zstd alike', async () => {
  const text = ['{"id":"a-1","text":"first 第一","url":"http://x"}', '', '{"text":"no id","metadata":{"lang":"en"},"n":2}', '{"id":7,"text":"numeric id"}'].join('\n') + '\n';
  const want = [
    { id: 'a-1', text: 'first 第一', metadata: { source: 'c.jsonl', url: 'http://x' } },
    { id: 'c.jsonl:2', text: 'no id', metadata: { source: 'c.jsonl', n: 2, lang: 'en' } },
    { id: '7', text: 'numeric id', metadata: { source: 'c.jsonl' } },
  ];
  assert.deepEqual(docs(await items({ path: put('c.jsonl', text), source: 'c.jsonl', format: 'jsonl' })), want);
  assert.deepEqual(docs(await items({ path: put('c.jsonl.gz', gzipSync(text)), source: 'c.jsonl', format: 'jsonl.gz' })), want);
  // Without an id field every id is the line index.
  assert.deepEqual(docs(await items({ path: join(dir, 'c.jsonl'), source: 'c.jsonl', format: 'jsonl' }, { idField: null })).map((d) => d.id), ['c.jsonl:0', 'c.jsonl:2', 'c.jsonl:3']);
  // Made with the zstd CLI, so the test needs no zstd encoder.
  const zst = docs(await items({ path: join(repoRoot, 'test', 'fixtures', 'docs.jsonl.zst'), source: 'docs.jsonl.zst', format: 'jsonl.zst' }));
  assert.deepEqual(zst.map((d) => [d.id, d.text]), [['1', 'zstd one'], ['2', '二つ目 zstd']]);
});

test('byte ranges that tile a JSONL file read every line exactly once, with the same ids', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) lines.push(i % 9 === 4 ? '' : JSON.stringify({ text: `${'词'.repeat(i % 5)} line ${i} ${'x'.repeat((i * 37) % 50)}` }));
  const body = lines.join('\r\n'); // CRLF, no final newline
  const path = put('r.jsonl', body);
  const size = Buffer.byteLength(body);
  const whole = docs(await items({ path, source: 'r.jsonl', format: 'jsonl' }));
  assert.equal(whole.length, lines.filter(Boolean).length);
  for (const cuts of [[0, size], [0, 1, size], [0, size - 1, size], [0, 77, 78, 79, 500, 1001, size], Array.from({ length: 8 }, (_, k) => Math.floor((k * size) / 7)).concat(size).slice(0, 8)]) {
    const got = [];
    for (let k = 0; k + 1 < cuts.length; k++) got.push(...docs(await items({ path, source: 'r.jsonl', format: 'jsonl', bytes: [cuts[k]!, cuts[k + 1]!] })));
    assert.deepEqual(got, whole, `cuts ${cuts.join(',')}`);
  }
});

test('a resumed reader passes over the first n items and yields the rest unchanged', async () => {
  const path = put('s.jsonl', Array.from({ length: 20 }, (_, i) => (i === 5 ? '{bad' : JSON.stringify({ text: `t${i}` }))).join('\n'));
  const slices: Slice[] = [
    { path, source: 's.jsonl', format: 'jsonl' },
    { path, source: 's.jsonl', format: 'jsonl', bytes: [40, 200] },
    { path: put('s.jsonl.gz', gzipSync(readFileSync(path))), source: 's.jsonl', format: 'jsonl.gz' },
  ];
  const gz = gzipSync(Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `doc ${i} ${'q'.repeat(i % 89)}` })).join('\n'));
  slices.push({ path: put('s-cut.jsonl.gz', gz.subarray(0, gz.length - 40)), source: 's-cut.jsonl.gz', format: 'jsonl.gz' });
  for (const s of slices) {
    const all = await items(s);
    for (const n of [0, 1, 5, 6, all.length - 1, all.length]) assert.deepEqual(await items(s, {}, n), all.slice(n), `${s.format} ${s.bytes ?? ''} skip ${n}`);
  }
});

test('bad records are items with a kind and a detail naming file and line, never a crash', async () => {
  const lines = ['{"text":"ok"}', '{oops}', '[1,2]', '{"content":"x"}', '{"text":5}', '{"text":null}'];
  const bad = Buffer.concat([Buffer.from(lines.join('\n') + '\n'), Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d, 0x0a]), Buffer.from('{"text":"last"}\n')]);
  const got = await items({ path: put('bad.jsonl', bad), source: 'bad.jsonl', format: 'jsonl' });
  assert.deepEqual(
    got.map((i) => ('doc' in i ? i.doc.text : 'error' in i ? `${i.error} ${i.detail.split(':').slice(0, 2).join(':')}` : 'skip')),
    ['ok', 'bad_json bad.jsonl:2', 'bad_json bad.jsonl:3', 'missing_text bad.jsonl:4', 'text_not_string bad.jsonl:5', 'missing_text bad.jsonl:6', 'invalid_utf8 bad.jsonl:7', 'last'],
  );
  // Truncated and corrupt compressed streams: the documents before the damage, then one error.
  const gz = gzipSync(Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `doc ${i} ${'y'.repeat(i % 97)}` })).join('\n'));
  const cut = await items({ path: put('cut.jsonl.gz', gz.subarray(0, gz.length >> 1)), source: 'cut.jsonl.gz', format: 'jsonl.gz' });
  assert.ok(docs(cut).length > 100);
  assert.deepEqual(cut.slice(docs(cut).length).map((i) => ('error' in i ? i.error : '?')), ['truncated']);
  const notGz = await items({ path: put('no.jsonl.gz', 'plain text'), source: 'no.jsonl.gz', format: 'jsonl.gz' });
  assert.deepEqual(notGz.map((i) => ('error' in i ? i.error : '?')), ['corrupt']);
  const zst = readFileSync(join(repoRoot, 'test', 'fixtures', 'docs.jsonl.zst'));
  const cutZst = await items({ path: put('cut.jsonl.zst', zst.subarray(0, zst.length - 6)), source: 'cut.jsonl.zst', format: 'jsonl.zst' });
  assert.equal(cutZst.filter((i) => 'error' in i && i.error === 'truncated').length, 1);
  assert.deepEqual(await items({ path: join(dir, 'gone.jsonl'), source: 'gone.jsonl', format: 'jsonl' }).then((l) => l.map((i) => ('error' in i ? i.error : '?'))), ['unreadable']);
});

test('Parquet: row ranges, id column or row index, other columns (and our metadata column) as metadata, nulls counted', async () => {
  const texts = Array.from({ length: 25 }, (_, i) => (i === 7 ? null : `row ${i} 行`));
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: texts.map((_, i) => (i % 2 ? `r${i}` : null)), type: 'STRING' },
      { name: 'text', data: texts, type: 'STRING' },
      { name: 'score', data: texts.map((_, i) => BigInt(i)), type: 'INT64' },
      { name: 'metadata', data: texts.map((_, i) => ({ lang: i % 3 ? 'en' : 'zh' })), type: 'JSON' },
    ],
    rowGroupSize: 10,
  });
  const path = put('p.parquet', new Uint8Array(buf));
  const all = await items({ path, source: 'p.parquet', format: 'parquet' });
  assert.equal(all.length, 25);
  assert.deepEqual(all[7], { error: 'missing_text', detail: "p.parquet: row 7: column 'text' is null" });
  assert.deepEqual(all[0], { doc: { id: 'p.parquet:0', text: 'row 0 行', metadata: { source: 'p.parquet', score: 0, lang: 'zh' } } });
  assert.deepEqual(all[1], { doc: { id: 'r1', text: 'row 1 行', metadata: { source: 'p.parquet', score: 1, lang: 'en' } } });
  const ranged = [...(await items({ path, source: 'p.parquet', format: 'parquet', rows: [0, 10] })), ...(await items({ path, source: 'p.parquet', format: 'parquet', rows: [10, 25] }))];
  assert.deepEqual(ranged, all);
  assert.deepEqual(await items({ path, source: 'p.parquet', format: 'parquet', rows: [10, 25] }, {}, 4), all.slice(14));
  const noCol = await items({ path, source: 'p.parquet', format: 'parquet' }, { field: 'body' });
  assert.deepEqual(noCol, [{ error: 'missing_text', detail: "p.parquet: no column 'body' (columns: id, text, score, metadata)" }]);
  assert.deepEqual(await items({ path, source: 'p.parquet', format: 'parquet' }, { field: 'body' }, 1), []);
  assert.equal(((await items({ path: put('x.parquet', 'PAR1 nope'), source: 'x.parquet', format: 'parquet' }))[0] as { error: string }).error, 'unreadable');
});

async function warcRecord(opts: Parameters<typeof WARCRecord.create>[0], body: string | Uint8Array): Promise<Uint8Array> {
  const rec = WARCRecord.create(opts, [typeof body === 'string' ? new TextEncoder().encode(body) : body]);
  return WARCSerializer.serialize(rec, { gzip: true });
}

test('WARC/WET (.gz per record): HTML and WET text become documents with WARC metadata; other records are counted skips', async () => {
  const latin1 = Buffer.from('<html><head><title>t</title><script>var x=1;</script></head><body><p>Caf\xe9 &amp; cr\xe8me</p><div>second&nbsp;block</div></body></html>', 'latin1');
  const parts = [
    await warcRecord({ type: 'warcinfo', warcHeaders: { 'WARC-Record-ID': '<urn:uuid:0>' } }, 'software: test'),
    await warcRecord({ url: 'http://a.example/', type: 'request', httpHeaders: {} }, ''),
    await warcRecord({ url: 'http://a.example/', type: 'response', warcHeaders: { 'WARC-Record-ID': '<urn:uuid:1>', 'WARC-Identified-Content-Language': 'fra' }, httpHeaders: { 'Content-Type': 'text/html; charset=ISO-8859-1' } }, latin1),
    await warcRecord({ url: 'http://a.example/missing', type: 'response', statusline: 'HTTP/1.1 404 Not Found', httpHeaders: { 'Content-Type': 'text/html' } }, '<p>gone</p>'),
    await warcRecord({ url: 'http://a.example/i.png', type: 'response', httpHeaders: { 'Content-Type': 'image/png' } }, new Uint8Array([137, 80, 78, 71])),
    await warcRecord({ url: 'http://b.example/', type: 'conversion', warcHeaders: { 'WARC-Record-ID': '<urn:uuid:2>', 'Content-Type': 'text/plain', 'WARC-Refers-To': '<urn:uuid:9>' } }, 'plain WET text\nline 2'),
  ];
  const file = Buffer.concat(parts);
  const got = await items({ path: put('c.warc.gz', file), source: 'c.warc.gz', format: 'warc.gz' });
  assert.deepEqual(got.map((i) => ('doc' in i ? 'doc' : 'skip' in i ? i.skip : i.error)), ['warc_warcinfo', 'warc_request', 'doc', 'http_404', 'not_text', 'doc']);
  const [html, wet] = docs(got);
  assert.equal(html!.id, '<urn:uuid:1>');
  assert.equal(html!.text, 'Café & crème\nsecond block');
  assert.equal(html!.metadata.url, 'http://a.example/');
  assert.equal(html!.metadata.content_language, 'fra');
  assert.equal(html!.metadata.source, 'c.warc.gz');
  assert.deepEqual([wet!.id, wet!.text, wet!.metadata.refers_to, wet!.metadata.warc_type], ['<urn:uuid:2>', 'plain WET text\nline 2', '<urn:uuid:9>', 'conversion']);
  for (const n of [0, 3, 6]) assert.deepEqual(await items({ path: join(dir, 'c.warc.gz'), source: 'c.warc.gz', format: 'warc.gz' }, {}, n), got.slice(n));
  // Cut inside the last record: the records before it, then one 'truncated' error.
  const cut = await items({ path: put('cut.warc.gz', file.subarray(0, file.length - 60)), source: 'cut.warc.gz', format: 'warc.gz' });
  assert.deepEqual(cut.map((i) => ('doc' in i ? 'doc' : 'skip' in i ? i.skip : i.error)), ['warc_warcinfo', 'warc_request', 'doc', 'http_404', 'not_text', 'truncated']);
  // Resumed after the failure was counted, it is not counted again.
  for (const n of [4, 5, 6]) assert.deepEqual(await items({ path: join(dir, 'cut.warc.gz'), source: 'cut.warc.gz', format: 'warc.gz' }, {}, n), cut.slice(n));
});

test('html to text: visible text only, one block per line, entities decoded', () => {
  assert.equal(htmlToText('<!-- c --><style>p{}</style><h1>Title</h1><p>a &lt;b&gt; &#x4e2d;&#25991; <b>bold</b></p><ul><li>one</li><li>two</li></ul>x<br>y'), 'Title\na <b> 中文 bold\none\ntwo\nx\ny');
});

test('input listing: folders walked in name order, sources relative to the inputs, formats by extension', () => {
  put('corpus/b.txt', 'bee');
  put('corpus/a.jsonl', '{"text":"a"}\n');
  put('corpus/sub/c.wet.gz', gzipSync('x'));
  put('corpus/sub/d.jsonl.zst', new Uint8Array(1));
  put('corpus/ignored.bin', 'x');
  put('corpus/.hidden.jsonl', 'x');
  const files = listInputFiles([join(dir, 'corpus')]);
  assert.deepEqual(files.map((f) => [f.source, f.format]), [['a.jsonl', 'jsonl'], ['b.txt', 'text'], ['sub/c.wet.gz', 'warc.gz'], ['sub/d.jsonl.zst', 'jsonl.zst']]);
  assert.deepEqual(listInputFiles([join(dir, 'corpus', 'b.txt'), join(dir, 'corpus', 'sub')]).map((f) => f.source), ['b.txt', 'sub/c.wet.gz', 'sub/d.jsonl.zst']);
  assert.throws(() => listInputFiles([put('x.csv', 'a,b')]), (e: Error) => e instanceof InputError && /x\.csv: unknown input format/.test(e.message));
  assert.throws(() => listInputFiles([join(dir, 'missing')]), /missing: no such file or folder/);
});

test('a text file is one document named by its source; invalid UTF-8 is an error item', async () => {
  assert.deepEqual(await items({ path: put('t/a.txt', 'hello\n\nworld'), source: 't/a.txt', format: 'text' }), [{ doc: { id: 't/a.txt', text: 'hello\n\nworld', metadata: { source: 't/a.txt' } } }]);
  assert.deepEqual(await items({ path: join(dir, 't/a.txt'), source: 't/a.txt', format: 'text' }, {}, 1), []);
  assert.deepEqual(await items({ path: put('t/l.txt', new Uint8Array([0x63, 0xe9])), source: 't/l.txt', format: 'text' }), [{ error: 'invalid_utf8', detail: 't/l.txt: not valid UTF-8' }]);
});
