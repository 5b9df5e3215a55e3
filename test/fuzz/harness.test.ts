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
