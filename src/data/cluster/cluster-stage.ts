// Cluster filter (Yi's "semantic clustering": documents grouped by topic, low-quality clusters
// dropped) as a global stage:
//
// index (per task)  document frequencies of the hashed features over all the task's documents,
//                   and a sample: the `sampleSize` documents with the smallest hash of (seed, id)
//                   (a bottom-k sketch, so the union of the tasks' samples holds the corpus-wide
//                   sample, whatever the split into tasks), each kept as its first maxChars
//                   characters with a title.
// combine (once)    idf from the summed frequencies; spherical k-means (k-means++ seeding from
//                   `seed`, best of `restarts` runs) over the sample's TF-IDF vectors; clusters numbered by size in the
//                   sample, largest first; model.bin (idf, feature-major centroids) and clusters.json (per
//                   cluster: sample size and share, estimated documents, distinctive terms, a few
//                   sample titles and openings) for the report. With `model`, the centroids of an
//                   earlier run are applied instead of trained, so cluster numbers (and the names
//                   given to them) stay put on new data.
// filter (per task) the nearest centroid of every document goes to metadata[field] (-1 for a
//                   document without terms), its name, if named, to metadata[field + '_name'];
//                   documents of the clusters in `drop` (numbers or names) are dropped with
//                   reason `cluster_<id>`; counts `cluster_<id>` (or `cluster_none`) per document.
//
// Memory: index dim x 4 bytes plus the sample (sampleSize x maxChars characters); combine the
// sample's vectors and k x dim x 8 bytes of centroids; filter the model (dim x (k + 1) x 8 bytes).
// Files under `dir`: tNNNNN.json, tNNNNN.df, tNNNNN.sample.json, model.bin, clusters.json,
// combined.json.
import type { Doc, DocStage, GlobalStage, GlobalStageDirs, StageResult } from '../types.js';
import { sha1Hash64 } from '../dedup/doc-ids.js';
import { StageOptionError } from '../errors.js';
import { optionError, resolveOptions } from '../options/resolve.js';
import { count, either, integer, list, oneOf, path, record, stageName, string, type OptionSchema } from '../options/schema.js';
import {
  clearTaskFiles,
  readCombined,
  readJsonFile,
  readManifests,
  readTableFile,
  taskPath,
  writeCombined,
  writeJsonState,
  writeManifest,
  writeTableFile,
} from '../dedup/state-files.js';
import { CJK_MODES, type CjkMode } from '../dedup/tokens.js';
import { nearest, sphericalKMeans } from './kmeans.js';
import { clusterReport } from './report.js';
import { BottomK, smallestHashes, titleOf, type Sampled } from './sample.js';
import { embed, featureCounts, inverseDocumentFrequency, termTokens, type EmbedConfig, type SparseVector } from './tfidf.js';
import { join } from 'node:path';

export interface ClusterFilterOptions {
  name: string;
  /** Number of clusters. */
  k: number;
  /** Hashed features per vector. */
  dim: number;
  /** Characters of each document embedded (its opening). */
  maxChars: number;
  /** Documents k-means trains on (sampled by hash of id, the same whatever the tasks). */
  sampleSize: number;
  /** Most Lloyd iterations. */
  iterations: number;
  /** k-means runs from different seedings; the best is kept. */
  restarts: number;
  seed: number;
  cjk: CjkMode;
  /** Clusters dropped: numbers, or names given in `names`. */
  drop: (number | string)[];
  /** Names of clusters, by number ("3": "ads"), for `drop`, metadata and the report. */
  names: Record<string, string>;
  /** Metadata key of the cluster number. */
  field: string;
  /** A model.bin from an earlier run: apply its centroids instead of training. */
  model: string;
  /** Terms and sample documents per cluster in clusters.json. */
  topTerms: number;
  examples: number;
}

export const CLUSTER_FILTER_DEFAULTS: ClusterFilterOptions = {
  name: 'cluster_filter',
  k: 8,
  dim: 1 << 14,
  maxChars: 5000,
  sampleSize: 5000,
  iterations: 30,
  restarts: 3,
  seed: 1,
  cjk: 'chars',
  drop: [],
  names: {},
  field: 'cluster',
  model: '',
  topTerms: 12,
  examples: 5,
};

export const CLUSTER_FILTER_SCHEMA: OptionSchema<ClusterFilterOptions> = {
  name: stageName,
  k: integer(1, 4096),
  dim: integer(2, 1 << 24),
  maxChars: integer(1),
  sampleSize: integer(1, 1 << 22),
  iterations: integer(1, 10000),
  restarts: integer(1, 100),
  seed: integer(0, 0xffffffff),
  cjk: oneOf(CJK_MODES),
  drop: list(either(count, string({ nonEmpty: true })), 'a list of cluster numbers or names'),
  names: record(string({ nonEmpty: true }), { pattern: /^\d+$/, expected: 'cluster numbers' }, 'an object of cluster numbers to names ({"3": "ads"})'),
  field: string({ nonEmpty: true }),
  model: path,
  topTerms: integer(0, 1000),
  examples: integer(0, 1000),
};

const TYPE = 'cluster_filter';
const DF_KIND = 'cluster-df';
const MODEL_KIND = 'cluster-model';

export function clusterFilter(options?: Partial<ClusterFilterOptions>): GlobalStage {
  const o = resolveOptions(TYPE, CLUSTER_FILTER_DEFAULTS, CLUSTER_FILTER_SCHEMA, options);
  if (o.k * o.dim > 1 << 27) throw optionError(TYPE, o, undefined, `k x dim = ${o.k * o.dim} floats of centroids is too many (at most 2^27)`);
  const cfg: EmbedConfig = { dim: o.dim, maxChars: o.maxChars, cjk: o.cjk };
  const fingerprint = JSON.stringify({ type: TYPE, dim: o.dim, maxChars: o.maxChars, cjk: o.cjk, sampleSize: o.sampleSize, seed: o.seed });
  const modelFingerprint = JSON.stringify({ index: fingerprint, k: o.k, iterations: o.iterations, restarts: o.restarts, model: o.model });
  const stage = o.name;

  return {
    name: o.name,
    kind: 'cluster',
    global: true,

    async index(docs: AsyncIterable<Doc>, at: GlobalStageDirs): Promise<void> {
      clearTaskFiles(at.dir, at.task);
      const df = new Uint32Array(o.dim);
      const sample = new BottomK(o.sampleSize);
      const h = new Uint32Array(2);
      let count = 0;
      for await (const doc of docs) {
        count++;
        for (const f of featureCounts(termTokens(doc.text, cfg), o.dim).keys()) df[f]!++;
        sha1Hash64(`${o.seed}\u0000${doc.id}`, h);
        sample.offer(h[0]!, h[1]!, () => ({ id: doc.id, title: titleOf(doc), text: doc.text.slice(0, o.maxChars) }));
      }
      writeTableFile(taskPath(at.dir, at.task, '.df'), DF_KIND, { task: at.task, docs: count }, { df });
      const sampled = sample.sorted();
      writeJsonState(taskPath(at.dir, at.task, '.sample.json'), sampled);
      writeManifest(at.dir, { task: at.task, docs: count, sampled: sampled.length, fingerprint });
    },

    async combine(at: Omit<GlobalStageDirs, 'task'>): Promise<void> {
      const manifests = readManifests(stage, at.dir, at.tasks, fingerprint);
      const dfSum = new Float64Array(o.dim);
      let docs = 0;
      let sample: Sampled[] = [];
      for (const m of manifests) {
        const df = readTableFile(taskPath(at.dir, m.task, '.df'), DF_KIND).get<Uint32Array>('df', 'u32');
        if (df.length !== o.dim) throw new Error(`${taskPath(at.dir, m.task, '.df')}: ${df.length} features, expected ${o.dim}`);
        for (let f = 0; f < o.dim; f++) dfSum[f]! += df[f]!;
        docs += m.docs;
        const s = readJsonFile<Sampled[]>(taskPath(at.dir, m.task, '.sample.json'));
        if (!Array.isArray(s) || s.length !== m.sampled) throw new Error(`${taskPath(at.dir, m.task, '.sample.json')}: expected ${String(m.sampled)} sampled documents`);
        sample.push(...s);
      }
      sample = smallestHashes(sample, o.sampleSize);

      let idf: Float64Array;
      let centroids: Float64Array;
      let k: number;
      let iterations = 0;
      let vecs: SparseVector[];
      if (o.model) {
        ({ idf, centroids, k } = loadModel(o.model, cfg));
        vecs = sample.map((s) => embed(s.text, cfg, idf));
      } else {
        idf = inverseDocumentFrequency(dfSum, docs);
        vecs = sample.map((s) => embed(s.text, cfg, idf));
        const train = vecs.filter((v) => v.idx.length > 0);
        k = Math.min(o.k, train.length);
        centroids = new Float64Array(0);
        if (k > 0) {
          const r = sphericalKMeans(train, o.dim, k, o.seed, o.iterations, o.restarts);
          iterations = r.iterations;
          centroids = largestFirst(r.centroids, r.assign, k, o.dim);
        }
      }
      const assign = vecs.map((v) => (v.idx.length && k ? nearest(v, centroids, k).cluster : -1));
      writeTableFile(join(at.dir, 'model.bin'), MODEL_KIND, { dim: o.dim, k, maxChars: o.maxChars, cjk: o.cjk }, { idf, centroids });
      const clusters = clusterReport(sample, vecs, assign, k, cfg, { topTerms: o.topTerms, examples: o.examples, names: o.names }, docs);
      writeJsonState(join(at.dir, 'clusters.json'), { k, dim: o.dim, documents: docs, sampled: sample.length, iterations, model: o.model || null, clusters });
      writeCombined(at.dir, at.tasks, modelFingerprint, { docs, sampled: sample.length, k, iterations });
    },

    async filter(at: GlobalStageDirs): Promise<DocStage> {
      readCombined(stage, at.dir, at.tasks, modelFingerprint);
      const { idf, centroids, k } = loadModel(join(at.dir, 'model.bin'), cfg);
      const drop = new Set<number>();
      for (const d of o.drop) {
        const id = typeof d === 'number' ? d : /^\d+$/.test(d) ? Number(d) : Number(Object.entries(o.names).find(([, n]) => n === d)?.[0] ?? NaN);
        if (Number.isNaN(id)) throw optionError(TYPE, o, 'drop', `names cluster '${d}', which 'names' does not define`);
        if (id >= k) throw optionError(TYPE, o, 'drop', `lists cluster ${id}, but the model has clusters 0..${k - 1}`);
        drop.add(id);
      }
      const scratch = new Float64Array(Math.max(1, k));
      return {
        name: o.name,
        kind: 'cluster',
        process(doc: Doc): StageResult {
          const v = embed(doc.text, cfg, idf);
          const id = v.idx.length && k ? nearest(v, centroids, k, scratch).cluster : -1;
          const key = id < 0 ? 'cluster_none' : `cluster_${id}`;
          const counts = { [key]: 1 };
          if (drop.has(id)) return { keep: false, reason: key, counts };
          const metadata: Record<string, unknown> = { ...doc.metadata, [o.field]: id };
          const name = o.names[String(id)];
          if (name) metadata[`${o.field}_name`] = name;
          return { keep: true, doc: { ...doc, metadata }, counts };
        },
      };
    },
  };
}

/** Renumbers clusters by size (largest first; ties by old number). Centroids are feature-major. */
function largestFirst(centroids: Float64Array, assign: Int32Array, k: number, dim: number): Float64Array {
  const size = new Array<number>(k).fill(0);
  for (const a of assign) size[a]!++;
  const order = [...Array(k).keys()].sort((a, b) => size[b]! - size[a]! || a - b);
  const out = new Float64Array(k * dim);
  for (let f = 0; f < dim; f++) order.forEach((old, c) => (out[f * k + c] = centroids[f * k + old]!));
  return out;
}

function loadModel(path: string, cfg: EmbedConfig): { idf: Float64Array; centroids: Float64Array; k: number } {
  const t = readTableFile(path, MODEL_KIND);
  const m = t.meta as { dim: number; k: number; maxChars: number; cjk: string };
  if (m.dim !== cfg.dim || m.maxChars !== cfg.maxChars || m.cjk !== cfg.cjk) {
    throw new StageOptionError(TYPE, 'model', `${path} is a model for dim ${m.dim}, maxChars ${m.maxChars}, cjk ${m.cjk}; this stage has dim ${cfg.dim}, maxChars ${cfg.maxChars}, cjk ${cfg.cjk}`);
  }
  const idf = t.get<Float64Array>('idf', 'f64');
  const centroids = t.get<Float64Array>('centroids', 'f64');
  if (idf.length !== m.dim || centroids.length !== m.k * m.dim) throw new Error(`${path}: section sizes do not match dim ${m.dim} and k ${m.k}`);
  return { idf, centroids, k: m.k };
}

