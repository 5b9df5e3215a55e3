// Ctrl-C while a long prompt is read, before the first token, as a user meets it: `yi generate`
// stops with a message and the shell's code for Ctrl-C; `yi chat` stops that reply, drops the
// message and goes on (a second Ctrl-C quits). The child sends itself SIGINT after the first prompt
// chunk (sigint-in-forward.ts); --batch 4 makes the tiny model's prompt many chunks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runYi, tinyModelFolder, yiEnv } from './yi-cli.js';

const work = mkdtempSync(join(tmpdir(), 'yi-prompt-interrupt-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = tinyModelFolder(join(work, 'yi-tiny'));
const preload = ['--import', new URL('./sigint-in-forward.js', import.meta.url).href];
const long = 'the quick brown fox jumps over the lazy dog again';
// With ChatML's markers around it, a message that still fits the fixture's 64 positions.
const message = 'the quick brown fox jumps over the dog';

test('yi generate: Ctrl-C during the prompt ends it cleanly with a message and exit code 130', () => {
  const r = runYi(['generate', '-m', model, '-p', long, '-n', '5', '--batch', '4', '--temperature', '0'], { nodeArgs: preload, timeout: 60_000 });
  assert.equal(r.signal, null, 'ended by itself, not killed by the signal');
  assert.equal(r.code, 130, r.err);
  const m = /stopped by Ctrl-C during the prompt \((\d+) of (\d+) tokens read\); nothing generated\n$/.exec(r.err);
  assert.ok(m, r.err);
  assert.ok(Number(m[1]) < Number(m[2]), `${m[1]} of ${m[2]}`);
  assert.equal(Number(m[2]), long.length);
  assert.equal(r.out, `${long}\n`, 'the prompt, no generated text');
});

test('yi chat: Ctrl-C during a long message stops that reply and the next message is answered', () => {
  const r = runYi(['chat', '-m', model, '--batch', '4', '--temperature', '0', '-n', '3'], { nodeArgs: preload, input: `${message}\nhi\n`, timeout: 60_000 });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /\(stopped before the reply, \d+ of \d+ prompt tokens read; the message was dropped\. Ctrl-C at the prompt quits\)/);
  // Three prompts: the stopped message (no reply), 'hi' with its reply, and the end of input.
  const turns = r.out.split('> ');
  assert.equal(turns.length, 4, JSON.stringify(r.out));
  assert.equal(turns[1], '\n');
  const plain = runYi(['chat', '-m', model, '--temperature', '0', '-n', '3'], { input: 'hi\n' });
  assert.equal(plain.code, 0, plain.err);
  assert.equal(turns[2], plain.out.split('> ')[1], 'the reply to hi is the one a fresh session gives');
});

test('yi chat: two Ctrl-Cs during a long message quit with exit code 130', () => {
  const r = runYi(['chat', '-m', model, '--batch', '4', '-n', '3'], { nodeArgs: preload, input: `${message}\nhi\n`, env: yiEnv(2, { YI_TEST_SIGINTS: '2' }), timeout: 60_000 });
  assert.equal(r.code, 130, r.err);
  assert.equal(r.out, '> \n', 'nothing after the second Ctrl-C is read');
});
