// Spherical k-means (cosine similarity) over L2-normalised sparse vectors, with greedy k-means++
// seeding (Arthur and Vassilvitskii 2007; the greedy variant of scikit-learn) drawn from the
// project's seeded generator. For unit vectors the squared distance is 2 (1 - cos), so seeding
// picks the next centre with probability proportional to 1 - (best cosine to a chosen centre); an
// iteration assigns every vector to its most similar centroid and sets each centroid to the
// normalised sum of its members, until under 0.1% of the vectors change cluster. Deterministic: fixed summation order, ties to the lowest index.
//
// Centroids are dense and feature-major: centroids[f * k + c] is feature f of centroid c, so a
// sparse vector's similarities to all k centroids read k adjacent values per nonzero feature.
import { mulberry32 } from '../../tensor/random.js';
import type { SparseVector } from './tfidf.js';

export interface KMeansResult {
  /** dim x k values, feature-major; each centroid of unit length (zero if it never had a member). */
  centroids: Float64Array;
  /** Cluster of every vector. */
  assign: Int32Array;
  iterations: number;
  /** Sum over vectors of the cosine to their centroid (what k-means maximises). */
  objective: number;
}

/** Cosine of v to each of the k centroids, into `out`. */
export function similarities(v: SparseVector, centroids: Float64Array, k: number, out: Float64Array): void {
  out.fill(0, 0, k);
  for (let i = 0; i < v.idx.length; i++) {
    const x = v.val[i]!;
    const row = v.idx[i]! * k;
    for (let c = 0; c < k; c++) out[c]! += x * centroids[row + c]!;
  }
}

/** The most similar centroid and its cosine (ties: the lowest index). */
export function nearest(v: SparseVector, centroids: Float64Array, k: number, scratch = new Float64Array(k)): { cluster: number; cos: number } {
  similarities(v, centroids, k, scratch);
  let best = 0;
  for (let c = 1; c < k; c++) if (scratch[c]! > scratch[best]!) best = c;
  return { cluster: best, cos: scratch[best]! };
}

/** Cosine of v to the one centroid c (seeding adds centroids one at a time). */
function cosineTo(v: SparseVector, centroids: Float64Array, k: number, c: number): number {
  let s = 0;
  for (let i = 0; i < v.idx.length; i++) s += v.val[i]! * centroids[v.idx[i]! * k + c]!;
  return s;
}

function setCentroid(centroids: Float64Array, k: number, dim: number, c: number, v: SparseVector): void {
  for (let f = 0; f < dim; f++) centroids[f * k + c] = 0;
  for (let i = 0; i < v.idx.length; i++) centroids[v.idx[i]! * k + c] = v.val[i]!;
}

/**
 * The best (highest objective) of `restarts` runs, each seeded from the generator of `seed`: one
 * seeding can still land two centres in one natural group and split it.
 */
export function sphericalKMeans(vecs: readonly SparseVector[], dim: number, k: number, seed: number, maxIterations: number, restarts = 1): KMeansResult {
  const n = vecs.length;
  if (k < 1 || k > n) throw new Error(`k-means: k = ${k} needs between 1 and ${n} vectors`);
  const rnd = mulberry32(seed);
  let best: KMeansResult | undefined;
  for (let r = 0; r < restarts; r++) {
    const run = kmeansOnce(vecs, dim, k, rnd, maxIterations);
    if (!best || run.objective > best.objective) best = run;
  }
  return best!;
}

function kmeansOnce(vecs: readonly SparseVector[], dim: number, k: number, rnd: () => number, maxIterations: number): KMeansResult {
  const n = vecs.length;
  const centroids = new Float64Array(k * dim);

  // Greedy k-means++: each step draws 2 + ln k candidates with probability proportional to
  // 1 - (best cosine to a chosen centre) and keeps the one that lowers the total most; plain
  // k-means++ puts two centres in one group far too often on sparse text vectors.
  const bestCos = new Float64Array(n).fill(-Infinity);
  const chosen = new Uint8Array(n);
  const trials = 2 + Math.floor(Math.log(k));
  let pick = Math.floor(rnd() * n);
  for (let c = 0; c < k; c++) {
    chosen[pick] = 1;
    setCentroid(centroids, k, dim, c, vecs[pick]!);
    for (let i = 0; i < n; i++) bestCos[i] = Math.max(bestCos[i]!, cosineTo(vecs[i]!, centroids, k, c));
    if (c + 1 === k) break;
    let total = 0;
    for (let i = 0; i < n; i++) if (!chosen[i]) total += Math.max(0, 1 - bestCos[i]!);
    if (total <= 0) {
      // Every remaining vector sits on a centre (duplicates): any of them.
      const left: number[] = [];
      for (let i = 0; i < n; i++) if (!chosen[i]) left.push(i);
      pick = left[Math.floor(rnd() * left.length)]!;
      continue;
    }
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let u = rnd() * total;
      let cand = -1;
      for (let i = 0; i < n; i++) {
        if (chosen[i]) continue;
        cand = i; // the last unchosen one if rounding runs past the end
        u -= Math.max(0, 1 - bestCos[i]!);
        if (u < 0) break;
      }
      // The candidate is tried in the next centroid's slot.
      setCentroid(centroids, k, dim, c + 1, vecs[cand]!);
      let potential = 0;
      for (let i = 0; i < n; i++) potential += 1 - Math.max(bestCos[i]!, cosineTo(vecs[i]!, centroids, k, c + 1));
      if (potential < bestPotential) {
        bestPotential = potential;
        pick = cand;
      }
    }
  }

  // Lloyd iterations.
  const assign = new Int32Array(n).fill(-1);
  const sims = new Float64Array(n);
  const scratch = new Float64Array(k);
  let iterations = 0;
  for (let it = 0; it < maxIterations; it++) {
    iterations++;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const { cluster, cos } = nearest(vecs[i]!, centroids, k, scratch);
      sims[i] = cos;
      if (assign[i] !== cluster) {
        assign[i] = cluster;
        changed++;
      }
    }
    // Converged: no vector (or under 0.1% of them, on large samples) changed cluster.
    if (it > 0 && changed <= Math.floor(n / 1000)) break;
    // An empty cluster takes the vector worst served by its own centroid (among clusters of 2+).
    const size = new Int32Array(k);
    for (let i = 0; i < n; i++) size[assign[i]!]!++;
    for (let c = 0; c < k; c++) {
      if (size[c]! > 0) continue;
      let worst = -1;
      for (let i = 0; i < n; i++) if (size[assign[i]!]! > 1 && (worst < 0 || sims[i]! < sims[worst]!)) worst = i;
      if (worst < 0) break;
      size[assign[worst]!]!--;
      assign[worst] = c;
      size[c] = 1;
      sims[worst] = 1;
    }
    centroids.fill(0);
    for (let i = 0; i < n; i++) {
      const v = vecs[i]!;
      const c = assign[i]!;
      for (let j = 0; j < v.idx.length; j++) centroids[v.idx[j]! * k + c]! += v.val[j]!;
    }
    const norm = new Float64Array(k);
    for (let f = 0; f < dim; f++) for (let c = 0; c < k; c++) norm[c]! += centroids[f * k + c]! ** 2;
    for (let c = 0; c < k; c++) norm[c] = norm[c]! > 0 ? 1 / Math.sqrt(norm[c]!) : 0;
    for (let f = 0; f < dim; f++) for (let c = 0; c < k; c++) centroids[f * k + c]! *= norm[c]!;
  }
  // Assignments against the final centroids.
  let objective = 0;
  for (let i = 0; i < n; i++) {
    const { cluster, cos } = nearest(vecs[i]!, centroids, k, scratch);
    assign[i] = cluster;
    objective += cos;
  }
  return { centroids, assign, iterations, objective };
}
