// Seeded fuzzing of the input readers (JSONL .gz/.zst, WARC and WET plain and .gz, Parquet): each
// damaged file is read to its end as a task reads it, and must end in items (documents, counted
// errors naming the file, skips), never a throw or a hang; a resumed read must agree with a whole
// one. Mutations: generic byte mutations of valid files, WARC records with lying Content-Lengths
// inside valid gzip, and Parquet files whose footer claims more than the file holds.
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadZstd } from '../../src/data/writers/zstd.js';
import { tempDir } from '../formats/helpers.js';
import { assertNoUntypedOrHang, mutations, runFuzz, seeded, tally, writeCase, type FuzzCase } from './harness.js';

const bytes = (s: string | Uint8Array): Uint8Array => new Uint8Array(typeof s === 'string' ? Buffer.from(s) : s);

function jsonl(): string {
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) {
    if (i === 13) lines.push('{"text": broken');
    else if (i === 21) lines.push('{"id": 5}');
    else lines.push(JSON.stringify({ id: `d${i}`, text: `document ${i} ${'word '.repeat(i % 7)}`, url: `http://example.com/${i}` }));
  }
  return lines.join('\n') + '\n';
}

function warcRecord(type: string, body: string, headers = 'Content-Type: text/plain', length?: string): string {
  return `WARC/1.0\r\nWARC-Type: ${type}\r\nWARC-Record-ID: <urn:uuid:${type}-${body.length}>\r\nWARC-Target-URI: http://example.com/${type}\r\n${headers}\r\nContent-Length: ${length ?? Buffer.byteLength(body)}\r\n\r\n${body}\r\n\r\n`;
}

function warcRecords(): string[] {
  const http = (status: string, ct: string, body: string, extra = '') => `HTTP/1.1 ${status}\r\nContent-Type: ${ct}\r\n${extra}\r\n${body}`;
  const chunked = '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  return [
    warcRecord('warcinfo', 'software: yi-ts fuzz\r\n', 'Content-Type: application/warc-fields'),
    warcRecord('request', 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n', 'Content-Type: application/http; msgtype=request'),
    warcRecord('response', http('200 OK', 'text/html; charset=utf-8', '<html><body><p>Hello <b>web</b> page.</p></body></html>'), 'Content-Type: application/http; msgtype=response'),
    warcRecord('response', http('200 OK', 'text/plain', chunked, 'Transfer-Encoding: chunked\r\n'), 'Content-Type: application/http; msgtype=response'),
    warcRecord('response', http('404 Not Found', 'text/html', 'gone'), 'Content-Type: application/http; msgtype=response'),
    warcRecord('response', http('200 OK', 'text/html; charset=windows-1252', 'caf\u00e9 menu'), 'Content-Type: application/http; msgtype=response'),
    warcRecord('conversion', 'Plain text of a page, as Common Crawl WET files hold it.\nSecond line.'),
    warcRecord('metadata', 'fetchTimeMs: 12\r\n', 'Content-Type: application/warc-fields'),
    warcRecord('conversion', '中文页面的文本。第二句。'),
  ];
}

const LENGTHS = ['0', '1', '999999', '4294967296', '99999999999999', '-1', '', 'abc', '1e5', ' 12 '];

test('input readers: no untyped errors and no hangs over damaged JSONL, WARC, WET and Parquet files', async () => {
  const dir = tempDir();
  const cases: { name: string; path: string }[] = [];
  const add = (file: string, c: FuzzCase): void => {
    cases.push({ name: `${file}: ${c.name}`, path: writeCase(dir, `case-${cases.length}-${file}`, c) });
  };
  const zstd = await loadZstd();
  const records = warcRecords();
  const seeds: [string, Uint8Array][] = [
    ['docs.jsonl', bytes(jsonl())],
    ['docs.jsonl.gz', bytes(gzipSync(jsonl()))],
    ['docs.jsonl.zst', bytes(zstd(Buffer.from(jsonl()), 3))],
    ['crawl.warc', bytes(records.join(''))],
    // Common Crawl's layout: one gzip member per record.
    ['crawl.warc.gz', bytes(Buffer.concat(records.map((r) => gzipSync(r))))],
    [
      'rows.parquet',
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: Array.from({ length: 30 }, (_, i) => (i % 3 ? `r${i}` : null)), type: 'STRING' },
            { name: 'text', data: Array.from({ length: 30 }, (_, i) => (i === 4 ? null : `row ${i} text`)), type: 'STRING' },
            { name: 'n', data: Array.from({ length: 30 }, (_, i) => BigInt(i)), type: 'INT64' },
          ],
          rowGroupSize: 8,
        }),
      ),
    ],
  ];
  // YI_FUZZ_SEED and YI_FUZZ_CASES explore further than the suite's fixed draw (for a longer local run).
  let seed = Number(process.env.YI_FUZZ_SEED ?? 100);
  const perSeed = Number(process.env.YI_FUZZ_CASES ?? 80);
  for (const [file, valid] of seeds) {
    add(file, { name: 'the seed', bytes: valid });
    for (const c of mutations(valid, seed++, perSeed)) add(file, c);
  }
  // Records whose Content-Length lies, inside valid gzip (so the gzip layer cannot catch it), and plain.
  const r = seeded(seed);
  for (let n = 0; n < 30; n++) {
    const list = records.slice();
    const at = r(list.length);
    const length = LENGTHS[r(LENGTHS.length)]!;
    list[at] = list[at]!.replace(/Content-Length: \d+/, `Content-Length: ${length}`);
    const cut = r(3) === 0 ? list.length - 1 : list.length;
    const kept = list.slice(0, cut + 1);
    const gz = r(2) === 0;
    add(gz ? 'lies.warc.gz' : 'lies.warc', { name: `record ${at} claims Content-Length ${JSON.stringify(length)}`, bytes: bytes(gz ? Buffer.concat(kept.map((x) => gzipSync(x))) : kept.join('')) });
  }
  // Parquet footers that claim more than the file holds, and files made large but sparse.
  const pq = seeds[5]![1];
  for (const claim of [0, 7, pq.length, pq.length + 1, 0x7fffffff, 0xffffffff]) {
    const b = pq.slice();
    new DataView(b.buffer).setUint32(b.length - 8, claim >>> 0, true);
    add('rows.parquet', { name: `footer length ${claim}`, bytes: b });
  }
  add('rows.parquet', { name: 'sparse 1 GiB with the footer at its start', bytes: pq, sparseSize: 1 << 30 });
  add('docs.jsonl.gz', { name: 'sparse 64 MiB after the gzip data', bytes: seeds[1]![1], sparseSize: 64 << 20 });

  const out = await runFuzz({ module: new URL('./targets/readers.js', import.meta.url), exportName: 'readInput', cases, caseTimeoutMs: 20_000 });
  console.log(`reader fuzz: ${JSON.stringify(tally(out))} over ${out.length} cases`);
  if (process.env.YI_FUZZ_DUMP) for (const o of out) console.log(`${o.kind}\t${o.case}\t${(o.error ?? '').slice(0, 300).replace(/\n/g, ' ')}`);
  assertNoUntypedOrHang(out, 'input readers');
});
