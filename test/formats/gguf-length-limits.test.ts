// GGUF metadata length claims that a large sparse file can back (700 MB, 1 GiB and 4 GiB strings, a
// 50 M-entry token array) are refused by the reader's limits before anything is allocated, naming the
// key; values of real-world size (a 2 M-entry token list, a chat template of some hundred KB) still read.
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GGUF_READ_LIMITS } from '../../src/formats/gguf-read.js';
import { GGUFError, GGUFValueType, openGGUF } from '../../src/formats/gguf.js';
import { Bytes, tempDir } from './helpers.js';

const dir = tempDir();
const header = (kvs: number) => new Bytes().u32(0x46554747).u32(3).u64(0).u64(kvs);

/** Writes `bytes` and extends the file to `size` with a hole (zeros that take no disk). */
function sparse(name: string, bytes: Uint8Array, size: number): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, bytes);
  ftruncateSync(fd, size);
  closeSync(fd);
  return path;
}

function refused(path: string, re: RegExp): void {
  const t0 = performance.now();
  assert.throws(() => openGGUF(path), (e: unknown) => e instanceof GGUFError && e.message.includes(path) && re.test(e.message), path);
  // Refused from the length field alone: no time spent reading or decoding gigabytes.
  assert.ok(performance.now() - t0 < 3000, `${path} took ${performance.now() - t0} ms`);
}

test('string lengths of 700 MB, 1 GiB and 4 GiB in files that large are refused by the string limit, naming the key', () => {
  for (const claim of [700_000_000, 2 ** 30, 2 ** 32 + 3]) {
    const b = header(1).str('tokenizer.chat_template').u32(GGUFValueType.STRING).u64(claim).build();
    const path = sparse(`str${claim}.gguf`, b, b.length + claim);
    refused(path, new RegExp(`metadata key #0 \\(tokenizer.chat_template\\) string length ${claim}: more than the ${GGUF_READ_LIMITS.maxStringBytes}-byte limit`));
  }
  // A key's own length is bounded the same way.
  const key = header(1).u64(2 ** 30).build();
  refused(sparse('key.gguf', key, key.length + 2 ** 30), /metadata key #0 string length 1073741824: more than the 67108864-byte limit/);
});

test('a 50 M-entry token array in a file that large is refused by the array limit, naming the key', () => {
  const n = 50_000_000;
  const b = header(1).str('tokenizer.ggml.tokens').u32(GGUFValueType.ARRAY).u32(GGUFValueType.STRING).u64(n).build();
  refused(sparse('arr.gguf', b, b.length + n * 8), /metadata key #0 \(tokenizer.ggml.tokens\) array length 50000000: more than the 16777216-element limit/);
  const f = header(1).str('tokenizer.ggml.scores').u32(GGUFValueType.ARRAY).u32(GGUFValueType.FLOAT32).u64(n).build();
  refused(sparse('arrf.gguf', f, f.length + n * 4), /\(tokenizer.ggml.scores\) array length 50000000: more than/);
});

test('the metadata section as a whole is bounded: values each under their limit stop at the section limit', () => {
  // Five 60 MB strings: each allowed, together past 256 MiB.
  const each = 60_000_000;
  const b = header(5).str('a').u32(GGUFValueType.STRING).u64(each).build();
  // Every later key/value lies in the hole: key "" (length 0), type UINT8... so place real entries by hand.
  const parts: Uint8Array[] = [b];
  let size = b.length + each;
  for (let i = 1; i < 5; i++) {
    const kv = new Bytes().str(`k${i}`).u32(GGUFValueType.STRING).u64(each).build();
    parts.push(kv);
    size += kv.length + each;
  }
  const path = join(dir, 'budget.gguf');
  const fd = openSync(path, 'w');
  let at = 0;
  for (const p of parts) {
    writeSync(fd, p, 0, p.length, at);
    at += p.length + each;
  }
  ftruncateSync(fd, size);
  closeSync(fd);
  assert.throws(() => openGGUF(path), (e: unknown) => e instanceof GGUFError && /metadata key #4 \(k4\) string length 60000000 runs past the metadata section's 268435456-byte limit/.test(e.message));
});

test('real-world sizes stay readable: a 2 M-entry token list and a 300 KB chat template', () => {
  const n = 2_000_000;
  const template = '{# a long template #}'.repeat(15_000);
  const t = Buffer.from(template);
  const b = header(2).str('tokenizer.chat_template').u32(GGUFValueType.STRING).u64(t.length).raw(t).str('tokenizer.ggml.tokens').u32(GGUFValueType.ARRAY).u32(GGUFValueType.STRING).u64(n).build();
  // The n token strings are all empty: n zero lengths, which the hole provides.
  const g = openGGUF(sparse('real.gguf', b, b.length + n * 8));
  g.close();
  assert.equal(g.metadata.get('tokenizer.chat_template'), template);
  assert.equal((g.metadata.get('tokenizer.ggml.tokens') as string[]).length, n);
});
