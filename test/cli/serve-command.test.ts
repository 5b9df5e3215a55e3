// `yi serve` as a user runs it, in a child process: the banner (URL on 127.0.0.1, model, KV capacity,
// a curl line), a request answered, SIGTERM finishing a running request and exiting 0, and bad flags
// refused before anything loads.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runYi, tinyModelFolder, yi, yiEnv } from './yi-cli.js';

const work = mkdtempSync(join(tmpdir(), 'yi-serve-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = tinyModelFolder(join(work, 'yi-tiny'));

test('yi serve prints its URL on 127.0.0.1, the model, the KV capacity and a curl line; SIGTERM lets a running request finish and exits 0', async (t) => {
  const child = spawn(process.execPath, [yi, 'serve', '-m', model, '--port', '0'], { env: yiEnv(1), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A failed assertion must not leave the server running (the test runner would wait for it).
  t.after(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^try: curl (http:\/\/127\.0\.0\.1:\d+)\//m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`yi serve exited: ${out}\n${err}`)));
  });
  assert.match(out, /^yi serve: http:\/\/127\.0\.0\.1:\d+ /m);
  assert.match(out, /^model: yi-tiny \(.*yi-tiny\), context 64 tokens, ChatML$/m);
  assert.match(out, /^KV cache: 64 blocks of 16 tokens = 1024 tokens, 512\.0 KiB$/m); // 16 contexts of 64 (--max-seqs' default)
  assert.match(out, /^batching: up to 16 requests at once, 256 tokens a step, prefix cache on, KV f32$/m);
  assert.match(out, /"model": "yi-tiny", "messages": \[/);
  const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  assert.equal(models.data[0]!.id, 'yi-tiny');
  // A streamed request that has started when SIGTERM comes still gets its whole answer.
  const r = await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: 'yi-tiny', prompt: 'hello', max_tokens: 50, temperature: 0, ignore_eos: true, stream: true, stream_options: { include_usage: true } }) });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  let events = new TextDecoder().decode((await reader.read()).value);
  child.kill('SIGTERM');
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    events += new TextDecoder().decode(value);
  }
  assert.match(events, /"completion_tokens":50,/);
  assert.match(events, /data: \[DONE\]\n\n$/);
  assert.equal(await exited, 0, err);
  assert.match(err, /SIGTERM, finishing running requests/);
  assert.match(err, /yi serve: stopped/);
});

test('yi serve refuses malformed flags before loading the model', () => {
  const size = runYi(['serve', '-m', model, '--max-body', 'lots']);
  assert.equal(size.code, 1);
  assert.match(size.err, /--max-body: expected a size such as 2GiB, 512MiB or a byte count, got "lots"/);
  const batch = runYi(['serve', '-m', model, '--batch', '8']);
  assert.equal(batch.code, 1);
  assert.match(batch.err, /yi serve takes no --batch: the tokens of an engine step are --max-batched-tokens/);
  const kvType = runYi(['serve', '-m', model, '--kv-type', 'q4']);
  assert.equal(kvType.code, 1);
  assert.match(kvType.err, /--kv-type must be f32 or int8, got 'q4'/);
  const port = runYi(['serve', '-m', model, '--port', '70000']);
  assert.equal(port.code, 1);
  assert.match(port.err, /--port must be at most 65535/);
  const kv = runYi(['serve', '-m', model, '--kv-memory', '-1GiB']);
  assert.equal(kv.code, 1);
  assert.match(kv.err, /--kv-memory: expected a size/);
});
