// Damaged and odd input files end in counted errors (or a skip with a warning), never in a hang
// or a silent loss: WARC records whose Content-Length runs past the end of the file, WET records
// cut short, gzip files with bytes after their last member or cut in their trailer, empty zstd
// files, and FIFOs named like inputs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetMetadataAsync } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runPipeline } from '../../../src/data/pipeline/run.js';
import { InputError, inputFormatOf, listInputFiles, type ReadItem, type Slice } from '../../../src/data/readers/index.js';
import { loadZstd } from '../../../src/data/writers/zstd.js';
import { minWords } from '../pipeline/test-stages.js';
import { readInWorker } from './read-in-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-damaged-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every item of a slice, read in a worker: a reader that never ends fails the test instead of stalling it. */
const items = (slice: Slice, skip = 0): Promise<ReadItem[]> => readInWorker(slice, skip);

const put = (name: string, data: string | Uint8Array): Slice => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, source: name, format: inputFormatOf(name)! };
};

const record = (type: string, body: string, length = Buffer.byteLength(body)) =>
  `WARC/1.0\r\nWARC-Type: ${type}\r\nWARC-Target-URI: http://example.com/${type}\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n${body}\r\n\r\n`;

const kinds = (list: ReadItem[]) => list.map((i) => ('doc' in i ? `doc:${i.doc.text}` : 'error' in i ? `error:${i.error}` : `skip:${i.skip}`));

test('a WARC record claiming more bytes than the file has ends the file with a truncated error, also when skipped or passed on resume', async () => {
  const good = record('conversion', 'a whole document');
  // The cut record is a conversion (read as text), a request (skipped unread) or any record passed by a resumed reader.
  for (const type of ['conversion', 'request']) {
    const s = put(`${type}.warc`, good + record(type, 'the start of a long record', 5000).slice(0, -4));
    const got = await items(s);
    assert.deepEqual(kinds(got), ['doc:a whole document', 'error:truncated'], type);
    assert.match((got[1] as { detail: string }).detail, new RegExp(`^${type}\\.warc: record 1: cut short by the end of the file \\(\\d+ of its 5000 bytes missing\\)$`));
    // A resumed reader passes the first record, and the error it reported before.
    assert.deepEqual(kinds(await items(s, 1)), ['error:truncated'], `${type}, resumed after 1`);
    assert.deepEqual(kinds(await items(s, 2)), [], `${type}, resumed after 2`);
  }
  // A Content-Length that is not a length: the next record cannot be found; counted, not guessed.
  assert.deepEqual(kinds(await items(put('minus.warc', good + record('conversion', 'x', -5) + good))), ['doc:a whole document', 'error:corrupt']);
});

test('a WET record cut short is dropped and counted, not kept as a partial document', async () => {
  const wet = gzipSync(record('conversion', 'kept whole')) as Buffer;
  const cut = gzipSync(record('conversion', 'a sentence that the end of the file cuts in the mid', 200).slice(0, -6));
  const got = await items(put('cut.warc.gz', Buffer.concat([wet, cut])));
  assert.deepEqual(kinds(got), ['doc:kept whole', 'error:truncated']);
});

test('gzip: the documents before trailing garbage are kept and the garbage counted; a cut trailer or a wrong CRC is an error', async () => {
  const body = '{"text":"one"}\n{"text":"two"}\n{"text":"three, without a final newline"}';
  for (const [name, bytes] of [
    ['garbage.jsonl.gz', Buffer.concat([gzipSync(body), Buffer.from('garbage after the data')])],
    ['members.jsonl.gz', Buffer.concat([gzipSync('{"text":"one"}\n'), gzipSync('{"text":"two"}\n{"text":"three, without a final newline"}'), Buffer.from('zz')])],
  ] as const) {
    const got = await items(put(name, bytes));
    assert.deepEqual(kinds(got), ['doc:one', 'doc:two', 'doc:three, without a final newline', 'error:corrupt'], name);
    assert.match((got[3] as { detail: string }).detail, new RegExp(`^${name.replace('.', '\\.')}: \\d+ bytes of trailing garbage after the gzip data \\(at byte \\d+\\) ignored$`));
  }
  // Zero bytes after the last member are padding, as gzip -d has it.
  assert.deepEqual(kinds(await items(put('padded.jsonl.gz', Buffer.concat([gzipSync(body), Buffer.alloc(64)])))), ['doc:one', 'doc:two', 'doc:three, without a final newline']);
  const whole = gzipSync('{"text":"one"}\n{"text":"two"}\n');
  assert.deepEqual(kinds(await items(put('trailer.jsonl.gz', whole.subarray(0, whole.length - 3)))), ['doc:one', 'doc:two', 'error:truncated']);
  const crc = Buffer.from(whole);
  crc[crc.length - 8] ^= 1;
  assert.deepEqual(kinds(await items(put('crc.jsonl.gz', crc))), ['doc:one', 'doc:two', 'error:corrupt']);
  assert.deepEqual(kinds(await items(put('empty.jsonl.gz', ''))), ['error:truncated']);
});

test('zstd: an empty file is an error naming the file (it holds no frame); an empty .jsonl is valid and empty', async () => {
  const got = await items(put('empty.jsonl.zst', ''));
  assert.deepEqual(kinds(got), ['error:truncated']);
  assert.equal((got[0] as { detail: string }).detail, 'empty.jsonl.zst: empty file: no zstd frame (unexpected end of file)');
  assert.deepEqual(await items(put('empty.jsonl', '')), []);
  // What decoded before damage is kept.
  const zstd = await loadZstd();
  const frame = zstd(Buffer.from('{"text":"one"}\n{"text":"two"}\n'), 3);
  assert.deepEqual(kinds(await items(put('garbage.jsonl.zst', Buffer.concat([frame, Buffer.from('not a frame at all')])))), ['doc:one', 'doc:two', 'error:corrupt']);
});

test('a FIFO named like an input is skipped with a warning inside a folder, refused when named; a run warns about damaged files', async () => {
  const input = join(dir, 'in');
  mkdirSync(input);
  writeFileSync(join(input, 'a.jsonl'), '{"text":"alpha beta gamma"}\n');
  writeFileSync(join(input, 'b.jsonl.gz'), Buffer.concat([gzipSync('{"text":"delta epsilon zeta"}\n'), Buffer.from('junk')]));
  writeFileSync(join(input, 'c.jsonl.zst'), '');
  execFileSync('mkfifo', [join(input, 'fifo.jsonl')]);
  const warnings: string[] = [];
  assert.deepEqual(listInputFiles([input], (w) => warnings.push(w)).map((f) => f.source), ['a.jsonl', 'b.jsonl.gz', 'c.jsonl.zst']);
  assert.deepEqual(warnings, [`${join(input, 'fifo.jsonl')}: skipped: not a regular file (a FIFO, socket or device)`]);
  assert.throws(() => listInputFiles([join(input, 'fifo.jsonl')]), (e: unknown) => e instanceof InputError && /fifo\.jsonl: not a regular file/.test((e as Error).message));

  const runWarnings: string[] = [];
  const r = await runPipeline({ pipeline: [minWords('min_words', 1)], input: [input], out: join(dir, 'out'), workers: 0, onWarning: (w) => runWarnings.push(w) });
  assert.equal(r.stats!.documents.written, 2);
  assert.deepEqual(r.stats!.files['b.jsonl.gz']!.errors, { corrupt: 1 });
  assert.deepEqual(r.stats!.files['c.jsonl.zst']!.errors, { truncated: 1 });
  assert.equal(runWarnings.length, 3, runWarnings.join('\n'));
  assert.match(runWarnings[0]!, /fifo\.jsonl: skipped: not a regular file/);
  assert.match(runWarnings[1]!, /^b\.jsonl\.gz: damaged \(corrupt 1\); the 1 documents read before the damage are kept/);
  assert.match(runWarnings[2]!, /^c\.jsonl\.zst: damaged \(truncated 1\); the 0 documents/);
});

test('a Parquet page header missing required fields fails its row group as corrupt instead of hanging the decoder', async () => {
  const buf = new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: Array.from({ length: 24 }, (_, i) => `r${i}`), type: 'STRING' },
        { name: 'text', data: Array.from({ length: 24 }, (_, i) => `row ${i}`), type: 'STRING' },
      ],
      rowGroupSize: 8,
    }),
  );
  const meta = await parquetMetadataAsync(buf.buffer);
  const page = Number(meta.row_groups[2]!.columns[0]!.meta_data!.data_page_offset);
  // What the fuzzer found: zeros over the v2 header's fields end it early (no level lengths, no encoding).
  new DataView(buf.buffer).setBigUint64(page + 10, 2n ** 31n, true);
  const got = await items(put('broken.parquet', buf));
  assert.deepEqual(kinds(got).slice(14), ['doc:row 14', 'doc:row 15', 'error:corrupt']);
  assert.match((got[16] as { detail: string }).detail, /^broken\.parquet: rows 16\.\.23 unreadable \(row group 2, column 'id': page at byte \d+: /);
});
