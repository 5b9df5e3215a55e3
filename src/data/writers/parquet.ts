// Parquet output: columns id, text (strings) and metadata (JSON), Snappy-compressed. A part is a
// Parquet file of its rows; a task's final file has one row group per part, written part by part
// so memory stays bounded by one part.
import { removeStaleTemps } from '../../formats/atomic.js';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { fileWriter, parquetWriteBuffer, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { writeAll } from '../../formats/atomic.js';
import type { Doc } from '../types.js';
import { PartFiles } from './parts.js';
import type { OutputWriter, PartSink } from './types.js';

function columns(rows: readonly Doc[]): ColumnSource[] {
  return [
    { name: 'id', data: rows.map((d) => d.id), type: 'STRING' },
    { name: 'text', data: rows.map((d) => d.text), type: 'STRING' },
    { name: 'metadata', data: rows.map((d) => d.metadata), type: 'JSON' },
  ];
}

class ParquetPart implements PartSink<Doc> {
  private rows: Doc[] = [];
  constructor(
    private readonly files: PartFiles,
    private readonly task: number,
    private readonly part: number,
  ) {}

  write(doc: Doc): void {
    this.rows.push(doc);
  }

  commit(): void {
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: columns(this.rows) }));
    const { tmp, fd } = this.files.openTemp(this.task, this.part);
    writeAll(fd, bytes);
    this.files.publish(tmp, fd, this.task, this.part);
  }
}

export class ParquetDocWriter implements OutputWriter<Doc> {
  readonly name = 'data';
  private readonly files: PartFiles;

  constructor(
    partsDir: string,
    private readonly finalPath: (task: number) => string,
  ) {
    this.files = new PartFiles(partsDir, 'parquet');
  }

  openPart(task: number, part: number): PartSink<Doc> {
    return new ParquetPart(this.files, task, part);
  }

  discardParts(task: number, from: number): void {
    this.files.discard(task, from);
  }

  async finishTask(task: number, parts: number): Promise<string[]> {
    const final = this.finalPath(task);
    mkdirSync(dirname(final), { recursive: true });
    removeStaleTemps(final); // a run killed while joining this task's parts
    const tmp = join(dirname(final), `.${basename(final)}.tmp-${process.pid}`);
    const writer = fileWriter(tmp);
    const pw = new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData: columns([]) }) });
    try {
      for (let p = 0; p < parts; p++) {
        const file = await asyncBufferFromFile(this.files.path(task, p));
        const metadata = await parquetMetadataAsync(file);
        if (Number(metadata.num_rows) === 0) continue;
        const rows = (await parquetReadObjects({ file, metadata, compressors })) as unknown as Doc[];
        pw.write({ columnData: columns(rows), rowGroupSize: rows.length });
      }
      pw.finish();
      const fd = openSync(tmp, 'r+');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return [final];
  }

  removeParts(task: number): void {
    this.files.remove(task);
  }
}
