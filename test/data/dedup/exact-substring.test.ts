import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exactSubstringDedup } from '../../../src/data/dedup/exact-substring.js';
import { bit, markSharedPrefixes, suffixArray } from '../../../src/data/dedup/suffix-array.js';
import type { Doc } from '../../../src/data/types.js';
import { chinese, prose, vocabulary } from './corpus.js';
import { doc, indexAll, mulberry32, runStage, splitTasks } from './run-global.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function naiveSA(T: Uint8Array): number[] {
  const n = T.length;
  return [...Array(n).keys()].sort((a, b) => {
    while (a < n && b < n) {
      if (T[a] !== T[b]) return T[a]! - T[b]!;
      a++;
      b++;
    }
    return a < n ? 1 : -1;
  });
}

test('SA-IS equals a comparison sort of the suffixes; shared prefixes stop at the separator', () => {
  const rnd = mulberry32(4);
  for (let trial = 0; trial < 1500; trial++) {
    const n = Math.floor(rnd() * 70);
    const k = 1 + Math.floor(rnd() * 4);
    const base = trial % 3 === 0 ? 252 : 0; // symbols next to 255, the largest
    const T = Uint8Array.from({ length: n }, () => base + Math.floor(rnd() * k));
    const SA = new Int32Array(n);
    // Half the trials with a scratch buffer (typed symbols and the recursion's buckets in it).
    suffixArray(T, SA, n, 256, trial % 2 ? new ArrayBuffer(4 * n) : undefined);
    assert.deepEqual(Array.from(SA), naiveSA(T), `text ${Array.from(T)}`);
    if (n === 0) continue;
    const minLength = 1 + Math.floor(rnd() * 4);
    const stop = base + k - 1;
    const shared = markSharedPrefixes(T, SA, n, minLength, stop);
    for (let r = 1; r < n; r++) {
      const i = SA[r]!;
      const j = SA[r - 1]!;
      let h = 0;
      while (i + h < n && j + h < n && T[i + h] === T[j + h] && T[i + h] !== stop) h++;
      assert.equal(bit(shared, i), h >= minLength);
    }
    assert.equal(bit(shared, SA[0]!), false);
  }
  // Larger texts with long repeats (the recursion runs several levels deep).
  const T = new Uint8Array(20000);
  for (let i = 0; i < T.length; i++) T[i] = i % 997 < 600 ? 97 + (i % 7) : Math.floor(rnd() * 3);
  const SA = new Int32Array(T.length);
  suffixArray(T, SA, T.length, 256, new ArrayBuffer(4 * T.length));
  for (let r = 1; r < T.length; r++) assert.ok(Buffer.compare(T.subarray(SA[r - 1]!), T.subarray(SA[r]!)) < 0);
});

/**
 * The definition, by brute force: a byte is cut when a window of L bytes covering it (within its
 * document) appears earlier in the corpus (documents joined by 0xFF); ranges narrowed to whole
 * characters. Returns the texts left (null: nothing left).
 */
function reference(docs: readonly Doc[], L: number): (string | null)[] {
  const bufs = docs.map((d) => Buffer.from(d.text, 'utf8'));
  const all = Buffer.concat(bufs.flatMap((b) => [b, Buffer.from([0xff])]));
  let s = 0;
  return bufs.map((b) => {
    const cut = new Uint8Array(b.length);
    for (let p = 0; p + L <= b.length; p++) {
      const w = b.subarray(p, p + L);
      if (all.indexOf(w) < s + p) cut.fill(1, p, p + L);
    }
    s += b.length + 1;
    const keep: number[] = [];
    for (let i = 0; i < b.length; ) {
      if (!cut[i]) {
        keep.push(i++);
        continue;
      }
      let e = i;
      while (e < b.length && cut[e]) e++;
      let a = i;
      let z = e;
      while (a < z && (b[a]! & 0xc0) === 0x80) a++;
      while (z > a && z < b.length && (b[z]! & 0xc0) === 0x80) z--;
      for (let k = i; k < a; k++) keep.push(k);
      for (let k = z; k < e; k++) keep.push(k);
      i = e;
    }
    const text = Buffer.from(keep.map((k) => b[k]!)).toString('utf8');
    return text.trim() ? text : null;
  });
}

function corpus(): Doc[] {
  const vocab = vocabulary(400);
  const rnd = mulberry32(13);
  const boiler = prose(rnd, vocab, 30);
  const zh = chinese(rnd, 80);
  const docs: Doc[] = [];
  for (let i = 0; i < 24; i++) {
    const parts = [prose(rnd, vocab, 20 + Math.floor(rnd() * 40))];
    if (i % 3 === 0) parts.push(boiler);
    if (i % 4 === 1) parts.push(zh.slice(Math.floor(rnd() * 10)));
    if (i % 5 === 2) parts.push(parts[0]!); // repeated within the document
    parts.push(prose(rnd, vocab, 5));
    docs.push(doc(`d${i}`, parts.join(i % 2 ? '\n' : ' ')));
  }
  docs.push(doc('all-repeat', boiler));
  return docs;
}

test('spans of minBytes or more that occurred before are cut from every later occurrence; whole characters only', async () => {
  const docs = corpus();
  const want = reference(docs, 100);
  for (const tasks of [1, 4]) {
    const run = await runStage(exactSubstringDedup(), splitTasks(docs, tasks));
    const got = new Map<string, string | null>();
    run.kept.flat().forEach((d) => got.set(d.id, d.text));
    run.dropped.flat().forEach((d) => got.set(d.id, null));
    docs.forEach((d, i) => assert.equal(got.get(d.id), want[i], `${tasks} tasks: ${d.id}`));
    assert.deepEqual(run.dropped.flat(), [{ id: 'all-repeat', reason: 'exact_substring_empty' }]);
    assert.ok(run.counts.spans_removed! > 10 && run.counts.bytes_removed! > 1000);
  }
  // The first occurrence keeps its copy; shorter repeats stay.
  const small = [doc('a', 'x'.repeat(20) + ' the shared paragraph of more than forty bytes, really. ' + 'y'.repeat(20)), doc('b', 'other words, then the shared paragraph of more than forty bytes, really. and 中文中文中文')];
  const run = await runStage(exactSubstringDedup({ minBytes: 40 }), [small]);
  assert.equal(run.kept[0]![0]!.text, small[0]!.text);
  assert.equal(run.kept[0]![1]!.text, 'other words, thenand 中文中文中文');
  const run2 = await runStage(exactSubstringDedup({ minBytes: 80 }), [small]);
  assert.equal(run2.kept[0]![1]!.text, small[1]!.text);
});

test('chunks of maxBytes find repeats within a chunk and, as documented, not across chunks', async () => {
  const rnd = mulberry32(2);
  const vocab = vocabulary(300);
  const shared = prose(rnd, vocab, 40);
  const docs = [doc('a', shared), doc('b', prose(rnd, vocab, 40) + ' ' + shared), doc('c', prose(rnd, vocab, 60)), doc('d', shared + '!')];
  const chunk = Buffer.byteLength(docs[0]!.text) + Buffer.byteLength(docs[1]!.text) + 2;
  const run = await runStage(exactSubstringDedup({ maxBytes: chunk }), [docs]);
  assert.ok(run.kept[0]![1]!.text.length < docs[1]!.text.length / 2, 'b loses the copy of a (same chunk)');
  assert.equal(run.kept[0]!.find((d) => d.id === 'd')!.text, docs[3]!.text, 'd, in the next chunk, keeps it');
  const whole = await runStage(exactSubstringDedup(), [docs]);
  assert.equal(whole.kept[0]!.find((d) => d.id === 'd')!.text, '!');
});

test('filter refuses a document whose text changed; combine options can change without a new index', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-substr-'));
  dirs.push(dir);
  const docs = corpus();
  await indexAll(exactSubstringDedup(), [docs], dir);
  const stage = exactSubstringDedup({ minBytes: 60 });
  await stage.combine({ dir, tasks: 1 });
  const f = await stage.filter({ dir, task: 0, tasks: 1 });
  assert.throws(() => f.process(doc('d0', docs[0]!.text + 'x')), /document 'd0' has another length than when it was indexed/);
  await assert.rejects(exactSubstringDedup({ minBytes: 50 }).filter({ dir, task: 0, tasks: 1 }), /was made with other options/);
  assert.throws(() => exactSubstringDedup({ maxBytes: 2 ** 31 }), /option 'maxBytes' must be a whole number from 2 to 2147483647/);
});
