// The engine's contract around the model step: refusals at submit, cancellation freeing blocks at
// once, an engine failure rejecting only the affected requests, close (graceful or not).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContextLengthError, EngineClosedError, InvalidRequestError, QueueFullError } from '../../src/serve/engine-api.js';
import { EngineOptionsError } from '../../src/serve/engine-options.js';
import { LLMEngine, type EngineSettings } from '../../src/serve/engine.js';
import { fakeGenerate, FakeRunner } from './fake-runner.js';
import { collect, greedy, params } from './engine-helpers.js';

const VOCAB = 101;

function make(over: Partial<EngineSettings> = {}): { engine: LLMEngine; runner: FakeRunner } {
  const s: EngineSettings = { modelName: 'fake', contextLength: 64, maxSeqs: 4, maxBatchedTokens: 16, maxWaiting: 8, numBlocks: 32, blockTokens: 4, kvBytesPerToken: 1, prefixCaching: true, sampler: greedy, ...over };
  const runner = new FakeRunner(VOCAB, s.numBlocks, s.blockTokens);
  return { engine: new LLMEngine(runner, s), runner };
}

const P = Array.from({ length: 10 }, (_, i) => 5 + i);

test('submit refuses a prompt that does not fit the context, a full queue, and malformed requests, by type', async () => {
  const { engine } = make({ maxSeqs: 1, maxWaiting: 1 });
  assert.throws(() => engine.submit({ id: 'x', promptTokens: new Array(64).fill(3), sampling: params(1) }), ContextLengthError);
  assert.throws(() => engine.submit({ id: 'x', promptTokens: [], sampling: params(1) }), InvalidRequestError);
  assert.throws(() => engine.submit({ id: 'x', promptTokens: [3, VOCAB], sampling: params(1) }), /promptTokens\[1\] = 101/);
  assert.throws(() => engine.submit({ id: 'x', promptTokens: [3], sampling: params(0) }), /maxTokens must be an integer >= 1/);
  // 63 prompt tokens + 1 generated fit exactly.
  const ok = engine.submit({ id: 'a', promptTokens: new Array(63).fill(3), sampling: params(5) });
  // One slot (a's, to be admitted at the next step) and one place in the queue (b's).
  engine.submit({ id: 'b', promptTokens: P, sampling: params(1) });
  assert.throws(
    () => engine.submit({ id: 'c', promptTokens: P, sampling: params(1) }),
    (e: unknown) => e instanceof QueueFullError && /the queue is full: all 1 slots are taken and 1 requests wait \(--max-queue 1\)/.test(e.message),
  );
  const f = await ok.done;
  assert.equal(f.reason, 'length');
  assert.equal(f.completionTokens, 1, 'the context ends the answer');
  await engine.close({ graceful: true });
  assert.throws(() => engine.submit({ id: 'd', promptTokens: P, sampling: params(1) }), EngineClosedError);
});

test('settings whose context does not fit the pool are refused (a request alone must always fit)', () => {
  assert.throws(() => make({ numBlocks: 3, blockTokens: 4, contextLength: 13 }), EngineOptionsError);
});

test('cancelling a running request frees its blocks at once, before the next step', async () => {
  const { engine, runner } = make();
  const h = engine.submit({ id: 'a', promptTokens: P, sampling: params(40) });
  const other = engine.submit({ id: 'b', promptTokens: P.slice(0, 7), sampling: params(40) });
  let n = 0;
  for await (const _ of h.tokens) {
    if (++n === 3) {
      const steps = runner.steps;
      assert.ok(engine.stats().kvBlocksUsed > 0);
      h.cancel();
      assert.equal(runner.steps, steps);
      assert.equal(engine.stats().requestsRunning, 1);
      assert.equal(engine.kv.table(engine['scheduler'].running[0]!).length, engine.stats().kvBlocksUsed, 'only the other request holds blocks');
      engine.kv.check();
    }
  }
  const f = await h.done;
  assert.equal(f.reason, 'cancelled');
  assert.ok(f.completionTokens >= 3);
  const o = await collect(other);
  assert.deepEqual(o.tokens, fakeGenerate(P.slice(0, 7), 40, 64, VOCAB));
  assert.equal(engine.stats().kvBlocksUsed, 0);
  await engine.close();
});

test('an AbortSignal cancels a request, running or still waiting', async () => {
  const { engine } = make({ maxSeqs: 1 });
  const a = new AbortController();
  const b = new AbortController();
  const ha = engine.submit({ id: 'a', promptTokens: P, sampling: params(30), signal: a.signal });
  const hb = engine.submit({ id: 'b', promptTokens: P, sampling: params(30), signal: b.signal });
  for await (const _ of ha.tokens) {
    assert.equal(engine.stats().requestsWaiting, 1);
    b.abort();
    assert.equal(engine.stats().requestsWaiting, 0);
    a.abort();
    assert.equal(engine.stats().kvBlocksUsed, 0);
  }
  assert.equal((await ha.done).reason, 'cancelled');
  assert.equal((await hb.done).reason, 'cancelled');
  assert.equal((await hb.done).completionTokens, 0);
  assert.ok(Number.isNaN((await hb.done).ttftMs));
  // Already aborted at submit: finished at once.
  const c = new AbortController();
  c.abort();
  assert.equal((await engine.submit({ id: 'c', promptTokens: P, sampling: params(3), signal: c.signal }).done).reason, 'cancelled');
  await engine.close();
});

test('a failing step rejects its requests only; the engine keeps serving and the process lives', async () => {
  const { engine, runner } = make();
  runner.failWhen = (seqs) => seqs.some((s) => s.tokens.includes(99));
  const bad = engine.submit({ id: 'bad', promptTokens: [99, 3, 4], sampling: params(5) });
  // Nobody awaits this one's `done`: its rejection must not be unhandled.
  const ignored = engine.submit({ id: 'ignored', promptTokens: [99], sampling: params(5) });
  await assert.rejects(bad.done, /the fake model failed/);
  await assert.rejects(async () => {
    for await (const _ of ignored.tokens);
  }, /the fake model failed/);
  assert.equal(engine.stats().kvBlocksUsed, 0);
  const good = await collect(engine.submit({ id: 'good', promptTokens: P, sampling: params(6) }));
  assert.deepEqual(good.tokens, fakeGenerate(P, 6, 64, VOCAB));
  engine.kv.check();
  await engine.close();
});

test('close({ graceful: true }) lets queued and running requests finish; close() cancels them; both free every block', async () => {
  const g = make({ maxSeqs: 1 });
  const hs = [0, 1, 2].map((i) => g.engine.submit({ id: `g${i}`, promptTokens: P.slice(i), sampling: params(8) }));
  await g.engine.close({ graceful: true });
  for (const [i, h] of hs.entries()) assert.deepEqual((await collect(h)).tokens, fakeGenerate(P.slice(i), 8, 64, VOCAB));
  assert.equal(g.engine.stats().kvBlocksUsed, 0);
  assert.ok(g.runner.disposed);

  const c = make({ maxSeqs: 1 });
  const hc = [0, 1, 2].map((i) => c.engine.submit({ id: `c${i}`, promptTokens: P.slice(i), sampling: params(8) }));
  await c.engine.close();
  for (const h of hc) assert.equal((await h.done).reason, 'cancelled');
  assert.equal(c.engine.stats().kvBlocksUsed, 0);
  assert.equal(c.runner.steps, 0);
});

test('a stop token ends the answer without being emitted', async () => {
  const { engine } = make();
  const alone = fakeGenerate(P, 20, 64, VOCAB);
  const stop = alone[4]!;
  const r = await collect(engine.submit({ id: 'a', promptTokens: P, sampling: params(20, [stop]) }));
  assert.deepEqual(r.tokens, alone.slice(0, alone.indexOf(stop)));
  assert.equal(r.finish.reason, 'stop');
  assert.equal(r.finish.promptTokens, P.length);
  assert.ok(r.finish.ttftMs >= 0 && r.finish.totalMs >= r.finish.ttftMs);
  await engine.close();
});
