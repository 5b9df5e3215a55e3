// Seeded fuzzing of Hugging Face config.json (loaded with its model folder, as `yi generate -m
// <folder> --check` does) and generation_config.json: JSON-level mutations (wrong types, negative,
// huge, tiny, fractional and overflowing numbers such as 1e999, missing keys, nulls, values nested
// 100000 deep, whole files that are not objects) and generic byte mutations of the text, plus files
// made huge but sparse. Every case must load or fail with a typed error naming the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoUntypedOrHang, dumpOutcomes, mutations, runFuzz, seeded, tally, writeCase, type FuzzCase } from './harness.js';
import { hfSeed, ModelFolderCases } from './model-folder-cases.js';

/** JSON texts of values a key might wrongly hold (text, so that 1e999 and deep nesting survive). */
const VALUES: readonly string[] = [
  '"64"', 'true', 'false', 'null', '[]', '{}', '[64]', '{"a":1}', '""',
  '-1', '0', '-0', '0.5', '1', '2', '3', '7', '31', '65537', '4194305', '16777217', '1e9', '2147483648',
  '9007199254740992', '9007199254740993', '1e308', '-1e308', '1e-320', '1e999', '-1e999', '1.0000001',
  '["silu"]', '"gelu"', '"Yi"', '"llama"', '[1, 2, -3]', '[2.5]', '[1e20]', '[]',
  '{"type": "linear", "factor": 2.0}', '{"rope_type": "default"}', '{"type": 5}', '{"type": "dynamic", "factor": -1}', '{"factor": 2}',
];
const NESTED = '['.repeat(100_000) + ']'.repeat(100_000);
const NESTED_OBJ = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);

/** A JSON object text with some keys replaced, removed or added (the text of each value kept as given). */
function objectText(entries: [string, string][]): string {
  return '{' + entries.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(',\n') + '}';
}

/** JSON-level mutations of the object `seed` (extra keys it may lack are fair game too), `count` of them. */
function* jsonMutations(seed: Record<string, unknown>, extraKeys: readonly string[], rseed: number, count: number): Generator<FuzzCase> {
  const r = seeded(rseed);
  const pick = <T>(xs: readonly T[]): T => xs[r(xs.length)]!;
  const keys = [...Object.keys(seed), ...extraKeys];
  const base = Object.entries(seed).map(([k, v]) => [k, JSON.stringify(v)] as [string, string]);
  const enc = (s: string) => new TextEncoder().encode(s);
  for (let i = 0; i < count; i++) {
    const kind = r(10);
    if (kind === 0) {
      const whole = pick(['[]', '"config"', '42', 'null', '', '{}', '{"a": 1', NESTED, NESTED_OBJ, '\ufeff{}', '{"hidden_size": 32, "hidden_size": "x"}']);
      yield { name: `whole file -> ${whole.slice(0, 30)}${whole.length > 30 ? '...' : ''}`, bytes: enc(whole) };
      continue;
    }
    const entries = base.map((e) => [...e] as [string, string]);
    const edits: string[] = [];
    for (let j = 0, n = 1 + r(3); j < n; j++) {
      const key = pick(keys);
      const at = entries.findIndex(([k]) => k === key);
      const op = r(8);
      if (op === 0) {
        if (at >= 0) entries.splice(at, 1);
        edits.push(`drop ${key}`);
      } else {
        const v = op === 1 ? (r(2) === 0 ? NESTED : NESTED_OBJ) : pick(VALUES);
        if (at >= 0) entries[at]![1] = v;
        else entries.push([key, v]);
        edits.push(`${key} -> ${v.length > 30 ? `${v.slice(0, 12)}... (${v.length} chars)` : v}`);
      }
    }
    yield { name: edits.join('; '), bytes: enc(objectText(entries)) };
  }
}

function* sparseCases(text: Uint8Array): Generator<FuzzCase> {
  for (const size of [60_000_000, (64 << 20) + 1, 2 ** 30, 2 ** 32 + 5]) yield { name: `followed by zeros up to ${size} bytes (sparse)`, bytes: text, sparseSize: size };
}

test('fuzz config.json: mutated configs of a model folder load or fail with a typed error, never crash or hang', async () => {
  const hf = hfSeed('config.json');
  const text = hf.bytes;
  const seed = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
  // The weights stay valid (one shared file); only config.json varies.
  const folders = new ModelFolderCases(hf, 'config.json', ['model.safetensors']);
  const cases = folders.cases;
  const add = (c: FuzzCase) => folders.add(c);
  add({ name: 'seed, unchanged', bytes: text });
  for (const c of jsonMutations(seed, ['head_dim', 'rope_scaling', 'num_key_value_heads', 'dtype'], 21, 260)) add(c);
  for (const c of mutations(text, 22, 50)) add(c);
  for (const c of sparseCases(text)) add(c);
  const out = await runFuzz({ module: new URL('./targets/model-load.js', import.meta.url), exportName: 'loadCheckpoint', cases });
  dumpOutcomes(out);
  const t = tally(out);
  assert.equal(out[0]!.kind, 'ok', `the seed loads: ${out[0]!.error}`);
  assertNoUntypedOrHang(out, `config.json fuzz (${JSON.stringify(t)})`);
  assert.ok(t.typed > cases.length / 3, `most mutations are refused: ${JSON.stringify(t)}`);
});

test('fuzz generation_config.json: mutated files parse or fail with a typed error', async () => {
  const { dir, bytes: text } = hfSeed('generation_config.json');
  const seed = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
  const cases: { name: string; path: string }[] = [];
  const add = (c: FuzzCase) => cases.push({ name: c.name, path: writeCase(dir, `case${cases.length}.json`, c) });
  add({ name: 'seed, unchanged', bytes: text });
  const extra = ['pad_token_id', 'top_k', 'repetition_penalty', 'max_length'];
  for (const c of jsonMutations(seed, extra, 31, 160)) add(c);
  for (const c of mutations(text, 32, 40)) add(c);
  for (const c of sparseCases(text)) add(c);
  const out = await runFuzz({ module: new URL('./targets/model-load.js', import.meta.url), exportName: 'readGeneration', cases });
  dumpOutcomes(out);
  assert.equal(out[0]!.kind, 'ok', `the seed parses: ${out[0]!.error}`);
  assertNoUntypedOrHang(out, `generation_config.json fuzz (${JSON.stringify(tally(out))})`);
});
