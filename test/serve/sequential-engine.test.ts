// The sequential engine on the tiny model: greedy tokens equal generate()'s, the cached prefix is
// reused, cancellation ends a request within a step, the queue and the context refuse at submit,
// and close() cancels or finishes what is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate } from '../../src/model/generate.js';
import { ContextLengthError, QueueFullError, type SamplingParams, type TokenEvent } from '../../src/serve/engine-api.js';
import { SequentialEngine } from '../../src/serve/sequential-engine.js';
import { slowSampler, useTinyModel } from './tiny-server.js';

const tiny = useTinyModel();

const greedy = (p: Partial<SamplingParams> = {}): SamplingParams => ({
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  seed: 1,
  maxTokens: 12,
  stopTokens: [],
  logprobs: null,
  ...p,
});

async function collect(tokens: AsyncIterable<TokenEvent>): Promise<number[]> {
  const out: number[] = [];
  for await (const e of tokens) out.push(e.token);
  return out;
}

test('greedy requests give generate()\'s tokens, one after the other, and reuse the common prefix', async () => {
  const model = tiny.model();
  const tok = tiny.tokenizer();
  const prompts = ['hello there', 'hello world', 'abc'].map((s) => tok.encode(s));
  const want = prompts.map((p) => {
    model.reset();
    return generate(model, tok, p, { temperature: 0, maxTokens: 12, stopTokens: [] }).tokens;
  });
  model.reset();
  const engine = new SequentialEngine({ model, modelName: 'tiny' });
  const handles = prompts.map((p, i) => engine.submit({ id: `r${i}`, promptTokens: p, sampling: greedy() }));
  const got = await Promise.all(handles.map((h) => collect(h.tokens)));
  assert.deepEqual(got, want);
  const infos = await Promise.all(handles.map((h) => h.done));
  assert.deepEqual(infos.map((i) => i.reason), ['length', 'length', 'length']);
  assert.equal(infos[0]!.cachedPromptTokens, 0);
  // 'hello world' shares 'hello ' (and the BOS, if any) with 'hello there'
  const shared = prompts[1]!.findIndex((t, i) => t !== prompts[0]![i]);
  assert.equal(infos[1]!.cachedPromptTokens, shared);
  assert.equal(engine.stats().prefixCacheHitTokens, shared);
  assert.equal(engine.stats().generationTokensTotal, 36);
  await engine.close();
});

test('a stop token ends the request without being emitted', async () => {
  const model = tiny.model();
  const tok = tiny.tokenizer();
  model.reset();
  const prompt = tok.encode('stop me');
  const engine = new SequentialEngine({ model, modelName: 'tiny' });
  const free = await collect(engine.submit({ id: 'a', promptTokens: prompt, sampling: greedy() }).tokens);
  const h = engine.submit({ id: 'b', promptTokens: prompt, sampling: greedy({ stopTokens: [free[3]!] }) });
  const toks = await collect(h.tokens);
  assert.deepEqual(toks, free.slice(0, free.indexOf(free[3]!)));
  assert.equal((await h.done).reason, 'stop');
  await engine.close();
});

test('cancelling (by handle or by signal) ends a request within a step; the next one runs', async () => {
  const model = tiny.model();
  const tok = tiny.tokenizer();
  const engine = new SequentialEngine({ model, modelName: 'tiny', samplerFactory: slowSampler(5) });
  const ac = new AbortController();
  const a = engine.submit({ id: 'a', promptTokens: tok.encode('first'), sampling: greedy({ maxTokens: 40 }), signal: ac.signal });
  const b = engine.submit({ id: 'b', promptTokens: tok.encode('second'), sampling: greedy({ maxTokens: 3 }) });
  let n = 0;
  for await (const _ of a.tokens) if (++n === 2) ac.abort();
  const info = await a.done;
  assert.equal(info.reason, 'cancelled');
  assert.ok(info.completionTokens <= 3, `${info.completionTokens} tokens after the abort`);
  assert.equal((await b.done).reason, 'length');
  const c = engine.submit({ id: 'c', promptTokens: tok.encode('third'), sampling: greedy({ maxTokens: 40 }) });
  c.cancel();
  assert.equal((await c.done).reason, 'cancelled');
  assert.equal(engine.stats().requestsRunning, 0);
  assert.equal(engine.stats().kvBlocksUsed, 0);
  await engine.close();
});

test('submit refuses a prompt that leaves no room in the context, and a full queue', async () => {
  const model = tiny.model();
  const engine = new SequentialEngine({ model, modelName: 'tiny', maxQueue: 1, samplerFactory: slowSampler(5) });
  assert.throws(() => engine.submit({ id: 'x', promptTokens: new Array(64).fill(5), sampling: greedy() }), ContextLengthError);
  assert.throws(() => engine.submit({ id: 'x', promptTokens: [], sampling: greedy() }), ContextLengthError);
  const a = engine.submit({ id: 'a', promptTokens: [5, 6], sampling: greedy({ maxTokens: 20 }) });
  const b = engine.submit({ id: 'b', promptTokens: [5, 7], sampling: greedy({ maxTokens: 2 }) });
  assert.throws(() => engine.submit({ id: 'c', promptTokens: [5, 8], sampling: greedy() }), QueueFullError);
  assert.equal(engine.stats().requestsWaiting + engine.stats().requestsRunning, 2);
  // close(graceful: false) cancels both
  await engine.close({ graceful: false });
  assert.equal((await a.done).reason, 'cancelled');
  assert.equal((await b.done).reason, 'cancelled');
  assert.throws(() => engine.submit({ id: 'd', promptTokens: [5], sampling: greedy() }), QueueFullError);
});

test('a graceful close lets queued requests finish', async () => {
  const model = tiny.model();
  const engine = new SequentialEngine({ model, modelName: 'tiny' });
  const a = engine.submit({ id: 'a', promptTokens: [5, 6], sampling: greedy({ maxTokens: 5 }) });
  const b = engine.submit({ id: 'b', promptTokens: [5, 7], sampling: greedy({ maxTokens: 5 }) });
  await engine.close({ graceful: true });
  assert.deepEqual([(await a.done).completionTokens, (await b.done).completionTokens], [5, 5]);
});
