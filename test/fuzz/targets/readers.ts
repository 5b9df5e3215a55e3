// Reads every item of an input file through the pipeline's own readers, as a task does, and checks
// what a reader promises: it ends; a damaged record or file is an error item whose detail names the
// file (the run counts it), never a throw; and a resumed read (skip n) gives the same items after n.
import { basename } from 'node:path';
import { inputFormatOf, readSlice, type ReadItem, type Slice } from '../../../src/data/readers/index.js';

async function all(slice: Slice, skip: number): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of readSlice(slice, {}, skip)) out.push(item);
  return out;
}

export async function readInput(path: string): Promise<number> {
  const format = inputFormatOf(path);
  if (!format) throw new Error(`fuzz case ${path}: no input format`);
  const slice: Slice = { path, source: basename(path), format };
  const items = await all(slice, 0);
  for (const item of items) {
    if ('error' in item && !item.detail.startsWith(slice.source)) throw new Error(`error item without the file's name: ${item.detail}`);
    if ('doc' in item && typeof item.doc.text !== 'string') throw new Error('a document without text');
  }
  const half = Math.floor(items.length / 2);
  const resumed = await all(slice, half);
  if (JSON.stringify(resumed) !== JSON.stringify(items.slice(half))) {
    throw new Error(`resuming after ${half} of ${items.length} items gives ${resumed.length} other items`);
  }
  return items.length;
}
