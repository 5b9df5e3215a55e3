// An abort signal stops generation where it is; generateAsync hands the event loop a turn between
// tokens, so a signal raised by an event (Ctrl-C) stops it too.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate, generateAsync } from '../../src/model/generate.js';
import { loadModel } from '../../src/model/load.js';
import type { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { repoRoot } from '../paths.js';
import { tinyTokenizer } from './tiny-tokenizer.js';

const tok = tinyTokenizer();
let rt: Runtime;
let model: YiModel;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  model = loadModel(rt, join(repoRoot, 'test', 'fixtures', 'yi-tiny'), { dtype: 'f32', contextLength: 64, batch: 16 });
});
after(async () => {
  model.dispose();
  await rt.close();
});

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
