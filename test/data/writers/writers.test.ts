import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readSlice, type ReadItem } from '../../../src/data/readers/index.js';
import type { Doc } from '../../../src/data/types.js';
import { docRecord, gzipCodec, JsonlWriter } from '../../../src/data/writers/jsonl.js';
import { ParquetDocWriter } from '../../../src/data/writers/parquet.js';
import type { OutputWriter } from '../../../src/data/writers/types.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-writers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const doc = (i: number): Doc => ({ id: `d${i}`, text: `text ${i} 文 ${'z'.repeat(i % 13)}`, metadata: { source: 'x', n: i } });

/** Writes docs in parts of `per` (the last part may be empty), then finishes the task. */
async function writeTask(w: OutputWriter<Doc>, task: number, docs: Doc[], per: number): Promise<string[]> {
  let part = 0;
  let sink = w.openPart(task, part);
  docs.forEach((d, i) => {
    sink.write(d);
    if ((i + 1) % per === 0) {
      sink.commit();
      sink = w.openPart(task, ++part);
    }
  });
  sink.commit();
  return w.finishTask(task, part + 1);
}

async function readBack(path: string, format: 'jsonl.gz' | 'jsonl.zst' | 'parquet'): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const it of readSlice({ path, source: 'x', format })) out.push((it as Extract<ReadItem, { doc: Doc }>).doc);
  return out;
}

test('JSONL.gz: parts concatenate into one gzip file that reads back as the same documents', async () => {
  const docs = Array.from({ length: 23 }, (_, i) => doc(i));
  const w = new JsonlWriter<Doc>({ name: 'data', partsDir: join(dir, 'parts'), finalPath: (t) => join(dir, 'out', `${t}.jsonl.gz`), toRecord: docRecord, codec: gzipCodec(6) });
  const [file] = await writeTask(w, 3, docs, 5);
  assert.equal(file, join(dir, 'out', '3.jsonl.gz'));
  assert.deepEqual(await readBack(file!, 'jsonl.gz'), docs);
  assert.equal(gunzipSync(readFileSync(file!)).toString().split('\n').length, 24);
  // Finishing again (a killed run that had finished this step) gives the same bytes.
  const first = readFileSync(file!);
  await w.finishTask(3, 5);
  assert.deepEqual(readFileSync(file!), first);
  w.removeParts(3);
  assert.equal(existsSync(join(dir, 'parts', '00003')), false);
  // A task with no documents is still a valid (empty) gzip file.
  const [empty] = await writeTask(w, 4, [], 5);
  assert.equal(gunzipSync(readFileSync(empty!)).length, 0);
});

test('discardParts removes the parts a killed run wrote after its checkpoint, and temp files', () => {
  const w = new JsonlWriter<Doc>({ name: 'data', partsDir: join(dir, 'dparts'), finalPath: (t) => join(dir, `${t}.jsonl.gz`), toRecord: docRecord, codec: gzipCodec(6) });
  for (let p = 0; p < 4; p++) {
    const s = w.openPart(0, p);
    s.write(doc(p));
    s.commit();
  }
  writeFileSync(join(dir, 'dparts', '00000', '00004.jsonl.gz.tmp'), 'half');
  w.discardParts(0, 2);
  assert.deepEqual(readdirSync(join(dir, 'dparts', '00000')).sort(), ['00000.jsonl.gz', '00001.jsonl.gz']);
});

test('Parquet: one row group per non-empty part; id, text and metadata read back', async () => {
  const docs = Array.from({ length: 17 }, (_, i) => doc(i));
  const w = new ParquetDocWriter(join(dir, 'pparts'), (t) => join(dir, 'pout', `${t}.parquet`));
  const [file] = await writeTask(w, 0, docs, 8);
  assert.deepEqual(await readBack(file!, 'parquet'), docs);
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(file!));
  assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), [8, 8, 1]);
  const [none] = await writeTask(w, 1, [], 8);
  assert.deepEqual(await readBack(none!, 'parquet'), []);
});


test('JSONL.zst: parts of zstd frames joined into one file that the readers read back', async () => {
  const { loadZstd } = await import('../../../src/data/writers/zstd.js');
  const zstd = await loadZstd();
  const w = new JsonlWriter<Doc>({ name: 'data', partsDir: join(dir, 'zparts'), finalPath: (t) => join(dir, 'zout', `${t}.jsonl.zst`), toRecord: docRecord, codec: { extension: 'jsonl.zst', compress: (d) => zstd(d, 3) } });
  const docs = Array.from({ length: 25 }, (_, i) => ({ ...doc(i), text: `zstd document ${i} `.repeat(50) }));
  const [file] = await writeTask(w, 0, docs, 4);
  assert.ok(file!.endsWith('.jsonl.zst'));
  assert.deepEqual(readFileSync(file!).subarray(0, 4), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'a zstd frame');
  assert.deepEqual(await readBack(file!, 'jsonl.zst'), docs);
});
