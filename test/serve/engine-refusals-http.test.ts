// Each refusal an engine may throw at submit reaches the client as the status it stands for (429,
// 400, 503), never a 500: the HTTP layer's own checks come first, so these are reached only by
// refusals the engine alone can see. An engine that refuses everything stands in for the real one,
// whose refusals have their own tests (engine-lifecycle.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContextLengthError, EngineClosedError, InvalidRequestError, QueueFullError, type Engine } from '../../src/serve/engine-api.js';
import { createServer } from '../../src/serve/http/server.js';
import { tinyTokenizer } from '../model/tiny-tokenizer.js';
import { post } from './tiny-server.js';

function refusingEngine(error: Error): Engine {
  return {
    modelName: 'm',
    contextLength: 64,
    vocabSize: 96,
    submit: () => {
      throw error;
    },
    stats: () => ({ requestsRunning: 0, requestsWaiting: 0, kvBlocksTotal: 1, kvBlocksUsed: 0, kvBlocksFree: 1, blockTokens: 16, kvBytesPerToken: 1, prefixCacheHitTokens: 0, promptTokensTotal: 0, generationTokensTotal: 0, preemptionsTotal: 0 }),
    close: async () => {},
  };
}

const cases: [Error, number, string][] = [
  [new QueueFullError('the queue is full'), 429, 'rate_limit_error'],
  [new ContextLengthError('too long'), 400, 'invalid_request_error'],
  [new InvalidRequestError('promptTokens[0] = 7 is not a token id'), 400, 'invalid_request_error'],
  [new EngineClosedError('shutting down'), 503, 'service_unavailable'],
];

for (const [error, status, type] of cases) {
  test(`an engine's ${error.name} at submit is a ${status} (${type})`, async () => {
    const server = createServer({ engine: refusingEngine(error), tokenizer: tinyTokenizer(), onError: (e) => assert.fail(`unexpected server error: ${e}`) });
    const { port } = await server.listen(0);
    try {
      const r = await post(`http://127.0.0.1:${port}/v1/completions`, { model: 'm', prompt: 'hi', max_tokens: 2 });
      assert.equal(r.status, status);
      assert.equal(r.json.error.type, type);
    } finally {
      await server.close();
    }
  });
}
