// A bounded load on loopback: 64 concurrent streaming clients, some of which disconnect midway, against
// a queue too short for all of them. No 5xx; every client that stays gets a complete answer (a finish
// reason, then [DONE]) or a 429; at the end nothing is running or waiting and every KV block is free
// (read through /metrics). 3 s by default, 30 s with YI_SLOW_TESTS=1.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { mulberry32 } from '../../src/tensor/random.js';
import { MODEL, metric, startTinyServer, useTinyModel, type TinyServer } from './tiny-server.js';

const tiny = useTinyModel();
let srv: TinyServer;
before(async () => {
  await tiny.ready;
  srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { maxQueue: 8 });
});
after(async () => {
  await srv.server.close({ graceful: false });
});

type Outcome = 'complete' | 'incomplete' | 'disconnected' | 'refused' | `status ${number}` | 'error';

/** One streamed chat request; drops the connection after `dropAfter` chunks when given. */
function client(url: string, body: unknown, dropAfter: number | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      if (res.statusCode === 429) {
        res.resume();
        return resolve('refused');
      }
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(`status ${res.statusCode ?? 0}`);
      }
      let text = '';
      let chunks = 0;
      res.on('data', (d: Buffer) => {
        text += d.toString();
        if (dropAfter !== undefined && ++chunks >= dropAfter) {
          req.destroy();
          resolve('disconnected');
        }
      });
      res.on('end', () => resolve(/"finish_reason":"(stop|length)"[^\n]*\n\ndata: \[DONE\]\n\n$/.test(text) ? 'complete' : 'incomplete'));
      res.on('error', () => resolve(dropAfter !== undefined ? 'disconnected' : 'error'));
    });
    req.on('error', () => resolve(dropAfter !== undefined ? 'disconnected' : 'error'));
    req.end(JSON.stringify(body));
  });
}

test('64 streaming clients with random disconnects: no 5xx, complete answers or 429, everything freed at the end', async (t) => {
  const seconds = process.env.YI_SLOW_TESTS ? 30 : 3;
  const end = Date.now() + seconds * 1e3;
  const random = mulberry32(5);
  const outcomes = new Map<Outcome, number>();
  const words = ['hi', 'tell me', 'why', 'what is 2+2', 'abc', 'go on'];
  await Promise.all(
    Array.from({ length: 64 }, async (_, c) => {
      while (Date.now() < end) {
        const body = { model: MODEL, messages: [{ role: 'user', content: words[Math.floor(random() * words.length)]! }], max_tokens: 4 + Math.floor(random() * 20), temperature: 0.8, seed: c, stream: true };
        const drop = random() < 0.25 ? 1 + Math.floor(random() * 6) : undefined;
        const o = await client(srv.url, body, drop);
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        // A refused client waits a little, as Retry-After asks (shortened for the test).
        if (o === 'refused') await new Promise((r) => setTimeout(r, 20 + random() * 50));
      }
    }),
  );
  const summary = JSON.stringify(Object.fromEntries(outcomes));
  t.diagnostic(`outcomes over ${seconds} s: ${summary}`);
  const bad = [...outcomes.keys()].filter((o) => o !== 'complete' && o !== 'refused' && o !== 'disconnected');
  assert.deepEqual(bad, [], summary);
  assert.ok((outcomes.get('complete') ?? 0) > 0, summary);
  assert.ok((outcomes.get('refused') ?? 0) > 0, `the queue of 8 never filled: ${summary}`);
  // Cancellations reach the engine within a step; give it a moment, then everything is free.
  let m = '';
  for (let i = 0; i < 100; i++) {
    m = await (await fetch(`${srv.url}/metrics`)).text();
    if (metric(m, 'yi_requests_running') === 0 && metric(m, 'yi_requests_waiting') === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(metric(m, 'yi_requests_running'), 0);
  assert.equal(metric(m, 'yi_requests_waiting'), 0);
  assert.equal(metric(m, 'yi_kv_blocks_used'), 0);
  assert.equal(metric(m, 'yi_kv_blocks_free'), metric(m, 'yi_kv_blocks_total'));
  assert.doesNotMatch(m, /code="5\d\d"/, 'a 5xx was answered');
});
