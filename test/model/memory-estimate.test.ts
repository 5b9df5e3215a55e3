// The memory a config needs, computed before allocating: checked against the real high-water mark of
// the wasm memories (a memory never shrinks, so its size after a step is the step's peak), and used to
// refuse configs that cannot fit with the figure rather than running the machine out of memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset, type YiConfig } from '../../src/model/config.js';
import { checkInferenceMemory, checkTrainingMemory, inferenceMemory, InsufficientMemoryError, parameterCount, trainingMemory } from '../../src/model/memory.js';
import { YiModel } from '../../src/model/model.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { DType } from '../../src/tensor/dtype.js';
import { AdamW, PRETRAIN_ADAMW } from '../../src/train/optimizer.js';

/** The estimate must be within this fraction of the measured peak (measured: within 2.5%). */
const TOLERANCE = 0.05;
const GB = 1e9;

function near(estimate: number, measured: number, what: string): void {
  const ratio = estimate / measured;
  assert.ok(Math.abs(ratio - 1) <= TOLERANCE, `${what}: estimated ${estimate} bytes, measured ${measured} (ratio ${ratio.toFixed(3)})`);
}

test('parameterCount matches the trainable model and the released sizes', async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  try {
    const m = YiTrainable.create(rt, preset('tiny'), { kind: 'random', seed: 1 }, { maxSeqLen: 8 });
    assert.equal(parameterCount(preset('tiny')), m.parameterCount);
    m.dispose();
  } finally {
    await rt.close();
  }
  assert.ok(Math.abs(parameterCount(preset('yi-6b')) - 6.06e9) < 0.01e9);
  assert.ok(Math.abs(parameterCount(preset('yi-34b')) - 34.39e9) < 0.01e9);
});

test('the training estimate is within 5% of the real peak of a step (weights, gradients, AdamW, activations)', async () => {
  const cases: { cfg: YiConfig; B: number; T: number; recompute?: boolean }[] = [
    { cfg: preset('tiny'), B: 4, T: 32 },
    { cfg: preset('tiny'), B: 8, T: 64 },
    { cfg: preset('tiny'), B: 8, T: 64, recompute: true },
    // Wider than tiny and a vocabulary that dominates the activations, as in real runs.
    { cfg: { ...preset('yi-mini'), layers: 2, vocabSize: 4000 }, B: 4, T: 128 },
    { cfg: { ...preset('yi-mini'), layers: 2, vocabSize: 4000 }, B: 4, T: 128, recompute: true },
  ];
  for (const c of cases) {
    const rt = await Runtime.create({ threads: 2 });
    try {
      const arena = rt.newArena();
      const model = YiTrainable.create(rt, c.cfg, { kind: 'random', seed: 1 }, { maxSeqLen: c.T, arena });
      const opt = new AdamW(model.params, PRETRAIN_ADAMW);
      const ids = Int32Array.from({ length: c.B * c.T }, (_, i) => (i * 7) % c.cfg.vocabSize);
      model.zeroGrad();
      model.lossAndGrad(ids, ids, c.B, c.T, { recompute: c.recompute });
      opt.update(1e-3, 1);
      const est = trainingMemory(c.cfg, { sequences: c.B, seqLen: c.T, recompute: c.recompute }, { threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread });
      near(est.total, arena.memory.buffer.byteLength, `hidden ${c.cfg.hidden}, ${c.B} x ${c.T}${c.recompute ? ', recompute' : ''}`);
    } finally {
      await rt.close();
    }
  }
});

test('the inference estimate is within 5% of the wasm memories a model takes, and counts them', async () => {
  const cases: { cfg: YiConfig; dtype: DType; ctx: number; batch: number; arenaBytes?: number }[] = [
    { cfg: preset('tiny'), dtype: 'f32', ctx: 256, batch: 32 },
    { cfg: preset('yi-mini'), dtype: 'f32', ctx: 2048, batch: 128 },
    { cfg: { ...preset('yi-mini'), ffn: 704 }, dtype: 'q8_0', ctx: 1024, batch: 64 },
    // Small arenas: the layers spread over several, as a large model spreads over 4 GiB memories.
    { cfg: preset('yi-mini'), dtype: 'f32', ctx: 512, batch: 16, arenaBytes: 16 << 20 },
    { cfg: preset('yi-mini'), dtype: 'bf16', ctx: 2048, batch: 16, arenaBytes: 12 << 20 },
  ];
  for (const c of cases) {
    const rt = await Runtime.create({ threads: 2, arenaBytes: c.arenaBytes });
    try {
      const m = YiModel.random(rt, c.cfg, c.dtype, 1, { contextLength: c.ctx, batch: c.batch });
      const measured = rt.arenas.reduce((s, a) => s + a.memory.buffer.byteLength, 0);
      const est = inferenceMemory(c.cfg, { dtype: c.dtype, contextLength: c.ctx, batch: c.batch }, { arenaBytes: rt.arenaBytes, threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread });
      const what = `${c.dtype} ctx ${c.ctx}${c.arenaBytes ? `, arenas of ${c.arenaBytes} bytes` : ''}`;
      near(est.total, measured, what);
      assert.equal(est.arenas, rt.arenas.length, `${what}: wasm memories`);
      m.dispose();
    } finally {
      await rt.close();
    }
  }
});

test('yi-6b and yi-34b training is refused with the figure: one wasm memory holds 4 GiB', () => {
  const refused = (cfg: YiConfig, hostBytes: number, re: RegExp[]) =>
    assert.throws(
      () => checkTrainingMemory(cfg, { sequences: 4, seqLen: 256 }, { hostBytes }),
      (e: unknown) => e instanceof InsufficientMemoryError && re.every((r) => r.test(e.message)) && e.neededBytes > 16 * parameterCount(cfg),
    );
  // 34.4B parameters x 16 bytes (weights, gradients, two AdamW moments) is 550 GB before activations.
  refused(preset('yi-34b'), 24 * GB, [/34\.4B parameters/, /needs ~5[5-9]\d GB to train with micro-batches of 4 x 256 tokens/, /AdamW moments 275 GB/, /at most 4 GiB/, /this machine has 24 GB/]);
  refused(preset('yi-6b'), 1024 * GB, [/6\.06B parameters/, /needs ~\d+ GB/, /at most 4 GiB/]);
  // The activations alone can be what does not fit: the message says how to shrink them.
  assert.throws(() => checkTrainingMemory(preset('yi-174m'), { sequences: 16, seqLen: 256 }, { hostBytes: 64 * GB }), /needs ~6\.\d GB.*at most 4 GiB \(fewer --micro-batch-tokens or --recompute need less\)/);
  const ok = checkTrainingMemory(preset('yi-174m'), { sequences: 2, seqLen: 256, recompute: true }, { hostBytes: 64 * GB });
  assert.ok(ok.total < 4 * 2 ** 30);
  // A machine too small for an otherwise possible run.
  assert.throws(() => checkTrainingMemory(preset('yi-mini'), { sequences: 16, seqLen: 256 }, { hostBytes: 0.3 * GB }), /needs ~5\d\d MB .*this machine has 300 MB/);
});

test('inference loads too large for the machine or for one wasm memory are refused with the figure', () => {
  const host = 24 * GB;
  assert.throws(
    () => checkInferenceMemory(preset('yi-34b'), { dtype: 'f32', contextLength: 4096, batch: 128 }, { hostBytes: host }),
    (e: unknown) => e instanceof InsufficientMemoryError && /needs ~14\d GB to run at f32 .*weights \(f32\) 138 GB.*this machine has 24 GB/.test(e.message),
  );
  // Quantized, it fits a 32 GB machine (over several wasm memories).
  const q4 = checkInferenceMemory(preset('yi-34b'), { dtype: 'q4_0', contextLength: 4096, batch: 128 }, { hostBytes: 32 * GB });
  assert.ok(q4.total > 19 * GB && q4.total < 24 * GB, `${q4.total}`);
  // One layer larger than a wasm memory can never load, whatever the machine.
  const wide = { ...preset('yi-6b'), hidden: 65536, heads: 512, kvHeads: 64, ffn: 262144 };
  assert.throws(() => checkInferenceMemory(wide, { dtype: 'q4_0', contextLength: 64, batch: 8 }, { hostBytes: 1e15 }), /one layer .* more than one wasm memory holds \(4 GiB\)/);
});
