// The PEFT adapter folder: what we save has PEFT's config keys and tensor names and loads back into a
// model with the same loss; what we refuse (a missing or mis-shaped tensor, another PEFT method, a
// truncated file, a config that is not JSON) fails with an AdapterError naming the file and the field.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FormatError } from '../../src/formats/errors.js';
import { openSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import type { LoraOptions } from '../../src/model/lora.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/tensor/half.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { AdapterError, applyLoraAdapter, loadLoraAdapter, saveLoraAdapter } from '../../src/sft/peft.js';
import { useRuntimePair } from '../model/runtimes.js';
import { repoRoot } from '../paths.js';

const modelDir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const tmp = mkdtempSync(join(tmpdir(), 'yi-peft-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const rts = useRuntimePair();
const ids = Array.from({ length: 2 * 10 }, (_, i) => (i * 13 + 3) % 96);

function adapted(o: Partial<LoraOptions> = {}): YiTrainable {
  const src = openWeights(modelDir);
  try {
    const m = YiTrainable.create(rts.rt1, src.config, { kind: 'source', source: src }, { maxSeqLen: 10, lora: { rank: 4, alpha: 16, dropout: 0.05, targets: ['q', 'v', 'gate', 'down'], seed: 1, ...o } });
    const next = mulberry32(9);
    for (const ad of m.adapters.values()) m.arena.f32.set(Float32Array.from({ length: ad.b.value.numel }, () => (2 * next() - 1) * 0.1), ad.b.value.offset / 4);
    return m;
  } finally {
    src.close();
  }
}

test('a saved adapter folder has PEFT\'s config and tensor names, and loads back to the same loss', () => {
  const m = adapted();
  const dir = join(tmp, 'adapter');
  saveLoraAdapter(m, dir, { baseModel: 'test/fixtures/yi-tiny' });
  const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(cfg.peft_type, 'LORA');
  assert.equal(cfg.task_type, 'CAUSAL_LM');
  assert.equal(cfg.r, 4);
  assert.equal(cfg.lora_alpha, 16);
  assert.equal(cfg.lora_dropout, 0.05);
  assert.deepEqual(cfg.target_modules, ['q_proj', 'v_proj', 'gate_proj', 'down_proj']);
  assert.equal(cfg.bias, 'none');
  assert.equal(cfg.fan_in_fan_out, false);
  assert.equal(cfg.use_rslora, false);
  assert.equal(cfg.base_model_name_or_path, 'test/fixtures/yi-tiny');
  const st = openSafetensors(join(dir, 'adapter_model.safetensors'));
  assert.deepEqual([...st.tensors.keys()].sort(), m.params.map((p) => p.name).sort());
  const q = st.tensors.get('base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight')!;
  assert.deepEqual([q.dtype, q.shape], ['F32', [m.config.heads * m.config.headDim, 4]]);
  assert.deepEqual(st.tensors.get('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight')!.shape, [4, m.config.ffn]);
  st.close();
  const back = loadLoraAdapter(dir);
  assert.deepEqual(back.options, { rank: 4, alpha: 16, dropout: 0.05, targets: ['q', 'v', 'gate', 'down'], seed: 0, rslora: false });
  const fresh = adapted();
  for (const ad of fresh.adapters.values()) fresh.arena.f32.fill(0, ad.b.value.offset / 4, ad.b.value.offset / 4 + ad.b.value.numel);
  assert.notEqual(fresh.loss(ids, ids, 2, 10).sum, m.loss(ids, ids, 2, 10).sum);
  applyLoraAdapter(fresh, back);
  assert.equal(fresh.loss(ids, ids, 2, 10).sum, m.loss(ids, ids, 2, 10).sum);
  m.dispose();
  fresh.dispose();
});

test('an adapter PEFT saved in bf16 or f16 loads as the f32 values those bits hold', () => {
  const m = adapted();
  const dir = join(tmp, 'half');
  saveLoraAdapter(m, dir);
  const st = openSafetensors(join(dir, 'adapter_model.safetensors'));
  const f32 = new Map([...st.tensors.values()].map((i) => [i.name, { shape: i.shape, values: new Float32Array(st.readTensorBytes(i.name).slice().buffer) }]));
  st.close();
  for (const [dtype, enc, dec] of [['BF16', f32ToBf16Bits, bf16BitsToF32], ['F16', f32ToF16Bits, f16BitsToF32]] as const) {
    writeSafetensors(join(dir, 'adapter_model.safetensors'), [...f32].map(([name, t]) => ({ name, dtype, shape: t.shape, data: new Uint8Array(Uint16Array.from(t.values, (v) => enc(v)).buffer) })));
    const back = loadLoraAdapter(dir);
    for (const [name, t] of f32) assert.deepEqual(back.tensors.get(name)!.values, Float32Array.from(t.values, (v) => dec(enc(v))), `${dtype} ${name}`);
  }
  m.dispose();
});

test('adapters that do not fit, or are not PEFT LoRA folders, fail with AdapterError naming file and field', () => {
  const m = adapted();
  const good = join(tmp, 'good');
  saveLoraAdapter(m, good);
  const variant = (name: string, edit: (dir: string) => void): string => {
    const dir = join(tmp, name);
    saveLoraAdapter(m, dir);
    edit(dir);
    return dir;
  };
  const cfgEdit = (f: (c: Record<string, unknown>) => void) => (dir: string) => {
    const c = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    f(c);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(c));
  };
  const weights = (dir: string) => join(dir, 'adapter_model.safetensors');
  const rewrite = (f: (tensors: { name: string; dtype: 'F32'; shape: number[]; data: Uint8Array }[]) => void) => (dir: string) => {
    const st = openSafetensors(weights(dir));
    const ts = [...st.tensors.values()].map((i) => ({ name: i.name, dtype: 'F32' as const, shape: i.shape, data: st.readTensorBytes(i.name) }));
    st.close();
    f(ts);
    writeSafetensors(weights(dir), ts);
  };
  const cases: [string, string, RegExp][] = [
    [variant('no-config', (d) => rmSync(join(d, 'adapter_config.json'))), 'load', /adapter_config\.json: no such file/],
    [variant('not-json', (d) => writeFileSync(join(d, 'adapter_config.json'), '{"r": 4,')), 'load', /not valid JSON/],
    [variant('ia3', cfgEdit((c) => (c['peft_type'] = 'IA3'))), 'load', /field peft_type: expected "LORA"/],
    [variant('rank0', cfgEdit((c) => (c['r'] = 0))), 'load', /field r: expected an integer >= 1/],
    [variant('regex', cfgEdit((c) => (c['target_modules'] = '.*proj'))), 'load', /field target_modules: .*regular expression/],
    [variant('lm-head', cfgEdit((c) => (c['target_modules'] = ['q_proj', 'lm_head']))), 'load', /"lm_head" is not a projection/],
    [variant('dora', cfgEdit((c) => (c['use_dora'] = true))), 'load', /field use_dora/],
    [variant('no-weights', (d) => rmSync(weights(d))), 'load', /adapter_model\.safetensors: no such file/],
    [variant('huge-config', (d) => writeFileSync(join(d, 'adapter_config.json'), ' '.repeat(2 << 20))), 'load', /more than the 1048576 an adapter config may have/],
    [variant('truncated', (d) => truncateSync(weights(d), 200)), 'load', /safetensors/],
    [variant('rank-mismatch', cfgEdit((c) => (c['r'] = 8))), 'load', /has rank 4, adapter_config\.json says r = 8/],
    [variant('missing', rewrite((ts) => ts.splice(ts.findIndex((t) => t.name.includes('layers.1.mlp.gate_proj.lora_A')), 1))), 'apply', /tensor base_model\.model\.model\.layers\.1\.mlp\.gate_proj\.lora_A\.weight is missing/],
    [variant('misshaped', rewrite((ts) => {
      const t = ts.find((x) => x.name.includes('layers.0.self_attn.v_proj.lora_B'))!;
      t.shape = [t.shape[0]! / 2, 8];
    })), 'apply', /layers\.0\.self_attn\.v_proj\.lora_B\.weight has shape \[16, 8\].*rank 8|v_proj\.lora_B\.weight: shape \[16, 8\] has rank 8/],
    [variant('stray', rewrite((ts) => ts.push({ ...ts[0]!, name: 'base_model.model.lm_head.lora_A.weight' }))), 'load', /tensor base_model\.model\.lm_head\.lora_A\.weight: expected base_model/],
    [variant('wrong-block', rewrite((ts) => ts.push({ ...ts[0]!, name: 'base_model.model.model.layers.0.mlp.q_proj.lora_A.weight' }))), 'load', /tensor base_model\.model\.model\.layers\.0\.mlp\.q_proj\.lora_A\.weight: expected/],
    [variant('extra-layer', rewrite((ts) => ts.push(...ts.filter((t) => t.name.includes('layers.0.')).map((t) => ({ ...t, name: t.name.replace('layers.0.', 'layers.7.') }))))), 'apply', /layers\.7\..* has no place in a model of 2 layers/],
  ];
  for (const [dir, stage, message] of cases) {
    const fresh = adapted();
    assert.throws(
      () => applyLoraAdapter(fresh, loadLoraAdapter(dir)),
      (e: unknown) => e instanceof FormatError && message.test(e.message) && (stage === 'load' || e instanceof AdapterError),
      `${dir}: expected ${message}`,
    );
    fresh.dispose();
  }
  // A model with other targets or rank refuses the adapter by field.
  const other = adapted({ targets: ['q', 'k'] });
  assert.throws(() => applyLoraAdapter(other, loadLoraAdapter(good)), (e: unknown) => e instanceof AdapterError && /field target_modules/.test(e.message));
  other.dispose();
  m.dispose();
});
