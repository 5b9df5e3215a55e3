// Spherical k-means (cosine similarity) over L2-normalised sparse vectors, with k-means++ seeding
// (Arthur and Vassilvitskii 2007, greedy variant) drawn from the project's seeded generator. For unit vectors the
// squared distance is 2 (1 - cos), so seeding picks the next centre with probability proportional
// to 1 - (best cosine to a chosen centre); an iteration assigns every vector to its most similar
// centroid and sets each centroid to the normalised sum of its members. Deterministic: fixed
// summation order, ties to the lowest index. Centroids are dense: k x dim float64.
import { mulberry32 } from '../../tensor/random.js';
import type { SparseVector } from './tfidf.js';

export interface KMeansResult {
  /** k rows of dim values, each of unit length (or zero for a cluster that never had a member). */
  centroids: Float64Array;
  /** Cluster of every vector. */
  assign: Int32Array;
  iterations: number;
  /** Sum over vectors of the cosine to their centroid (what k-means maximises). */
  objective: number;
}

export function dotDense(v: SparseVector, dense: Float64Array, offset: number): number {
  let s = 0;
  for (let i = 0; i < v.idx.length; i++) s += v.val[i]! * dense[offset + v.idx[i]!]!;
  return s;
}

/** The most similar centroid and its cosine (ties: the lowest index). */
export function nearest(v: SparseVector, centroids: Float64Array, k: number, dim: number): { cluster: number; cos: number } {
  let best = 0;
  let bestCos = -Infinity;
  for (let c = 0; c < k; c++) {
    const s = dotDense(v, centroids, c * dim);
    if (s > bestCos) {
      bestCos = s;
      best = c;
    }
  }
  return { cluster: best, cos: bestCos };
}

function setCentroid(centroids: Float64Array, c: number, dim: number, v: SparseVector): void {
  centroids.fill(0, c * dim, (c + 1) * dim);
  for (let i = 0; i < v.idx.length; i++) centroids[c * dim + v.idx[i]!] = v.val[i]!;
}

/**
 * The best (highest objective) of `restarts` runs, each seeded from the generator of `seed`: one
 * k-means++ seeding can still land two centres in one natural group and split it.
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

  // Greedy k-means++ (as scikit-learn): each step draws 2 + ln k candidates with probability
  // proportional to 1 - (best cosine to a chosen centre) and keeps the one that lowers the total
  // most; plain k-means++ puts two centres in one group far too often on sparse text vectors.
  const bestCos = new Float64Array(n).fill(-Infinity);
  const chosen = new Uint8Array(n);
  const trials = 2 + Math.floor(Math.log(k));
  const candCos = new Float64Array(n);
  let pick = Math.floor(rnd() * n);
  for (let c = 0; c < k; c++) {
    chosen[pick] = 1;
    setCentroid(centroids, c, dim, vecs[pick]!);
    for (let i = 0; i < n; i++) bestCos[i] = Math.max(bestCos[i]!, dotDense(vecs[i]!, centroids, c * dim));
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
    pick = -1;
    for (let t = 0; t < trials; t++) {
      let u = rnd() * total;
      let cand = -1;
      for (let i = 0; i < n; i++) {
        if (chosen[i]) continue;
        cand = i; // the last unchosen one if rounding runs past the end
        u -= Math.max(0, 1 - bestCos[i]!);
        if (u < 0) break;
      }
      setCentroid(centroids, c + 1, dim, vecs[cand]!);
      let potential = 0;
      for (let i = 0; i < n; i++) {
        candCos[i] = Math.max(bestCos[i]!, dotDense(vecs[i]!, centroids, (c + 1) * dim));
        potential += 1 - candCos[i]!;
      }
      if (potential < bestPotential) {
        bestPotential = potential;
        pick = cand;
      }
    }
  }

  // Lloyd iterations.
  const assign = new Int32Array(n).fill(-1);
  const sims = new Float64Array(n);
  let iterations = 0;
  for (let it = 0; it < maxIterations; it++) {
    iterations++;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const { cluster, cos } = nearest(vecs[i]!, centroids, k, dim);
      sims[i] = cos;
      if (assign[i] !== cluster) {
        assign[i] = cluster;
        changed++;
      }
    }
    if (changed === 0 && it > 0) break;
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
      const off = assign[i]! * dim;
      for (let j = 0; j < v.idx.length; j++) centroids[off + v.idx[j]!]! += v.val[j]!;
    }
    for (let c = 0; c < k; c++) {
      let norm = 0;
      for (let f = 0; f < dim; f++) norm += centroids[c * dim + f]! ** 2;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let f = 0; f < dim; f++) centroids[c * dim + f]! /= norm;
    }
  }
  // Assignments against the final centroids.
  let objective = 0;
  for (let i = 0; i < n; i++) {
    const { cluster, cos } = nearest(vecs[i]!, centroids, k, dim);
    assign[i] = cluster;
    objective += cos;
  }
  return { centroids, assign, iterations, objective };
}
