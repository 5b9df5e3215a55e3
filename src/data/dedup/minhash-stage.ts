// MinHash LSH deduplication as a global stage, in datatrove's three steps with its defaults
// (5-word shingles, 14 bands x 8 rows, 64-bit hashes, seed 1: pairs at Jaccard 0.8 are caught
// with probability 1 - (1 - 0.8^8)^14 = 0.924, the threshold (1/14)^(1/8) is about 0.72):
//
// index (per task)  signature of each document -> per band, a 64-bit key of its 8 rows; records
//                   (key, local index) sorted per band, written in runs of `runDocs` documents.
// combine (once)    per band, a streaming k-way merge of every run of every task; documents that
//                   share a band key are unioned; each cluster keeps its first document in
//                   (task, position) order; a per-task flag file marks the rest.
// filter (per task) drops flagged documents with reason `minhash_duplicate`.
//
// Files under `dir`: tNNNNN.json (manifest, written last), tNNNNN.ids (id hashes in stream order),
// tNNNNN-rRRRR.mhr (sorted runs, bands sections of [key hi, key lo, local index] u32 records),
// tNNNNN.remove (one flag byte per document), combined.json (summary, written last).
//
// Bytes per million documents: index holds runDocs x bands x 12 bytes (16.8 MB at the default
// 100,000) plus the signature; disk 168 MB of runs + 8 MB of ids; combine holds 4 MB of
// union-find parents plus a 48 KB read buffer per run, and writes 1 MB of flags.
// combine keeps every run file open during a band's merge: (tasks x runs per task) descriptors,
// within the usual limits up to some thousands of runs (raise runDocs or `ulimit -n` beyond).
import type { Doc, DocStage, GlobalStage, GlobalStageDirs } from '../types.js';
import { DocIdTable, DocIdWriter } from './doc-ids.js';
import { bandKey, loadXxhash, MinHasher } from './minhash.js';
import { resolveOptions } from '../options/resolve.js';
import { integer, oneOf, stageName, type OptionSchema } from '../options/schema.js';
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
} from './state-files.js';
import { CJK_MODES, type CjkMode } from './tokens.js';
import { sortU64 } from './u64.js';
import { UnionFind } from './union-find.js';

export interface MinhashDedupOptions {
  /** Stage name (the key of its stats). */
  name: string;
  /** Words per shingle. */
  nGrams: number;
  /** LSH bands. */
  bands: number;
  /** Hashes per band. */
  rows: number;
  /** Seed of the hash functions (numpy RandomState, as datatrove). */
  seed: number;
  /** Tokens of Chinese/Japanese text: each character ('chars') or jieba words. */
  cjk: CjkMode;
  /** Documents per sorted run written by index: bounds its memory to runDocs x bands x 12 bytes. */
  runDocs: number;
}

export const MINHASH_DEDUP_DEFAULTS: MinhashDedupOptions = {
  name: 'minhash_dedup',
  nGrams: 5,
  bands: 14,
  rows: 8,
  seed: 1,
  cjk: 'chars',
  runDocs: 100_000,
};

export const MINHASH_DEDUP_SCHEMA: OptionSchema<MinhashDedupOptions> = {
  name: stageName,
  nGrams: integer(1, 64),
  bands: integer(1, 1024),
  rows: integer(1, 64),
  seed: integer(0, 0xffffffff),
  cjk: oneOf(CJK_MODES),
  runDocs: integer(1),
};

const TYPE = 'minhash_dedup';
const RUN_KIND = 'minhash-run';
const REMOVE_KIND = 'minhash-remove';

export function minhashDedup(options?: Partial<MinhashDedupOptions>): GlobalStage {
  const o = resolveOptions(TYPE, MINHASH_DEDUP_DEFAULTS, MINHASH_DEDUP_SCHEMA, options);
  const fingerprint = JSON.stringify({ type: TYPE, hash: 'xxh64', nGrams: o.nGrams, bands: o.bands, rows: o.rows, seed: o.seed, cjk: o.cjk });
  const stage = o.name;

  return {
    name: o.name,
    kind: 'dedup',
    global: true,

    async index(docs: AsyncIterable<Doc>, at: GlobalStageDirs): Promise<void> {
      clearTaskFiles(at.dir, at.task);
      const hasher = new MinHasher({ nGrams: o.nGrams, bands: o.bands, rows: o.rows, seed: o.seed, cjk: o.cjk }, await loadXxhash());
      const ids = new DocIdWriter();
      const sig = new Uint32Array(hasher.hashes * 2);
      const key = new Uint32Array(2);
      // Per band: keys and local indices of the run being collected (grown up to runDocs).
      let cap = Math.min(o.runDocs, 1024);
      let keyHi = Array.from({ length: o.bands }, () => new Uint32Array(cap));
      let keyLo = Array.from({ length: o.bands }, () => new Uint32Array(cap));
      let local = Array.from({ length: o.bands }, () => new Uint32Array(cap));
      const grow = (a: Uint32Array[], to: number) =>
        a.map((x) => {
          const y = new Uint32Array(to);
          y.set(x);
          return y;
        });
      let inRun = 0;
      let runs = 0;
      let signed = 0;
      const flush = () => {
        if (inRun === 0) return;
        const sections: Record<string, Uint32Array> = {};
        for (let b = 0; b < o.bands; b++) {
          sortU64(keyHi[b]!, keyLo[b]!, local[b]!, inRun);
          const rec = new Uint32Array(inRun * 3);
          for (let i = 0; i < inRun; i++) {
            rec[3 * i] = keyHi[b]![i]!;
            rec[3 * i + 1] = keyLo[b]![i]!;
            rec[3 * i + 2] = local[b]![i]!;
          }
          sections[`b${b}`] = rec;
        }
        writeTableFile(taskPath(at.dir, at.task, `-r${String(runs).padStart(4, '0')}.mhr`), RUN_KIND, { task: at.task, run: runs, records: inRun }, sections);
        runs++;
        inRun = 0;
      };
      for await (const doc of docs) {
        const i = ids.add(doc.id);
        if (!hasher.signature(doc.text, sig)) continue;
        signed++;
        for (let b = 0; b < o.bands; b++) {
          bandKey(sig, b, o.rows, key, 0);
          keyHi[b]![inRun] = key[0]!;
          keyLo[b]![inRun] = key[1]!;
          local[b]![inRun] = i;
        }
        if (++inRun === o.runDocs) flush();
        else if (inRun === cap) {
          cap = Math.min(o.runDocs, cap * 2);
          keyHi = grow(keyHi, cap);
          keyLo = grow(keyLo, cap);
          local = grow(local, cap);
        }
      }
      flush();
      ids.write(taskPath(at.dir, at.task, '.ids'));
      writeManifest(at.dir, { task: at.task, docs: ids.count, signed, runs, fingerprint });
    },

    async combine(at: Omit<GlobalStageDirs, 'task'>): Promise<void> {
      const manifests = readManifests(stage, at.dir, at.tasks, fingerprint);
      const offset: number[] = [];
      let total = 0;
      for (const m of manifests) {
        offset.push(total);
        total += m.docs;
      }
      const uf = new UnionFind(total);
      const runFiles: { path: string; tag: number }[] = [];
      for (const m of manifests) {
        for (let r = 0; r < (m.runs as number); r++) runFiles.push({ path: taskPath(at.dir, m.task, `-r${String(r).padStart(4, '0')}.mhr`), tag: m.task });
      }
      for (let b = 0; b < o.bands; b++) {
        const { readers, tables } = openRuns(runFiles, RUN_KIND, `b${b}`, 3);
        try {
          let prevHi = -1;
          let prevLo = -1;
          let first = -1;
          mergeRuns(readers, (r) => {
            const g = offset[r.tag]! + r.word(2);
            if (r.hi() === prevHi && r.lo() === prevLo) uf.union(first, g);
            else {
              prevHi = r.hi();
              prevLo = r.lo();
              first = g;
            }
          });
        } finally {
          closeRuns(tables);
        }
      }
      let duplicates = 0;
      const clusterSize = new Map<number, number>();
      for (const m of manifests) {
        const flags = new Uint8Array(m.docs);
        for (let i = 0; i < m.docs; i++) {
          const g = offset[m.task]! + i;
          const root = uf.find(g);
          if (root !== g) {
            flags[i] = 1;
            duplicates++;
            clusterSize.set(root, (clusterSize.get(root) ?? 1) + 1);
          }
        }
        writeTableFile(taskPath(at.dir, m.task, '.remove'), REMOVE_KIND, { task: m.task, docs: m.docs }, { flags });
      }
      let largest = 0;
      for (const s of clusterSize.values()) largest = Math.max(largest, s);
      writeCombined(at.dir, at.tasks, fingerprint, {
        docs: total,
        signed: manifests.reduce((s, m) => s + (m.signed as number), 0),
        duplicates,
        clusters: clusterSize.size,
        largestCluster: largest,
      });
    },

    async filter(at: GlobalStageDirs): Promise<DocStage> {
      readCombined(stage, at.dir, at.tasks, fingerprint);
      const ids = new DocIdTable(taskPath(at.dir, at.task, '.ids'), stage);
      const flags = readTableFile(taskPath(at.dir, at.task, '.remove'), REMOVE_KIND).get<Uint8Array>('flags', 'u8');
      if (flags.length !== ids.count) throw new Error(`${stage}: ${taskPath(at.dir, at.task, '.remove')} has ${flags.length} flags for ${ids.count} documents`);
      return {
        name: o.name,
        kind: 'dedup',
        process(doc: Doc) {
          return flags[ids.indexOf(doc.id)] ? { keep: false, reason: 'minhash_duplicate' } : { keep: true, doc };
        },
      };
    },
  };
}
