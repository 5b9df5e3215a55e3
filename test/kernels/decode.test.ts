// The fused decode kernels against the unfused sequences they replace: same bytes, both kernel
// flavors, odd block counts, zero blocks (d = 0) and values large enough to round at +-127.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Arena } from '../../src/runtime/arena.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { rand } from '../tensor/ops/qref.js';

const ACT_BLOCK = 176;
let runtimes: Runtime[] = [];
before(async () => {
  runtimes = [await Runtime.create({ threads: 1, kernels: 'simd128', arenaBytes: 64 << 20 }), await Runtime.create({ threads: 2, arenaBytes: 64 << 20 })];
});
after(async () => {
  for (const r of runtimes) await r.close();
});

/** f32 values with a zero block, a block of tiny values and outliers. */
function values(n: number, seed: number): Float32Array {
  const v = rand(n, seed).map((x, i) => x * (1 + (i % 13)) * (i % 97 === 3 ? 400 : 1));
  v.fill(0, 32, 64); // d = 0
  for (let i = 64; i < 96 && i < n; i++) v[i]! *= 1e-30;
  return v;
}

function put(arena: Arena, rt: Runtime, data: Float32Array): number {
  const p = rt.alloc(data.length * 4, arena).offset;
  arena.f32.set(data, p >> 2);
  return p;
}

const bytes = (arena: Arena, p: number, n: number) => arena.u8.slice(p, p + n);

test('rmsnorm_quantize_act = rmsnorm_f32 then quantize_act, records and f32 output', () => {
  for (const rt of runtimes) {
    for (const blocks of [1, 3, 24, 37]) {
      const n = blocks * 32;
      const arena = rt.arenas[0]!;
      const x = put(arena, rt, values(n, blocks));
      const w = put(arena, rt, rand(n, blocks + 1).map((v) => 1 + v));
      const ref = rt.alloc(n * 4, arena).offset;
      const refAct = rt.alloc(blocks * ACT_BLOCK, arena).offset;
      const out = rt.alloc(n * 4, arena).offset;
      const act = rt.alloc(blocks * ACT_BLOCK, arena).offset;
      const act0 = rt.alloc(blocks * ACT_BLOCK, arena).offset;
      rt.call('rmsnorm_f32', arena, x, w, ref, n, 1e-5, 0, 1, rt.scratch(arena));
      rt.call('quantize_act', arena, ref, refAct, n, 0, 1, 0);
      rt.call('rmsnorm_quantize_act', arena, x, w, out, act, n, 1e-5, 0, 1, rt.scratch(arena));
      rt.call('rmsnorm_quantize_act', arena, x, w, 0, act0, n, 1e-5, 0, 1, rt.scratch(arena));
      assert.deepEqual(bytes(arena, out, n * 4), bytes(arena, ref, n * 4), `${rt.flavor} f32 output, ${blocks} blocks`);
      assert.deepEqual(bytes(arena, act, blocks * ACT_BLOCK), bytes(arena, refAct, blocks * ACT_BLOCK), `${rt.flavor} records, ${blocks} blocks`);
      assert.deepEqual(bytes(arena, act0, blocks * ACT_BLOCK), bytes(arena, refAct, blocks * ACT_BLOCK), `${rt.flavor} records without the f32 output`);
    }
  }
});

test('swiglu_quantize_act = swiglu_f32 then quantize_act, on 1 and 2 threads', () => {
  for (const rt of runtimes) {
    for (const blocks of [1, 5, 64, 67]) {
      const n = blocks * 32;
      const arena = rt.arenas[0]!;
      const g = values(n, 7 + blocks).map((v, i) => (i % 50 === 7 ? -120 : v)); // exp underflow side
      const gate = put(arena, rt, g);
      const up = put(arena, rt, values(n, 9 + blocks));
      const ref = rt.alloc(n * 4, arena).offset;
      const refAct = rt.alloc(blocks * ACT_BLOCK, arena).offset;
      rt.parallel('swiglu_f32', arena, [gate, up, ref], n, 4, 1);
      rt.call('quantize_act', arena, ref, refAct, n, 0, 1, 0);
      const act = rt.alloc(blocks * ACT_BLOCK, arena).offset;
      rt.parallel('swiglu_quantize_act', arena, [gate, up, 0, act], blocks, 1, 1);
      assert.deepEqual(bytes(arena, act, blocks * ACT_BLOCK), bytes(arena, refAct, blocks * ACT_BLOCK), `${rt.flavor} records, ${blocks} blocks`);
      // In place over gate: the f32 output as swiglu_f32 writes it.
      const act2 = rt.alloc(blocks * ACT_BLOCK, arena).offset;
      rt.parallel('swiglu_quantize_act', arena, [gate, up, gate, act2], blocks, 1, 1);
      assert.deepEqual(bytes(arena, gate, n * 4), bytes(arena, ref, n * 4), `${rt.flavor} f32 output in place`);
      assert.deepEqual(bytes(arena, act2, blocks * ACT_BLOCK), bytes(arena, refAct, blocks * ACT_BLOCK));
    }
  }
});

test('gemv_*_add = the product then add_f32 (q8_0, q4_0 and f32 weights, odd N)', () => {
  for (const rt of runtimes) {
    const arena = rt.arenas[0]!;
    for (const [N, K] of [[7, 64], [37, 96], [130, 256]] as const) {
      const x = put(arena, rt, values(K, N));
      const act = rt.alloc((K / 32) * ACT_BLOCK, arena).offset;
      rt.call('quantize_act', arena, x, act, K, 0, 1, 0);
      const residual = values(N, N + K);
      for (const [dtype, wbytes] of [['q8_0', 34], ['q4_0', 18], ['f32', 0]] as const) {
        // x4 layout bytes: random quants, small positive fp16 scales; f32 weights as they are.
        const size = dtype === 'f32' ? N * K * 4 : Math.ceil(N / 4) * 4 * (K / 32) * wbytes;
        const w = rt.alloc(size, arena).offset;
        if (dtype === 'f32') arena.f32.set(rand(N * K, 5), w >> 2);
        else {
          for (let i = 0; i < size; i++) arena.u8[w + i] = (i * 131 + 17) & 255;
          const group = 8 + 4 * (wbytes - 2);
          for (let g = 0; g < size / group; g++) for (let r = 0; r < 4; r++) arena.u16[(w + g * group + 2 * r) >> 1] = 0x2000 + ((g * 7 + r) & 0x3ff);
        }
        const input = dtype === 'f32' ? x : act;
        const prod = rt.alloc(N * 4, arena).offset;
        const ref = put(arena, rt, residual);
        rt.parallel(`gemv_${dtype}`, arena, [w, input, prod, N, K], N, 4, 4);
        rt.parallel('add_f32', arena, [ref, prod, ref], N, 4, 1);
        const y = put(arena, rt, residual);
        rt.parallel(`gemv_${dtype}_add`, arena, [w, input, y, N, K], N, 4, 4);
        assert.deepEqual(bytes(arena, y, N * 4), bytes(arena, ref, N * 4), `${rt.flavor} ${dtype} ${N}x${K}`);
      }
    }
  }
});
