// What a reader yields: one item per record of the file. A record becomes a document, or an
// error the run counts per file (never a crash, never a silent loss), or a skip for records that
// hold no text by design (a WARC request record, an image). Items are what a checkpoint counts:
// a resumed reader passes over the first n items without parsing them.
import type { Doc } from '../types.js';
import type { InputFormat } from './formats.js';

export type ReadErrorKind = 'bad_json' | 'invalid_utf8' | 'missing_text' | 'text_not_string' | 'truncated' | 'corrupt' | 'unreadable';

export type ReadItem = { doc: Doc } | { error: ReadErrorKind; detail: string } | { skip: string };

export interface ReaderOptions {
  /** The text field of JSONL records and the text column of Parquet files. Default 'text'. */
  field?: string;
  /**
   * The field or column holding a record's own id, used when it is a non-empty string or a number;
   * otherwise the id is `<source>:<index>` (0-based line, row or record index). Default 'id';
   * null always uses the index.
   */
  idField?: string | null;
}

/** One piece of work for a reader: a whole file, a byte range of a plain file, or a row range of a Parquet file. */
export interface Slice {
  path: string;
  source: string;
  format: InputFormat;
  /** [start, end) in bytes: the lines that begin inside it. */
  bytes?: [number, number];
  /** [start, end) in rows. */
  rows?: [number, number];
}

/** Values that JSON can hold (Parquet gives bigints, dates and bytes). */
export function plainValue(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return undefined;
  if (Array.isArray(v)) return v.map(plainValue);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = plainValue(x);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return undefined;
}

export function recordId(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}
