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
// Memory: combine holds, per chunk of n bytes, the text (n), the suffix array (4n) and one 4n
// scratch buffer (SA-IS's working space, then the permuted-LCP array): about 9n (9.3n measured),
// 2.4 GB for the default 256 MiB chunk. A corpus larger than maxBytes is cut into chunks at
// document boundaries, and repeats whose copies fall in different chunks are NOT found; set
// maxBytes to the corpus size when memory allows. Disk: the corpus bytes once more, plus 4 bytes
// per document. Speed: bench/dedup.ts (about 4 MB/s for the suffix array on one core).
import type { Doc, DocStage, GlobalStage, GlobalStageDirs, StageResult } from '../types.js';
import { DocIdTable, DocIdWriter } from './doc-ids.js';
import { resolveOptions } from '../options/resolve.js';
import { integer, stageName, type OptionSchema } from '../options/schema.js';
import { combineSubstrings, CUTS_KIND, DOCS_KIND } from './repeated-spans.js';
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
} from './state-files.js';
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

export const EXACT_SUBSTRING_SCHEMA: OptionSchema<ExactSubstringOptions> = {
  name: stageName,
  minBytes: integer(1),
  maxBytes: integer(2, 0x7fffffff),
};

const TYPE = 'exact_substring_dedup';

export function exactSubstringDedup(options?: Partial<ExactSubstringOptions>): GlobalStage {
  const o = resolveOptions(TYPE, EXACT_SUBSTRING_DEFAULTS, EXACT_SUBSTRING_SCHEMA, options);
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
