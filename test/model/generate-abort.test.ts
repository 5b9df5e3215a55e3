// An abort signal stops generation where it is; generateAsync hands the event loop a turn between
// prompt chunks and between tokens, so a signal raised by an event (Ctrl-C) stops it too, even
// during a long prompt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate, generateAsync } from '../../src/model/generate.js';
import type { YiModel } from '../../src/model/model.js';
import { tinyTokenizer } from './tiny-tokenizer.js';
import { useTinyModel } from './tiny-model.js';

const tok = tinyTokenizer();
let model!: YiModel;
useTinyModel({ contextLength: 64, batch: 16 }, (m) => (model = m));

const free = { temperature: 0, maxTokens: 30, stopTokens: [] };

test('a signal aborted while the answer streams stops it after that token; the cache holds what was made', () => {
  model.reset();
  const full = generate(model, tok, 'hello', free);
  model.reset();
  const ctl = new AbortController();
  let streamed = '';
  const r = generate(model, tok, 'hello', {
    ...free,
    signal: ctl.signal,
    onText: (t) => {
      streamed += t;
      if (streamed.length >= 3) ctl.abort();
    },
  });
  assert.equal(r.finishReason, 'aborted');
  assert.ok(r.tokens.length >= 3 && r.tokens.length < full.tokens.length, `${r.tokens.length} of ${full.tokens.length}`);
  assert.deepEqual(r.tokens, full.tokens.slice(0, r.tokens.length));
  assert.equal(streamed, r.text);
  assert.equal(model.position, r.promptTokens + r.tokens.length);
});

test('generateAsync yields between tokens, so an abort from an event (a timer, a signal handler) lands', async () => {
  model.reset();
  const ctl = new AbortController();
  let tokensBeforeAbort = -1;
  let seen = 0;
  const r = await generateAsync(model, tok, 'hello', {
    ...free,
    signal: ctl.signal,
    onText: () => {
      // Abort from outside the loop, as a SIGINT handler does: only a yielding loop lets it run.
      if (seen++ === 1) {
        setImmediate(() => {
          tokensBeforeAbort = model.position;
          ctl.abort();
        });
      }
    },
  });
  assert.equal(r.finishReason, 'aborted');
  assert.ok(tokensBeforeAbort > 0);
  assert.equal(model.position, tokensBeforeAbort, 'no token after the abort');
  assert.ok(r.tokens.length < free.maxTokens);
  // The same loop with no signal runs to the end and equals the synchronous one.
  model.reset();
  const a = await generateAsync(model, tok, 'hello', free);
  model.reset();
  assert.deepEqual(a.tokens, generate(model, tok, 'hello', free).tokens);
  assert.equal(a.finishReason, 'length');
});

/** Counts model.forward calls and runs `after(n)` after the n-th, as a signal arriving mid-prompt would. */
function onForward(after: (calls: number) => void): () => void {
  const forward = model.forward;
  let calls = 0;
  model.forward = (tokens) => {
    const out = forward.call(model, tokens);
    after(++calls);
    return out;
  };
  return () => {
    model.forward = forward;
  };
}

// 54 tokens of the character-level tokenizer: four chunks of the batch of 16.
const longPrompt = 'the quick brown fox jumps over the lazy dog, again and';

test('generateAsync runs a long prompt in chunks with a turn between them: an abort lands before the first token and rolls the cache back', async () => {
  // The cache holds a previous prompt, whose tokens the long one starts with.
  model.reset();
  generate(model, tok, 'the quick', { ...free, maxTokens: 0 });
  const before = [...model.tokens];
  const ctl = new AbortController();
  const restore = onForward((calls) => {
    if (calls === 1) setImmediate(() => ctl.abort()); // an event, as a SIGINT handler is
  });
  let r;
  try {
    r = await generateAsync(model, tok, longPrompt, { ...free, signal: ctl.signal });
  } finally {
    restore();
  }
  assert.equal(r.finishReason, 'aborted');
  assert.deepEqual(r.tokens, []);
  assert.equal(r.text, '');
  assert.equal(r.promptTokens, longPrompt.length);
  assert.equal(r.reusedTokens, before.length);
  assert.ok(r.promptDone > r.reusedTokens && r.promptDone < r.promptTokens, `stopped after ${r.promptDone} of ${r.promptTokens}`);
  assert.deepEqual(model.tokens, before, 'the cache is as it was before the call');
  // The next call works from that state and equals a run from an empty cache.
  const next = await generateAsync(model, tok, longPrompt, free);
  model.reset();
  assert.deepEqual(next.tokens, generate(model, tok, longPrompt, free).tokens);
  assert.equal(next.promptDone, next.promptTokens);
});

test('the chunked prompt gives the same tokens with any batch: the sync and async loops agree', async () => {
  const calls: number[] = [];
  model.reset();
  const restore = onForward(() => calls.push(model.position));
  let a;
  try {
    a = await generateAsync(model, tok, longPrompt, { ...free, maxTokens: 3 });
  } finally {
    restore();
  }
  // One forward per chunk of the batch, then one per generated token but the last.
  const n = a.promptTokens;
  assert.equal(n, 54);
  assert.deepEqual(calls, [16, 32, 48, n, n + 1, n + 2]);
  model.reset();
  assert.deepEqual(generate(model, tok, longPrompt, { ...free, maxTokens: 3 }).tokens, a.tokens);
});
