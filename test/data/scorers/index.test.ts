import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scorerFactories } from '../../../src/data/scorers/index.js';

test('scorer factories by pipeline type name: each a scorer stage, each naming what it misses', async () => {
  assert.deepEqual(Object.keys(scorerFactories).sort(), ['coherence', 'perplexity', 'quality_classifier', 'safety']);
  for (const name of ['perplexity', 'quality_classifier', 'coherence']) assert.throws(() => scorerFactories[name]!(), new RegExp(`${name}: option 'model'`));
  // The safety stage works from the bundled word lists alone.
  const s = scorerFactories.safety!({ name: 'safety_lists' });
  assert.equal(s.kind, 'scorer');
  assert.equal(s.name, 'safety_lists');
  await s.init!();
  assert.deepEqual(await s.process({ id: '1', text: 'Online casino, free spins, bet now!', metadata: {} }), { keep: false, reason: 'unsafe_gambling' });
});
