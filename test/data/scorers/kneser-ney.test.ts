import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOS, EOS, FIRST_WORD, KneserNeyCounter, type KneserNeyModel } from '../../../src/data/scorers/kneser-ney.js';
import { mulberry32 } from '../../../src/tensor/random.js';

/** Sentences over `V` words with some structure (a word tends to be followed by the next one). */
function corpus(sentences: number, V: number, seed: number): number[][] {
  const r = mulberry32(seed);
  const out: number[][] = [];
  for (let s = 0; s < sentences; s++) {
    const n = 1 + Math.floor(r() * 12);
    const ids: number[] = [];
    let w = Math.floor(r() * V);
    for (let i = 0; i < n; i++) {
      ids.push(FIRST_WORD + w);
      w = r() < 0.6 ? (w + 1) % V : Math.floor(r() * V);
    }
    out.push(ids);
  }
  return out;
}

function build(sents: number[][], order: number, vocabSize: number, prune?: number[]): KneserNeyModel {
  const c = new KneserNeyCounter(order);
  for (const s of sents) c.addSentence(s);
  return c.build(vocabSize, { prune });
}

/** Contexts to test: seen ones, unseen ones, sentence starts, <unk>. */
function contexts(V: number, seed: number, sents: number[][]): number[][] {
  const r = mulberry32(seed);
  const out: number[][] = [[], [BOS], [0], [BOS, 0], [EOS]];
  for (const s of sents.slice(0, 20)) for (let i = 0; i < s.length; i++) out.push([BOS, ...s.slice(0, i + 1)]);
  for (let i = 0; i < 30; i++) out.push(Array.from({ length: 1 + Math.floor(r() * 5) }, () => FIRST_WORD + Math.floor(r() * V)));
  return out;
}

function vocabularySum(m: KneserNeyModel, ctx: number[]): number {
  let s = 0;
  for (let w = 0; w < m.vocabSize; w++) if (w !== BOS) s += m.prob(ctx, w);
  return s;
}

test('p(. | context) sums to 1 over the vocabulary (with <unk> and </s>, without <s>) for every context, order and pruning', () => {
  const V = 40;
  const sents = corpus(400, V, 1);
  const vocabSize = FIRST_WORD + V + 3; // three words never seen: probability from the uniform part only
  for (const order of [1, 2, 3, 5]) {
    for (const prune of [undefined, [0, 0, 1], [0, 1, 2]]) {
      const m = build(sents, order, vocabSize, prune);
      for (const ctx of contexts(V, 2, sents)) {
        const s = vocabularySum(m, ctx);
        assert.ok(Math.abs(s - 1) < 1e-9, `order ${order} prune ${prune} context [${ctx}]: sum ${s}`);
      }
    }
  }
});

test('pruning drops high-order singletons but keeps every prefix and suffix of a kept n-gram', () => {
  const sents = corpus(400, 40, 3);
  const full = build(sents, 4, FIRST_WORD + 40);
  const pruned = build(sents, 4, FIRST_WORD + 40, [0, 0, 1]);
  const [, b2, b3, b4] = full.ngramCounts;
  const [, p2, p3, p4] = pruned.ngramCounts;
  assert.equal(p2, b2);
  assert.ok(p3! < b3! && p4! < b4!, `pruned ${pruned.ngramCounts} vs ${full.ngramCounts}`);
  // Closure: the suffix (k-1)-gram of every kept k-gram is stored.
  for (let k = 3; k <= 4; k++) {
    const lv = pruned.levels[k - 1]!;
    for (let e = 0; e < lv.word.length; e++) {
      const ids: number[] = [lv.word[e]!];
      let p = lv.prefix[e]!;
      for (let j = k - 1; j >= 2; j--) {
        ids.unshift(pruned.levels[j - 1]!.word[p]!);
        p = pruned.levels[j - 1]!.prefix[p]!;
      }
      ids.unshift(p);
      let s = ids[1]!;
      for (let j = 2; j < k; j++) s = pruned.find(j, s, ids[j]!);
      assert.ok(s >= 0, `suffix of [${ids}] missing`);
    }
  }
});

test('scoreSentence is the sum of log10 p over the words and </s>, starting after <s>', () => {
  const sents = corpus(300, 30, 4);
  const m = build(sents, 5, FIRST_WORD + 30);
  for (const s of [sents[0]!, sents[7]!, [FIRST_WORD + 1, FIRST_WORD + 29, FIRST_WORD + 1, 0, FIRST_WORD + 5, FIRST_WORD + 6, FIRST_WORD + 7]]) {
    let want = 0;
    const ctx = [BOS];
    for (const w of [...s, EOS]) {
      want += Math.log10(m.prob(ctx, w));
      ctx.push(w);
    }
    assert.ok(Math.abs(m.scoreSentence(s) - want) < 1e-9, `${m.scoreSentence(s)} vs ${want}`);
  }
});

// A direct transcription of interpolated modified Kneser-Ney as lmplz estimates it (maps of
// strings, recursion), to check the typed-array implementation against.
function referenceModel(sents: number[][], N: number, vocabSize: number): (ctx: number[], w: number) => number {
  const raw: Map<string, number>[] = [];
  const left: Map<string, Set<number>>[] = [];
  for (let k = 1; k <= N; k++) {
    raw[k] = new Map();
    left[k] = new Map();
  }
  for (const s of sents) {
    const seq = [BOS, ...s, EOS];
    for (let k = 1; k <= N; k++) {
      for (let i = 0; i + k <= seq.length; i++) {
        const key = seq.slice(i, i + k).join(' ');
        raw[k]!.set(key, (raw[k]!.get(key) ?? 0) + 1);
        if (i > 0) {
          const l = left[k]!.get(key) ?? new Set();
          l.add(seq[i - 1]!);
          left[k]!.set(key, l);
        }
      }
    }
  }
  const adjusted = (k: number, key: string): number => {
    if (!raw[k]!.has(key)) return 0;
    if (k === N || key.split(' ')[0] === String(BOS)) return raw[k]!.get(key)!;
    return left[k]!.get(key)?.size ?? 0;
  };
  const D: number[][] = [];
  for (let k = 1; k <= N; k++) {
    const t = [0, 0, 0, 0, 0];
    for (const key of raw[k]!.keys()) {
      if (k === 1 && key === String(BOS)) continue;
      const a = adjusted(k, key);
      if (a >= 1 && a <= 4) t[a]!++;
    }
    const Y = t[1]! / (t[1]! + 2 * t[2]!);
    const d = [1 - (2 * Y * t[2]!) / t[1]!, 2 - (3 * Y * t[3]!) / t[2]!, 3 - (4 * Y * t[4]!) / t[3]!];
    D[k] = d.every((x, i) => Number.isFinite(x) && x > 0 && x <= i + 1) ? d : [0.5, 1, 1.5];
  }
  const disc = (k: number, a: number): number => (a === 0 ? 0 : D[k]![Math.min(a, 3) - 1]!);
  const p = (k: number, h: number[], w: number): number => {
    if (k === 1) {
      let S = 0;
      let gam = 0;
      for (const key of raw[1]!.keys()) {
        if (key === String(BOS)) continue;
        const a = adjusted(1, key);
        S += a;
        gam += disc(1, a);
      }
      const a = w === BOS ? 0 : adjusted(1, String(w));
      return (a - disc(1, a)) / S + gam / S / (vocabSize - 1);
    }
    const hk = h.join(' ');
    let S = 0;
    let gam = 0;
    for (const key of raw[k]!.keys()) {
      if (key.slice(0, key.lastIndexOf(' ')) !== hk) continue;
      const a = adjusted(k, key);
      S += a;
      gam += disc(k, a);
    }
    const lower = p(k - 1, h.slice(1), w);
    if (S === 0) return lower;
    const a = adjusted(k, `${hk} ${w}`);
    return (a - disc(k, a)) / S + (gam / S) * lower;
  };
  return (ctx, w) => {
    const h = ctx.slice(Math.max(0, ctx.length - (N - 1)));
    return p(h.length + 1, h, w);
  };
}

test('matches a direct implementation of the interpolated modified Kneser-Ney formulas', () => {
  const V = 12;
  const sents = corpus(120, V, 5);
  const vocabSize = FIRST_WORD + V;
  for (const order of [2, 3, 4]) {
    const m = build(sents, order, vocabSize);
    const ref = referenceModel(sents, order, vocabSize);
    for (const ctx of contexts(V, 6, sents).slice(0, 60)) {
      for (let w = 0; w < vocabSize; w++) {
        if (w === BOS) continue;
        const a = m.prob(ctx, w);
        const b = ref(ctx, w);
        assert.ok(Math.abs(a - b) <= 1e-6 * b, `order ${order} p(${w} | ${ctx}) = ${a}, reference ${b}`);
      }
    }
  }
});

test('lmplz discounts from the counts of adjusted counts; the fallback on tiny corpora', () => {
  const sents = corpus(2000, 50, 7);
  const c = new KneserNeyCounter(3);
  for (const s of sents) c.addSentence(s);
  const m = c.build(FIRST_WORD + 50);
  for (const [k, d] of m.discounts.entries()) {
    if (c.fallback[k]) continue;
    assert.ok(d[0]! > 0 && d[0]! < 1 && d[1]! > 0 && d[1]! < 2 && d[2]! > 0 && d[2]! < 3, `order ${k + 1}: ${d}`);
  }
  const tiny = new KneserNeyCounter(3);
  tiny.addSentence([FIRST_WORD, FIRST_WORD + 1]);
  const t = tiny.build(FIRST_WORD + 2);
  assert.deepEqual(tiny.fallback, [true, true, true]);
  assert.deepEqual(t.discounts[2], [0.5, 1, 1.5]);
  assert.throws(() => new KneserNeyCounter(0), /order must be an integer from 1 to 12/);
});
