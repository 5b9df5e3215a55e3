// The fuzz harness classifies outcomes correctly: a hang is terminated and reported, untyped
// errors and errors that do not name the file are caught, and mutations are reproducible.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../formats/helpers.js';
import { mutations, runFuzz, tally, writeCase } from './harness.js';
import { statSync } from 'node:fs';

test('fuzz runner: hangs are terminated and untyped errors are told from typed ones', async () => {
  const dir = tempDir();
  const inputs = ['good', 'loop', 'typeerror', 'plain', 'unnamed', 'exit', 'junk', 'good'];
  const cases = inputs.map((t, i) => ({ name: t, path: writeCase(dir, `case${i}.txt`, { name: t, bytes: Buffer.from(t) }) }));
  const out = await runFuzz({ module: new URL('./targets/self-test.js', import.meta.url), exportName: 'parseSelfTest', cases, caseTimeoutMs: 3000 });
  assert.deepEqual(
    out.map((o) => `${o.case}:${o.kind}`),
    ['good:ok', 'loop:hang', 'typeerror:untyped', 'plain:untyped', 'unnamed:untyped', 'exit:untyped', 'junk:typed', 'good:ok'],
  );
  assert.deepEqual(tally(out), { ok: 2, typed: 1, untyped: 4, hang: 1 });
});

test('fuzz mutations are the same for the same seed and sparse cases take their claimed size', () => {
  const valid = new Uint8Array(256).map((_, i) => i);
  const a = [...mutations(valid, 7, 50)];
  const b = [...mutations(valid, 7, 50)];
  assert.deepEqual(a.map((c) => c.name), b.map((c) => c.name));
  assert.ok(new Set(a.map((c) => c.name.split(' ')[0])).size >= 5, 'several kinds of mutation');
  const dir = tempDir();
  const p = writeCase(dir, 'sparse.bin', { name: 'sparse', bytes: valid, sparseSize: 1 << 30 });
  assert.equal(statSync(p).size, 1 << 30);
});

test('mutations of a Buffer seed (a view into Node\'s shared pool) leave the seed and its neighbours as they were, so suites pass Buffers as they are', () => {
  // Small Buffer.from() results share one pool: a mutation written through the seed's .buffer at its own
  // offsets would land in (and corrupt) whatever else lives there.
  const before = Buffer.from('a'.repeat(40));
  const seed = Buffer.from(JSON.stringify({ seed: 'x'.repeat(64), n: 1 }));
  const after = Buffer.from('b'.repeat(40));
  assert.ok(seed.byteOffset > 0 || before.buffer === seed.buffer, 'the seed is a view into a shared buffer');
  const copy = Uint8Array.from(seed);
  const pool = new Uint8Array(seed.buffer.slice(0));
  for (const c of mutations(seed, 5, 200)) assert.ok(c.bytes.length >= 0);
  assert.deepEqual(Uint8Array.from(seed), copy, 'the seed is unchanged');
  assert.deepEqual(new Uint8Array(seed.buffer), pool, 'nothing else in its buffer changed');
  assert.equal(before.toString(), 'a'.repeat(40));
  assert.equal(after.toString(), 'b'.repeat(40));
});
