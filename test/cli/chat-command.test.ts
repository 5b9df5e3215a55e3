// `yi chat` as a user runs it, in a child process: Ctrl-D ends on a new line, Ctrl-C at the prompt
// quits with the shell's code for it, and a hostile chat template is reported, not a hang.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runYi, tinyModelFolder, yi, yiEnv } from './yi-cli.js';

const work = mkdtempSync(join(tmpdir(), 'yi-chat-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = tinyModelFolder(join(work, 'yi-tiny'));
const env = yiEnv();

test('Ctrl-D (end of input) ends yi chat on a new line; commands answer on stderr', () => {
  const r = runYi(['chat', '-m', model, '--temperature', '0', '-n', '3'], { input: '/help\nhi\n' });
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.endsWith('> \n'), JSON.stringify(r.out));
  assert.match(r.err, /\/system TEXT +set the system prompt/);
  assert.match(r.err, /no chat template \(none in tokenizer_config\.json or the GGUF\); using ChatML/);
});

test('Ctrl-C at the prompt ends yi chat with exit code 130', async () => {
  const child = spawn(process.execPath, [yi, 'chat', '-m', model], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('> ')) resolve();
    }),
  );
  child.kill('SIGINT');
  assert.equal(await exited, 130, err);
  assert.equal(out, '> \n');
});

test('a hostile chat template in tokenizer_config.json is reported with its file and limit', () => {
  const hostile = join(work, 'hostile');
  cpSync(model, hostile, { recursive: true });
  writeFileSync(join(hostile, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{% for i in range(1000000000) %}x{% endfor %}' }));
  const t0 = performance.now();
  const r = runYi(['chat', '-m', hostile, '-n', '3'], { input: 'hi\n/exit\n', timeout: 60_000 });
  assert.equal(r.code, 0, r.err);
  assert.ok(performance.now() - t0 < 60_000);
  assert.ok(
    r.err.includes(`${join(hostile, 'tokenizer_config.json')} (chat_template): the chat template failed: range() of 1000000000 items is more than the limit of 32768`),
    r.err,
  );
});
