// Chat samples from files: JSONL (plain, .gz, .zst), one conversation a line, and Parquet, one a row
// (a `messages` or `conversations` column of list<struct>, as Hugging Face datasets store them), read
// through the data pipeline's readers (the same decompression, line splitting and page checks).
import { isAbsolute, relative, resolve } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError, listInputFiles, type InputFile } from '../data/readers/formats.js';
import { sliceLines } from '../data/readers/jsonl.js';
import { rowGroupProblem } from '../data/readers/parquet-pages.js';
import { RejectCounter, SftDataError, type Conversation } from './conversation.js';
import { conversationFromRecord } from './parse-conversation.js';

export { RejectCounter, SftDataError } from './conversation.js';

export interface ReadConversationsOptions {
  /** Stop at the first bad sample with its SftDataError. Default: false with `rejects`, true without. */
  strict?: boolean;
  /** Where bad samples are counted (by reason, with examples) when not strict. */
  rejects?: RejectCounter;
}

/** A file as the user can find it: relative to the working folder when inside it. */
function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

type Item = { record: unknown; where: string } | { error: SftDataError };

async function* jsonlRecords(file: InputFile, name: string): AsyncGenerator<Item> {
  for await (const line of sliceLines({ path: file.path, source: name, format: file.format })) {
    if ('error' in line) {
      yield { error: new SftDataError('unreadable', name, undefined, `${line.error.message}: the rest of the file is not read`) };
      return;
    }
    const where = `${name}:${line.index + 1}`;
    if (line.bytes.every((b) => b === 32 || b === 9 || b === 13)) continue;
    if (!isUtf8(line.bytes)) {
      yield { error: new SftDataError('invalid-json', where, undefined, 'not valid UTF-8') };
      continue;
    }
    try {
      yield { record: JSON.parse(line.bytes.toString('utf8')), where };
    } catch (e) {
      yield { error: new SftDataError('invalid-json', where, undefined, `not valid JSON (${(e as Error).message})`) };
    }
  }
}

const PARQUET_COLUMNS = ['id', 'messages', 'conversations', 'system', 'split', 'answer'];

async function* parquetRecords(file: InputFile, name: string): AsyncGenerator<Item> {
  let buffer;
  let meta: FileMetaData;
  try {
    buffer = await asyncBufferFromFile(file.path);
    meta = await parquetMetadataAsync(buffer);
  } catch (e) {
    yield { error: new SftDataError('unreadable', name, undefined, `not a readable Parquet file (${(e as Error).message})`) };
    return;
  }
  // Top-level columns: schema[0] is the root; its children follow depth-first, each with its descendants.
  const present = new Set<string>();
  let i = 1;
  const skipSubtree = (): void => {
    const n = meta.schema[i]!.num_children ?? 0;
    i++;
    for (let c = 0; c < n && i < meta.schema.length; c++) skipSubtree();
  };
  while (i < meta.schema.length) {
    present.add(meta.schema[i]!.name);
    skipSubtree();
  }
  if (!present.has('messages') && !present.has('conversations')) {
    yield { error: new SftDataError('bad-shape', name, 'messages', `no 'messages' or 'conversations' column (columns: ${[...present].join(', ')})`) };
    return;
  }
  const columns = PARQUET_COLUMNS.filter((c) => present.has(c));
  let groupStart = 0;
  for (const [gi, group] of meta.row_groups.entries()) {
    const rowStart = groupStart;
    const rowEnd = (groupStart += Number(group.num_rows));
    let rows: Record<string, unknown>[];
    try {
      const problem = await rowGroupProblem(buffer, meta, gi);
      if (problem) throw new Error(problem);
      rows = (await parquetReadObjects({ file: buffer, metadata: meta, columns, rowStart, rowEnd, compressors })) as Record<string, unknown>[];
    } catch (e) {
      yield { error: new SftDataError('unreadable', `${name}:row ${rowStart}`, undefined, `rows ${rowStart}..${rowEnd - 1} cannot be read (${(e as Error).message}): the rest of the file is not read`) };
      return;
    }
    for (const [i, row] of rows.entries()) yield { record: row, where: `${name}:row ${rowStart + i}` };
  }
}

/**
 * The conversations of `files` (files or folders; JSONL and Parquet), in file order. A bad sample is
 * counted in `opts.rejects` by reason and skipped, or, with `strict`, thrown as an SftDataError naming
 * file:line and the field. A file of another format named on its own is refused before any is read
 * (inside a folder it is passed over, as `yi data` does with files it cannot read).
 */
export async function* readConversations(files: string[], opts: ReadConversationsOptions = {}): AsyncGenerator<Conversation> {
  const rejects = opts.rejects ?? new RejectCounter();
  const strict = opts.strict ?? opts.rejects === undefined;
  let inputs: InputFile[];
  try {
    inputs = listInputFiles(files);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const [, where, detail] = /^(.*?): (.*)$/s.exec(e.message) ?? [undefined, files.join(', ') || '(no files)', e.message];
    throw new SftDataError('unreadable', where!, undefined, detail!);
  }
  // A file named on its own must hold chat samples; inside a folder, other files (a README.md) are not inputs.
  const named = new Set(files.map((f) => resolve(f)));
  inputs = inputs.filter((f) => {
    if (f.format === 'parquet' || f.format.startsWith('jsonl')) return true;
    if (named.has(f.path)) throw new SftDataError('unreadable', displayName(f.path), undefined, 'not a chat data file: expected .jsonl or .ndjson (optionally .gz or .zst) or .parquet');
    return false;
  });
  if (inputs.length === 0) throw new SftDataError('unreadable', files.join(', '), undefined, 'no chat data files (.jsonl or .ndjson, optionally .gz or .zst, or .parquet)');
  for (const f of inputs) {
    const name = displayName(f.path);
    const items = f.format === 'parquet' ? parquetRecords(f, name) : jsonlRecords(f, name);
    for await (const item of items) {
      if (!('error' in item && item.error.reason === 'unreadable')) rejects.records++;
      let conv: Conversation;
      try {
        if ('error' in item) throw item.error;
        conv = conversationFromRecord(item.record, item.where);
      } catch (e) {
        if (!(e instanceof SftDataError) || strict) throw e;
        rejects.add(e);
        continue;
      }
      yield conv;
    }
  }
}
