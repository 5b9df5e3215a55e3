import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openTableFile, readTableFile, readU32Range, writeTableFile } from '../../../src/data/dedup/state-files.js';
import { searchU64, sortU64, U64Map } from '../../../src/data/dedup/u64.js';
import { mulberry32 } from '../../../src/tensor/random.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('state files round-trip their sections; every truncation and foreign file fails naming the file', () => {
  const p = join(dir, 'a.bin');
  const u = Uint32Array.from([1, 2, 3, 0xffffffff]);
  const f = Float64Array.from([0.5, -2]);
  writeTableFile(p, 'demo', { n: 4 }, { u, b: Uint8Array.from([7, 8, 9]), f });
  const t = readTableFile(p, 'demo');
  assert.deepEqual(t.meta, { n: 4 });
  assert.deepEqual(t.get('u', 'u32'), u);
  assert.deepEqual(t.get('f', 'f64'), f);
  assert.deepEqual(Array.from(t.get<Uint8Array>('b', 'u8')), [7, 8, 9]);
  assert.throws(() => t.get('u', 'f64'), /section 'u' holds u32, expected f64/);
  assert.throws(() => t.get('x', 'u8'), /no section 'x'/);
  assert.throws(() => readTableFile(p, 'other'), /a\.bin: holds 'demo', expected 'other'/);
  const o = openTableFile(p, 'demo');
  const into = new Uint32Array(2);
  readU32Range(o, o.section('u'), 2, 2, into);
  assert.deepEqual(Array.from(into), [3, 0xffffffff]);
  o.close();
  const whole = readFileSync(p);
  for (let cut = 0; cut < whole.length; cut++) {
    writeFileSync(p, whole.subarray(0, cut));
    assert.throws(() => readTableFile(p, 'demo'), /a\.bin: /, `cut at ${cut}`);
    assert.throws(() => openTableFile(p, 'demo'), /a\.bin: /, `cut at ${cut}`);
  }
  const bad = Buffer.from(whole);
  bad[0] ^= 1;
  writeFileSync(p, bad);
  assert.throws(() => readTableFile(p, 'demo'), /not a yi-ts state file/);
  assert.throws(() => readTableFile(join(dir, 'missing.bin'), 'demo'), /missing\.bin: cannot read/);
});

test('sortU64 sorts 64-bit keys stably with a payload; searchU64 and U64Map find them', () => {
  const rnd = mulberry32(1);
  for (const n of [0, 1, 2, 100, 3000]) {
    const hi = Uint32Array.from({ length: n }, () => (rnd() < 0.3 ? 5 : Math.floor(rnd() * 2 ** 32)));
    const lo = Uint32Array.from({ length: n }, () => Math.floor(rnd() * 50));
    const pay = Uint32Array.from({ length: n }, (_, i) => i);
    const want = [...pay].sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || a - b).map((i) => [hi[i], lo[i], i]);
    sortU64(hi, lo, pay);
    assert.deepEqual([...pay].map((i, k) => [hi[k], lo[k], i]), want);
    for (let k = 0; k < n; k += 7) assert.equal(hi[searchU64(hi, lo, hi[k]!, lo[k]!)], hi[k]);
    if (n) assert.equal(searchU64(hi, lo, 5, 50), -1);
  }
  const m = new U64Map(2);
  for (let i = 0; i < 5000; i++) assert.equal(m.setIfAbsent(i % 1000, i * 7, i), i);
  assert.equal(m.setIfAbsent(3, 21, 99), 3);
  assert.equal(m.get(999, 999 * 7), 999);
  assert.equal(m.get(1, 1), undefined);
  const s = m.sorted();
  assert.equal(s.hi.length, 5000);
  for (let i = 1; i < 5000; i++) assert.ok(s.hi[i - 1]! < s.hi[i]! || (s.hi[i - 1] === s.hi[i] && s.lo[i - 1]! < s.lo[i]!));
});
