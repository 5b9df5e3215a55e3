// Which input formats the pipeline reads, and the list of input files of a run. A file's `source`
// is its name relative to the inputs' root: the part of a document id that names the file, so ids
// stay the same when the same corpus is read from another folder or machine.
import { readdirSync, realpathSync, statSync } from 'node:fs';
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
 * Only regular files are read: a FIFO or a device named like an input would block or never end,
 * so inside a folder it is skipped with a warning (`onWarning`), and named directly it is an error.
 */
export function listInputFiles(paths: readonly string[], onWarning: (message: string) => void = () => {}): InputFile[] {
  if (paths.length === 0) throw new InputError('no input given');
  const found: { path: string; format: InputFormat; size: number }[] = [];
  const roots: string[] = [];
  // Folders already walked (by real path): a symbolic link to a parent folder is walked once.
  const walked = new Set<string>();
  const walk = (p: string, top: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (top) throw new InputError(`${p}: no such file or folder`);
      // A dangling link inside a folder (or a file removed meanwhile): not an input, and not a reason to stop.
      onWarning(`${p}: skipped: cannot be read (${code ?? (e as Error).message})`);
      return;
    }
    if (st.isDirectory()) {
      const real = realpathSync(p);
      if (walked.has(real)) return;
      walked.add(real);
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch (e) {
        throw new InputError(`${p}: cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      for (const name of names) if (!name.startsWith('.')) walk(resolve(p, name), false);
      return;
    }
    const format = inputFormatOf(p);
    if (!st.isFile()) {
      if (top) throw new InputError(`${p}: not a regular file (a FIFO, socket or device is not an input file)`);
      if (format) onWarning(`${p}: skipped: not a regular file (a FIFO, socket or device)`);
      return;
    }
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
