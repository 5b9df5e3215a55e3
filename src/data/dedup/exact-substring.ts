// Exact substring deduplication (Lee et al., "Deduplicating Training Data Makes Language Models
// Better", 2022; google-research/deduplicate-text-datasets) over the UTF-8 byte stream: a span of at
// least `minBytes` bytes (default 100; Lee et al. remove repeats of 50 tokens, 100+ bytes of
// English) that occurred earlier in the corpus, in another document or earlier in the same one, is
// cut out. Every occurrence after the first loses it; the first keeps it. Precisely: a byte is cut
// when it lies in a window of `minBytes` bytes whose content appears at an earlier position of the
// corpus, in (task, position, byte offset) order. Cut ranges are narrowed to whole characters, so
// the text stays valid UTF-8.
//
// index (per task)  the task's documents' UTF-8 bytes, concatenated, and their lengths.
// combine (once)    the corpus, with a 0xFF byte (never in UTF-8) after each document, in chunks
//                   of at most `maxBytes`: suffix array (SA-IS), the shared prefix length of each
//                   suffix with its predecessor in the array (cut at separators, so no match spans
//                   two documents), groups of suffixes sharing at least minBytes bytes: all but the
//                   group's earliest position start a repeated window; one sweep turns the windows
//                   into cut ranges per document.
// filter (per task) cuts the ranges; counts `spans_removed` and `bytes_removed`; a document left
//                   with only whitespace is dropped with reason `exact_substring_empty`.
//
// Memory: combine holds, per chunk of n bytes, the text (n), the suffix array (4n), and at once
// either SA-IS's working space (up to 4n) or the permuted-LCP array (4n): about 9n, 2.3 GB for
// the default 256 MiB chunk. A corpus larger than maxBytes is cut into chunks at document
// boundaries, and repeats whose copies fall in different chunks are NOT found; set maxBytes to the
// corpus size when memory allows. Disk: the corpus bytes once more, plus 4 bytes per document.
// Speed: see bench/dedup.ts (about 5 MB/s for the suffix array on one core).
import { closeSync, openSync, readSync } from 'node:fs';
import type { Doc, DocStage, GlobalStage, GlobalStageDirs, StageResult } from '../types.js';
import { DocIdTable, DocIdWriter } from './doc-ids.js';
import { checkInt, resolveOptions } from './options.js';
import {
  AtomicFileWriter,
  clearTaskFiles,
  readCombined,
  readManifests,
  readTableFile,
  taskPath,
  writeCombined,
  writeManifest,
  writeTableFile,
  type TaskManifest,
} from './state-files.js';
import { bit, markSharedPrefixes, suffixArray } from './suffix-array.js';
import { U32List } from './u64.js';

export interface ExactSubstringOptions {
  name: string;
  /** Shortest repeated span removed, in bytes. */
  minBytes: number;
  /** Largest corpus chunk given one suffix array (memory about 9 bytes per byte). */
  maxBytes: number;
}

export const EXACT_SUBSTRING_DEFAULTS: ExactSubstringOptions = {
  name: 'exact_substring_dedup',
  minBytes: 100,
  maxBytes: 256 << 20,
};

const TYPE = 'exact_substring_dedup';
const DOCS_KIND = 'substring-docs';
const CUTS_KIND = 'substring-cuts';
const SEPARATOR = 0xff;

export function exactSubstringDedup(options?: Partial<ExactSubstringOptions>): GlobalStage {
  const o = resolveOptions(TYPE, EXACT_SUBSTRING_DEFAULTS, options);
  checkInt(TYPE, 'minBytes', o.minBytes, 1);
  checkInt(TYPE, 'maxBytes', o.maxBytes, 2, 0x7fffffff);
  const fingerprint = JSON.stringify({ type: TYPE, unit: 'utf8-bytes' });
  const stage = o.name;
  const combineFingerprint = JSON.stringify({ type: TYPE, minBytes: o.minBytes, maxBytes: o.maxBytes });

  return {
    name: o.name,
    kind: 'dedup',
    global: true,

    async index(docs: AsyncIterable<Doc>, at: GlobalStageDirs): Promise<void> {
      clearTaskFiles(at.dir, at.task);
      const ids = new DocIdWriter();
      const lengths = new U32List();
      const out = new AtomicFileWriter(taskPath(at.dir, at.task, '.bytes'));
      try {
        for await (const doc of docs) {
          ids.add(doc.id);
          const b = Buffer.from(doc.text, 'utf8');
          lengths.push(b.length);
          out.write(b);
        }
        out.publish();
      } catch (e) {
        out.abort();
        throw e;
      }
      writeTableFile(taskPath(at.dir, at.task, '.docs'), DOCS_KIND, { task: at.task }, { len: lengths.toArray() });
      ids.write(taskPath(at.dir, at.task, '.ids'));
      writeManifest(at.dir, { task: at.task, docs: ids.count, bytes: out.position, fingerprint });
    },

    async combine(at: Omit<GlobalStageDirs, 'task'>): Promise<void> {
      const manifests = readManifests(stage, at.dir, at.tasks, fingerprint);
      const summary = combineSubstrings(at.dir, manifests, o.minBytes, o.maxBytes);
      writeCombined(at.dir, at.tasks, combineFingerprint, summary);
    },

    async filter(at: GlobalStageDirs): Promise<DocStage> {
      readCombined(stage, at.dir, at.tasks, combineFingerprint);
      const ids = new DocIdTable(taskPath(at.dir, at.task, '.ids'), stage);
      const len = readTableFile(taskPath(at.dir, at.task, '.docs'), DOCS_KIND).get<Uint32Array>('len', 'u32');
      const cutsPath = taskPath(at.dir, at.task, '.cuts');
      const c = readTableFile(cutsPath, CUTS_KIND);
      const cutDocs = c.get<Uint32Array>('doc', 'u32');
      const first = c.get<Uint32Array>('first', 'u32');
      const range = c.get<Uint32Array>('range', 'u32');
      if (first.length !== cutDocs.length + 1 || first[cutDocs.length] !== range.length / 2) throw new Error(`${cutsPath}: inconsistent sections`);
      const at_ = new Map<number, number>();
      cutDocs.forEach((d, i) => at_.set(d, i));
      return {
        name: o.name,
        kind: 'dedup',
        process(doc: Doc): StageResult {
          const local = ids.indexOf(doc.id);
          const k = at_.get(local);
          if (k === undefined) {
            if (Buffer.byteLength(doc.text, 'utf8') !== len[local]) throw changed(stage, doc.id);
            return { keep: true, doc };
          }
          const bytes = Buffer.from(doc.text, 'utf8');
          if (bytes.length !== len[local]) throw changed(stage, doc.id);
          const parts: Buffer[] = [];
          let from = 0;
          let removed = 0;
          for (let r = first[k]!; r < first[k + 1]!; r++) {
            const a = range[2 * r]!;
            const b = range[2 * r + 1]!;
            parts.push(bytes.subarray(from, a));
            removed += b - a;
            from = b;
          }
          parts.push(bytes.subarray(from));
          const text = Buffer.concat(parts).toString('utf8');
          const counts = { spans_removed: first[k + 1]! - first[k]!, bytes_removed: removed };
          if (!text.trim()) return { keep: false, reason: 'exact_substring_empty', counts };
          return { keep: true, doc: { ...doc, text }, counts };
        },
      };
    },
  };
}

function changed(stage: string, id: string): Error {
  return new Error(`${stage}: document '${id}' has another length than when it was indexed: the filter must see the documents index saw, unchanged`);
}

interface DocRef {
  task: number;
  local: number;
  /** Byte offset in the task's .bytes file. */
  offset: number;
  len: number;
}

/** Plans chunks, finds repeated spans in each, writes every task's cut ranges. */
function combineSubstrings(dir: string, manifests: TaskManifest[], minBytes: number, maxBytes: number): Record<string, unknown> {
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
      if (l + 1 > 0x7fffffff) throw new Error(`${TYPE}: document ${i} of task ${m.task} has ${l} bytes, more than one suffix array can take (2^31 - 2)`);
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
