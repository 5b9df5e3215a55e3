// Reads documents (one string each) from the corpus formats people have: plain text, JSONL
// (plain, .gz, .zst) with a text field, Parquet (a string column), and folders of those. Streams:
// memory stays bounded by one line / one Parquet row group, whatever the corpus size.
import { Decompress } from 'fzstd';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export class DocumentError extends Error {}

export interface ReadOptions {
  /** The text field of JSONL records and the column of Parquet files. Default 'text'. */
  field?: string;
  /** Plain text files: one document per file ('file', default) or per non-empty line ('line'). */
  textUnit?: 'file' | 'line';
}

type Kind = 'text' | 'jsonl' | 'jsonl.gz' | 'jsonl.zst' | 'parquet';

function kindOf(path: string): Kind | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.parquet')) return 'parquet';
  if (/\.(jsonl|ndjson|json)\.gz$/.test(p)) return 'jsonl.gz';
  if (/\.(jsonl|ndjson|json)\.zst$/.test(p)) return 'jsonl.zst';
  if (/\.(jsonl|ndjson)$/.test(p)) return 'jsonl';
  if (/\.(txt|text|md)$/.test(p)) return 'text';
  return undefined;
}

/** Files under `paths` (folders are walked, sorted by name so runs are reproducible). */
export function listCorpusFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new DocumentError(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name), false);
    } else if (kindOf(p)) {
      out.push(p);
    } else if (top) {
      throw new DocumentError(`${p}: unknown corpus format (expected .txt, .md, .jsonl, .jsonl.gz, .jsonl.zst or .parquet)`);
    }
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** Every document of every file, in order. */
export async function* readDocuments(paths: readonly string[], opts: ReadOptions = {}): AsyncGenerator<string> {
  for (const file of listCorpusFiles(paths)) yield* readFile(file, opts);
}

async function* readFile(file: string, opts: ReadOptions): AsyncGenerator<string> {
  const kind = kindOf(file)!;
  const field = opts.field ?? 'text';
  if (kind === 'parquet') {
    yield* readParquet(file, field);
    return;
  }
  if (kind === 'text' && (opts.textUnit ?? 'file') === 'file') {
    let text = '';
    for await (const chunk of textChunks(file, kind)) text += chunk;
    if (text.length > 0) yield text;
    return;
  }
  let lineNo = 0;
  for await (const line of lines(textChunks(file, kind))) {
    lineNo++;
    if (kind === 'text') {
      if (line.trim()) yield line;
      continue;
    }
    if (!line.trim()) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new DocumentError(`${file}:${lineNo}: not valid JSON (${(e as Error).message})`);
    }
    const v = (rec as Record<string, unknown> | null)?.[field];
    if (typeof v !== 'string') {
      throw new DocumentError(`${file}:${lineNo}: field '${field}' is ${v === undefined ? 'missing' : `a ${typeof v}, not a string`}`);
    }
    yield v;
  }
}

/** Decoded UTF-8 text of a file, chunk by chunk; invalid UTF-8 is an error naming the file. */
async function* textChunks(file: string, kind: Kind): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(bytes, { stream });
    } catch {
      throw new DocumentError(`${file}: not valid UTF-8 text`);
    }
  };
  const source = createReadStream(file);
  if (kind === 'jsonl.zst') {
    const pending: Uint8Array[] = [];
    const z = new Decompress((chunk) => pending.push(chunk));
    try {
      for await (const buf of source) {
        z.push(buf as Buffer);
        for (const c of pending.splice(0)) yield decode(c, true);
      }
      z.push(new Uint8Array(0), true);
    } catch (e) {
      if (e instanceof DocumentError) throw e;
      throw new DocumentError(`${file}: not a valid zstd stream (${(e as Error).message})`);
    }
    for (const c of pending.splice(0)) yield decode(c, true);
  } else {
    const stream = kind === 'jsonl.gz' ? source.pipe(createGunzip()) : source;
    try {
      for await (const buf of stream) yield decode(buf as Buffer, true);
    } catch (e) {
      if (e instanceof DocumentError) throw e;
      throw new DocumentError(`${file}: ${kind === 'jsonl.gz' ? 'not a valid gzip stream' : 'read failed'} (${(e as Error).message})`);
    }
  }
  const tail = decode(new Uint8Array(0), false);
  if (tail) yield tail;
}

async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.endsWith('\r', nl) ? rest.slice(0, nl - 1) : rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  if (rest) yield rest;
}

async function* readParquet(file: string, column: string): AsyncGenerator<string> {
  let buffer;
  let meta;
  try {
    buffer = await asyncBufferFromFile(file);
    meta = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new DocumentError(`${file}: not a readable Parquet file (${(e as Error).message})`);
  }
  const names = meta.schema.slice(1).map((s) => s.name);
  if (!names.includes(column)) throw new DocumentError(`${file}: no column '${column}' (columns: ${names.join(', ')})`);
  // One row group at a time keeps memory bounded.
  let row = 0;
  for (const group of meta.row_groups) {
    const n = Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata: meta, columns: [column], rowStart: row, rowEnd: row + n, compressors });
    for (const [i, r] of rows.entries()) {
      const v = (r as Record<string, unknown>)[column];
      if (v === null || v === undefined) continue;
      if (typeof v !== 'string') throw new DocumentError(`${file}: row ${row + i}: column '${column}' is a ${typeof v}, not a string`);
      yield v;
    }
    row += n;
  }
}
