// Seeded fuzzing of GGUF loading: mutations of small valid F32, Q8_0 and k-type (every block type) files, generic (truncations,
// flips, huge values, cut/repeated/appended bytes) and GGUF-aware (tensor types, dimensions, dimension
// counts and offsets rewritten; metadata value types changed; string and array lengths that claim
// 700 MB, 1 GiB, 4 GiB or 50 M entries in sparse files of that size). Each case is loaded as
// `yi generate -m x.gguf --check` loads it; every one must end loaded or in a typed error naming the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../formats/helpers.js';
import { ggufLayout, type GGUFLayout } from './gguf-layout.js';
import { assertNoUntypedOrHang, dumpOutcomes, mutations, runFuzz, seeded, tally, writeCase, type FuzzCase } from './harness.js';
import { ggufKSeed, ggufSeed } from './seeds.js';

// Block types included: Q4_1 3, Q5_0 6, Q5_1 7, Q2_K 10, Q3_K 11, Q4_K 12, Q5_K 13, Q6_K 14, Q8_K 15 (not a weight type).
const TYPES = [0, 1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 15, 30, 4, 31, 99, 0xffffffff];
const DIMS = [0, 1, 3, 31, 33, 64, 2 ** 31, 2 ** 32 + 32, 2 ** 53 - 1];
const NDIMS = [0, 1, 3, 4, 5, 0xffffffff];
const VALUE_TYPES = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 0xffffffff];
/** String length claims (bytes): over V8's string limit, 1 GiB, 4 GiB, and just under the reader's limit. */
const STRING_CLAIMS = [700_000_000, 2 ** 30, 2 ** 32 + 7, (64 << 20) - 1, 64 << 20 | 1];
/** Array length claims (elements): 50 M, just over the limit, and a large count under it. */
const ARRAY_CLAIMS = [50_000_000, (1 << 24) + 1, 2_000_000];

function setU32(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, v >>> 0, true);
  return c;
}

function setU64(b: Uint8Array, at: number, v: number | bigint): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setBigUint64(at, BigInt(v), true);
  return c;
}

/** GGUF-aware mutations of `seed`, `count` of them, the same for the same seed number. */
function* ggufMutations(seed: Uint8Array, layout: GGUFLayout, rseed: number, count: number): Generator<FuzzCase> {
  const r = seeded(rseed);
  const pick = <T>(xs: readonly T[]): T => xs[r(xs.length)]!;
  const strings = layout.kvs.filter((k) => k.strLenAt !== undefined);
  const arrays = layout.kvs.filter((k) => k.countAt !== undefined);
  for (let i = 0; i < count; i++) {
    const t = pick(layout.tensors);
    const kv = pick(layout.kvs);
    switch (r(9)) {
      case 0: {
        const v = pick(TYPES);
        yield { name: `tensor ${t.name} type -> ${v}`, bytes: setU32(seed, t.typeAt, v) };
        break;
      }
      case 1: {
        const d = r(t.nDims);
        const v = pick(DIMS);
        yield { name: `tensor ${t.name} ne[${d}] -> ${v}`, bytes: setU64(seed, t.neAt[d]!, v) };
        break;
      }
      case 2: {
        const v = pick(NDIMS);
        yield { name: `tensor ${t.name} n_dims -> ${v}`, bytes: setU32(seed, t.nDimsAt, v) };
        break;
      }
      case 3: {
        const v = pick([0, t.offset + 32, Math.max(0, t.offset - 32), t.offset + 1, 2 ** 40, 2 ** 63]);
        yield { name: `tensor ${t.name} offset -> ${v}`, bytes: setU64(seed, t.offsetAt, v) };
        break;
      }
      case 4: {
        const v = pick(VALUE_TYPES);
        yield { name: `key ${kv.key} value type -> ${v}`, bytes: setU32(seed, kv.typeAt, v) };
        break;
      }
      case 5: {
        const a = pick(arrays);
        const v = pick([0, a.count! - 1, a.count! + 1, pick(VALUE_TYPES)]);
        const elem = r(2) === 0;
        yield elem
          ? { name: `key ${a.key} element type -> ${v}`, bytes: setU32(seed, a.elemTypeAt!, v) }
          : { name: `key ${a.key} count -> ${v}`, bytes: setU64(seed, a.countAt!, v) };
        break;
      }
      case 6: {
        // A string whose length claim the (sparse) file is large enough to hold.
        const s = r(3) === 0 ? kv : pick(strings);
        const at = s === kv ? kv.keyLenAt : s.strLenAt!;
        const claim = pick(STRING_CLAIMS);
        yield { name: `key ${s.key} ${s === kv ? 'key' : 'value'} length claims ${claim} bytes (sparse)`, bytes: setU64(seed, at, claim), sparseSize: seed.length + claim + 4096 };
        break;
      }
      case 7: {
        const a = pick(arrays);
        const claim = pick(ARRAY_CLAIMS);
        yield { name: `key ${a.key} array claims ${claim} elements (sparse)`, bytes: setU64(seed, a.countAt!, claim), sparseSize: seed.length + claim * 8 + 4096 };
        break;
      }
      default: {
        const which = r(2) === 0 ? 'tensor' : 'metadata';
        const v = pick([0, 1, 1000, 2 ** 31, 2 ** 40]);
        yield {
          name: `${which} count -> ${v} (sparse)`,
          bytes: setU64(seed, which === 'tensor' ? layout.tensorCountAt : layout.kvCountAt, v),
          sparseSize: seed.length + (v > 2 ** 33 ? 0 : Math.min(v * 64, 2 ** 32)),
        };
      }
    }
  }
}

test('fuzz GGUF: mutated F32, Q8_0 and k-type checkpoints load or fail with a typed error, never crash or hang', async () => {
  const dir = tempDir();
  const cases: { name: string; path: string }[] = [];
  const add = (c: FuzzCase) => cases.push({ name: c.name, path: writeCase(dir, `case${cases.length}.gguf`, c) });
  for (const [i, type] of (['f32', 'q8_0'] as const).entries()) {
    const seed = ggufSeed(dir, type);
    add({ name: `${type} seed, unchanged`, bytes: seed });
    for (const c of mutations(seed, 100 + i, 60)) add({ ...c, name: `${type}: ${c.name}` });
    for (const c of ggufMutations(seed, ggufLayout(seed), 200 + i, 110)) add({ ...c, name: `${type}: ${c.name}` });
  }
  // Matrices in every GGUF block type (k-quants, Q4_1, Q5_0, Q5_1), with fewer cases to stay in time.
  const kseed = ggufKSeed(dir);
  add({ name: 'kmix seed, unchanged', bytes: kseed });
  for (const c of mutations(kseed, 150, 30)) add({ ...c, name: `kmix: ${c.name}` });
  for (const c of ggufMutations(kseed, ggufLayout(kseed), 250, 70)) add({ ...c, name: `kmix: ${c.name}` });
  const out = await runFuzz({ module: new URL('./targets/model-load.js', import.meta.url), exportName: 'loadCheckpoint', cases });
  const t = tally(out);
  dumpOutcomes(out);
  assert.equal(out[0]!.kind, 'ok', `the F32 seed loads: ${out[0]!.error}`);
  assert.equal(out.find((o) => o.case === 'q8_0 seed, unchanged')!.kind, 'ok', 'the Q8_0 seed loads');
  assert.equal(out.find((o) => o.case === 'kmix seed, unchanged')!.kind, 'ok', 'the k-type seed loads');
  assertNoUntypedOrHang(out, `GGUF fuzz (${JSON.stringify(t)})`);
  assert.ok(t.typed > cases.length / 3, `most mutations are refused: ${JSON.stringify(t)}`);
});

test('fuzz GGUF: the bare reader (header, metadata, every tensor read) on generic mutations', async () => {
  const dir = tempDir();
  const seed = ggufSeed(dir, 'q8_0');
  const cases = [...mutations(seed, 300, 120)].map((c, i) => ({ name: c.name, path: writeCase(dir, `raw${i}.gguf`, c) }));
  const out = await runFuzz({ module: new URL('./targets/model-load.js', import.meta.url), exportName: 'readGGUF', cases });
  assertNoUntypedOrHang(out, `GGUF reader fuzz (${JSON.stringify(tally(out))})`);
});
