// Config values out of any sane range (rms_norm_eps 1e308, an infinite rope_theta, sizes beyond the
// largest real models) are refused when a config.json or GGUF metadata is read, naming the file and
// its key, rather than accepted and turned into NaN logits or a giant allocation later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/formats/errors.js';
import { gguf } from '../../src/formats/gguf.js';
import { CONFIG_LIMITS, fromGGUFMetadata, fromHFConfig, PRESETS, preset, toGGUFMetadata, toHFConfig, validateConfig } from '../../src/model/config.js';
import type { GGUFValue } from '../../src/formats/gguf-types.js';
import { GGUFTyped } from '../../src/formats/gguf-types.js';

const base = toHFConfig(preset('tiny'));

function hfRefused(patch: Record<string, unknown>, re: RegExp): void {
  assert.throws(
    () => fromHFConfig({ ...base, ...patch }, 'm/config.json'),
    (e: unknown) => e instanceof ConfigError && e.message.startsWith('config: m/config.json: ') && re.test(e.message),
    JSON.stringify(patch),
  );
}

test('config.json: epsilon, RoPE base and sizes out of range name the key', () => {
  hfRefused({ rms_norm_eps: 1e308 }, /field rmsEps: expected a number in \(0, 1\), got 1e\+308 \(key rms_norm_eps\)/);
  hfRefused({ rms_norm_eps: 1 }, /field rmsEps: expected a number in \(0, 1\), got 1 /);
  // JSON.parse('1e999') is Infinity: a valid JSON number that is not finite.
  hfRefused(JSON.parse('{"rope_theta": 1e999}') as Record<string, unknown>, /key "rope_theta": expected a positive number, got Infinity/);
  hfRefused({ hidden_size: 1_000_000, num_attention_heads: 1000 }, /field hidden: expected a positive integer of at most 65536, got 1000000 \(key hidden_size\)/);
  hfRefused({ vocab_size: 2 ** 23 }, /field vocabSize: expected a positive integer of at most 4194304, got 8388608 \(key vocab_size\)/);
  hfRefused({ num_hidden_layers: 5000 }, /\(key num_hidden_layers\)/);
  hfRefused({ max_position_embeddings: 2 ** 30 }, /\(key max_position_embeddings\)/);
  hfRefused({ intermediate_size: 2 ** 21 }, /\(key intermediate_size\)/);
  hfRefused({ head_dim: 4096 }, /field headDim: expected a positive integer of at most 1024, got 4096 \(key head_dim\)/);
  hfRefused({ head_dim: 15 }, /field headDim: expected an even number, got 15 \(key head_dim\)/);
  hfRefused({ num_key_value_heads: 3 }, /field kvHeads: expected a divisor of heads \(4\), got 3 \(key num_key_value_heads\)/);
  hfRefused({ eos_token_id: 512 }, /field eosId: expected a token id below vocabSize \(512\), got 512 \(key eos_token_id\)/);
  // Every preset is inside the bounds.
  for (const name of Object.keys(PRESETS)) validateConfig(preset(name), name);
  assert.ok(CONFIG_LIMITS.vocabSize >= 256_000 && CONFIG_LIMITS.hidden >= 16384 && CONFIG_LIMITS.maxPositions >= 10_000_000);
});

test('GGUF metadata: NaN, infinite or huge epsilons and bases, and a value length unlike the key length, name the key', () => {
  const meta = (edit: (m: Map<string, GGUFValue>) => void) => {
    const m = new Map<string, GGUFValue>();
    for (const [k, v] of toGGUFMetadata(preset('tiny'))) m.set(k, v instanceof GGUFTyped ? v.value : v);
    edit(m);
    return m;
  };
  const refused = (edit: (m: Map<string, GGUFValue>) => void, re: RegExp) =>
    assert.throws(() => fromGGUFMetadata(meta(edit), { source: 'w.gguf' }), (e: unknown) => e instanceof ConfigError && e.message.startsWith('config: w.gguf: ') && re.test(e.message));
  refused((m) => m.set('llama.attention.layer_norm_rms_epsilon', NaN), /key llama.attention.layer_norm_rms_epsilon: expected a positive number, got NaN/);
  refused((m) => m.set('llama.attention.layer_norm_rms_epsilon', Math.fround(1e30)), /field rmsEps: expected a number in \(0, 1\), got 1e\+30 \(key llama.attention.layer_norm_rms_epsilon\)/);
  refused((m) => m.set('llama.rope.freq_base', Infinity), /field ropeTheta: expected a positive finite number, got Infinity \(key llama.rope.freq_base\)/);
  refused((m) => m.set('llama.block_count', 100_000), /field layers: expected a positive integer of at most 1024, got 100000 \(key llama.block_count\)/);
  refused((m) => m.set('llama.attention.value_length', 32), /key llama.attention.value_length: expected the key length 16/);
  // The defaults and a real value still read.
  assert.equal(fromGGUFMetadata(meta((m) => m.set('llama.rope.freq_base', gguf.f32(5e6).value))).ropeTheta, 5e6);
});
