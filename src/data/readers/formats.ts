// Which input formats the pipeline reads, and the list of input files of a run. A file's `source`
// is its name relative to the inputs' root: the part of a document id that names the file, so ids
// stay the same when the same corpus is read from another folder or machine.
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';

export class InputError extends Error {}

/** `docs.gz`: the executor's own work files (JSONL of whole Docs), never detected from a name. */
export type InputFormat = 'jsonl' | 'jsonl.gz' | 'jsonl.zst' | 'parquet' | 'warc' | 'warc.gz' | 'text' | 'docs.gz';

export interface InputFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the inputs' root, with '/' separators. */
  source: string;
  format: InputFormat;
  size: number;
}

export function inputFormatOf(path: string): InputFormat | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.parquet')) return 'parquet';
  if (/\.(jsonl|ndjson|json)\.gz$/.test(p)) return 'jsonl.gz';
  if (/\.(jsonl|ndjson|json)\.zst$/.test(p)) return 'jsonl.zst';
  if (/\.(jsonl|ndjson)$/.test(p)) return 'jsonl';
  if (/\.(warc|wet)\.gz$/.test(p)) return 'warc.gz';
  if (/\.(warc|wet)$/.test(p)) return 'warc';
  if (/\.(txt|text|md)$/.test(p)) return 'text';
  return undefined;
}

export const INPUT_EXTENSIONS = '.jsonl/.ndjson (optionally .gz or .zst), .parquet, .warc/.wet (optionally .gz), .txt/.text/.md';

/**
 * Files under `paths`, folders walked in name order (so every rank and every rerun sees the same
 * list). Files of unknown formats inside folders are ignored; named directly they are an error.
 */
export function listInputFiles(paths: readonly string[]): InputFile[] {
  if (paths.length === 0) throw new InputError('no input given');
  const found: { path: string; format: InputFormat; size: number }[] = [];
  const roots: string[] = [];
  const walk = (p: string, top: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) walk(resolve(p, name), false);
      return;
    }
    const format = inputFormatOf(p);
    if (format) found.push({ path: p, format, size: st.size });
    else if (top) throw new InputError(`${p}: unknown input format (expected ${INPUT_EXTENSIONS})`);
  };
  for (const raw of paths) {
    const p = resolve(raw);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new InputError(`${raw}: no such file or folder`);
    }
    roots.push(isDir ? p : dirname(p));
    walk(p, true);
  }
  const root = commonFolder(roots);
  const seen = new Set<string>();
  const out: InputFile[] = [];
  for (const f of found) {
    if (seen.has(f.path)) continue;
    seen.add(f.path);
    const rel = relative(root, f.path);
    out.push({ ...f, source: (rel || basename(f.path)).split(sep).join('/') });
  }
  if (out.length === 0) throw new InputError(`no input files under ${paths.join(', ')} (expected ${INPUT_EXTENSIONS})`);
  return out;
}

function commonFolder(folders: string[]): string {
  let common = folders[0]!.split(sep);
  for (const f of folders.slice(1)) {
    const parts = f.split(sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}
