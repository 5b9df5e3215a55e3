// Malformed requests, each answered with a 4xx in OpenAI's error shape naming what is wrong, and the
// server serving a valid request after all of them: wrong types, missing or unknown fields, values
// out of range, invalid JSON, bodies past --max-body, unknown routes and models.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { MODEL, post, startTinyServer, useTinyModel, type TinyServer } from './tiny-server.js';

const tiny = useTinyModel();
let srv: TinyServer;
before(async () => {
  await tiny.ready;
  srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { maxBodyBytes: 64 << 10 });
});
after(async () => {
  await srv.server.close();
});

const cmpl = { model: MODEL, prompt: 'hi', max_tokens: 4 };
const chat = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };

interface Case {
  name: string;
  path?: string;
  body: unknown;
  status?: number;
  /** The field the error must name (OpenAI's `param`), when there is one. */
  param?: string | null;
  /** What the message must say, when it matters. */
  message?: RegExp;
}

const C = '/v1/completions';
const K = '/v1/chat/completions';
const cases: Case[] = [
  // the body itself
  { name: 'invalid JSON', body: '{"model": "yi-tiny", ', param: null },
  { name: 'empty body', body: '' },
  { name: 'JSON array body', body: '[]' },
  { name: 'JSON string body', body: '"hello"' },
  { name: 'JSON number body', body: '42' },
  { name: 'JSON null body', body: 'null' },
  { name: 'trailing garbage after JSON', body: '{"model": "yi-tiny", "prompt": "hi"} x' },
  { name: 'bytes that are not UTF-8 JSON', body: '\u0000\u0001\u0002' },
  // model
  { name: 'missing model', body: { prompt: 'hi' }, param: 'model', message: /'model' is required/ },
  { name: 'model is a number', body: { ...cmpl, model: 7 }, param: 'model' },
  { name: 'model is empty', body: { ...cmpl, model: '' }, param: 'model' },
  { name: 'unknown model', body: { ...cmpl, model: 'gpt-4' }, status: 404, param: 'model' },
  { name: 'unknown model (chat)', path: K, body: { ...chat, model: 'gpt-4' }, status: 404, param: 'model' },
  // prompt
  { name: 'missing prompt', body: { model: MODEL }, param: 'prompt' },
  { name: 'prompt is a number', body: { ...cmpl, prompt: 5 }, param: 'prompt' },
  { name: 'prompt is an empty list', body: { ...cmpl, prompt: [] }, param: 'prompt' },
  { name: 'prompt is a list with an empty token list', body: { ...cmpl, prompt: [[]] }, param: 'prompt.0' },
  { name: 'prompt mixes tokens and text', body: { ...cmpl, prompt: [1, 'a'] }, param: 'prompt' },
  { name: 'prompt token is negative', body: { ...cmpl, prompt: [1, -1] }, param: 'prompt.1' },
  { name: 'prompt token is fractional', body: { ...cmpl, prompt: [1.5] }, param: 'prompt' },
  { name: 'prompt token past the vocabulary', body: { ...cmpl, prompt: [5, 1000] }, param: 'prompt.1' },
  { name: 'prompt is empty text', body: { ...cmpl, prompt: '' }, param: 'prompt' },
  { name: 'prompt longer than the context', body: { ...cmpl, prompt: 'x'.repeat(80) }, param: 'prompt' },
  // max_tokens
  { name: 'max_tokens is a string', body: { ...cmpl, max_tokens: '10' }, param: 'max_tokens', message: /^'max_tokens': .*expected number, received string/ },
  { name: 'max_tokens past a float (JSON 1e400 is Infinity)', body: '{"model": "yi-tiny", "prompt": "hi", "max_tokens": 1e400}', param: 'max_tokens', message: /^'max_tokens': / },
  { name: 'max_tokens is negative', body: { ...cmpl, max_tokens: -1 }, param: 'max_tokens' },
  { name: 'max_tokens is zero', body: { ...cmpl, max_tokens: 0 }, param: 'max_tokens' },
  { name: 'max_tokens is fractional', body: { ...cmpl, max_tokens: 1.5 }, param: 'max_tokens' },
  { name: 'max_tokens is huge', body: { ...cmpl, max_tokens: 1e9 }, param: 'max_tokens' },
  { name: 'max_tokens past the context (chat)', path: K, body: { ...chat, max_tokens: 60 }, param: 'max_tokens' },
  { name: 'max_tokens and max_completion_tokens', path: K, body: { ...chat, max_completion_tokens: 3 }, param: 'max_completion_tokens' },
  // sampling
  { name: 'negative temperature', body: { ...cmpl, temperature: -0.5 }, param: 'temperature' },
  { name: 'temperature above 2', body: { ...cmpl, temperature: 3 }, param: 'temperature' },
  { name: 'temperature is a string', body: { ...cmpl, temperature: 'hot' }, param: 'temperature' },
  { name: 'top_p of 0', body: { ...cmpl, top_p: 0 }, param: 'top_p' },
  { name: 'top_p above 1', body: { ...cmpl, top_p: 1.5 }, param: 'top_p' },
  { name: 'top_k below -1', body: { ...cmpl, top_k: -2 }, param: 'top_k' },
  { name: 'top_k fractional', body: { ...cmpl, top_k: 2.5 }, param: 'top_k' },
  { name: 'min_p above 1', body: { ...cmpl, min_p: 2 }, param: 'min_p' },
  { name: 'presence_penalty above 2', body: { ...cmpl, presence_penalty: 5 }, param: 'presence_penalty' },
  { name: 'frequency_penalty below -2', body: { ...cmpl, frequency_penalty: -3 }, param: 'frequency_penalty' },
  { name: 'seed is a string', body: { ...cmpl, seed: 'abc' }, param: 'seed' },
  { name: 'seed is fractional', body: { ...cmpl, seed: 1.5 }, param: 'seed' },
  { name: 'n of 0', body: { ...cmpl, n: 0 }, param: 'n' },
  { name: 'n of 100', body: { ...cmpl, n: 100 }, param: 'n' },
  { name: 'stop is a number', body: { ...cmpl, stop: 5 }, param: 'stop' },
  { name: 'five stop strings', body: { ...cmpl, stop: ['a', 'b', 'c', 'd', 'e'] }, param: 'stop' },
  { name: 'stop list of numbers', body: { ...cmpl, stop: [1] }, param: 'stop' },
  { name: 'stream is a string', body: { ...cmpl, stream: 'yes' }, param: 'stream' },
  { name: 'stream_options without stream', body: { ...cmpl, stream_options: { include_usage: true } }, param: 'stream_options' },
  { name: 'unknown field in stream_options', body: { ...cmpl, stream: true, stream_options: { foo: true } }, param: 'stream_options.foo' },
  { name: 'logprobs above 20', body: { ...cmpl, logprobs: 50 }, param: 'logprobs' },
  { name: 'logprobs as a boolean on completions', body: { ...cmpl, logprobs: true }, param: 'logprobs' },
  { name: 'echo (not supported)', body: { ...cmpl, echo: true }, param: 'echo' },
  { name: 'best_of (not supported)', body: { ...cmpl, best_of: 3 }, param: 'best_of' },
  { name: 'logit_bias (not supported)', body: { ...cmpl, logit_bias: { '5': 10 } }, param: 'logit_bias' },
  { name: 'misspelt field', body: { ...cmpl, max_token: 5 }, param: 'max_token' },
  // chat messages
  { name: 'missing messages', path: K, body: { model: MODEL }, param: 'messages' },
  { name: 'messages is empty', path: K, body: { ...chat, messages: [] }, param: 'messages' },
  { name: 'messages is a string', path: K, body: { ...chat, messages: 'hi' }, param: 'messages' },
  { name: 'message without a role', path: K, body: { ...chat, messages: [{ content: 'hi' }] }, param: 'messages.0.role' },
  { name: 'message with an unknown role', path: K, body: { ...chat, messages: [{ role: 'robot', content: 'hi' }] }, param: 'messages.0.role' },
  { name: 'message without content', path: K, body: { ...chat, messages: [{ role: 'user' }] }, param: 'messages.0.content', message: /'messages\.0\.content' is required/ },
  { name: 'message content is a number', path: K, body: { ...chat, messages: [{ role: 'user', content: 5 }] }, param: 'messages.0.content' },
  { name: 'message content is an image', path: K, body: { ...chat, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, param: 'messages.0.content' },
  { name: 'message with an unknown field', path: K, body: { ...chat, messages: [{ role: 'user', content: 'hi', mood: 'happy' }] }, param: 'messages.0.mood' },
  { name: 'message list holds a string', path: K, body: { ...chat, messages: ['hi'] }, param: 'messages.0' },
  { name: 'top_logprobs without logprobs', path: K, body: { ...chat, top_logprobs: 2 }, param: 'top_logprobs' },
  { name: 'top_logprobs above 20', path: K, body: { ...chat, logprobs: true, top_logprobs: 30 }, param: 'top_logprobs' },
  { name: 'logprobs as a number on chat', path: K, body: { ...chat, logprobs: 3 }, param: 'logprobs' },
  { name: 'tools (not supported)', path: K, body: { ...chat, tools: [{ type: 'function', function: { name: 'f' } }] }, param: 'tools' },
  { name: 'a completion body sent to chat', path: K, body: cmpl, param: 'messages' },
  { name: 'a conversation longer than the context', path: K, body: { ...chat, messages: [{ role: 'user', content: 'y'.repeat(100) }] }, param: 'messages' },
];

test(`${cases.length} kinds of malformed requests get a 4xx naming the problem, and the server keeps serving`, async () => {
  assert.ok(cases.length >= 50);
  const wrong: string[] = [];
  for (const c of cases) {
    const r = await post(srv.url + (c.path ?? C), c.body);
    const e = r.json?.error;
    const ok =
      r.status === (c.status ?? 400) &&
      typeof e?.message === 'string' &&
      e.message.length > 5 &&
      typeof e.type === 'string' &&
      (c.param === undefined || e.param === c.param) &&
      (c.message === undefined || c.message.test(e.message));
    if (!ok) wrong.push(`${c.name}: status ${r.status}, body ${JSON.stringify(r.json)}`);
  }
  assert.deepEqual(wrong, []);
  const ok = await post(srv.url + C, cmpl);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.choices.length, 1);
});

test('a body past --max-body gets a 413 (10 MB, and just over the limit), then the server serves', async () => {
  const big = JSON.stringify({ ...cmpl, prompt: 'x'.repeat(10 << 20) });
  const r = await post(srv.url + C, big);
  assert.equal(r.status, 413);
  assert.match(r.json.error.message, /larger than the limit of 65536 bytes/);
  const over = await post(srv.url + C, JSON.stringify({ ...cmpl, prompt: 'x'.repeat(64 << 10) }));
  assert.equal(over.status, 413);
  assert.equal((await post(srv.url + C, cmpl)).status, 200);
});

test('a body without Content-Length (chunked) past the limit also gets a 413', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(srv.url + C, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    for (let i = 0; i < 40; i++) req.write('x'.repeat(4096));
    req.end();
  });
  assert.equal(status, 413);
});

test('unknown routes and methods get 404 / 405 in the error shape', async () => {
  const cases: [string, string, number][] = [
    ['GET', '/v1/completions', 405],
    ['POST', '/v1/models', 405],
    ['GET', '/v1/models/gpt-4', 404],
    ['GET', '/v1/embeddings', 404],
    ['POST', '/nowhere', 404],
    ['DELETE', '/health', 405],
  ];
  for (const [method, path, status] of cases) {
    const r = await fetch(srv.url + path, { method });
    assert.equal(r.status, status, `${method} ${path}`);
    const body = (await r.json()) as { error: { message: string } };
    assert.ok(body.error.message.length > 0);
  }
});

test('a malformed HTTP request line gets a 400, not a dropped connection', async () => {
  const port = new URL(srv.url).port;
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () => s.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
  assert.equal((await post(srv.url + C, cmpl)).status, 200);
});
