// The combine step of exact_substring_dedup: the corpus in chunks, repeated windows found with a
// suffix array in each, turned into every task's cut ranges (tNNNNN.cuts).
import { closeSync, openSync, readSync } from 'node:fs';
import { readTableFile, taskPath, writeTableFile, type TaskManifest } from './state-files.js';
import { bit, markSharedPrefixes, suffixArray } from './suffix-array.js';
import { U32List } from './u64.js';

export const DOCS_KIND = 'substring-docs';
export const CUTS_KIND = 'substring-cuts';
/** After each document: a byte UTF-8 never contains, so no repeat spans two documents. */
const SEPARATOR = 0xff;

interface DocRef {
  task: number;
  local: number;
  /** Byte offset in the task's .bytes file. */
  offset: number;
  len: number;
}

/** Plans chunks, finds repeated spans in each, writes every task's cut ranges. */
export function combineSubstrings(dir: string, manifests: TaskManifest[], minBytes: number, maxBytes: number): Record<string, unknown> {
  const lens = manifests.map((m) => {
    const len = readTableFile(taskPath(dir, m.task, '.docs'), DOCS_KIND).get<Uint32Array>('len', 'u32');
    if (len.length !== m.docs) throw new Error(`${taskPath(dir, m.task, '.docs')}: ${len.length} lengths for ${m.docs} documents`);
    return len;
  });
  // Cut ranges of the task being collected: docs, prefix of range counts, [a, b) pairs.
  const cuts = manifests.map(() => ({ doc: new U32List(), first: new U32List(), range: new U32List() }));
  cuts.forEach((c) => c.first.push(0));
  let chunk: DocRef[] = [];
  let chunkBytes = 0;
  let chunks = 0;
  let spans = 0;
  let removedBytes = 0;
  const runChunk = () => {
    if (chunk.length === 0) return;
    const r = dedupChunk(dir, chunk, chunkBytes, minBytes, cuts);
    spans += r.spans;
    removedBytes += r.bytes;
    chunks++;
    chunk = [];
    chunkBytes = 0;
  };
  let written = 0;
  for (const m of manifests) {
    let offset = 0;
    const len = lens[m.task]!;
    for (let i = 0; i < m.docs; i++) {
      const l = len[i]!;
      // A document larger than maxBytes gets a chunk of its own, up to what an Int32Array indexes.
      if (l + 1 > 0x7fffffff) throw new Error(`exact_substring_dedup: document ${i} of task ${m.task} has ${l} bytes, more than one suffix array can take (2^31 - 2)`);
      if (chunk.length && chunkBytes + l + 1 > maxBytes) runChunk();
      chunk.push({ task: m.task, local: i, offset, len: l });
      chunkBytes += l + 1;
      offset += l;
    }
    if (offset !== m.bytes) throw new Error(`${taskPath(dir, m.task, '.docs')}: lengths add up to ${offset}, the manifest says ${String(m.bytes)} bytes`);
    // Tasks before the open chunk's first task are complete: publish them.
    const open = chunk.length ? chunk[0]!.task : m.task + 1;
    for (; written < open; written++) writeCuts(dir, written, cuts[written]!);
  }
  runChunk();
  for (; written < manifests.length; written++) writeCuts(dir, written, cuts[written]!);
  return {
    docs: manifests.reduce((s, m) => s + m.docs, 0),
    bytes: manifests.reduce((s, m) => s + (m.bytes as number), 0),
    chunks,
    spansRemoved: spans,
    bytesRemoved: removedBytes,
  };
}

function writeCuts(dir: string, task: number, c: { doc: U32List; first: U32List; range: U32List }): void {
  writeTableFile(taskPath(dir, task, '.cuts'), CUTS_KIND, { task }, { doc: c.doc.toArray(), first: c.first.toArray(), range: c.range.toArray() });
}

/** Reads the chunk's documents, finds the repeated windows and appends each document's cut ranges. */
function dedupChunk(
  dir: string,
  docs: DocRef[],
  n: number,
  minBytes: number,
  cuts: { doc: U32List; first: U32List; range: U32List }[],
): { spans: number; bytes: number } {
  const T = new Uint8Array(n);
  const start = new Float64Array(docs.length);
  let at = 0;
  let fd = -1;
  let fdTask = -1;
  try {
    for (let d = 0; d < docs.length; d++) {
      const ref = docs[d]!;
      if (ref.task !== fdTask) {
        if (fd >= 0) closeSync(fd);
        fd = openSync(taskPath(dir, ref.task, '.bytes'), 'r');
        fdTask = ref.task;
      }
      let done = 0;
      while (done < ref.len) {
        const r = readSync(fd, T, at + done, ref.len - done, ref.offset + done);
        if (r <= 0) throw new Error(`${taskPath(dir, ref.task, '.bytes')}: ends before byte ${ref.offset + ref.len} (truncated?)`);
        done += r;
      }
      start[d] = at;
      at += ref.len;
      T[at++] = SEPARATOR;
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }

  // Windows of minBytes that occurred before: in each group of suffixes sharing their first
  // minBytes bytes, every position but the group's smallest.
  const repeatStart = new Uint8Array((n + 7) >> 3);
  {
    const SA = new Int32Array(n);
    const scratch = new ArrayBuffer(4 * n);
    suffixArray(T, SA, n, 256, scratch);
    const shared = markSharedPrefixes(T, SA, n, minBytes, SEPARATOR, scratch);
    for (let k = 0; k < n; ) {
      let end = k + 1;
      let min = SA[k]!;
      while (end < n && bit(shared, SA[end]!)) {
        if (SA[end]! < min) min = SA[end]!;
        end++;
      }
      for (let g = k; g < end; g++) {
        const p = SA[g]!;
        if (p !== min) repeatStart[p >> 3]! |= 1 << (p & 7);
      }
      k = end;
    }
  }

  let spans = 0;
  let bytes = 0;
  for (let d = 0; d < docs.length; d++) {
    const ref = docs[d]!;
    const s = start[d]!;
    const c = cuts[ref.task]!;
    const before = c.range.length;
    let cover = 0; // bytes before this offset (relative to s) are covered by a repeated window
    let open = -1;
    for (let i = 0; i <= ref.len; i++) {
      if (i < ref.len && bit(repeatStart, s + i)) cover = Math.max(cover, i + minBytes);
      const inside = i < cover && i < ref.len;
      if (inside && open < 0) open = i;
      else if (!inside && open >= 0) {
        // Narrow [open, i) to whole UTF-8 characters: no continuation byte at either edge.
        let a = open;
        let b = i;
        while (a < b && (T[s + a]! & 0xc0) === 0x80) a++;
        while (b > a && b < ref.len && (T[s + b]! & 0xc0) === 0x80) b--;
        if (b > a) {
          c.range.push2(a, b);
          spans++;
          bytes += b - a;
        }
        open = -1;
      }
    }
    if (c.range.length > before) {
      c.doc.push(ref.local);
      c.first.push(c.range.length / 2);
    }
  }
  return { spans, bytes };
}
