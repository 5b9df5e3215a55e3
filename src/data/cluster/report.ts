// The per-cluster statistics of cluster_filter's combine, for the run's report (clusters.json).
import type { Sampled } from './sample.js';
import { termsWithFeatures, termTokens, type EmbedConfig, type SparseVector } from './tfidf.js';

export interface ClusterReport {
  id: number;
  name?: string;
  /** Sampled documents in the cluster, their share of the sample, and that share of all documents. */
  sampleDocs: number;
  share: number;
  estimatedDocs: number;
  topTerms: string[];
  examples: { id: string; title: string; opening: string }[];
}

export interface ReportOptions {
  topTerms: number;
  examples: number;
  names: Record<string, string>;
}

/**
 * Per cluster: size in the sample, distinctive terms, examples. A feature is distinctive for a
 * cluster when its mean weight over the cluster's members exceeds its mean over the whole sample;
 * the 3 x topTerms most distinctive features are named by the term (unigram or bigram) that most
 * often produced them in the cluster's documents.
 */
export function clusterReport(sample: Sampled[], vecs: SparseVector[], assign: number[], k: number, cfg: EmbedConfig, o: ReportOptions, docs: number): ClusterReport[] {
  const dim = cfg.dim;
  const members = Array.from({ length: k }, () => [] as number[]);
  const sum = new Float64Array(k * dim);
  const all = new Float64Array(dim);
  assign.forEach((c, i) => {
    if (c < 0) return;
    members[c]!.push(i);
    const v = vecs[i]!;
    for (let j = 0; j < v.idx.length; j++) {
      sum[c * dim + v.idx[j]!]! += v.val[j]!;
      all[v.idx[j]!]! += v.val[j]!;
    }
  });
  const total = members.reduce((s, m) => s + m.length, 0);
  return members.map((m, c) => {
    const score: [number, number][] = [];
    for (let f = 0; f < dim; f++) {
      const d = sum[c * dim + f]! / Math.max(1, m.length) - all[f]! / Math.max(1, total);
      if (d > 0) score.push([f, d]);
    }
    score.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const wanted = new Map<number, Map<string, number>>(score.slice(0, 3 * o.topTerms).map(([f]) => [f, new Map()]));
    for (const i of m) {
      for (const { term, feature } of termsWithFeatures(termTokens(sample[i]!.text, cfg), dim)) {
        const names = wanted.get(feature);
        if (names) names.set(term, (names.get(term) ?? 0) + 1);
      }
    }
    const topTerms: string[] = [];
    for (const names of wanted.values()) {
      let best = '';
      let n = 0;
      for (const [t, cnt] of names) if (cnt > n || (cnt === n && t < best)) [best, n] = [t, cnt];
      if (best && !topTerms.includes(best)) topTerms.push(best);
      if (topTerms.length === o.topTerms) break;
    }
    const r: ClusterReport = {
      id: c,
      sampleDocs: m.length,
      share: total ? m.length / total : 0,
      estimatedDocs: total ? Math.round((m.length / total) * docs) : 0,
      topTerms,
      examples: m.slice(0, o.examples).map((i) => ({ id: sample[i]!.id, title: sample[i]!.title, opening: sample[i]!.text.slice(0, 200) })),
    };
    if (o.names[String(c)]) r.name = o.names[String(c)];
    return r;
  });
}
