// test:reference check of our LoRA adapters against PEFT (not part of npm test):
//   node dist/test/reference/peft-lora.js make DIR    base/ (the yi-tiny fixture), adapter/ (ours, trained B),
//                                                     merged/ (yi lora merge) and logits.json (the merged model's)
//   node dist/test/reference/peft-lora.js check DIR   merges DIR/peft-adapter/ (written by PEFT in peft_check.py)
//                                                     with yi lora merge and compares our logits with PEFT's
// test/reference/peft_check.py runs between the two.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { mergeLoraAdapter } from '../../src/sft/merge.js';
import { saveLoraAdapter } from '../../src/sft/peft.js';
import { tinyModelFolder } from '../cli/yi-cli.js';

const [cmd, dir] = process.argv.slice(2);
// npm test's directory walk imports this file too: without arguments it does nothing.
if (cmd === undefined) process.exit(0);
if ((cmd !== 'make' && cmd !== 'check') || !dir) {
  console.error('usage: peft-lora.js make|check DIR');
  process.exit(2);
}
const ids = [1, 5, 17, 33, 2, 90, 41, 8, 64, 12, 7];

async function logitsOf(model: string): Promise<number[][]> {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  try {
    const m = loadModel(rt, model, { dtype: 'f32', contextLength: 32, batch: 1 });
    const out = ids.map((id) => Array.from(m.forward([id]).toArray()));
    m.dispose();
    return out;
  } finally {
    await rt.close();
  }
}

if (cmd === 'make') {
  const base = tinyModelFolder(join(dir, 'base'));
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  const src = openWeights(base);
  const m = YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen: 16, lora: { rank: 4, alpha: 8, dropout: 0.1, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 3 } });
  src.close();
  // B as training leaves it: nonzero, so the adapter changes every projection.
  const next = mulberry32(5);
  for (const ad of m.adapters.values()) m.arena.f32.set(Float32Array.from({ length: ad.b.value.numel }, () => (2 * next() - 1) * 0.2), ad.b.value.offset / 4);
  saveLoraAdapter(m, join(dir, 'adapter'), { baseModel: base });
  m.dispose();
  await rt.close();
  mergeLoraAdapter({ model: base, adapter: join(dir, 'adapter'), out: join(dir, 'merged') });
  writeFileSync(join(dir, 'logits.json'), JSON.stringify({ ids, logits: await logitsOf(join(dir, 'merged')) }));
} else {
  const theirs = JSON.parse(readFileSync(join(dir, 'peft-logits.json'), 'utf8')) as { ids: number[]; logits: number[][] };
  assert.deepEqual(theirs.ids, ids);
  mergeLoraAdapter({ model: join(dir, 'base'), adapter: join(dir, 'peft-adapter'), out: join(dir, 'peft-merged') });
  const ours = await logitsOf(join(dir, 'peft-merged'));
  let err = 0;
  let scale = 0;
  ours.forEach((row, i) => row.forEach((v, j) => {
    err = Math.max(err, Math.abs(v - theirs.logits[i]![j]!));
    scale = Math.max(scale, Math.abs(v));
  }));
  const ok = err < 1e-4 * Math.max(1, scale);
  console.log(`${ok ? 'ok  ' : 'FAIL'} a PEFT-trained adapter merged by yi lora merge: max |logit difference| from PEFT's ${err.toExponential(2)} (logits up to ${scale.toFixed(1)})`);
  process.exit(ok ? 0 : 1);
}
