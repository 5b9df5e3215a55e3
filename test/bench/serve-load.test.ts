// The serve benchmark's parts: the load client's figures against a real (tiny) server, and the copy
// of a preset GGUF with a synthetic vocabulary (same tensor bytes, a vocabulary llama.cpp and our
// tokenizer loader read).
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { presetGGUF } from '../../bench/preset-gguf.js';
import { runLoad, withSyntheticVocab } from '../../bench/serve.js';
import { openGGUF } from '../../src/formats/gguf.js';
import { preset } from '../../src/model/config.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { MODEL, startTinyServer, useTinyModel, type TinyServer } from '../serve/tiny-server.js';

const work = mkdtempSync(join(tmpdir(), 'yi-serve-bench-'));
const tiny = useTinyModel();
let srv: TinyServer;
before(async () => {
  await tiny.ready;
  srv = await startTinyServer(tiny.model(), tiny.tokenizer());
});
after(async () => {
  await srv.server.close();
  rmSync(work, { recursive: true, force: true });
});

test('runLoad: every request completes with its tokens; the figures are consistent', async () => {
  const r = await runLoad(srv.url, MODEL, { concurrency: 3, requests: 5, promptTokens: 8, outputTokens: 6, vocabSize: 96, seed: 1 });
  assert.equal(r.errors, 0);
  assert.equal(r.requests, 5);
  assert.equal(srv.engine.stats().generationTokensTotal, 30); // ignore_eos: all 6 tokens each
  assert.ok(Math.abs(r.tokensPerSecond - 30 / r.seconds) < 1e-9 * r.tokensPerSecond + 1e-9);
  assert.ok(r.ttftP50 > 0 && r.ttftP50 <= r.ttftP99);
  assert.ok(r.tpotP50 > 0 && r.tpotP50 <= r.tpotP99);
  const bad = await runLoad(srv.url, 'no-such-model', { concurrency: 1, requests: 2, promptTokens: 4, outputTokens: 2, vocabSize: 96, seed: 1 });
  assert.equal(bad.errors, 2);
});

test('withSyntheticVocab: the same tensors, with a vocabulary of one piece per id', async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  let src: string;
  try {
    src = presetGGUF(rt, { preset: 'yi-mini', type: 'q8_0', cacheDir: work }).path;
  } finally {
    await rt.close();
  }
  const cfg = preset('yi-mini');
  const out = withSyntheticVocab(src, cfg);
  assert.equal(withSyntheticVocab(src, cfg), out); // cached
  const a = openGGUF(src);
  const b = openGGUF(out);
  try {
    assert.equal(a.metadata.get('tokenizer.ggml.model'), 'no_vocab');
    assert.equal(b.metadata.get('tokenizer.ggml.model'), 'llama');
    assert.equal((b.metadata.get('tokenizer.ggml.tokens') as string[]).length, cfg.vocabSize);
    assert.equal(b.metadata.get('llama.embedding_length'), a.metadata.get('llama.embedding_length'));
    assert.deepEqual(b.tensors.map((t) => [t.name, t.type, t.shape]), a.tensors.map((t) => [t.name, t.type, t.shape]));
    const bytes = (path: string, offset: number, n: number) => {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.alloc(n);
        readSync(fd, buf, 0, n, offset);
        return buf;
      } finally {
        closeSync(fd);
      }
    };
    for (let i = 0; i < a.tensors.length; i++) {
      const ta = a.tensors[i]!;
      const tb = b.tensors[i]!;
      assert.ok(bytes(src, ta.offset, ta.byteLength).equals(bytes(out, tb.offset, tb.byteLength)), ta.name);
    }
  } finally {
    a.close();
    b.close();
  }
  const tok = Tokenizer.load(out);
  assert.equal(tok.vocabSize, cfg.vocabSize);
  assert.equal(tok.decode([5, 6, 7]), ' t5 t6 t7'); // no dummy prefix to strip
});
