// Block bookkeeping under load: 1000 requests of random lengths, shared prefixes, stop tokens,
// cancellations (before and during generation) and preemptions on a tiny pool. After every step the
// pool must agree with the block tables (no block both free and used, each ref count equal to the
// table entries naming it); at the end every ref count is back to zero. Every request's output is
// checked against the fake model run alone, so a wrong block in a table shows up too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../src/tensor/random.js';
import { LLMEngine, type EngineSettings } from '../../src/serve/engine.js';
import { collect, greedy, params } from './engine-helpers.js';
import { fakeGenerate, FakeRunner } from './fake-runner.js';

const VOCAB = 997;

function settings(over: Partial<EngineSettings> = {}): EngineSettings {
  return { modelName: 'fake', contextLength: 100, maxSeqs: 8, maxBatchedTokens: 32, maxWaiting: 2000, numBlocks: 40, blockTokens: 4, kvBytesPerToken: 1, prefixCaching: true, sampler: greedy, ...over };
}

const CONFIGS: { name: string; requests: number; over: Partial<EngineSettings> }[] = [
  { name: '1000 random requests with cancellations and preemptions', requests: 1000, over: {} },
  // A budget smaller than the running requests (some wait a step with their blocks held), blocks
  // of an odd size, no prefix cache.
  { name: '300 requests, a budget of 5 tokens, blocks of 5, no prefix cache', requests: 300, over: { maxBatchedTokens: 5, blockTokens: 5, numBlocks: 30, contextLength: 100, prefixCaching: false } },
];

for (const { name, requests, over } of CONFIGS) test(`${name}: the pool agrees with the block tables after every step`, async () => {
  const s = settings(over);
  const runner = new FakeRunner(VOCAB, s.numBlocks, s.blockTokens);
  const engine = new LLMEngine(runner, s);
  let checks = 0;
  runner.onStep = () => {
    engine.kv.check();
    checks++;
  };
  const r = mulberry32(2024);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  // A few shared prefixes, so that the prefix cache hits (and its blocks are shared and evicted).
  const bases = Array.from({ length: 5 }, () => Array.from({ length: 48 }, () => int(3, VOCAB - 1)));
  const jobs: Promise<void>[] = [];
  let cancelled = 0;
  for (let i = 0; i < requests; i++) {
    const base = bases[int(0, bases.length - 1)]!;
    const shared = r() < 0.6 ? base.slice(0, int(0, base.length)) : [];
    const promptTokens = [...shared, ...Array.from({ length: int(shared.length ? 0 : 1, 40) }, () => int(3, VOCAB - 1))].slice(0, 98);
    const maxTokens = int(1, 30);
    const alone = fakeGenerate(promptTokens, maxTokens, s.contextLength, VOCAB);
    // Some requests stop at a token their answer contains.
    const stop = r() < 0.3 && alone.length > 1 ? [alone[int(0, alone.length - 1)]!] : [];
    const want = fakeGenerate(promptTokens, maxTokens, s.contextLength, VOCAB, stop);
    const mode = r();
    const ac = new AbortController();
    const h = engine.submit({ id: `r${i}`, promptTokens, sampling: params(maxTokens, stop), signal: ac.signal });
    if (mode < 0.05) {
      // cancelled while it waits (or before its first step)
      ac.abort();
      cancelled++;
      jobs.push(h.done.then((f) => assert.equal(f.reason, 'cancelled', `r${i}`)));
    } else if (mode < 0.15) {
      // cancelled mid-answer, after `after` tokens
      const after = int(1, 5);
      cancelled++;
      jobs.push(
        (async () => {
          const got: number[] = [];
          for await (const e of h.tokens) {
            got.push(e.token);
            if (got.length === after) h.cancel();
          }
          const f = await h.done;
          // The answer may have ended before the cancellation arrived: then it is whole.
          if (f.reason === 'cancelled') assert.deepEqual(got, want.slice(0, got.length), `r${i}: tokens before the cancellation`);
          else assert.deepEqual(got, want, `r${i}: finished before the cancellation`);
        })(),
      );
    } else {
      jobs.push(
        collect(h).then(({ tokens, finish }) => {
          assert.deepEqual(tokens, want, `r${i}: prompt ${promptTokens.length}, max ${maxTokens}, stop ${stop}`);
          assert.equal(finish.reason, stop.length && want.length < maxTokens && promptTokens.length + want.length < s.contextLength ? 'stop' : 'length', `r${i}`);
          assert.equal(finish.completionTokens, want.length);
        }),
      );
    }
  }
  await Promise.all(jobs);
  engine.kv.check();
  const st = engine.stats();
  console.log(`${checks} steps checked; ${st.preemptionsTotal} preemptions, ${st.prefixCacheHitTokens} prefix-cache hit tokens, ${cancelled} cancelled`);
  assert.ok(checks > 500, `expected many steps, got ${checks}`);
  assert.ok(st.preemptionsTotal > 10, `expected preemptions, got ${st.preemptionsTotal}`);
  if (s.prefixCaching) assert.ok(st.prefixCacheHitTokens > 1000, `expected prefix-cache hits, got ${st.prefixCacheHitTokens}`);
  else assert.equal(st.prefixCacheHitTokens, 0);
  assert.equal(st.kvBlocksUsed, 0);
  assert.equal(st.kvBlocksFree, s.numBlocks);
  for (let b = 0; b < s.numBlocks; b++) assert.equal(engine.kv.pool.refCount(b), 0, `block ${b}`);
  assert.equal(engine.kv.holders, 0);
  assert.equal(st.requestsRunning + st.requestsWaiting, 0);
  await engine.close();
  assert.ok(runner.disposed);
});
