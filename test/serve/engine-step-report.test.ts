// LLMEngine.onStep: every step reports its sequences, decodes and prompt-chunk tokens (what the
// serving bench's step profile buckets by), and the totals add up to what the requests computed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LLMEngine, type EngineSettings, type StepReport } from '../../src/serve/engine.js';
import { FakeRunner } from './fake-runner.js';
import { collect, greedy, params } from './engine-helpers.js';

test('onStep reports each step: decodes one token each, prompt chunks the rest, totals match the work', async () => {
  const s: EngineSettings = { modelName: 'fake', contextLength: 64, maxSeqs: 4, maxBatchedTokens: 12, maxWaiting: 8, numBlocks: 64, blockTokens: 4, kvBytesPerToken: 1, prefixCaching: false, sampler: greedy };
  const runner = new FakeRunner(101, s.numBlocks, s.blockTokens);
  const engine = new LLMEngine(runner, s);
  const reports: StepReport[] = [];
  engine.onStep = (r) => reports.push(r);
  const prompts = [10, 7, 15].map((n, k) => Array.from({ length: n }, (_, i) => 3 + ((i + 11 * k) % 90)));
  const outs = await Promise.all(prompts.map((p, k) => collect(engine.submit({ id: `r${k}`, promptTokens: p, sampling: params(5) }))));
  await engine.close({ graceful: true });
  assert.equal(reports.length, engine.stepCount);
  for (const r of reports) {
    assert.equal(r.decodes + r.promptTokens, r.tokens);
    assert.ok(r.tokens <= s.maxBatchedTokens && r.seqs >= 1 && r.decodes <= r.seqs);
    assert.ok(r.runMs >= 0 && r.scheduleMs >= 0 && r.sampleMs >= 0);
  }
  const promptTotal = prompts.reduce((a, p) => a + p.length, 0);
  // Every generated token but each request's last is fed back as one decode.
  const decodeTotal = outs.reduce((a, o) => a + o.tokens.length - 1, 0);
  assert.equal(reports.reduce((a, r) => a + r.promptTokens, 0), promptTotal);
  assert.equal(reports.reduce((a, r) => a + r.decodes, 0), decodeTotal);
  assert.equal(reports.reduce((a, r) => a + r.tokens, 0), engine.computedTokensTotal);
  // The budget of 12 makes the 15-token prompt a chunked one that shares steps with decodes.
  assert.ok(reports.some((r) => r.decodes > 0 && r.promptTokens > 0), 'a step mixing decodes and a prompt chunk');
});
