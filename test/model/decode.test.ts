// The planned one-token step (src/model/decode.ts) against the same layer written with the public
// ops, one call each (what YiModel.step does for T = 1): bit-identical logits at every position, for
// every weight type, mixed types (tiny's ffn of 172 puts its MLP in f16), 1 and 2 threads, and a
// model spread over several arenas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { DType } from '../../src/tensor/dtype.js';
import { add, swiglu } from '../../src/tensor/ops/activation.js';
import { attention, writeKV } from '../../src/tensor/ops/attention.js';
import { embedding } from '../../src/tensor/ops/embedding.js';
import { linear } from '../../src/tensor/ops/linear.js';
import { rmsnorm } from '../../src/tensor/ops/norm.js';
import { applyRope, ropeTable } from '../../src/tensor/ops/rope.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** Logits of `tokens` fed one at a time through unfused ops over the model's weights. */
function reference(m: YiModel, tokens: number[]): Float32Array[] {
  const { rt, config: c, weights: w } = m;
  const arena = w.embed.arena;
  const ctx = tokens.length;
  const table = ropeTable(rt, { headDim: c.headDim, maxPos: ctx, base: c.ropeTheta }, arena);
  const caches = w.layers.map(() => ({ k: Tensor.zeros(rt, 'f32', [ctx, c.kvHeads, c.headDim], arena), v: Tensor.zeros(rt, 'f32', [ctx, c.kvHeads, c.headDim], arena) }));
  const out: Float32Array[] = [];
  tokens.forEach((tok, pos) => {
    const ids = Tensor.fromI32(rt, [tok], [1], arena);
    const positions = Tensor.fromI32(rt, [pos], [1], arena);
    const x = embedding(w.embed, ids);
    w.layers.forEach((l, i) => {
      const xb = rmsnorm(x, l.attnNorm, c.rmsEps);
      const q = linear(xb, l.wq).reshape([1, c.heads, c.headDim]);
      const k = linear(xb, l.wk).reshape([1, c.kvHeads, c.headDim]);
      const v = linear(xb, l.wv).reshape([1, c.kvHeads, c.headDim]);
      applyRope(q, positions, table);
      applyRope(k, positions, table);
      writeKV(caches[i]!.k, k, pos);
      writeKV(caches[i]!.v, v, pos);
      const att = attention(q, caches[i]!.k, caches[i]!.v, pos);
      add(x, linear(att.reshape([1, c.heads * c.headDim]), l.wo), x);
      const xf = rmsnorm(x, l.ffnNorm, c.rmsEps);
      const gate = linear(xf, l.wGate);
      swiglu(gate, linear(xf, l.wUp), gate);
      add(x, linear(gate, l.wDown), x);
    });
    out.push(linear(rmsnorm(x, w.norm, c.rmsEps), w.lmHead).toArray());
  });
  return out;
}

const tokens = [5, 17, 99, 3, 250, 7, 300, 1, 42, 64];

for (const dtype of ['q8_0', 'q4_0', 'f32', 'f16', 'bf16'] as DType[]) {
  test(`one-token decode steps equal the unfused ops bit for bit (${dtype}, tiny: mixed types; 1 and 2 threads)`, async () => {
    for (const threads of [1, 2]) {
      const rt = await Runtime.create({ threads, arenaBytes: 256 << 20 });
      try {
        const m = YiModel.random(rt, preset('tiny'), dtype, 11, { contextLength: 32, batch: 4 });
        const got = tokens.map((t) => m.forward([t]).toArray());
        const want = reference(m, tokens);
        got.forEach((g, i) => assert.deepEqual(g, want[i], `${dtype} threads ${threads} position ${i}`));
        m.dispose();
      } finally {
        await rt.close();
      }
    }
  });
}

test('Q4_K_M-style models (q4_k, q6_k in the kx4 layout, with q8_0 and f16 beside them) decode on the plan, bit for bit as the ops', async () => {
  // Rows of 256 and 512 values: whole k-quant super-blocks. ffn 768: w_down's K is 3 blocks.
  const cfg = { ...preset('tiny'), hidden: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 768, vocabSize: 333 };
  const mixes: ((name: string) => DType)[] = [
    // llama-quantize's q4_k_m: q6_k for v, w_down and the output, q4_k elsewhere (token_embd too).
    (n) => (/v_proj|down_proj|lm_head/.test(n) ? 'q6_k' : 'q4_k'),
    // k-types beside the 32-block and f16 kernels, the head in q4_k, the embedding in q8_0.
    (n) => (/q_proj|up_proj|lm_head/.test(n) ? 'q4_k' : /k_proj|o_proj/.test(n) ? 'q6_k' : /embed/.test(n) ? 'q8_0' : /gate/.test(n) ? 'f16' : 'q4_0'),
  ];
  for (const [i, mix] of mixes.entries()) {
    for (const threads of [1, 2]) {
      const rt = await Runtime.create({ threads, arenaBytes: 256 << 20 });
      const called = new Set<string>();
      const parallel = rt.parallel.bind(rt);
      rt.parallel = ((name: string, ...rest: Parameters<typeof parallel> extends [string, ...infer R] ? R : never) => {
        called.add(name);
        return parallel(name, ...rest);
      }) as typeof rt.parallel;
      try {
        const m = YiModel.random(rt, cfg, (name) => mix(name), 5 + i, { contextLength: 32, batch: 4 });
        called.clear();
        const got = tokens.map((t) => m.forward([t]).toArray());
        // The plan's fused residual kernel ran: these steps did not go through the ops.
        assert.ok(called.has('gemv_kx4_add'), `mix ${i}: decoded on the plan`);
        const want = reference(m, tokens);
        got.forEach((g, p) => assert.deepEqual(g, want[p], `mix ${i} threads ${threads} position ${p}`));
        m.dispose();
      } finally {
        await rt.close();
      }
    }
  }
});

test('a model spread over several arenas decodes to the same bits as one in a single arena', async () => {
  const cfg = { ...preset('tiny'), ffn: 192 }; // every matrix q8_0
  const one = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
  const many = await Runtime.create({ threads: 2, arenaBytes: 256 << 10, scratchBytesPerThread: 16 << 10 });
  try {
    const a = YiModel.random(one, cfg, 'q8_0', 4, { contextLength: 32, batch: 4 });
    const b = YiModel.random(many, cfg, 'q8_0', 4, { contextLength: 32, batch: 4 });
    const places = [b.weights.embed, ...b.weights.layers.map((l) => l.wq), b.weights.lmHead].map((t) => t.arena.id);
    assert.ok(new Set(places).size >= 3, `expected the embedding, layers and head over 3+ arenas, got ${places.join(', ')}`);
    for (const t of tokens) assert.deepEqual(b.forward([t]).toArray(), a.forward([t]).toArray());
    a.dispose();
    b.dispose();
  } finally {
    await one.close();
    await many.close();
  }
});

test('Q3_K_M / Q2_K / legacy-type models (q2_k, q3_k, q4_1, q5_0, q5_1 in their kx4 layout, beside q4_k, q6_k) decode on the plan, bit for bit as the ops', async () => {
  const cfg = { ...preset('tiny'), hidden: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 768, vocabSize: 333 };
  const mixes: ((name: string) => DType)[] = [
    // llama-quantize's q3_k_m in outline: q4_k for v, o and w_down, q6_k output, q3_k elsewhere.
    (n) => (/v_proj|down_proj|o_proj/.test(n) ? 'q4_k' : /lm_head/.test(n) ? 'q6_k' : 'q3_k'),
    // Inputs read by 256- and 32-value blocks at once (q2_k beside q5_0 / q5_1), every low-bit type.
    (n) => (/q_proj|up_proj/.test(n) ? 'q2_k' : /k_proj|down_proj/.test(n) ? 'q5_0' : /v_proj|embed/.test(n) ? 'q5_1' : /gate/.test(n) ? 'q3_k' : 'q4_1'),
  ];
  for (const [i, mix] of mixes.entries()) {
    for (const threads of [1, 2]) {
      const rt = await Runtime.create({ threads, arenaBytes: 256 << 20 });
      const called = new Set<string>();
      const parallel = rt.parallel.bind(rt);
      rt.parallel = ((name: string, ...rest: Parameters<typeof parallel> extends [string, ...infer R] ? R : never) => {
        called.add(name);
        return parallel(name, ...rest);
      }) as typeof rt.parallel;
      try {
        const m = YiModel.random(rt, cfg, (name) => mix(name), 7 + i, { contextLength: 32, batch: 4 });
        called.clear();
        const got = tokens.map((t) => m.forward([t]).toArray());
        assert.ok(called.has(i === 0 ? 'gemv_kx4_add' : 'gemv_kxl_add'), `mix ${i}: decoded on the plan (its fused residual kernel ran)`);
        const want = reference(m, tokens);
        got.forEach((g, p) => assert.deepEqual(g, want[p], `mix ${i} threads ${threads} position ${p}`));
        m.dispose();
      } finally {
        await rt.close();
      }
    }
  }
});
