// Training against PyTorch autograd (test/reference/train_reference.py, float64, checked in as
// test/fixtures/yi-tiny-train): the loss and every parameter gradient of the tiny Yi model on a batch
// of 3 sequences with masked targets, then two clipped AdamW steps; plus activation recomputation and
// thread counts, which must not change a single bit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSafetensors } from '../../src/formats/safetensors.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { useRuntimePair } from './runtimes.js';
import { AdamW } from '../../src/train/optimizer.js';
import { repoRoot } from '../paths.js';
import { relativeError } from './relative-error.js';

const modelDir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const dir = join(repoRoot, 'test', 'fixtures', 'yi-tiny-train');
const batch = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')) as {
  inputs: number[][];
  targets: number[][];
  loss: number;
  step_losses: number[];
  grad_norms: number[];
  adamw: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  clip: number;
};
const B = batch.inputs.length;
const T = batch.inputs[0]!.length;
const inputs = batch.inputs.flat();
const targets = batch.targets.flat();

const rts = useRuntimePair();

function load(rt: Runtime): YiTrainable {
  const src = openWeights(modelDir);
  try {
    return YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen: T });
  } finally {
    src.close();
  }
}

function reference(file: string): Map<string, Float32Array> {
  const st = openSafetensors(join(dir, file));
  const out = new Map<string, Float32Array>();
  for (const name of st.tensors.keys()) {
    const b = st.readTensorBytes(name);
    out.set(name, new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  }
  st.close();
  return out;
}

test('loss and every parameter gradient match PyTorch within 1e-4 relative', () => {
  const m = load(rts.rt2);
  const r = m.lossAndGrad(inputs, targets, B, T);
  const count = targets.filter((t) => t !== -1).length;
  assert.equal(r.count, count);
  assert.ok(Math.abs(r.sum / r.count - batch.loss) < 1e-5 * batch.loss, `loss ${r.sum / r.count} vs ${batch.loss}`);
  const grads = reference('grads.safetensors');
  assert.equal(grads.size, m.params.length);
  let worst = 0;
  for (const p of m.params) {
    const e = relativeError(p.grad.toArray(), grads.get(p.name)!);
    worst = Math.max(worst, e);
    assert.ok(e < 1e-4, `${p.name}: relative error ${e}`);
  }
  assert.ok(worst > 0, 'f32 gradients cannot equal float64 ones exactly: the comparison must have read real values');
  m.dispose();
});

test('two clipped AdamW steps land on PyTorch\'s parameters', () => {
  const m = load(rts.rt2);
  for (const p of m.params) p.decay = true; // the reference decays every tensor (one param group)
  const start = new Map(m.params.map((p) => [p.name, p.value.toArray()]));
  const a = batch.adamw;
  const opt = new AdamW(m.params, { beta1: a.betas[0], beta2: a.betas[1], eps: a.eps, weightDecay: a.weight_decay });
  for (let s = 0; s < 2; s++) {
    m.zeroGrad();
    const r = m.lossAndGrad(inputs, targets, B, T);
    assert.ok(Math.abs(r.sum / r.count - batch.step_losses[s]!) < 1e-5, `step ${s} loss ${r.sum / r.count} vs ${batch.step_losses[s]}`);
    const { gradNorm } = opt.update(a.lr, batch.clip);
    assert.ok(Math.abs(gradNorm - batch.grad_norms[s]!) < 1e-5 * batch.grad_norms[s]!, `step ${s} grad norm ${gradNorm} vs ${batch.grad_norms[s]}`);
  }
  // Adam divides by sqrt(v): where a gradient is ~1e-8, the f32 vs float64 difference of the gradient
  // moves that one update visibly (one element of 6144 by 8e-5 here). So the check is on each tensor's
  // whole update, p_after - p_before, in L2 (1e-4 relative), plus a bound of 2% of a step per element.
  const want = reference('adamw.safetensors');
  for (const p of m.params) {
    const got = p.value.toArray();
    const ref = want.get(p.name)!;
    const p0 = start.get(p.name)!;
    let num = 0;
    let den = 0;
    for (let i = 0; i < got.length; i++) {
      num += (got[i]! - ref[i]!) ** 2;
      den += (ref[i]! - p0[i]!) ** 2;
      assert.ok(Math.abs(got[i]! - ref[i]!) < 0.02 * a.lr, `${p.name}[${i}]: ${got[i]} vs ${ref[i]}`);
    }
    const e = Math.sqrt(num / den);
    assert.ok(e < 1e-4, `${p.name}: update relative L2 error ${e}`);
  }
  opt.dispose();
  m.dispose();
});

test('activation recomputation and 1 vs 2 threads give bit-identical gradients', () => {
  const runs = [
    { rt: rts.rt1, recompute: false },
    { rt: rts.rt2, recompute: false },
    { rt: rts.rt2, recompute: true },
  ].map(({ rt, recompute }) => {
    const m = load(rt);
    const r = m.lossAndGrad(inputs, targets, B, T, { recompute });
    const g = m.params.map((p) => p.grad.toArray());
    m.dispose();
    return { sum: r.sum, g };
  });
  for (const other of runs.slice(1)) {
    assert.equal(other.sum, runs[0]!.sum);
    other.g.forEach((g, i) => assert.deepEqual(g, runs[0]!.g[i]));
  }
});

test('gradients accumulate over micro-batches into the full batch\'s gradient', () => {
  const m = load(rts.rt2);
  const count = targets.filter((t) => t !== -1).length;
  m.lossAndGrad(inputs, targets, B, T);
  const whole = m.params.map((p) => p.grad.toArray());
  m.zeroGrad();
  for (let b = 0; b < B; b++) {
    m.lossAndGrad(inputs.slice(b * T, (b + 1) * T), targets.slice(b * T, (b + 1) * T), 1, T, { normalizer: count });
  }
  m.params.forEach((p, i) => {
    const e = relativeError(p.grad.toArray(), whole[i]!);
    assert.ok(e < 1e-5, `${p.name}: accumulated vs whole-batch relative error ${e}`);
  });
  m.dispose();
});

test('the validation loss leaves gradients untouched and equals the training loss', () => {
  const m = load(rts.rt2);
  const a = m.loss(inputs, targets, B, T);
  for (const p of m.params) assert.ok(p.grad.toArray().every((x) => x === 0), `${p.name} gradient changed`);
  const b = m.lossAndGrad(inputs, targets, B, T);
  assert.equal(a.sum, b.sum);
  m.dispose();
});

test('bad batches are refused with the offending index', () => {
  const m = load(rts.rt2);
  assert.throws(() => m.lossAndGrad(inputs, targets, B, T + 1), /exceed maxSeqLen|must hold/);
  const bad = [...inputs];
  bad[5] = 96;
  assert.throws(() => m.lossAndGrad(bad, targets, B, T), /inputs\[5\] = 96 is outside the vocabulary \[0, 96\)/);
  const badT = [...targets];
  badT[3] = -2;
  assert.throws(() => m.lossAndGrad(inputs, badT, B, T), /targets\[3\] = -2/);
  m.dispose();
});
