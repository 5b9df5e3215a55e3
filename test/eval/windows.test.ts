// Which tokens a perplexity run feeds and scores: llama-perplexity's chunks (second half scored,
// BOS first) and Hugging Face's sliding window (every token but the first scored exactly once), on
// hand-made cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvalError } from '../../src/eval/errors.js';
import { windowTokens } from '../../src/eval/perplexity.js';
import { perplexityWindows } from '../../src/eval/windows.js';

/** Token indices (in the text) each window scores: window position j's logits predict position j + 1. */
function scored(w: { start: number; length: number; first: number }): number[] {
  const out: number[] = [];
  for (let j = w.first; j <= w.length - 2; j++) out.push(w.start + j + 1);
  return out;
}

test('chunks: floor(n / ctx) chunks of ctx tokens, BOS first, the second half scored', () => {
  const w = perplexityWindows(10, { ctx: 4, addBos: true });
  assert.deepEqual(w, [
    { start: 0, length: 4, first: 2, bos: true },
    { start: 4, length: 4, first: 2, bos: true },
  ]);
  // Positions 2 predicts 3 in each chunk: tokens 3 and 7 (llama-perplexity: n_ctx - first - 1 per chunk).
  assert.deepEqual(w.flatMap(scored), [3, 7]);
  const odd = perplexityWindows(23, { ctx: 7, addBos: false });
  assert.equal(odd.length, 3);
  assert.deepEqual(odd.map((c) => [c.start, c.first, c.bos]), [[0, 3, false], [7, 3, false], [14, 3, false]]);
  assert.deepEqual(odd.flatMap(scored), [4, 5, 6, 11, 12, 13, 18, 19, 20]);
});

test('chunks: --chunks caps the count; fewer than two chunks of tokens is refused', () => {
  assert.equal(perplexityWindows(100, { ctx: 8, chunks: 3, addBos: true }).length, 3);
  assert.equal(perplexityWindows(100, { ctx: 8, chunks: 30, addBos: true }).length, 12);
  assert.throws(() => perplexityWindows(15, { ctx: 8, addBos: true }), (e: unknown) => e instanceof EvalError && /15 tokens.*needs at least 16 \(two chunks\)/.test(e.message));
  assert.throws(() => perplexityWindows(100, { ctx: 3, addBos: true }), EvalError);
  assert.throws(() => perplexityWindows(100, { ctx: 8, chunks: 0, addBos: true }), EvalError);
});

test('the BOS rule: a chunk that asks for it gets BOS at 0, the text is not changed', () => {
  const tokens = [1, 10, 11, 12, 13, 14, 15, 16];
  const [a, b] = perplexityWindows(tokens.length, { ctx: 4, addBos: true });
  assert.deepEqual([...windowTokens(tokens, a!, 1)], [1, 10, 11, 12]);
  assert.deepEqual([...windowTokens(tokens, b!, 1)], [1, 14, 15, 16]);
  assert.deepEqual(tokens, [1, 10, 11, 12, 13, 14, 15, 16]);
  // Without a BOS id (a tokenizer that adds none), the chunk is the text's tokens.
  assert.deepEqual([...windowTokens(tokens, b!, undefined)], [13, 14, 15, 16]);
});

test('stride: the hand-made case of 10 tokens, ctx 4, stride 2', () => {
  const w = perplexityWindows(10, { ctx: 4, stride: 2, addBos: true });
  assert.deepEqual(w, [
    { start: 0, length: 4, first: 0, bos: false },
    { start: 2, length: 4, first: 1, bos: false },
    { start: 4, length: 4, first: 1, bos: false },
    { start: 6, length: 4, first: 1, bos: false },
  ]);
  assert.deepEqual(w.map(scored), [[1, 2, 3], [4, 5], [6, 7], [8, 9]]);
});

test('stride < ctx: every token but the first is scored exactly once, with at least ctx - stride tokens before it after the first window', () => {
  for (const [n, ctx, stride] of [[10, 4, 1], [11, 4, 3], [50, 16, 15], [50, 16, 5], [17, 16, 7], [100, 9, 4]] as const) {
    const ws = perplexityWindows(n, { ctx, stride, addBos: false });
    const all = ws.flatMap(scored);
    assert.deepEqual(all, Array.from({ length: n - 1 }, (_, i) => i + 1), `n ${n} ctx ${ctx} stride ${stride}`);
    for (const w of ws.slice(1)) {
      assert.ok(w.length <= ctx);
      assert.ok(w.first + 1 >= Math.min(ctx - stride, w.length - 1), `window at ${w.start}: first scored at ${w.first + 1}`);
    }
  }
  // stride = ctx: disjoint windows, and as in the guide's loop, each window's first token has no context and is not scored.
  const disjoint = perplexityWindows(40, { ctx: 16, stride: 16, addBos: false });
  assert.deepEqual(disjoint.map((w) => [w.start, w.length, w.first]), [[0, 16, 0], [16, 16, 0], [32, 8, 0]]);
  assert.deepEqual(disjoint.flatMap(scored), Array.from({ length: 39 }, (_, i) => i + 1).filter((i) => i !== 16 && i !== 32));
  assert.throws(() => perplexityWindows(16, { ctx: 16, stride: 4, addBos: false }), (e: unknown) => e instanceof EvalError && /needs at least 17/.test(e.message));
  assert.throws(() => perplexityWindows(100, { ctx: 16, stride: 17, addBos: false }), (e: unknown) => e instanceof EvalError && /stride must be an integer from 1 to the context \(16\)/.test(e.message));
  assert.equal(perplexityWindows(100, { ctx: 16, stride: 4, chunks: 2, addBos: false }).length, 2);
});
