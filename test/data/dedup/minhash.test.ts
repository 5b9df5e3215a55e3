import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { minhashDedup } from '../../../src/data/dedup/minhash-stage.js';
import { loadXxhash, MinHasher, type MinHashConfig } from '../../../src/data/dedup/minhash.js';
import { minhashParameters } from '../../../src/data/dedup/mt19937.js';
import type { Doc } from '../../../src/data/types.js';
import { fixture } from '../../paths.js';
import { changeChars, changeWords, chinese, prose, vocabulary } from './corpus.js';
import { doc, indexAll, iterate, mulberry32, runStage, splitTasks } from './run-global.js';

interface Reference {
  params: Record<string, { a: string[]; b: string[] }>;
  signatures: { shingles: string[]; signature: string[] }[];
}
const ref = fixture<Reference>('dedup-reference.json');
const config: MinHashConfig = { nGrams: 5, bands: 14, rows: 8, seed: 1, cjk: 'chars' };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yi-minhash-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const toBig = (sig: Uint32Array, i: number) => (BigInt(sig[2 * i]!) << 32n) | BigInt(sig[2 * i + 1]!);

test('hash functions are numpy RandomState(seed) draws, as datatrove makes them', () => {
  for (const seed of ['1', '42']) {
    const { a, b } = minhashParameters(Number(seed), 112);
    assert.deepEqual(a.map(String), ref.params[seed]!.a);
    assert.deepEqual(b.map(String), ref.params[seed]!.b);
  }
});

test("signatures equal datatrove's numpy expression ((h*a + b) mod 2^64) mod (2^61 - 1) over the same shingles", async () => {
  const h = new MinHasher(config, await loadXxhash());
  const out = new Uint32Array(224);
  for (const c of ref.signatures) {
    const sh = new Uint32Array(c.shingles.length * 2);
    c.shingles.forEach((s, i) => {
      const v = BigInt(s);
      sh[2 * i] = Number(v >> 32n);
      sh[2 * i + 1] = Number(v & 0xffffffffn);
    });
    assert.equal(h.signatureOf(sh, c.shingles.length, out), true);
    assert.deepEqual(Array.from({ length: 112 }, (_, i) => String(toBig(out, i))), c.signature);
  }
  // Random shingles against a BigInt evaluation of the same formula (the fast path's estimate
  // must never skip a new minimum).
  const P = (1n << 61n) - 1n;
  const rnd = mulberry32(3);
  // 112 functions (two at a time) and an odd 15 (the last one alone), other seeds.
  const odd = new MinHasher({ ...config, bands: 3, rows: 5, seed: 9 }, await loadXxhash());
  for (const [hasher, seed, count] of [[h, 1, 112], [odd, 9, 15]] as const) for (const n of [1, 2, 7, 50, 400]) {
    const { a, b } = minhashParameters(seed, count);
    const sh = new Uint32Array(2 * n);
    for (let i = 0; i < sh.length; i++) sh[i] = Math.floor(rnd() * 2 ** 32);
    hasher.signatureOf(sh, n, out);
    for (let k = 0; k < a.length; k++) {
      let min = P;
      for (let s = 0; s < n; s++) {
        const v = BigInt.asUintN(64, ((BigInt(sh[2 * s]!) << 32n) | BigInt(sh[2 * s + 1]!)) * a[k]! + b[k]!) % P;
        if (v < min) min = v;
      }
      assert.equal(toBig(out, k), min, `n=${n} hash ${k}`);
    }
  }
});

test('shingles are xxHash64 of the simplified words joined by spaces, 5 at a time; under 5 words, no signature', async () => {
  const x = await loadXxhash();
  const h = new MinHasher(config, x);
  const text = 'The QUICK brown fox, born in 1999, jumps over the lazy dog!';
  const w = 'the quick brown fox born in 0 jumps over the lazy dog'.split(' ');
  assert.equal(h.tokenText(text), w.join(' '));
  const got: bigint[] = [];
  assert.equal(h.shingles(text, (hi, lo) => got.push((BigInt(hi) << 32n) | BigInt(lo))), w.length - 4);
  assert.deepEqual(got, w.slice(0, w.length - 4).map((_, i) => x.h64(w.slice(i, i + 5).join(' '))));
  assert.equal(h.signature('only four words here', new Uint32Array(224)), false);
  assert.equal(h.signature('five words are just enough', new Uint32Array(224)), true);
  // Chinese: one token per character (the default), or jieba words.
  assert.equal(h.tokenText('我们在 iPhone 上学习。'), '我 们 在 iphone 上 学 习');
  const j = new MinHasher({ ...config, cjk: 'jieba' }, x);
  assert.equal(j.tokenText('我们在 iPhone 上学习。'), '我们 在 iphone 上 学习');
});

test('estimated Jaccard (share of equal signature values) tracks the true shingle Jaccard', async () => {
  const h = new MinHasher(config, await loadXxhash());
  const vocab = vocabulary(300);
  const rnd = mulberry32(11);
  const sa = new Uint32Array(224);
  const sb = new Uint32Array(224);
  const shingleSet = (t: string) => {
    const s = new Set<string>();
    h.shingles(t, (hi, lo) => s.add(`${hi}:${lo}`));
    return s;
  };
  let sumErr = 0;
  const pairs = 40;
  for (let p = 0; p < pairs; p++) {
    const base = prose(rnd, vocab, 200 + Math.floor(rnd() * 300));
    const other = changeWords(rnd, base, vocab, Math.floor(rnd() * 40));
    const A = shingleSet(base);
    const B = shingleSet(other);
    const inter = [...A].filter((x) => B.has(x)).length;
    const jaccard = inter / (A.size + B.size - inter);
    h.signature(base, sa);
    h.signature(other, sb);
    let eq = 0;
    for (let i = 0; i < 112; i++) if (sa[2 * i] === sb[2 * i] && sa[2 * i + 1] === sb[2 * i + 1]) eq++;
    const est = eq / 112;
    // Binomial(112, J): 4.5 standard deviations.
    assert.ok(Math.abs(est - jaccard) <= 4.5 * Math.sqrt((jaccard * (1 - jaccard)) / 112) + 1e-9, `pair ${p}: estimate ${est}, true ${jaccard}`);
    sumErr += Math.abs(est - jaccard);
  }
  assert.ok(sumErr / pairs < 0.05, `mean |error| ${sumErr / pairs}`);
});

/** 30 distinct documents, near-duplicates (a few words changed) of some, and exact copies. */
function corpus(): { docs: Doc[]; dupOf: Map<string, string> } {
  const vocab = vocabulary(2000);
  const rnd = mulberry32(5);
  const docs: Doc[] = [];
  const dupOf = new Map<string, string>();
  const originals: Doc[] = [];
  for (let i = 0; i < 30; i++) originals.push(doc(`orig-${i}`, prose(rnd, vocab, 300)));
  docs.push(...originals.slice(0, 20));
  for (let i = 0; i < 10; i++) {
    const src = originals[i]!;
    const id = `near-${i}`;
    docs.push(doc(id, changeWords(rnd, src.text, vocab, 3)));
    dupOf.set(id, src.id);
  }
  docs.push(...originals.slice(20));
  docs.push(doc('copy-0', originals[0]!.text));
  dupOf.set('copy-0', 'orig-0');
  // A document with too few words for a shingle is never a duplicate, even of its twin.
  docs.push(doc('short-a', 'too short'), doc('short-b', 'too short'));
  return { docs, dupOf };
}

test('near-duplicates are dropped as minhash_duplicate, distinct documents kept, each cluster keeps its first', async () => {
  const { docs, dupOf } = corpus();
  const run = await runStage(minhashDedup(), [docs]);
  const dropped = run.dropped[0]!;
  assert.deepEqual(dropped.map((d) => d.id).sort(), [...dupOf.keys()].sort());
  assert.ok(dropped.every((d) => d.reason === 'minhash_duplicate'));
  assert.equal(run.kept[0]!.length, docs.length - dupOf.size);
  // The near-duplicate comes first in the stream: then it is the one kept, and the original goes.
  const reordered = [docs.find((d) => d.id === 'near-3')!, ...docs.filter((d) => d.id !== 'near-3')];
  const run2 = await runStage(minhashDedup(), [reordered]);
  const ids2 = run2.dropped[0]!.map((d) => d.id);
  assert.ok(ids2.includes('orig-3') && !ids2.includes('near-3'));
});

test('the same decisions with 1, 3 or 7 tasks, and with runs of 4 documents (external merge)', async () => {
  const { docs } = corpus();
  const one = await runStage(minhashDedup(), [docs]);
  const want = one.dropped[0]!.map((d) => d.id);
  for (const [tasks, runDocs] of [[3, 100_000], [7, 4], [1, 4]] as const) {
    const run = await runStage(minhashDedup({ runDocs }), splitTasks(docs, tasks));
    assert.deepEqual(run.dropped.flat().map((d) => d.id), want, `${tasks} tasks, runDocs ${runDocs}`);
  }
});

test('Chinese near-duplicates are caught with character shingles and with jieba words', async () => {
  const rnd = mulberry32(9);
  const docs: Doc[] = [];
  for (let i = 0; i < 12; i++) docs.push(doc(`zh-${i}`, chinese(rnd, 600)));
  docs.push(doc('zh-near', changeChars(rnd, docs[4]!.text, 4)));
  docs.push(doc('mixed-near', changeChars(rnd, docs[7]!.text + ' iPhone 15 Pro 发布会', 2)));
  for (const cjk of ['chars', 'jieba'] as const) {
    const run = await runStage(minhashDedup({ cjk }), [docs]);
    assert.deepEqual(run.dropped[0]!.map((d) => d.id), ['zh-near', 'mixed-near'], cjk);
  }
});

test('index reruns overwrite what a killed run left; combine and filter refuse missing or foreign state', async () => {
  const { docs } = corpus();
  const tasks = splitTasks(docs, 2);
  const dir = tmp();
  const stage = minhashDedup({ runDocs: 8 });
  await assert.rejects(stage.combine({ dir, tasks: 2 }), /task 0 of 2 has not been indexed/);
  await indexAll(stage, tasks, dir);
  const files = readdirSync(dir).sort();
  const before = files.map((f) => readFileSync(join(dir, f)));
  // A killed rerun of task 1: its manifest removed, a stray half-written run left behind.
  rmSync(join(dir, 't00001.json'));
  writeFileSync(join(dir, 't00001-r0099.mhr'), 'partial');
  await assert.rejects(stage.combine({ dir, tasks: 2 }), /task 1 of 2 has not been indexed/);
  await stage.index(iterate(tasks[1]!), { dir, task: 1, tasks: 2 });
  assert.deepEqual(readdirSync(dir).sort(), files);
  assert.deepEqual(files.map((f) => readFileSync(join(dir, f))), before);
  await assert.rejects(stage.filter({ dir, task: 0, tasks: 2 }), /combine has not run/);
  await stage.combine({ dir, tasks: 2 });
  assert.ok(existsSync(join(dir, 'combined.json')));
  const summary = JSON.parse(readFileSync(join(dir, 'combined.json'), 'utf8'));
  assert.equal(summary.docs, docs.length);
  assert.equal(summary.duplicates, 11);
  const f = await stage.filter({ dir, task: 0, tasks: 2 });
  assert.throws(() => f.process(doc('never-indexed', 'x')), /'never-indexed' reaches filter but was not indexed/);
  // Other options than the index was made with.
  await assert.rejects(minhashDedup({ nGrams: 4 }).combine({ dir, tasks: 2 }), /indexed with other options/);
  await assert.rejects(minhashDedup().filter({ dir, task: 0, tasks: 3 }), /combined over 2 tasks, this run has 3/);
  // A truncated state file names itself.
  const ids = join(dir, 't00000.ids');
  const idBytes = readFileSync(ids);
  writeFileSync(ids, idBytes.subarray(0, idBytes.length - 8));
  await assert.rejects(stage.filter({ dir, task: 0, tasks: 2 }), /t00000\.ids: section 'hash' .* runs past the end of the file/);
});

test('bad options fail at construction, naming the option', () => {
  assert.throws(() => minhashDedup({ bands: 0 }), /minhash_dedup: option 'bands' must be a whole number from 1 to 1024, got 0/);
  assert.throws(() => minhashDedup({ cjk: 'words' as never }), /option 'cjk' must be one of chars, jieba/);
  assert.throws(() => minhashDedup({ ngrams: 5 } as never), /option 'ngrams' is unknown; did you mean 'nGrams'\?/);
  assert.throws(() => minhashDedup({ seed: '1' as never }), /option 'seed' must be a whole number from 0 to 4294967295, got "1"/);
});
