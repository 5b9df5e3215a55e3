// Parquet rows as documents: the text column becomes the text, the id column (or the row index)
// the id, every other top-level column the metadata. Read one row group at a time, so memory is
// bounded by a row group whatever the file size.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { rowGroupProblem } from './parquet-pages.js';
import { plainValue, recordId, type ReadItem, type ReaderOptions, type Slice } from './items.js';

/** Rows per row group, in file order (what the planner splits a large file by). */
export async function parquetRowGroups(path: string): Promise<number[]> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return meta.row_groups.map((g) => Number(g.num_rows));
}

function topLevelColumns(meta: FileMetaData): string[] {
  const names: string[] = [];
  // schema[0] is the root; its children follow depth-first, each with num_children descendants.
  let i = 1;
  const skipSubtree = (): void => {
    const n = meta.schema[i]!.num_children ?? 0;
    i++;
    for (let c = 0; c < n; c++) skipSubtree();
  };
  while (i < meta.schema.length) {
    names.push(meta.schema[i]!.name);
    skipSubtree();
  }
  return names;
}

export async function* readParquet(slice: Slice, opts: ReaderOptions, skip: number): AsyncGenerator<ReadItem> {
  const field = opts.field ?? 'text';
  const idField = opts.idField === undefined ? 'id' : opts.idField;
  let file;
  let meta: FileMetaData;
  try {
    file = await asyncBufferFromFile(slice.path);
    meta = await parquetMetadataAsync(file);
  } catch (e) {
    // One item for the whole slice (a resumed reader has passed it).
    if (skip === 0) yield { error: 'unreadable', detail: `${slice.source}: not a readable Parquet file (${(e as Error).message})` };
    return;
  }
  const columns = topLevelColumns(meta);
  if (!columns.includes(field)) {
    if (skip === 0) yield { error: 'missing_text', detail: `${slice.source}: no column '${field}' (columns: ${columns.join(', ')})` };
    return;
  }
  const total = Number(meta.num_rows);
  const [rowStart, rowEnd] = slice.rows ?? [0, total];
  let groupStart = 0;
  for (const [gi, group] of meta.row_groups.entries()) {
    const groupEnd = groupStart + Number(group.num_rows);
    const from = Math.max(groupStart, rowStart + skip);
    const to = Math.min(groupEnd, rowEnd);
    groupStart = groupEnd;
    if (from >= to) continue;
    let rows: Record<string, unknown>[];
    try {
      const problem = await rowGroupProblem(file, meta, gi);
      if (problem) throw new Error(problem);
      rows = (await parquetReadObjects({ file, metadata: meta, rowStart: from, rowEnd: to, compressors })) as Record<string, unknown>[];
    } catch (e) {
      // The failure is the slice's last item, placed where its row group starts: a resumed reader may have passed it.
      if (Math.max(groupEnd - Number(group.num_rows), rowStart) - rowStart >= skip) yield { error: 'corrupt', detail: `${slice.source}: rows ${from}..${to - 1} unreadable (${(e as Error).message})` };
      return;
    }
    for (const [i, r] of rows.entries()) {
      const row = from + i;
      const text = r[field];
      if (text === null || text === undefined) {
        yield { error: 'missing_text', detail: `${slice.source}: row ${row}: column '${field}' is null` };
        continue;
      }
      if (typeof text !== 'string') {
        yield { error: 'text_not_string', detail: `${slice.source}: row ${row}: column '${field}' is a ${typeof text}, not a string` };
        continue;
      }
      const metadata: Record<string, unknown> = { source: slice.source };
      for (const [k, v] of Object.entries(r)) {
        if (k === field || k === idField) continue;
        const p = plainValue(v);
        // Our own Parquet output keeps the metadata as one JSON column: read it back flat.
        if (k === 'metadata' && p !== null && typeof p === 'object' && !Array.isArray(p)) Object.assign(metadata, p);
        else if (p !== undefined) metadata[k] = p;
      }
      const own = idField === null ? undefined : recordId(r[idField]);
      yield { doc: { id: own ?? `${slice.source}:${row}`, text, metadata } };
    }
  }
}
