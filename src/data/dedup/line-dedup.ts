// Line (paragraph) deduplication as CCNet does it (cc_net/dedup.py): a line is normalised
// (normalize_for_dedup: strip, lowercase, digits -> 0, Unicode punctuation and control characters
// deleted) and hashed (first 8 bytes of SHA-1). CCNet reads documents in order, and from each
// document removes every line whose hash was already in the set built from the documents before it
// (`seen = duplicates.add(doc_hashes)`: earlier documents only), then a repeat of a line within
// the same document (finalize_doc keeps the first occurrence). We do the same over the whole run,
// ordered by (task, position): a line stays only in the first document that has it, at its first
// occurrence there. Two deliberate differences, both about lines that normalise to nothing
// (blank, or punctuation and control characters only): they are never counted as duplicates
// (CCNet's WET paragraphs contain none; removing every blank line after the first document would
// glue paragraphs together), and a blank line left next to another by a removal is dropped, so
// removing a paragraph does not leave a growing gap. A document left without any line that has
// content is dropped with reason `line_dedup_empty`.
//
// index (per task)  every content line's hash -> the first local document that has it, in a map
//                   flushed as a sorted run of [hash hi, hash lo, document] records every
//                   `runEntries` entries.
// combine (once)    a streaming merge of the runs: the owner of a hash is its first (task,
//                   document); each task gets the sorted list of the hashes it contains, with the
//                   owner's local index when the owner is in that task (else NOT_OWNED). Tasks are
//                   written in batches so that a batch's lists fit `combineEntries`.
// filter (per task) rewrites each document without the lines it does not own; counts
//                   `lines_removed` and `chars_removed`.
//
// Files under `dir`: tNNNNN.json (manifest), tNNNNN.ids, tNNNNN-rRRRR.ldr (runs), tNNNNN.owners
// (the task's sorted hashes and owners), combined.json.
//
// Bytes per million documents of 30 content lines (30 M line hashes): index holds at most
// runEntries map entries, 26-52 bytes each (52 MB at the default 1 M), disk 360 MB of runs + 8 MB
// of ids; combine holds a 48 KB buffer per run plus at most combineEntries x 12 bytes; filter
// holds 12 bytes per distinct line of its task plus 12 bytes per document.
// combine keeps every run file of a batch's merge open (one descriptor per run).
import type { Doc, DocStage, GlobalStage, GlobalStageDirs, StageResult } from '../types.js';
import { DocIdTable, DocIdWriter, sha1Hash64 } from './doc-ids.js';
import { ccnetNormalize } from './normalize.js';
import { resolveOptions } from '../options/resolve.js';
import { integer, stageName, type OptionSchema } from '../options/schema.js';
import { closeRuns, mergeRuns, openRuns } from './sorted-runs.js';
import {
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
import { searchU64, U32List, U64Map } from './u64.js';

export interface LineDedupOptions {
  name: string;
  /** Distinct line hashes held by index before it writes a sorted run. */
  runEntries: number;
  /** Hash entries combine holds for the tasks it writes in one merge pass. */
  combineEntries: number;
}

export const LINE_DEDUP_DEFAULTS: LineDedupOptions = {
  name: 'line_dedup',
  runEntries: 1 << 20,
  combineEntries: 1 << 25,
};

export const LINE_DEDUP_SCHEMA: OptionSchema<LineDedupOptions> = {
  name: stageName,
  runEntries: integer(1, 1 << 28),
  combineEntries: integer(1),
};

const TYPE = 'line_dedup';
const RUN_KIND = 'line-run';
const OWNERS_KIND = 'line-owners';
/** Owner field of a hash first seen in an earlier task. */
export const NOT_OWNED = 0xffffffff;

const runPath = (dir: string, task: number, run: number) => taskPath(dir, task, `-r${String(run).padStart(4, '0')}.ldr`);

export function lineDedup(options?: Partial<LineDedupOptions>): GlobalStage {
  const o = resolveOptions(TYPE, LINE_DEDUP_DEFAULTS, LINE_DEDUP_SCHEMA, options);
  const fingerprint = JSON.stringify({ type: TYPE, normalize: 'ccnet', hash: 'sha1-64' });
  const stage = o.name;

  return {
    name: o.name,
    kind: 'dedup',
    global: true,

    async index(docs: AsyncIterable<Doc>, at: GlobalStageDirs): Promise<void> {
      clearTaskFiles(at.dir, at.task);
      const ids = new DocIdWriter();
      let map = new U64Map(1 << 12);
      const h = new Uint32Array(2);
      let runs = 0;
      let lines = 0;
      let entries = 0;
      const flush = () => {
        if (map.size === 0) return;
        const s = map.sorted();
        const rec = new Uint32Array(s.hi.length * 3);
        for (let i = 0; i < s.hi.length; i++) {
          rec[3 * i] = s.hi[i]!;
          rec[3 * i + 1] = s.lo[i]!;
          rec[3 * i + 2] = s.val[i]!;
        }
        writeTableFile(runPath(at.dir, at.task, runs), RUN_KIND, { task: at.task, run: runs }, { rec });
        entries += s.hi.length;
        runs++;
        map = new U64Map(1 << 12);
      };
      for await (const doc of docs) {
        const local = ids.add(doc.id);
        for (const line of doc.text.split('\n')) {
          const norm = ccnetNormalize(line);
          if (!norm) continue;
          lines++;
          sha1Hash64(norm, h);
          map.setIfAbsent(h[0]!, h[1]!, local);
          if (map.size >= o.runEntries) flush();
        }
      }
      flush();
      ids.write(taskPath(at.dir, at.task, '.ids'));
      writeManifest(at.dir, { task: at.task, docs: ids.count, lines, runs, entries, fingerprint });
    },

    async combine(at: Omit<GlobalStageDirs, 'task'>): Promise<void> {
      const manifests = readManifests(stage, at.dir, at.tasks, fingerprint);
      let distinct = 0;
      let owned = 0;
      // Batches of consecutive tasks whose run entries (an upper bound of their lists) fit.
      for (let first = 0; first < manifests.length; ) {
        let last = first;
        let budget = manifests[first]!.entries as number;
        while (last + 1 < manifests.length && budget + (manifests[last + 1]!.entries as number) <= o.combineEntries) {
          budget += manifests[++last]!.entries as number;
        }
        const r = combineBatch(at.dir, manifests, first, last);
        distinct += r.distinct;
        owned += r.owned;
        first = last + 1;
      }
      writeCombined(at.dir, at.tasks, fingerprint, {
        docs: manifests.reduce((s, m) => s + m.docs, 0),
        lines: manifests.reduce((s, m) => s + (m.lines as number), 0),
        distinctLines: owned,
        taskLineEntries: distinct,
      });
    },

    async filter(at: GlobalStageDirs): Promise<DocStage> {
      readCombined(stage, at.dir, at.tasks, fingerprint);
      const ids = new DocIdTable(taskPath(at.dir, at.task, '.ids'), stage);
      const path = taskPath(at.dir, at.task, '.owners');
      const t = readTableFile(path, OWNERS_KIND);
      const hi = t.get<Uint32Array>('hi', 'u32');
      const lo = t.get<Uint32Array>('lo', 'u32');
      const owner = t.get<Uint32Array>('owner', 'u32');
      if (lo.length !== hi.length || owner.length !== hi.length) throw new Error(`${path}: sections of different lengths`);
      return {
        name: o.name,
        kind: 'dedup',
        process(doc: Doc): StageResult {
          const local = ids.indexOf(doc.id);
          return dedupLines(doc, (hh, hl) => {
            const i = searchU64(hi, lo, hh, hl);
            if (i < 0) throw new Error(`${stage}: document '${doc.id}' has a line index never saw (${path}): the filter must see the documents index saw, unchanged`);
            return owner[i] === local;
          });
        },
      };
    },
  };
}

/** One merge pass over the runs of tasks 0 .. last, writing the owner lists of tasks first .. last. */
function combineBatch(dir: string, manifests: TaskManifest[], first: number, last: number): { distinct: number; owned: number } {
  // Owners of these tasks' hashes can only be in these tasks or earlier ones.
  const files: { path: string; tag: number }[] = [];
  for (let t = 0; t <= last; t++) for (let r = 0; r < (manifests[t]!.runs as number); r++) files.push({ path: runPath(dir, t, r), tag: t });
  const lists = Array.from({ length: last - first + 1 }, () => ({ hi: new U32List(), lo: new U32List(), owner: new U32List() }));
  let distinct = 0;
  let owned = 0;
  const { readers, tables } = openRuns(files, RUN_KIND, 'rec', 3);
  try {
    let gh = -1;
    let gl = -1;
    let ownerTask = -1;
    let ownerDoc = 0;
    let lastTask = -1;
    mergeRuns(readers, (r) => {
      const task = r.tag;
      if (r.hi() !== gh || r.lo() !== gl) {
        // A new hash: readers are in (task, run) order, so its first record is its owner.
        gh = r.hi();
        gl = r.lo();
        ownerTask = task;
        ownerDoc = r.word(2);
        lastTask = -1;
        if (task >= first) owned++;
      }
      if (task === lastTask || task < first) return; // once per task (runs of one task repeat it)
      lastTask = task;
      const l = lists[task - first]!;
      l.hi.push(gh);
      l.lo.push(gl);
      l.owner.push(task === ownerTask ? ownerDoc : NOT_OWNED);
      distinct++;
    });
  } finally {
    closeRuns(tables);
  }
  for (let t = first; t <= last; t++) {
    const l = lists[t - first]!;
    writeTableFile(taskPath(dir, t, '.owners'), OWNERS_KIND, { task: t }, { hi: l.hi.toArray(), lo: l.lo.toArray(), owner: l.owner.toArray() });
  }
  return { distinct, owned };
}

/**
 * The document without the lines it does not own (`owns(hash hi, hash lo)` says whether this
 * document is the line's first), nor repeats of a line within it.
 */
export function dedupLines(doc: Doc, owns: (hi: number, lo: number) => boolean): StageResult {
  const lines = doc.text.split('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  const h = new Uint32Array(2);
  let removed = 0;
  let content = 0;
  let removedSinceContent = false;
  let lastBlank = true; // nothing kept yet counts as a blank before the first line
  for (const line of lines) {
    const norm = ccnetNormalize(line);
    if (!norm) {
      // A blank (or punctuation-only) line: kept, unless a removal made it follow another blank.
      if (removedSinceContent && lastBlank) continue;
      out.push(line);
      lastBlank = true;
      continue;
    }
    sha1Hash64(norm, h);
    const key = `${h[0]}:${h[1]}`;
    if (seen.has(key) || !owns(h[0]!, h[1]!)) {
      removed++;
      removedSinceContent = true;
      continue;
    }
    seen.add(key);
    out.push(line);
    content++;
    lastBlank = false;
    removedSinceContent = false;
  }
  if (removed === 0) return { keep: true, doc };
  const text = out.join('\n');
  const counts = { lines_removed: removed, chars_removed: doc.text.length - text.length };
  if (content === 0) return { keep: false, reason: 'line_dedup_empty', counts };
  return { keep: true, doc: { ...doc, text }, counts };
}
