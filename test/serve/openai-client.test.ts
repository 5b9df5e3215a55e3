// The official `openai` npm client, unchanged but for its base URL, against yi serve's HTTP layer
// on the tiny model: completions and chat completions, streamed and not; the streamed text equals
// the non-streamed text for the same seed; n: 2 gives two choices; usage, logprobs, stop strings.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { MODEL, startTinyServer, useTinyModel, type TinyServer } from './tiny-server.js';

const tiny = useTinyModel();
let srv: TinyServer;
let client: OpenAI;
before(async () => {
  await tiny.ready;
  srv = await startTinyServer(tiny.model(), tiny.tokenizer());
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused' });
});
after(async () => {
  await srv.server.close();
});

test('models.list names the served model', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [MODEL]);
  assert.equal((await client.models.retrieve(MODEL)).id, MODEL);
});

test('completions: non-streamed and streamed give the same text for the same seed', async () => {
  const req = { model: MODEL, prompt: 'the cat', max_tokens: 12, temperature: 0.9, seed: 11 };
  const whole = await client.completions.create(req);
  assert.equal(whole.object, 'text_completion');
  assert.equal(whole.choices.length, 1);
  assert.ok(whole.choices[0]!.text.length > 0);
  assert.equal(whole.usage!.completion_tokens <= 12, true);
  assert.equal(whole.usage!.prompt_tokens, tiny.tokenizer().encode('the cat', { parseSpecial: true }).length);
  let streamed = '';
  let finish: string | null = null;
  for await (const chunk of await client.completions.create({ ...req, stream: true })) {
    streamed += chunk.choices[0]?.text ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(streamed, whole.choices[0]!.text);
  assert.equal(finish, whole.choices[0]!.finish_reason);
  // another seed, another text (12 tokens from a 96-token vocabulary at temperature 0.9)
  const other = await client.completions.create({ ...req, seed: 12 });
  assert.notEqual(other.choices[0]!.text, whole.choices[0]!.text);
});

test('chat completions: non-streamed and streamed agree; the stream ends with usage when asked', async () => {
  const req = { model: MODEL, messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'hi' }], max_tokens: 10, seed: 5 };
  const whole = await client.chat.completions.create(req);
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.choices[0]!.message.role, 'assistant');
  const text = whole.choices[0]!.message.content!;
  let streamed = '';
  let role: string | undefined;
  let lastUsage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } })) {
    role ??= chunk.choices[0]?.delta.role;
    streamed += chunk.choices[0]?.delta.content ?? '';
    lastUsage = chunk.usage;
  }
  assert.equal(role, 'assistant');
  assert.equal(streamed, text);
  assert.deepEqual(
    { p: lastUsage!.prompt_tokens, c: lastUsage!.completion_tokens, t: lastUsage!.total_tokens },
    { p: whole.usage!.prompt_tokens, c: whole.usage!.completion_tokens, t: whole.usage!.total_tokens },
  );
});

test('n: 2 gives two choices, indexed, each a complete answer; streamed too', async () => {
  const r = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'pick' }], max_tokens: 8, n: 2, seed: 3 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
  assert.ok(r.choices.every((c) => typeof c.message.content === 'string'));
  const texts = ['', ''];
  for await (const chunk of await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'pick' }], max_tokens: 8, n: 2, seed: 3, stream: true })) {
    for (const c of chunk.choices) texts[c.index] += c.delta.content ?? '';
  }
  assert.deepEqual(texts, r.choices.map((c) => c.message.content));
  const c = await client.completions.create({ model: MODEL, prompt: ['ab', 'cd'], max_tokens: 3, n: 2, temperature: 0 });
  assert.deepEqual(c.choices.map((x) => x.index), [0, 1, 2, 3]);
  // greedy: a prompt's two choices are the same
  assert.equal(c.choices[0]!.text, c.choices[1]!.text);
});

test('temperature 0 gives the same text on every call, whatever the seed', async () => {
  const a = await client.completions.create({ model: MODEL, prompt: 'xyz', max_tokens: 10, temperature: 0, seed: 1 });
  const b = await client.completions.create({ model: MODEL, prompt: 'xyz', max_tokens: 10, temperature: 0, seed: 2 });
  assert.equal(a.choices[0]!.text, b.choices[0]!.text);
  assert.equal(a.choices[0]!.finish_reason, 'length');
});

test('a stop string ends the answer before it, streamed or not', async () => {
  const base = await client.completions.create({ model: MODEL, prompt: 'hello', max_tokens: 12, temperature: 0 });
  const full = base.choices[0]!.text;
  assert.ok(full.length >= 4, JSON.stringify(full));
  const stop = full.slice(2, 4);
  const cut = full.slice(0, full.indexOf(stop));
  const r = await client.completions.create({ model: MODEL, prompt: 'hello', max_tokens: 12, temperature: 0, stop });
  assert.equal(r.choices[0]!.text, cut);
  assert.equal(r.choices[0]!.finish_reason, 'stop');
  let streamed = '';
  for await (const chunk of await client.completions.create({ model: MODEL, prompt: 'hello', max_tokens: 12, temperature: 0, stop: [stop], stream: true })) streamed += chunk.choices[0]?.text ?? '';
  assert.equal(streamed, cut);
});

test('logprobs: chat reports the chosen token and its alternatives, log-probabilities <= 0', async () => {
  const r = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 });
  const content = r.choices[0]!.logprobs!.content!;
  assert.equal(content.length, r.usage!.completion_tokens);
  for (const t of content) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    // greedy: the chosen token is the most likely one
    assert.equal(t.top_logprobs[0]!.logprob, t.logprob);
    assert.equal(t.top_logprobs[0]!.token, t.token);
  }
  const c = await client.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 3, logprobs: 2, temperature: 0 });
  const lp = c.choices[0]!.logprobs!;
  assert.equal(lp.tokens!.length, 3);
  assert.ok(lp.token_logprobs!.every((x) => x <= 0));
  assert.ok(lp.top_logprobs!.every((x) => Object.keys(x).length === 2));
});

test('a prompt of token ids is taken as is', async () => {
  const ids = tiny.tokenizer().encode('the cat', { parseSpecial: true });
  const a = await client.completions.create({ model: MODEL, prompt: ids, max_tokens: 6, temperature: 0 });
  const b = await client.completions.create({ model: MODEL, prompt: 'the cat', max_tokens: 6, temperature: 0 });
  assert.equal(a.choices[0]!.text, b.choices[0]!.text);
});
