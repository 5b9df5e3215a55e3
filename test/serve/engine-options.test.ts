// --kv-memory sizes: units, and refusals that name the flag.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineOptionsError, parseByteSize } from '../../src/serve/engine-options.js';

test('parseByteSize reads binary and decimal units and plain byte counts', () => {
  assert.equal(parseByteSize('--kv-memory', '2GiB'), 2 * 2 ** 30);
  assert.equal(parseByteSize('--kv-memory', '512 MiB'), 512 * 2 ** 20);
  assert.equal(parseByteSize('--kv-memory', '1.5GB'), 1.5e9);
  assert.equal(parseByteSize('--kv-memory', '1048576'), 1048576);
  assert.equal(parseByteSize('--kv-memory', '64k'), 64000);
});

test('parseByteSize refuses what is not a positive size, naming the flag', () => {
  for (const bad of ['', 'lots', '2 parsecs', '-1GiB', '0', '0.1']) {
    assert.throws(() => parseByteSize('--kv-memory', bad), (e: unknown) => e instanceof EngineOptionsError && e.message.startsWith('--kv-memory'), bad);
  }
});
