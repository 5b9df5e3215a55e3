// yi's perplexity against a float64 reference computed from the model's own logits, one token at a
// time through forward() (the decode path, not forwardAll), on the yi-tiny fixture.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvalError } from '../../src/eval/errors.js';
import { perplexity, perplexityOfText, tokenNll } from '../../src/eval/perplexity.js';
import type { YiModel } from '../../src/model/model.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { useTinyModel } from '../model/tiny-model.js';

let model: YiModel;
useTinyModel({ contextLength: 32, batch: 8 }, (m) => (model = m));

const tokens = Array.from({ length: 101 }, (_, i) => (i * 37 + 11 * (i % 5) + 3) % 96);

/** -log p(target) in float64 from logits: log-sum-exp over doubles. */
function nll64(logits: Float32Array, target: number): number {
  const x = Array.from(logits, Number);
  const m = Math.max(...x);
  return m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0)) - x[target]!;
}

/** Logits after each of `ids`, fed one token at a time from an empty cache. */
function decodeLogits(ids: readonly number[]): Float32Array[] {
  model.reset();
  const out = ids.map((t) => model.forward([t]).toArray());
  model.reset();
  return out;
}

test("tokenNll is -log softmax, in float64 as llama-perplexity's log_softmax", () => {
  const l = new Float32Array([1.5, -2, 0.25, 3, 3]);
  assert.ok(Math.abs(tokenNll(l, 3) - nll64(l, 3)) < 1e-12);
  assert.ok(Math.abs(tokenNll(l, 1) - (Math.log(Array.from(l).reduce((s, v) => s + Math.exp(v), 0)) + 2)) < 1e-12);
});

test("llama-perplexity's chunks: the running and final perplexity and its error match the float64 reference", async () => {
  const ctx = 16;
  const bos = 1;
  const r = await perplexity(model, tokens, { ctx, bos });
  // Reference: 6 chunks of 16 (101 / 16), BOS at 0, positions 8 .. 14 score tokens 9 .. 15.
  const nlls: number[] = [];
  const running: number[] = [];
  for (let c = 0; c < 6; c++) {
    const ids = tokens.slice(c * ctx, (c + 1) * ctx);
    ids[0] = bos;
    const logits = decodeLogits(ids);
    for (let j = ctx / 2; j <= ctx - 2; j++) nlls.push(nll64(logits[j]!, ids[j + 1]!));
    running.push(Math.exp(nlls.reduce((a, b) => a + b, 0) / nlls.length));
  }
  const mean = nlls.reduce((a, b) => a + b, 0) / nlls.length;
  const sd = Math.sqrt((nlls.reduce((a, b) => a + b * b, 0) / nlls.length - mean * mean) / (nlls.length - 1));
  assert.equal(r.scored, 6 * 7);
  assert.equal(r.windows, 6);
  assert.equal(r.method, 'chunks');
  assert.ok(r.ppl > 1 && r.ppl < 1000);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(r.running[i]! / running[i]! - 1) < 1e-5, `chunk ${i + 1}: ${r.running[i]} vs ${running[i]}`);
  assert.ok(Math.abs(r.nll - mean) < 1e-5, `${r.nll} vs ${mean}`);
  assert.ok(Math.abs(r.error / (sd * Math.exp(mean)) - 1) < 1e-4, `${r.error} vs ${sd * Math.exp(mean)}`);
  // The batch (8) splits each chunk in two forward steps; one step per chunk gives the same figure.
  assert.equal(model.position, 0, 'the cache is left empty');
});

test("Hugging Face's sliding window: every token after the first, scored once, matches the reference", async () => {
  const ctx = 16;
  const stride = 6;
  const r = await perplexity(model, tokens, { ctx, stride, bos: 1 });
  // The reference follows the Hugging Face guide's loop directly.
  let sum = 0;
  let n = 0;
  let prevEnd = 0;
  for (let begin = 0; ; begin += stride) {
    const end = Math.min(begin + ctx, tokens.length);
    const trg = end - prevEnd;
    const ids = tokens.slice(begin, end);
    const logits = decodeLogits(ids);
    for (let k = Math.max(1, ids.length - trg); k < ids.length; k++) {
      sum += nll64(logits[k - 1]!, ids[k]!);
      n++;
    }
    prevEnd = end;
    if (end === tokens.length) break;
  }
  assert.equal(n, tokens.length - 1);
  assert.equal(r.scored, n);
  assert.equal(r.method, 'stride');
  assert.ok(Math.abs(r.nll - sum / n) < 1e-5, `${r.nll} vs ${sum / n}`);
});

test('an aborted run covers the complete windows only; aborted before the first, none', async () => {
  const stop = new AbortController();
  const r = await perplexity(model, tokens, { ctx: 16, bos: 1, signal: stop.signal, onWindow: (w) => w.index === 2 && stop.abort() });
  assert.equal(r.aborted, true);
  assert.equal(r.windows, 2);
  assert.equal(r.totalWindows, 6);
  const full = await perplexity(model, tokens, { ctx: 16, bos: 1, chunks: 2 });
  assert.equal(r.ppl, full.ppl);
  // Aborted within a window (between its forward steps): that window is not counted.
  const mid = new AbortController();
  let steps = 0;
  const m = await perplexity(model, tokens, { ctx: 16, bos: 1, signal: mid.signal, onProgress: () => ++steps === 3 && mid.abort() });
  assert.equal(m.windows, 1);
  assert.equal(m.ppl, (await perplexity(model, tokens, { ctx: 16, bos: 1, chunks: 1 })).ppl);
  const none = await perplexity(model, tokens, { ctx: 16, signal: AbortSignal.abort() });
  assert.equal(none.windows, 0);
  assert.ok(Number.isNaN(none.ppl));
});

test('bad inputs: a context beyond the loaded one, an empty or too short text', async () => {
  await assert.rejects(perplexity(model, tokens, { ctx: 64 }), (e: unknown) => e instanceof EvalError && /64 tokens is more than the model was loaded with \(32\)/.test(e.message));
  const tok = Tokenizer.fromSentencePiece(encodeModelProto(tinyTokenizerProto()));
  await assert.rejects(perplexityOfText(model, tok, ' \n', { source: 'x.txt' }), (e: unknown) => e instanceof EvalError && /x\.txt is empty/.test(e.message));
  await assert.rejects(perplexityOfText(model, tok, 'short text', { source: 'x.txt', ctx: 16 }), (e: unknown) => e instanceof EvalError && /^x\.txt: the text is \d+ tokens; perplexity with a context of 16 needs at least 32/.test(e.message));
});
