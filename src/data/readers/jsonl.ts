// JSONL records (plain, gzip, zstd) as documents. The text field becomes the text, the id field
// (or the line index) the id, a `metadata` object and every other field the metadata.
import { isUtf8 } from 'node:buffer';
import type { Doc } from '../types.js';
import { countNewlines, fileChunks, splitLines, StreamError, type Compression } from './bytes.js';
import { plainValue, recordId, type ReadItem, type ReaderOptions, type Slice } from './items.js';

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

export function compressionOf(slice: Slice): Compression {
  if (slice.format === 'jsonl.gz' || slice.format === 'docs.gz' || slice.format === 'warc.gz') return 'gzip';
  if (slice.format === 'jsonl.zst') return 'zstd';
  return 'none';
}

/**
 * Lines of a slice with their 0-based line index. A stream failure ends the slice with one error
 * item; trailing garbage after compressed data ends it the same way, after every line before it.
 */
export async function* sliceLines(slice: Slice): AsyncGenerator<{ bytes: Buffer; index: number } | { error: StreamError }> {
  const [start, end] = slice.bytes ?? [0, Infinity];
  let index = start > 0 ? (await countNewlines(slice.path, start - 1)) + 1 : 0;
  let trailing: StreamError | undefined;
  try {
    const from = start > 0 ? start - 1 : 0;
    for await (const line of splitLines(fileChunks(slice.path, compressionOf(slice), { start: from, onTrailing: (e) => (trailing = e) }), from, end, start > 0)) {
      yield { bytes: line.bytes, index: index++ };
    }
  } catch (e) {
    if (!(e instanceof StreamError)) throw e;
    yield { error: e };
    return;
  }
  if (trailing) yield { error: trailing };
}

export async function* readJsonl(slice: Slice, opts: ReaderOptions, skip: number): AsyncGenerator<ReadItem> {
  const field = opts.field ?? 'text';
  const idField = opts.idField === undefined ? 'id' : opts.idField;
  let skipped = 0;
  for await (const line of sliceLines(slice)) {
    if ('error' in line) {
      // The stream's failure is the slice's last item: a resumed reader may have passed it already.
      if (skipped < skip) return;
      yield { error: line.error.failure, detail: `${slice.source}: ${line.error.message}` };
      return;
    }
    const { bytes, index } = line;
    if (isBlank(bytes)) continue;
    if (skipped < skip) {
      skipped++;
      continue;
    }
    const where = `${slice.source}:${index + 1}`;
    if (!isUtf8(bytes)) {
      yield { error: 'invalid_utf8', detail: `${where}: not valid UTF-8` };
      continue;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      yield { error: 'bad_json', detail: `${where}: ${(e as Error).message}` };
      continue;
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      yield { error: 'bad_json', detail: `${where}: not a JSON object` };
      continue;
    }
    const r = rec as Record<string, unknown>;
    const text = r[field];
    if (text === undefined || text === null) {
      yield { error: 'missing_text', detail: `${where}: no field '${field}'` };
      continue;
    }
    if (typeof text !== 'string') {
      yield { error: 'text_not_string', detail: `${where}: field '${field}' is a ${Array.isArray(text) ? 'array' : typeof text}, not a string` };
      continue;
    }
    const metadata: Record<string, unknown> = { source: slice.source };
    for (const [k, v] of Object.entries(r)) {
      if (k === field || k === idField || k === 'metadata') continue;
      metadata[k] = v;
    }
    if (r.metadata && typeof r.metadata === 'object' && !Array.isArray(r.metadata)) Object.assign(metadata, r.metadata);
    const own = idField === null ? undefined : recordId(r[idField]);
    yield { doc: { id: own ?? `${slice.source}:${index}`, text, metadata: plainValue(metadata) as Record<string, unknown> } };
  }
}

/** The executor's work files: whole documents written by the previous phase. A bad line here is a bug, not input to count. */
export async function* readDocsFile(path: string, skip: number): AsyncGenerator<Doc> {
  let n = 0;
  const slice: Slice = { path, source: path, format: 'docs.gz' };
  for await (const line of sliceLines(slice)) {
    if ('error' in line) throw new Error(`work file ${path}: ${line.error.message}`);
    if (line.bytes.length === 0) continue;
    if (n++ < skip) continue;
    yield JSON.parse(line.bytes.toString('utf8')) as Doc;
  }
}
