// `yi lora merge`: the merged model computes what base + adapter computes (every next-token
// log-probability within 1e-5), its folder is a complete Hugging Face folder (config and tokenizer
// files copied), and a merge that cannot be done leaves nothing under --out.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import type { LoraOptions } from '../../src/model/lora.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { openSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/tensor/half.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { AdapterError, saveLoraAdapter } from '../../src/sft/peft.js';
import { mergeLoraAdapter } from '../../src/sft/merge.js';
import { runYi, tinyModelFolder } from '../cli/yi-cli.js';
import { useRuntimePair } from '../model/runtimes.js';

const tmp = mkdtempSync(join(tmpdir(), 'yi-merge-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const rts = useRuntimePair();
const T = 9;
const inputs = [5, 17, 33, 2, 90, 41, 8, 64, 12];

function open(dir: string, lora?: LoraOptions): YiTrainable {
  const src = openWeights(dir);
  try {
    return YiTrainable.create(rts.rt1, src.config, { kind: 'source', source: src }, { maxSeqLen: T, lora });
  } finally {
    src.close();
  }
}

/** -log p(t | tokens before position i) for each position and every token t: the log-softmax of the logits. */
function logProbs(m: YiTrainable): Float64Array {
  const V = m.config.vocabSize;
  const out = new Float64Array(T * V);
  const targets = new Array<number>(T).fill(-1);
  for (let i = 0; i < T; i++) {
    for (let t = 0; t < V; t++) {
      targets[i] = t;
      out[i * V + t] = m.loss(inputs, targets, 1, T).sum;
    }
    targets[i] = -1;
  }
  return out;
}

test('the merged model\'s next-token log-probabilities equal base + adapter within 1e-5, via the library and yi lora merge', async () => {
  const base = tinyModelFolder(join(tmp, 'base'));
  const m = open(base, { rank: 4, alpha: 12, dropout: 0.1, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 2 });
  const next = mulberry32(4);
  for (const ad of m.adapters.values()) m.arena.f32.set(Float32Array.from({ length: ad.b.value.numel }, () => (2 * next() - 1) * 0.2), ad.b.value.offset / 4);
  const adapterDir = join(tmp, 'adapter');
  saveLoraAdapter(m, adapterDir, { baseModel: base });
  const want = logProbs(m);
  const plain = open(base);
  const baseProbs = logProbs(plain);
  plain.dispose();
  m.dispose();

  const res = mergeLoraAdapter({ model: base, adapter: adapterDir, out: join(tmp, 'merged') });
  assert.deepEqual([res.merged, res.scale], [2 * 7, 3]);
  const viaCli = join(tmp, 'merged-cli');
  const r = runYi(['lora', 'merge', '--model', base, '--adapter', adapterDir, '--out', viaCli]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /merged 14 projections \(scale 3\)/);
  for (const dir of [join(tmp, 'merged'), viaCli]) {
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'logits.json', 'model.safetensors', 'tokenizer.model'].sort());
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), readFileSync(join(base, 'config.json'), 'utf8'));
    const merged = open(dir);
    const got = logProbs(merged);
    merged.dispose();
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      moved = Math.max(moved, Math.abs(baseProbs[i]! - want[i]!));
    }
    assert.ok(worst < 1e-5, `${dir}: log-probabilities differ by up to ${worst}`);
    assert.ok(moved > 1e-2, `the adapter changes the model (by up to ${moved})`);
  }
  // The merged folder is an ordinary model: the inference loader takes it.
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  try {
    loadModel(rt, viaCli, { dtype: 'f32', contextLength: 16, batch: 4 }).dispose();
  } finally {
    await rt.close();
  }
});

test('a bf16 / f16 base is merged in its own dtype: each weight within half a unit in the last place of W + scale B A', () => {
  const dir = join(tmp, 'half-src');
  const base = tinyModelFolder(dir);
  const m = open(base, { rank: 2, alpha: 6, dropout: 0, targets: ['k', 'up'], seed: 5 });
  const next = mulberry32(8);
  for (const ad of m.adapters.values()) m.arena.f32.set(Float32Array.from({ length: ad.b.value.numel }, () => (2 * next() - 1) * 0.3), ad.b.value.offset / 4);
  const adapterDir = join(tmp, 'half-adapter');
  saveLoraAdapter(m, adapterDir);
  const adapters = new Map([...m.adapters].map(([name, ad]) => [name, { a: ad.a.value.toArray(), b: ad.b.value.toArray(), r: 2 }]));
  m.dispose();
  const st = openSafetensors(join(base, 'model.safetensors'));
  const f32 = [...st.tensors.values()].map((i) => ({ name: i.name, shape: i.shape, values: new Float32Array(st.readTensorBytes(i.name).slice().buffer) }));
  st.close();
  for (const [dtype, enc, dec, ulp] of [['BF16', f32ToBf16Bits, bf16BitsToF32, 2 ** -8], ['F16', f32ToF16Bits, f16BitsToF32, 2 ** -10]] as const) {
    const half = join(tmp, `base-${dtype}`);
    tinyModelFolder(half);
    writeSafetensors(join(half, 'model.safetensors'), f32.map((t) => ({ name: t.name, dtype, shape: t.shape, data: new Uint8Array(Uint16Array.from(t.values, (v) => enc(v)).buffer) })));
    const out = join(tmp, `merged-${dtype}`);
    mergeLoraAdapter({ model: half, adapter: adapterDir, out });
    const got = openSafetensors(join(out, 'model.safetensors'));
    for (const t of f32) {
      const info = got.tensors.get(t.name)!;
      assert.equal(info.dtype, dtype);
      const values = Array.from(new Uint16Array(got.readTensorBytes(t.name).slice().buffer), (h) => dec(h));
      const ad = adapters.get(t.name);
      const [rows, cols] = t.shape.length === 2 ? (t.shape as [number, number]) : [1, t.shape[0]!];
      for (let o = 0; o < rows; o++) {
        for (let i = 0; i < cols; i++) {
          let want = dec(enc(t.values[o * cols + i]!));
          if (ad) for (let j = 0; j < ad.r; j++) want += 3 * ad.b[o * ad.r + j]! * ad.a[j * cols + i]!;
          const v = values[o * cols + i]!;
          assert.ok(Math.abs(v - want) <= ulp * Math.abs(want) + 1e-7, `${dtype} ${t.name}[${o}, ${i}]: ${v} vs ${want}`);
          if (!ad) assert.equal(v, dec(enc(t.values[o * cols + i]!)), `${t.name} is copied unchanged`);
        }
      }
    }
    got.close();
  }
});

test('a merge that cannot be done fails with a typed error and leaves no output folder', () => {
  const base = tinyModelFolder(join(tmp, 'base2'));
  const out = join(tmp, 'never');
  const missing = join(tmp, 'no-adapter');
  assert.throws(() => mergeLoraAdapter({ model: base, adapter: missing, out }), (e: unknown) => e instanceof AdapterError && /adapter_config\.json: no such file/.test(e.message));
  assert.throws(() => mergeLoraAdapter({ model: base, adapter: base, out: base }), (e: unknown) => e instanceof AdapterError && /must differ from --model/.test(e.message));
  const r = runYi(['lora', 'merge', '--model', join(tmp, 'nothing-here'), '--adapter', missing, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^yi: load: .*nothing-here: no such folder/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('.tmp-')), []);
});
