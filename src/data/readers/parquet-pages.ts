// Checks a row group's page headers before hyparquet decodes it. hyparquet trusts them: a data page
// header missing a required field (a level length, an encoding) makes it read at offset NaN, which
// a DataView reads as 0 forever, so one flipped byte in a Parquet file hung the reader. Here every
// page header of the group's column chunks is parsed and checked against the Parquet format's
// required fields and against the chunk's own byte range and value count; a group that fails is
// reported as corrupt and never handed to the decoder.
import type { AsyncBuffer, FileMetaData, PageHeader } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';

/** An uncompressed page larger than this is not a page (and would be allocated whole). */
const MAX_PAGE_BYTES = 1 << 30;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const toCount = (v: unknown): number | undefined => {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return isCount(n) ? n : undefined;
};

/** What is wrong with one page header (undefined: nothing), and how many values its page holds. */
function checkPage(h: PageHeader, room: number): { problem?: string; values: number } {
  if (!isCount(h.compressed_page_size) || h.compressed_page_size > room) return { problem: `compressed size ${h.compressed_page_size} of ${room} bytes left`, values: 0 };
  if (!isCount(h.uncompressed_page_size) || h.uncompressed_page_size > MAX_PAGE_BYTES) return { problem: `uncompressed size ${h.uncompressed_page_size}`, values: 0 };
  if (h.type === 'DATA_PAGE') {
    const d = h.data_page_header;
    if (!d || !isCount(d.num_values) || d.encoding === undefined) return { problem: 'data page header without its value count or encoding', values: 0 };
    return { values: d.num_values };
  }
  if (h.type === 'DATA_PAGE_V2') {
    const d = h.data_page_header_v2;
    if (!d || !isCount(d.num_values) || !isCount(d.num_nulls) || !isCount(d.num_rows) || d.encoding === undefined) return { problem: 'data page v2 header without its counts or encoding', values: 0 };
    if (d.num_nulls > d.num_values) return { problem: `${d.num_nulls} nulls among ${d.num_values} values`, values: 0 };
    if (!isCount(d.definition_levels_byte_length) || !isCount(d.repetition_levels_byte_length) || d.definition_levels_byte_length + d.repetition_levels_byte_length > h.compressed_page_size) {
      return { problem: 'data page v2 header with level lengths missing or past the page', values: 0 };
    }
    return { values: d.num_values };
  }
  if (h.type === 'DICTIONARY_PAGE') {
    if (!h.dictionary_page_header || !isCount(h.dictionary_page_header.num_values)) return { problem: 'dictionary page header without its value count', values: 0 };
    return { values: 0 };
  }
  if (h.type === 'INDEX_PAGE') return { values: 0 };
  return { problem: `unknown page type ${String(h.type)}`, values: 0 };
}

/** Why row group `group` cannot be decoded safely, or undefined when its page headers are sound. */
export async function rowGroupProblem(file: AsyncBuffer, meta: FileMetaData, group: number): Promise<string | undefined> {
  const g = meta.row_groups[group]!;
  const rows = toCount(g.num_rows);
  if (rows === undefined) return `row group ${group}: row count ${String(g.num_rows)}`;
  for (const c of g.columns) {
    const cm = c.meta_data;
    const name = cm?.path_in_schema?.join('.') ?? '?';
    const where = `row group ${group}, column '${name}'`;
    if (!cm) return `${where}: no column metadata`;
    const start = toCount(cm.dictionary_page_offset ?? cm.data_page_offset);
    const size = toCount(cm.total_compressed_size);
    const values = toCount(cm.num_values);
    if (start === undefined || size === undefined || values === undefined || start + size > file.byteLength) {
      return `${where}: chunk at ${String(cm.data_page_offset)} of ${String(cm.total_compressed_size)} bytes, ${String(cm.num_values)} values, in a file of ${file.byteLength} bytes`;
    }
    if (values < rows) return `${where}: ${values} values for ${rows} rows`;
    const bytes = new Uint8Array(await file.slice(start, start + size));
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    let seen = 0;
    while (reader.offset < bytes.length && seen < values) {
      const at = reader.offset;
      let h: PageHeader;
      try {
        h = parquetHeader(reader);
      } catch (e) {
        return `${where}: page header at byte ${start + at} unreadable (${(e as Error).message})`;
      }
      const r = checkPage(h, bytes.length - reader.offset);
      if (r.problem) return `${where}: page at byte ${start + at}: ${r.problem}`;
      seen += r.values;
      reader.offset += h.compressed_page_size;
    }
    if (seen !== values) return `${where}: pages hold ${seen} values, the chunk ${values}`;
  }
  return undefined;
}
