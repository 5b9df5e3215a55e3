import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/formats/errors.js';
import { openGGUF, writeGGUF } from '../../src/formats/gguf.js';
import { GGUFValueType } from '../../src/formats/gguf-types.js';
import { fromGGUFMetadata, fromHFConfig, preset, PRESETS, toGGUFMetadata, toHFConfig, validateConfig, type YiConfig } from '../../src/model/config.js';
import { tempDir } from '../formats/helpers.js';

const dir = tempDir();

test('presets match YI-SPEC.md section 1', () => {
  // [hidden, layers, heads, kvHeads, ffn, maxPositions, ropeTheta, rmsEps]
  const spec: Record<string, number[]> = {
    'yi-6b': [4096, 32, 32, 4, 11008, 4096, 5e6, 1e-5],
    'yi-6b-200k': [4096, 32, 32, 4, 11008, 200000, 5e6, 1e-5],
    'yi-9b': [4096, 48, 32, 4, 11008, 4096, 10000, 1e-6],
    'yi-34b': [7168, 60, 56, 8, 20480, 4096, 5e6, 1e-5],
    'yi-34b-200k': [7168, 60, 56, 8, 20480, 200000, 5e6, 1e-5],
  };
  for (const [name, v] of Object.entries(spec)) {
    const c = preset(name);
    assert.deepEqual([c.hidden, c.layers, c.heads, c.kvHeads, c.ffn, c.maxPositions, c.ropeTheta, c.rmsEps], v, name);
    assert.deepEqual([c.vocabSize, c.headDim, c.bosId, c.eosId, c.padId, c.tieEmbeddings], [64000, 128, 1, 2, 0, false], name);
    assert.equal(c.heads * c.headDim, c.hidden, name);
  }
  const tiny = preset('tiny');
  assert.deepEqual([tiny.vocabSize, tiny.hidden, tiny.layers, tiny.heads, tiny.kvHeads, tiny.headDim, tiny.ffn], [512, 64, 2, 4, 2, 16, 172]);
  const small = preset('yi-174m');
  assert.deepEqual([small.vocabSize, small.hidden, small.layers, small.heads, small.kvHeads, small.headDim, small.ffn], [64000, 768, 12, 12, 4, 64, 2048]);
  for (const name of Object.keys(PRESETS)) validateConfig(preset(name), name);
  // A copy: editing it leaves the preset alone.
  preset('tiny').layers = 99;
  assert.equal(preset('tiny').layers, 2);
  assert.throws(() => preset('yi-7b'), /unknown preset "yi-7b"; expected one of yi-6b/);
});

test('validateConfig names the field and what was expected', () => {
  const bad = (patch: Partial<YiConfig>, re: RegExp) =>
    assert.throws(() => validateConfig({ ...preset('tiny'), ...patch }), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  bad({ kvHeads: 3 }, /field kvHeads: expected a divisor of heads \(4\), got 3/);
  bad({ layers: 0 }, /field layers: expected a positive integer, got 0/);
  bad({ hidden: 64.5 }, /field hidden: expected a positive integer/);
  bad({ headDim: 15 }, /field headDim: expected an even number/);
  bad({ ropeTheta: -1 }, /field ropeTheta: expected a positive finite number, got -1/);
  bad({ eosId: 512 }, /field eosId: expected a token id below vocabSize \(512\), got 512/);
  bad({ rmsEps: 0 }, /field rmsEps/);
  // An explicit head dim that differs from hidden / heads is allowed.
  validateConfig({ ...preset('tiny'), headDim: 32 });
});

test('HF config.json -> YiConfig -> config.json -> YiConfig, for every preset', () => {
  for (const name of Object.keys(PRESETS)) {
    const c = preset(name);
    const json = JSON.parse(JSON.stringify(toHFConfig(c)));
    assert.equal(json.model_type, 'llama');
    assert.deepEqual(json.architectures, ['LlamaForCausalLM']);
    assert.equal(json.rope_scaling, null);
    assert.equal(json.torch_dtype, 'bfloat16');
    assert.deepEqual(fromHFConfig(json), c, name);
  }
});

test('fromHFConfig reads the released Yi-6B config and the early YiForCausalLM form', () => {
  const yi6b = {
    architectures: ['LlamaForCausalLM'], bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', hidden_size: 4096, intermediate_size: 11008,
    max_position_embeddings: 4096, model_type: 'llama', num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 4, pad_token_id: 0,
    rms_norm_eps: 1e-5, rope_scaling: null, rope_theta: 5000000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16', vocab_size: 64000,
  };
  assert.deepEqual(fromHFConfig(yi6b), preset('yi-6b'));
  assert.deepEqual(fromHFConfig({ ...yi6b, architectures: ['YiForCausalLM'], model_type: 'Yi' }), preset('yi-6b'));
  assert.equal(fromHFConfig({ ...yi6b, eos_token_id: [7, 2] }).eosId, 7);
  const err = (patch: object, re: RegExp) => assert.throws(() => fromHFConfig({ ...yi6b, ...patch }, 'm/config.json'), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  err({ model_type: 'gpt2' }, /m\/config.json: key "model_type": expected "llama" or "Yi", got "gpt2"/);
  err({ hidden_act: 'gelu' }, /key "hidden_act": expected "silu"/);
  err({ rope_scaling: { type: 'linear', factor: 4 } }, /key "rope_scaling": type "linear" is not supported/);
  err({ num_attention_heads: 30 }, /hidden size 4096 is not a multiple of the head count 30/);
  err({ num_key_value_heads: 5 }, /field kvHeads: expected a divisor of heads \(32\)/);
  err({ hidden_size: '4096' }, /key "hidden_size": expected a positive integer/);
});

test('YiConfig -> GGUF metadata (llama.cpp key types) -> file -> YiConfig, for every preset', () => {
  for (const name of Object.keys(PRESETS)) {
    const c = preset(name);
    const path = join(dir, `${name}.gguf`);
    writeGGUF(path, { metadata: toGGUFMetadata(c), tensors: [] });
    const g = openGGUF(path);
    g.close();
    assert.equal(g.metadata.get('general.architecture'), 'llama');
    assert.equal(g.metadataTypes.get('llama.rope.freq_base'), GGUFValueType.FLOAT32);
    assert.equal(g.metadataTypes.get('llama.attention.layer_norm_rms_epsilon'), GGUFValueType.FLOAT32);
    assert.equal(g.metadataTypes.get('llama.context_length'), GGUFValueType.UINT32);
    assert.equal(g.metadata.get('llama.attention.head_count_kv'), c.kvHeads);
    assert.equal(g.metadata.get('llama.rope.dimension_count'), c.headDim);
    // Untied: the weights file would hold output.weight.
    assert.deepEqual(fromGGUFMetadata(g.metadata, { tensorNames: ['token_embd.weight', 'output.weight'] }), c, name);
    // HF -> config -> GGUF -> config -> HF is the identity on the HF side too.
    assert.deepEqual(toHFConfig(fromGGUFMetadata(g.metadata)), toHFConfig(c));
  }
  const tied = fromGGUFMetadata(openGGUFMeta(preset('tiny')), { tensorNames: ['token_embd.weight'] });
  assert.equal(tied.tieEmbeddings, true);
  // A non-standard head dim travels as key_length.
  const wide = { ...preset('tiny'), headDim: 32 };
  const m = openGGUFMeta(wide);
  assert.equal(m.get('llama.attention.key_length'), 32);
  assert.deepEqual(fromGGUFMetadata(m), wide);
});

function openGGUFMeta(c: YiConfig) {
  const path = join(dir, 'meta.gguf');
  writeGGUF(path, { metadata: toGGUFMetadata(c), tensors: [] });
  const g = openGGUF(path);
  g.close();
  return g.metadata;
}

test('fromGGUFMetadata: vocab from the token list, missing and wrong keys name the key', () => {
  const m = openGGUFMeta(preset('tiny'));
  m.delete('llama.vocab_size');
  m.set('tokenizer.ggml.tokens', Array.from({ length: 300 }, (_, i) => `t${i}`));
  assert.equal(fromGGUFMetadata(m).vocabSize, 300);
  const err = (edit: (x: typeof m) => void, re: RegExp) => {
    const x = openGGUFMeta(preset('tiny'));
    edit(x);
    assert.throws(() => fromGGUFMetadata(x, { source: 'w.gguf' }), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  };
  err((x) => x.set('general.architecture', 'phi3'), /w.gguf: key general.architecture: expected "llama", got "phi3"/);
  err((x) => x.delete('llama.block_count'), /key llama.block_count: missing/);
  err((x) => x.set('llama.embedding_length', 'wide'), /key llama.embedding_length: expected an integer >= 1, got wide/);
  err((x) => x.set('llama.rope.dimension_count', 8), /key llama.rope.dimension_count: expected the head dimension 16/);
  err((x) => (x.delete('llama.vocab_size'), x.delete('tokenizer.ggml.tokens')), /both missing/);
  err((x) => x.set('llama.attention.head_count_kv', 3), /field kvHeads/);
});
