// Preset models in llama-quantize's mixes for `yi bench --llama-bench`: quantized by our own
// `yi quantize` from the F32 preset, cached, and loaded with the mix's types (q4_k, q6_k in kx4).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isMixPresetType, presetMixGGUF } from '../../bench/preset-mix.js';
import { openGGUF } from '../../src/formats/gguf.js';
import { loadModel } from '../../src/model/load.js';
import { Runtime } from '../../src/runtime/runtime.js';

const work = mkdtempSync(join(tmpdir(), 'yi-preset-mix-'));
let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
  rmSync(work, { recursive: true, force: true });
});

test('mix types are the yi quantize types that yi convert does not write', () => {
  assert.equal(isMixPresetType('q4_k_m'), true);
  assert.equal(isMixPresetType('Q5_K_M'), true);
  assert.equal(isMixPresetType('q8_0'), false);
  assert.equal(isMixPresetType(undefined), false);
});

test('a q4_k_m preset is quantized from the F32 preset once, cached, and loads as Q4_K with Q6_K', async () => {
  const dir = join(work, 'cache');
  const first = await presetMixGGUF(rt, { preset: 'yi-mini', type: 'q4_k_m', cacheDir: dir });
  assert.equal(first.written, true);
  assert.equal(first.path, join(dir, 'yi-mini-q4_k_m-seed1.gguf'));
  const f = openGGUF(first.path);
  try {
    assert.equal(f.metadata.get('general.file_type'), 15);
  } finally {
    f.close();
  }
  const st = statSync(first.path);
  const again = await presetMixGGUF(rt, { preset: 'yi-mini', type: 'q4_k_m', cacheDir: dir, onWrite: () => assert.fail('rewritten') });
  assert.deepEqual([again.path, again.written], [first.path, false]);
  assert.equal(statSync(first.path).mtimeMs, st.mtimeMs);
  assert.deepEqual(readdirSync(dir).sort(), ['yi-mini-f32-seed1.gguf', 'yi-mini-q4_k_m-seed1.gguf']);
  const m = loadModel(rt, first.path, { contextLength: 16, batch: 4, onMessage: () => {} });
  try {
    assert.equal(m.weights.layers[0]!.wq.dtype, 'q4_k');
    assert.equal(m.weights.lmHead.dtype, 'q6_k');
    const logits = m.forward([1, 2, 3]).toArray();
    assert.ok(logits.every(Number.isFinite));
  } finally {
    m.dispose();
  }
});
