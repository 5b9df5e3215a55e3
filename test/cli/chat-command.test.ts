// `yi chat` as a user runs it, in a child process: Ctrl-D ends on a new line, Ctrl-C at the prompt
// quits with the shell's code for it, and a hostile chat template is reported, not a hang.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { repoRoot } from '../paths.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-chat-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = join(work, 'yi-tiny');
cpSync(join(repoRoot, 'test', 'fixtures', 'yi-tiny'), model, { recursive: true });
writeFileSync(join(model, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
const env = { ...process.env, YI_THREADS: '2' };

test('Ctrl-D (end of input) ends yi chat on a new line; commands answer on stderr', () => {
  const r = spawnSync(process.execPath, [yi, 'chat', '-m', model, '--temperature', '0', '-n', '3'], { encoding: 'utf8', input: '/help\nhi\n', env });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.endsWith('> \n'), JSON.stringify(r.stdout));
  assert.match(r.stderr, /\/system TEXT +set the system prompt/);
  assert.match(r.stderr, /no chat template \(none in tokenizer_config\.json or the GGUF\); using ChatML/);
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
  const r = spawnSync(process.execPath, [yi, 'chat', '-m', hostile, '-n', '3'], { encoding: 'utf8', input: 'hi\n/exit\n', env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(performance.now() - t0 < 60_000);
  assert.ok(
    r.stderr.includes(`${join(hostile, 'tokenizer_config.json')} (chat_template): the chat template failed: range() of 1000000000 items is more than the limit of 32768`),
    r.stderr,
  );
});
