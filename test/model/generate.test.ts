import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from '../../src/model/generate.js';
import { loadModel } from '../../src/model/load.js';
import type { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { argmax } from '../../src/tensor/ops/sample.js';
import { repoRoot } from '../paths.js';
import { tinyTokenizer } from './tiny-tokenizer.js';

const dir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const tok = tinyTokenizer();
let rt: Runtime;
let model: YiModel;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  model = loadModel(rt, dir, { dtype: 'f32', contextLength: 64, batch: 16 });
});
after(async () => {
  model.dispose();
  await rt.close();
});

test('the tiny tokenizer fits the fixture model', () => {
  assert.equal(tok.vocabSize, 96);
  assert.deepEqual(tok.endOfGenerationIds.sort(), [2, 4]);
});

test('greedy generation is the argmax chain of forward()', () => {
  const prompt = tok.encode('hello world');
  const res = generate(model, tok, prompt, { temperature: 0, maxTokens: 12, stopTokens: [] });
  model.reset();
  let logits = model.forward(prompt);
  const want: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = argmax(logits);
    want.push(t);
    logits = model.forward([t]);
  }
  assert.deepEqual(res.tokens, want);
  assert.equal(res.finishReason, 'length');
  assert.equal(res.text, tok.decode(want));
  assert.equal(res.promptTokens, prompt.length);
});

test('the same seed gives the same text; streamed pieces add up to the text', () => {
  const run = (seed: number) => {
    model.reset();
    let streamed = '';
    const r = generate(model, tok, 'Yi says', { seed, temperature: 1, maxTokens: 20, stopTokens: [], onText: (t) => (streamed += t) });
    assert.equal(streamed, r.text);
    return r.text;
  };
  assert.equal(run(5), run(5));
  assert.notEqual(run(5), run(6));
});

test('stop tokens and stop strings end the answer; the stop string is never shown', () => {
  model.reset();
  const free = generate(model, tok, 'abc', { temperature: 0, maxTokens: 20, stopTokens: [] });
  model.reset();
  const first = free.tokens[0]!;
  const stopped = generate(model, tok, 'abc', { temperature: 0, maxTokens: 20, stopTokens: [first] });
  assert.deepEqual([stopped.tokens, stopped.text, stopped.finishReason], [[], '', 'stop']);
  // A stop string from the middle of the free answer.
  const stop = free.text.slice(5, 8);
  const cut = free.text.indexOf(stop);
  model.reset();
  let streamed = '';
  const r = generate(model, tok, 'abc', { temperature: 0, maxTokens: 20, stopTokens: [], stop: [stop], onText: (t) => (streamed += t) });
  assert.equal(r.text, free.text.slice(0, cut));
  assert.equal(streamed, r.text);
  assert.equal(r.finishReason, 'stop');
});

test('a follow-up prompt reuses the cached prefix and answers as a fresh run would', () => {
  model.reset();
  const first = generate(model, tok, 'Hi there', { temperature: 0, maxTokens: 5, stopTokens: [] });
  const second = tok.encode('Hi there' + first.text + ' and more');
  const reused = generate(model, tok, second, { temperature: 0, maxTokens: 8, stopTokens: [] });
  assert.ok(reused.reusedTokens >= tok.encode('Hi there').length, `reused ${reused.reusedTokens}`);
  model.reset();
  const fresh = generate(model, tok, second, { temperature: 0, maxTokens: 8, stopTokens: [] });
  assert.deepEqual(reused.tokens, fresh.tokens);
  assert.equal(fresh.reusedTokens, 0);
});

test('the context limit ends generation, and an oversize prompt is refused', () => {
  model.reset();
  const r = generate(model, tok, 'a'.repeat(60), { temperature: 0, maxTokens: 100, stopTokens: [] });
  assert.equal(r.finishReason, 'context');
  assert.equal(model.position, 64);
  assert.throws(() => generate(model, tok, 'a'.repeat(64)), /the prompt has 64 tokens; the context holds 64/);
  assert.throws(() => generate(model, tok, [], {}), /no tokens/);
});
