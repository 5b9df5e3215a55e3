// Config sizes past any released model (a typo, a unit slip, 1e9 layers) are refused as typed config
// errors before any size is computed or allocated from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/formats/errors.js';
import * as configModule from '../../src/model/config.js';
import { fromHFConfig, preset, CONFIG_LIMITS, toHFConfig, validateConfig, type YiConfig } from '../../src/model/config.js';

test('sizes past the bounds are refused, naming the field and the bound', () => {
  const bad = (patch: Partial<YiConfig>, re: RegExp) =>
    assert.throws(() => validateConfig({ ...preset('tiny'), ...patch }), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  bad({ layers: 1e9 }, /field layers: expected a positive integer of at most 1024, got 1000000000/);
  bad({ hidden: 2 ** 40 }, /field hidden: expected a positive integer of at most 65536/);
  bad({ vocabSize: 1e12, bosId: 1 }, /field vocabSize: expected a positive integer of at most 4194304/);
  bad({ ffn: 1e8 }, /field ffn: expected a positive integer of at most 1048576/);
  bad({ maxPositions: 1e10 }, /field maxPositions: expected a positive integer of at most/);
  // Every released shape is well inside.
  for (const name of ['yi-6b', 'yi-9b', 'yi-34b', 'yi-34b-200k']) {
    const c = preset(name);
    for (const [k, limit] of Object.entries(CONFIG_LIMITS)) assert.ok(c[k as keyof typeof CONFIG_LIMITS] * 8 <= limit, `${name} ${k}`);
  }
});

test('a config.json with 1e9 layers is refused by the reader, before any allocation', () => {
  const json = { ...toHFConfig(preset('yi-6b')), num_hidden_layers: 1e9 };
  assert.throws(() => fromHFConfig(json, 'big/config.json'), (e: unknown) => e instanceof ConfigError && /big\/config\.json: field layers: expected a positive integer of at most 1024/.test(e.message));
});

test('the size bounds have one name (CONFIG_LIMITS), not an alias beside it', () => {
  const limitTables = Object.entries(configModule).filter(([, v]) => v === CONFIG_LIMITS).map(([k]) => k);
  assert.deepEqual(limitTables, ['CONFIG_LIMITS']);
});
