import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha1Hash64 } from '../../../src/data/dedup/doc-ids.js';
import { ccnetNormalize, simplifyText } from '../../../src/data/dedup/normalize.js';
import { fixture } from '../../paths.js';

interface Reference {
  simplify: { text: string; simplified: string }[];
  ccnet: { line: string; normalized: string; hash: string }[];
}
const ref = fixture<Reference>('dedup-reference.json');

test("simplifyText is datatrove's simplify_text (Python's Unicode tables) on tricky text", () => {
  for (const c of ref.simplify) assert.equal(simplifyText(c.text), c.simplified, JSON.stringify(c.text));
});

test("ccnetNormalize and the line hash are CCNet's normalize_for_dedup and sha1[:8] as little-endian uint64", () => {
  const h = new Uint32Array(2);
  for (const c of ref.ccnet) {
    assert.equal(ccnetNormalize(c.line), c.normalized, JSON.stringify(c.line));
    sha1Hash64(ccnetNormalize(c.line), h);
    assert.equal((BigInt(h[0]!) << 32n) | BigInt(h[1]!), BigInt(c.hash), JSON.stringify(c.line));
  }
});
