// The server's behaviour around requests: a disconnected client's request is cancelled, a full
// queue gets 429, --api-key gets 401 without the key, /health, /metrics and the chat page answer,
// and close() lets a running request finish.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { before, test } from 'node:test';
import { MODEL, metric, post, slowSampler, startTinyServer, useTinyModel } from './tiny-server.js';

const tiny = useTinyModel();
before(() => tiny.ready);

const long = { model: MODEL, prompt: 'go', max_tokens: 40, temperature: 0, stream: true };

/** Starts a streamed request and resolves once its first chunk arrived, with a function that drops the connection. */
function streamThenDrop(url: string, body: unknown): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.once('data', () => resolve(() => req.destroy()));
      res.on('error', () => {});
    });
    req.on('error', () => {});
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
    });
    req.end(JSON.stringify(body));
  });
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a client that disconnects cancels its request; the engine is free for the next one', async () => {
  const srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { samplerFactory: slowSampler(20) });
  try {
    const drop = await streamThenDrop(`${srv.url}/v1/completions`, long);
    drop();
    await waitFor('the cancellation', async () => {
      const m = await (await fetch(`${srv.url}/metrics`)).text();
      return /yi_requests_finished_total\{reason="cancelled"\} 1/.test(m);
    });
    const m = await (await fetch(`${srv.url}/metrics`)).text();
    assert.ok(metric(m, 'yi_generation_tokens_total') < 40, m);
    assert.equal(metric(m, 'yi_requests_running'), 0);
    assert.equal(metric(m, 'yi_kv_blocks_used'), 0);
    // non-streamed too: the request is cancelled when its socket closes
    const ac = new AbortController();
    const pending = fetch(`${srv.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ ...long, stream: false }), signal: ac.signal }).catch(() => 'aborted');
    await waitFor('the request to start', async () => srv.engine.stats().requestsRunning === 1);
    ac.abort();
    assert.equal(await pending, 'aborted');
    await waitFor('the second cancellation', async () => /yi_requests_finished_total\{reason="cancelled"\} 2/.test(await (await fetch(`${srv.url}/metrics`)).text()));
    assert.equal((await post(`${srv.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 })).status, 200);
  } finally {
    await srv.server.close({ graceful: false });
  }
});

test('a full queue gets 429 with Retry-After, in the error shape; the server recovers', async () => {
  const srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { maxSeqs: 1, maxQueue: 0, samplerFactory: slowSampler(20) });
  try {
    const drop = await streamThenDrop(`${srv.url}/v1/completions`, long);
    const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(r.status, 429);
    assert.ok(r.headers.get('retry-after'));
    const body = (await r.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, 'rate_limit_error');
    assert.match(body.error.message, /queue is full/);
    // n: 2 needs two places: refused whole, nothing left queued
    drop();
    await waitFor('the engine to be idle', async () => srv.engine.stats().requestsRunning === 0 && srv.engine.stats().requestsWaiting === 0);
    const two = await post(`${srv.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2, n: 2 });
    assert.equal(two.status, 429);
    assert.equal(srv.engine.stats().requestsWaiting, 0);
    assert.equal((await post(`${srv.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 })).status, 200);
  } finally {
    await srv.server.close({ graceful: false });
  }
});

test('--api-key: 401 without the key or with a wrong one, 200 with it; /health and the page stay open', async () => {
  const srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { apiKey: 'sekret' });
  try {
    const body = { model: MODEL, prompt: 'x', max_tokens: 2 };
    const none = await post(`${srv.url}/v1/completions`, body);
    assert.equal(none.status, 401);
    assert.equal(none.json.error.type, 'authentication_error');
    assert.equal((await post(`${srv.url}/v1/completions`, body, { Authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await fetch(`${srv.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${srv.url}/metrics`)).status, 401);
    assert.equal((await post(`${srv.url}/v1/completions`, body, { Authorization: 'Bearer sekret' })).status, 200);
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
    assert.equal((await fetch(`${srv.url}/`)).status, 200);
  } finally {
    await srv.server.close();
  }
});

test('/health, /metrics (Prometheus text) and the chat page files answer', async () => {
  const srv = await startTinyServer(tiny.model(), tiny.tokenizer());
  try {
    assert.deepEqual(await (await fetch(`${srv.url}/health`)).json(), { status: 'ok' });
    await post(`${srv.url}/v1/completions`, { model: MODEL, prompt: 'abc', max_tokens: 3, temperature: 0 });
    const r = await fetch(`${srv.url}/metrics`);
    assert.match(r.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const m = await r.text();
    for (const name of ['yi_requests_running', 'yi_requests_waiting', 'yi_kv_blocks_used', 'yi_kv_blocks_free', 'yi_prefix_cache_hit_tokens_total', 'yi_prompt_tokens_total', 'yi_generation_tokens_total']) {
      assert.ok(Number.isFinite(metric(m, name)), name);
    }
    assert.equal(metric(m, 'yi_generation_tokens_total'), 3);
    assert.equal(metric(m, 'yi_time_to_first_token_seconds_count'), 1);
    assert.equal(metric(m, 'yi_e2e_request_latency_seconds_count'), 1);
    assert.equal(metric(m, 'yi_inter_token_latency_seconds_count'), 2);
    assert.match(m, /yi_time_to_first_token_seconds_bucket\{le="\+Inf"\} 1/);
    const page = await fetch(`${srv.url}/`);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    const html = await page.text();
    assert.match(html, /<script src="chat.js">/);
    assert.doesNotMatch(html, /https?:\/\//); // nothing from a CDN
    assert.equal((await fetch(`${srv.url}/chat.js`)).status, 200);
    assert.equal((await fetch(`${srv.url}/chat.css`)).status, 200);
  } finally {
    await srv.server.close();
  }
});

test('close() lets a running request finish, then refuses new ones', async () => {
  const srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { samplerFactory: slowSampler(5) });
  const pending = post(`${srv.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 20, temperature: 0, ignore_eos: true });
  await waitFor('the request to start', async () => srv.engine.stats().requestsRunning === 1);
  await srv.server.close({ graceful: true });
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.json.usage.completion_tokens, 20);
});
