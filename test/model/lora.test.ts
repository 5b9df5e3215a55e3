// LoRA on the trainable model: an untrained adapter (B = 0) leaves the base's loss exactly; the adapters'
// gradients match central differences of the whole model's loss; the optimizer moves only the adapters;
// dropout is seeded, training-only and survives recomputation; a Q8_0 / Q4_0 base stays close to the
// f32 one; the memory estimate follows the real peak.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { preset, type YiConfig } from '../../src/model/config.js';
import { adapterParameterCount, LoraError, parseLoraTargets, type LoraOptions } from '../../src/model/lora.js';
import { parameterCount, trainingMemory } from '../../src/model/memory.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable, type BaseType } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { AdamW, SFT_ADAMW } from '../../src/train/optimizer.js';
import { repoRoot } from '../paths.js';
import { useRuntimePair } from './runtimes.js';

const modelDir = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const batch = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'yi-tiny-train', 'batch.json'), 'utf8')) as { inputs: number[][]; targets: number[][] };
const B = batch.inputs.length;
const T = batch.inputs[0]!.length;
const inputs = batch.inputs.flat();
const targets = batch.targets.flat();
const ALL = parseLoraTargets('q,k,v,o,gate,up,down');
const lora = (o: Partial<LoraOptions> = {}): LoraOptions => ({ rank: 4, alpha: 8, dropout: 0, targets: ALL, seed: 7, ...o });

const rts = useRuntimePair();

function load(rt: Runtime, opts: { lora?: LoraOptions; baseType?: BaseType } = {}): YiTrainable {
  const src = openWeights(modelDir);
  try {
    return YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen: T, ...opts });
  } finally {
    src.close();
  }
}

/** Gives every B a seeded random value, so that adapters change the model and A gets gradients. */
function randomizeB(m: YiTrainable, seed: number, scale = 0.05): void {
  const next = mulberry32(seed);
  for (const ad of m.adapters.values()) {
    const f = ad.b.value.arena.f32;
    for (let i = 0; i < ad.b.value.numel; i++) f[ad.b.value.offset / 4 + i] = (2 * next() - 1) * scale;
  }
}

const grads = (m: YiTrainable) => m.params.map((p) => p.grad.toArray());

test('an untrained adapter (B = 0) gives exactly the base model\'s loss, from a checkpoint and from random weights', () => {
  const full = load(rts.rt2);
  const adapted = load(rts.rt2, { lora: lora() });
  assert.equal(adapted.loss(inputs, targets, B, T).sum, full.loss(inputs, targets, B, T).sum);
  adapted.zeroGrad();
  assert.equal(adapted.lossAndGrad(inputs, targets, B, T).sum, full.lossAndGrad(inputs, targets, B, T).sum);
  // A is random (PEFT's kaiming-uniform: |A| <= 1 / sqrt(in)) and B zero: only B's gradient is nonzero.
  for (const ad of adapted.adapters.values()) {
    const a = ad.a.value.toArray();
    const bound = 1 / Math.sqrt(ad.a.value.shape[1]!);
    assert.ok(a.every((v) => Math.abs(v) <= bound) && a.some((v) => Math.abs(v) > bound / 2), `${ad.a.name}: kaiming-uniform within ±${bound}`);
    assert.ok(ad.b.grad.toArray().some((g) => g !== 0), `${ad.b.name} gets a gradient`);
    assert.ok(ad.a.grad.toArray().every((g) => g === 0), `${ad.a.name}: no gradient through B = 0`);
  }
  full.dispose();
  adapted.dispose();
  const cfg = preset('tiny');
  const ids = Int32Array.from({ length: 2 * 16 }, (_, i) => (i * 37 + 5) % cfg.vocabSize);
  const r1 = YiTrainable.create(rts.rt1, cfg, { kind: 'random', seed: 3 }, { maxSeqLen: 16 });
  const r2 = YiTrainable.create(rts.rt1, cfg, { kind: 'random', seed: 3 }, { maxSeqLen: 16, lora: lora({ targets: ['q', 'v'] }) });
  assert.equal(r2.loss(ids, ids, 2, 16).sum, r1.loss(ids, ids, 2, 16).sum);
  r1.dispose();
  r2.dispose();
});

test('params holds only the adapters, with PEFT names and shapes; the base gets no gradient buffers', () => {
  const full = load(rts.rt1);
  const adapted = load(rts.rt1, { lora: lora({ targets: ['q', 'v', 'down'] }) });
  const cfg = adapted.config;
  assert.deepEqual(adapted.params.slice(0, 6).map((p) => [p.name, p.value.shape.join('x')]), [
    ['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', `4x${cfg.hidden}`],
    ['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', `${cfg.heads * cfg.headDim}x4`],
    ['base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight', `4x${cfg.hidden}`],
    ['base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight', `${cfg.kvHeads * cfg.headDim}x4`],
    ['base_model.model.model.layers.0.mlp.down_proj.lora_A.weight', `4x${cfg.ffn}`],
    ['base_model.model.model.layers.0.mlp.down_proj.lora_B.weight', `${cfg.hidden}x4`],
  ]);
  assert.equal(adapted.params.length, 2 * 3 * cfg.layers);
  assert.equal(adapted.parameterCount, adapterParameterCount(cfg, { rank: 4, targets: ['q', 'v', 'down'] }));
  assert.equal(adapted.frozen.size, 3 + 9 * cfg.layers);
  // The full model holds weights and gradients; the adapted one the weights and 2 x the adapters.
  const P = parameterCount(cfg);
  assert.ok(adapted.arena.used < full.arena.used - 4 * P + 3 * 4 * adapted.parameterCount, `arena ${adapted.arena.used} vs full ${full.arena.used}`);
  full.dispose();
  adapted.dispose();
});

test('the adapters\' gradients match central differences of the whole model\'s loss', () => {
  for (const dropout of [0, 0.25]) {
    const m = load(rts.rt2, { lora: lora({ dropout }) });
    randomizeB(m, 11, 0.2);
    const opts = { normalizer: 1, dropoutSeed: 99 };
    m.zeroGrad();
    m.lossAndGrad(inputs, targets, B, T, opts);
    const g = grads(m);
    // Directional derivative along a random unit direction over A's and along one over B's.
    for (const which of ['A', 'B'] as const) {
      const next = mulberry32(which === 'A' ? 5 : 6);
      const dirs = m.params.map((p) => (p.name.includes(`lora_${which}`) ? Float32Array.from({ length: p.value.numel }, () => 2 * next() - 1) : new Float32Array(p.value.numel)));
      const norm = Math.sqrt(dirs.reduce((s, d) => s + d.reduce((t, v) => t + v * v, 0), 0));
      let analytic = 0;
      dirs.forEach((d, i) => d.forEach((v, j) => (analytic += (v / norm) * g[i]![j]!)));
      const start = m.params.map((p) => p.value.toArray());
      const at = (h: number) => {
        m.params.forEach((p, i) => p.value.arena.f32.set(start[i]!.map((v, j) => v + (h * dirs[i]![j]!) / norm), p.value.offset / 4));
        m.zeroGrad();
        return m.lossAndGrad(inputs, targets, B, T, opts).sum; // the same dropout masks at each point
      };
      // f32 rounding of the loss limits how small h can be; 3e-2 keeps both it and the curvature below 1e-3.
      const h = 3e-2;
      const fd = (at(h) - at(-h)) / (2 * h);
      m.params.forEach((p, i) => p.value.arena.f32.set(start[i]!, p.value.offset / 4));
      assert.ok(Math.abs(analytic) > 1e-2, `dropout ${dropout}, ${which}: a direction with a real slope (${analytic})`);
      assert.ok(Math.abs(fd - analytic) <= 2e-3 * Math.abs(analytic), `dropout ${dropout}, ${which}: central difference ${fd}, gradient ${analytic}`);
    }
    m.dispose();
  }
});

test('AdamW steps move only the adapters: the frozen base keeps every byte, and the loss falls', () => {
  const m = load(rts.rt2, { lora: lora({ alpha: 16 }) });
  const before = new Map([...m.frozen].map(([n, t]) => [n, Buffer.from(t.bytes())]));
  const opt = new AdamW(m.params, SFT_ADAMW);
  const losses: number[] = [];
  for (let s = 0; s < 4; s++) {
    m.zeroGrad();
    const r = m.lossAndGrad(inputs, targets, B, T);
    losses.push(r.sum / r.count);
    opt.update(1e-2, 1);
  }
  for (const [n, t] of m.frozen) assert.ok(Buffer.from(t.bytes()).equals(before.get(n)!), `${n} changed`);
  for (const ad of m.adapters.values()) assert.ok(ad.b.value.toArray().some((v) => v !== 0), `${ad.b.name} was stepped`);
  assert.ok(losses[3]! < losses[0]!, `loss ${losses.join(' -> ')}`);
  opt.dispose();
  m.dispose();
});

test('dropout: off in evaluation, seeded in training, the same masks when a block is recomputed', () => {
  const plain = load(rts.rt2, { lora: lora() });
  const dropped = load(rts.rt2, { lora: lora({ dropout: 0.3 }) });
  randomizeB(plain, 3);
  randomizeB(dropped, 3);
  // Evaluation never drops: the same loss as without dropout.
  assert.equal(dropped.loss(inputs, targets, B, T).sum, plain.loss(inputs, targets, B, T).sum);
  const run = (m: YiTrainable, opts: { dropoutSeed?: number; recompute?: boolean }) => {
    m.zeroGrad();
    return { sum: m.lossAndGrad(inputs, targets, B, T, opts).sum, g: grads(m) };
  };
  // Without dropout, training passes repeat exactly; with it, the loss differs from evaluation's.
  assert.deepEqual(run(plain, {}), run(plain, {}));
  const a = run(dropped, { dropoutSeed: 1 });
  assert.notEqual(a.sum, plain.loss(inputs, targets, B, T).sum);
  assert.deepEqual(run(dropped, { dropoutSeed: 1 }), a);
  assert.notEqual(run(dropped, { dropoutSeed: 2 }).sum, a.sum);
  assert.deepEqual(run(dropped, { dropoutSeed: 1, recompute: true }), a);
  // The default seed advances with each pass: two passes draw different masks.
  assert.notEqual(run(dropped, {}).sum, run(dropped, {}).sum);
  plain.dispose();
  dropped.dispose();
});

test('activation recomputation gives the adapters the same gradients, though the frozen embedding needs none', () => {
  const m = load(rts.rt2, { lora: lora() });
  randomizeB(m, 4);
  m.zeroGrad();
  m.lossAndGrad(inputs, targets, B, T);
  const plain = grads(m);
  m.zeroGrad();
  m.lossAndGrad(inputs, targets, B, T, { recompute: true });
  assert.deepEqual(grads(m), plain);
  assert.ok(plain.every((g) => g.some((v) => v !== 0)), 'every adapter gets a gradient');
  m.dispose();
});

test('a Q8_0 / Q4_0 base: loss within quantization error of the f32 base, adapter gradients close to its', () => {
  const ref = load(rts.rt2, { lora: lora() });
  randomizeB(ref, 5);
  ref.zeroGrad();
  const want = ref.lossAndGrad(inputs, targets, B, T);
  const wantG = grads(ref);
  for (const [baseType, lossTol, cosTol] of [['q8_0', 2e-3, 0.999], ['q4_0', 1e-2, 0.98]] as const) {
    const m = load(rts.rt2, { lora: lora(), baseType });
    for (const t of m.frozen.values()) if (t.rank === 2 && t.shape[0] !== m.config.vocabSize) assert.equal(t.dtype, baseType);
    assert.equal(m.frozen.get('model.embed_tokens.weight')!.dtype, 'f32');
    assert.ok(m.arena.used < ref.arena.used, `${baseType} base: ${m.arena.used} bytes vs ${ref.arena.used}`);
    randomizeB(m, 5);
    m.zeroGrad();
    const got = m.lossAndGrad(inputs, targets, B, T);
    const rel = Math.abs(got.sum - want.sum) / want.sum;
    assert.ok(rel < lossTol && rel > 0, `${baseType}: loss ${got.sum} vs f32 base ${want.sum} (relative ${rel})`);
    grads(m).forEach((g, i) => {
      let dot = 0, na = 0, nb = 0;
      g.forEach((v, j) => {
        dot += v * wantG[i]![j]!;
        na += v * v;
        nb += wantG[i]![j]! ** 2;
      });
      const cos = dot / Math.sqrt(na * nb);
      assert.ok(cos > cosTol, `${baseType} ${m.params[i]!.name}: cosine ${cos} to the f32 base's gradient`);
    });
    m.dispose();
  }
  ref.dispose();
});

test('the training memory estimate with LoRA (f32 and Q4_0 base) is within 5% of the real peak', async () => {
  const cfg: YiConfig = { ...preset('yi-mini'), layers: 2, vocabSize: 4000 };
  for (const baseType of ['f32', 'q4_0'] as const) {
    const rt = await Runtime.create({ threads: 2 });
    try {
      const arena = rt.newArena();
      const o = lora({ rank: 8, targets: ALL });
      const m = YiTrainable.create(rt, cfg, { kind: 'random', seed: 1 }, { maxSeqLen: 128, arena, lora: o, baseType });
      const opt = new AdamW(m.params, SFT_ADAMW);
      const ids = Int32Array.from({ length: 4 * 128 }, (_, i) => (i * 7) % cfg.vocabSize);
      m.zeroGrad();
      m.lossAndGrad(ids, ids, 4, 128);
      opt.update(1e-3, 1);
      const est = trainingMemory(cfg, { sequences: 4, seqLen: 128, lora: o, baseType }, { threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread });
      const ratio = est.total / arena.memory.buffer.byteLength;
      assert.ok(Math.abs(ratio - 1) <= 0.05, `${baseType}: estimated ${est.total}, measured ${arena.memory.buffer.byteLength} (ratio ${ratio.toFixed(3)})`);
    } finally {
      await rt.close();
    }
  }
});

test('bad LoRA settings are refused with LoraError naming the setting', () => {
  const cfg = preset('tiny');
  const make = (o: Partial<LoraOptions>, baseType?: BaseType) => () => YiTrainable.create(rts.rt1, cfg, { kind: 'random', seed: 1 }, { maxSeqLen: 8, lora: o.rank === -99 ? undefined : lora(o), baseType });
  assert.throws(make({ rank: 0 }), (e: unknown) => e instanceof LoraError && /rank/.test(e.message));
  assert.throws(make({ alpha: -1 }), (e: unknown) => e instanceof LoraError && /alpha/.test(e.message));
  assert.throws(make({ dropout: 1 }), (e: unknown) => e instanceof LoraError && /dropout/.test(e.message));
  assert.throws(make({ targets: [] }), (e: unknown) => e instanceof LoraError && /target/.test(e.message));
  assert.throws(make({ rank: -99 }, 'q4_0'), (e: unknown) => e instanceof LoraError && /needs lora/.test(e.message));
  assert.throws(() => parseLoraTargets('q,lm_head'), (e: unknown) => e instanceof LoraError && /"lm_head"/.test(e.message));
  assert.deepEqual(parseLoraTargets('v_proj, q'), ['q', 'v']);
  assert.deepEqual(parseLoraTargets('all'), ALL);
});
