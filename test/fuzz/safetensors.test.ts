// Seeded fuzzing of Hugging Face folder loading through model.safetensors: generic mutations of a
// small valid file, and safetensors-aware ones: the header length rewritten (also to huge values in
// sparse files of that size), each tensor's dtype, shape and data_offsets rewritten in the JSON header,
// __metadata__ and deeply nested values. Each case is a folder (config.json + the mutated file) loaded
// as `yi generate -m <folder> --check` loads it: loaded, or a typed error naming the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoUntypedOrHang, dumpOutcomes, mutations, runFuzz, seeded, tally, type FuzzCase } from './harness.js';
import { hfSeed, ModelFolderCases } from './model-folder-cases.js';

/** The header object and the data area of a valid file. */
function split(file: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))) as Record<string, unknown>, data: file.subarray(8 + n) };
}

/** A file from header JSON text (padded to 8 bytes with spaces, as writers do) and a data area. */
function join8(json: string, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const text = new TextEncoder().encode(json);
  const padded = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(padded), true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + padded);
  out.set(data, 8 + padded);
  return out;
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const DTYPES: unknown[] = ['F16', 'BF16', 'F64', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'F4', 'Q8_0', 'f32', '', 4, null];

/** Safetensors-aware mutations of `file`, `count` of them, the same for the same seed. */
function* safetensorsMutations(file: Uint8Array, rseed: number, count: number): Generator<FuzzCase> {
  const r = seeded(rseed);
  const pick = <T>(xs: readonly T[]): T => xs[r(xs.length)]!;
  const { header, data } = split(file);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  for (let i = 0; i < count; i++) {
    const name = pick(names);
    const h = structuredClone(header) as Record<string, Record<string, unknown>>;
    const t = h[name]!;
    const [b, e] = t['data_offsets'] as [number, number];
    const shape = t['shape'] as number[];
    let json: string | undefined;
    let what: string;
    switch (r(8)) {
      case 0: {
        const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
        const v = pick([0n, 1n, 7n, BigInt(n - 1), BigInt(n + 1), BigInt(n + 8), 2n ** 32n, 2n ** 53n, 2n ** 64n - 1n, 100_000_000n, 100_000_001n]);
        yield { name: `header length -> ${v}`, bytes: join8(JSON.stringify(header), data, v) };
        continue;
      }
      case 1: {
        // A huge header length that the (sparse) file is large enough to hold: zeros, not JSON.
        const v = pick([50_000_000, 99_999_999, 100_000_001, 2 ** 30, 2 ** 32 + 8]);
        yield { name: `header length -> ${v} (sparse)`, bytes: join8(JSON.stringify(header), data, BigInt(v)), sparseSize: 8 + v + 4096 };
        continue;
      }
      case 2:
        t['dtype'] = pick(DTYPES);
        what = `dtype -> ${JSON.stringify(t['dtype'])}`;
        break;
      case 3: {
        const s = pick<unknown>([[], [0], [...shape].reverse(), [shape[0]! * 2, ...shape.slice(1)], [-1], [1.5], ['4'], [2 ** 53], [2 ** 31, 2 ** 31], [[1]], shape.concat([1]), shape.slice(1), null]);
        t['shape'] = s;
        what = `shape -> ${JSON.stringify(s)}`;
        break;
      }
      case 4: {
        const o = pick<unknown>([[e, b], [0, 0], [b, e + 1], [b - 1, e - 1], [b + 4, e + 4], [2 ** 53, 2 ** 53 + 4], [-4, e], [b], [b, e, 0], ['0', e], [b, 2 ** 64], null]);
        t['data_offsets'] = o;
        what = `data_offsets -> ${JSON.stringify(o)}`;
        break;
      }
      case 5: {
        const m = pick<unknown>([{ format: 3 }, { format: null }, 'pt', [], { a: { b: 'c' } }]);
        (h as Record<string, unknown>)['__metadata__'] = m;
        what = `__metadata__ -> ${JSON.stringify(m)}`;
        break;
      }
      case 6: {
        // A value nested deeply enough to overflow a recursive serializer.
        const field = pick(['shape', 'data_offsets', 'dtype']);
        json = JSON.stringify(h).replace(`"${field}":${JSON.stringify(t[field])}`, `"${field}":${nested(100_000)}`);
        what = `${field} -> 100000 nested arrays`;
        break;
      }
      default: {
        const drop = r(2) === 0;
        if (drop) delete h[name];
        else h[`${name}.extra`] = { ...t };
        what = drop ? 'removed' : 'copied under a second name (overlapping data)';
      }
    }
    yield { name: `tensor ${name} ${what}`, bytes: join8(json ?? JSON.stringify(h), data) };
  }
}

test('fuzz safetensors: mutated model.safetensors in a model folder loads or fails with a typed error, never crashes or hangs', async () => {
  const hf = hfSeed('model.safetensors');
  const seed = hf.bytes;
  const folders = new ModelFolderCases(hf, 'model.safetensors', ['config.json']);
  const cases = folders.cases;
  const add = (c: FuzzCase) => folders.add(c);
  add({ name: 'seed, unchanged', bytes: seed });
  for (const c of mutations(seed, 11, 110)) add(c);
  for (const c of safetensorsMutations(seed, 12, 190)) add(c);
  const out = await runFuzz({ module: new URL('./targets/model-load.js', import.meta.url), exportName: 'loadCheckpoint', cases });
  dumpOutcomes(out);
  const t = tally(out);
  assert.equal(out[0]!.kind, 'ok', `the seed loads: ${out[0]!.error}`);
  assertNoUntypedOrHang(out, `safetensors fuzz (${JSON.stringify(t)})`);
  assert.ok(t.typed > cases.length / 3, `most mutations are refused: ${JSON.stringify(t)}`);
});
