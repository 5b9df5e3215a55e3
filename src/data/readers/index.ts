// One entry point for every input format: the items of a slice, resumable after `skip` items.
import { readFile } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import type { ReadItem, ReaderOptions, Slice } from './items.js';

export { listInputFiles, inputFormatOf, InputError, INPUT_EXTENSIONS, type InputFile, type InputFormat } from './formats.js';
export { type ReadItem, type ReadErrorKind, type ReaderOptions, type Slice } from './items.js';
export { readDocsFile } from './jsonl.js';
export { parquetRowGroups } from './parquet.js';
export { htmlToText } from './html-text.js';

/** A plain text file is one document, its id the file's source name. */
async function* readText(slice: Slice, skip: number): AsyncGenerator<ReadItem> {
  if (skip > 0) return;
  let bytes: Buffer;
  try {
    bytes = await readFile(slice.path);
  } catch (e) {
    yield { error: 'unreadable', detail: `${slice.source}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    return;
  }
  if (!isUtf8(bytes)) yield { error: 'invalid_utf8', detail: `${slice.source}: not valid UTF-8` };
  else if (bytes.length === 0) yield { skip: 'empty' };
  else yield { doc: { id: slice.source, text: bytes.toString('utf8'), metadata: { source: slice.source } } };
}

/** warcio takes a while to load: only runs that read WARC files pay for it. */
async function* readWarcLazily(slice: Slice, skip: number): AsyncGenerator<ReadItem> {
  const { readWarc } = await import('./warc.js');
  yield* readWarc(slice, skip);
}

/** Items of `slice`, the first `skip` of them passed over (a resumed task). */
export function readSlice(slice: Slice, opts: ReaderOptions = {}, skip = 0): AsyncGenerator<ReadItem> {
  switch (slice.format) {
    case 'jsonl':
    case 'jsonl.gz':
    case 'jsonl.zst':
      return readJsonl(slice, opts, skip);
    case 'parquet':
      return readParquet(slice, opts, skip);
    case 'warc':
    case 'warc.gz':
      return readWarcLazily(slice, skip);
    case 'text':
      return readText(slice, skip);
    case 'docs.gz':
      throw new Error('work files are read with readDocsFile');
  }
}
