// The preset-to-GGUF writer of `yi bench --llama-bench`: the file holds exactly the generated weights
// (our loader reads back the same bytes, in every type), in llama.cpp's layout, and is cached.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isCachedPresetGGUF, presetGGUF, presetWeights, writePresetGGUF } from '../../bench/preset-gguf.js';
import { GGMLType, openGGUF } from '../../src/formats/gguf.js';
import { permuteQKForGGUF } from '../../src/formats/llama-names.js';
import { preset } from '../../src/model/config.js';
import type { ConvertType } from '../../src/model/convert.js';
import { loadFromSource, loadModel } from '../../src/model/load.js';
import type { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const work = mkdtempSync(join(tmpdir(), 'yi-preset-gguf-'));
let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
});
after(async () => {
  await rt.close();
  rmSync(work, { recursive: true, force: true });
});

function weightsOf(m: YiModel): [string, Tensor][] {
  const w = m.weights;
  const out: [string, Tensor][] = [['embed', w.embed], ['norm', w.norm], ['lmHead', w.lmHead]];
  w.layers.forEach((l, i) => {
    for (const [k, t] of Object.entries(l)) out.push([`layers.${i}.${k}`, t as Tensor]);
  });
  return out;
}

for (const type of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as ConvertType[]) {
  test(`a ${type} preset GGUF loads back bit-identical to the generated weights`, () => {
    const cfg = preset('tiny');
    const path = join(work, `tiny-${type}.gguf`);
    writePresetGGUF(rt, path, cfg, { preset: 'tiny', type, seed: 7 });
    const fromFile = loadModel(rt, path, { contextLength: 16, batch: 4, onMessage: (m, level) => assert.fail(`unexpected ${level}: ${m}`) });
    const generated = loadFromSource(rt, presetWeights(rt, cfg, type, 7), { contextLength: 16, batch: 4 });
    try {
      const a = weightsOf(fromFile);
      const b = weightsOf(generated);
      assert.equal(a.length, 3 + cfg.layers * 9);
      for (let i = 0; i < a.length; i++) {
        assert.equal(a[i]![1].dtype, b[i]![1].dtype, a[i]![0]);
        assert.ok(Buffer.from(a[i]![1].bytes()).equals(Buffer.from(b[i]![1].bytes())), `${a[i]![0]} differs`);
      }
      // The same forward on both: logits identical bit for bit.
      assert.deepEqual(fromFile.forward([1, 5, 9]).toArray(), generated.forward([1, 5, 9]).toArray());
    } finally {
      fromFile.dispose();
      generated.dispose();
    }
  });
}

test("the file is in llama.cpp's layout: its names, q/k rows permuted, norms F32, no_vocab with the vocabulary size", () => {
  const cfg = preset('tiny');
  const path = join(work, 'tiny-layout.gguf');
  writePresetGGUF(rt, path, cfg, { preset: 'tiny', type: 'q8_0', seed: 3 });
  const src = presetWeights(rt, cfg, 'q8_0', 3);
  const f = openGGUF(path);
  try {
    const names = f.tensors.map((t) => t.name);
    const layer = (l: number) => ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'].map((n) => `blk.${l}.${n}.weight`);
    assert.deepEqual(names, ['token_embd.weight', ...layer(0), ...layer(1), 'output_norm.weight', 'output.weight']);
    const info = (n: string) => f.tensors.find((t) => t.name === n)!;
    assert.equal(info('blk.0.attn_norm.weight').type, GGMLType.F32);
    assert.equal(info('blk.0.attn_q.weight').type, GGMLType.Q8_0);
    // tiny's ffn (172) is not whole 32-blocks: down_proj falls back to F16, as convert does.
    assert.equal(info('blk.0.ffn_down.weight').type, GGMLType.F16);
    const q = src.tensors.get('model.layers.1.self_attn.q_proj.weight')!;
    const hfRows = new Uint8Array(q.shape[0]! * q.rowBytes);
    q.readRows(0, q.shape[0]!, hfRows);
    const inFile = f.readTensorBytes(info('blk.1.attn_q.weight'));
    assert.ok(!Buffer.from(inFile).equals(Buffer.from(hfRows)), 'q rows must be permuted for llama.cpp');
    assert.ok(Buffer.from(inFile).equals(Buffer.from(permuteQKForGGUF(hfRows, q.shape[0]!, cfg.heads))));
    const m = f.metadata;
    assert.equal(m.get('general.architecture'), 'llama');
    assert.equal(m.get('general.file_type'), 7);
    assert.equal(m.get('tokenizer.ggml.model'), 'no_vocab');
    assert.equal(m.get('llama.vocab_size'), cfg.vocabSize);
    assert.equal(m.get('llama.attention.head_count_kv'), cfg.kvHeads);
  } finally {
    f.close();
  }
});

test('presetGGUF writes the file once into the cache folder and reuses it; a truncated one is rewritten', () => {
  const dir = join(work, 'cache');
  const first = presetGGUF(rt, { preset: 'tiny', type: 'q4_0', cacheDir: dir });
  assert.equal(first.written, true);
  assert.equal(first.path, join(dir, 'tiny-q4_0-seed1.gguf'));
  const st = statSync(first.path);
  const again = presetGGUF(rt, { preset: 'tiny', type: 'q4_0', cacheDir: dir, onWrite: () => assert.fail('rewritten') });
  assert.deepEqual([again.path, again.written], [first.path, false]);
  assert.equal(statSync(first.path).mtimeMs, st.mtimeMs);
  assert.equal(isCachedPresetGGUF(first.path, preset('tiny'), { preset: 'tiny', type: 'q4_0', seed: 2 }), false);
  assert.equal(isCachedPresetGGUF(first.path, preset('yi-mini'), { preset: 'tiny', type: 'q4_0', seed: 1 }), false);
  // The same config with its keys in another order (yi-174m's spread defaults) is the same config.
  const reordered = Object.fromEntries(Object.entries(preset('tiny')).reverse()) as unknown as ReturnType<typeof preset>;
  assert.equal(isCachedPresetGGUF(first.path, reordered, { preset: 'tiny', type: 'q4_0', seed: 1 }), true);
  truncateSync(first.path, st.size - 100);
  const repaired = presetGGUF(rt, { preset: 'tiny', type: 'q4_0', cacheDir: dir });
  assert.equal(repaired.written, true);
  assert.equal(statSync(repaired.path).size, st.size);
  // Written through a temp file and a rename: nothing else is left in the folder.
  assert.deepEqual(readdirSync(dir), ['tiny-q4_0-seed1.gguf']);
});
