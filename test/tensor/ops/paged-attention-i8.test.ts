// int8 paged KV: rows written through the block table dequantize to within the block scale's
// rounding (also when a larger row makes the block's scale grow and requantizes its earlier rows),
// and attention over the int8 pool equals the f32 paged kernel over the dequantized rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { pagedAttention } from '../../../src/tensor/ops/paged-attention.js';
import { i8RegionBytes, pagedAttentionI8, pagedWriteKVI8, type I8PoolShape } from '../../../src/tensor/ops/paged-attention-i8.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { refAttention } from './attention-ref.js';
import { assertClose, assertSameBits, randomF32, rng, runtime, withOneAndTwoThreads } from './helpers.js';

const HQ = 4;
const SHAPE: I8PoolShape = { blocks: 9, blockTokens: 8, hkv: 2, headDim: 20 };
const ROW = SHAPE.hkv * SHAPE.headDim;

/** Rows of one sequence of `len` positions whose magnitude doubles twice within each block. */
function rows(len: number, seed: number): Float32Array {
  const x = randomF32(len * ROW, seed);
  for (let p = 0; p < len; p++) {
    const r = p % SHAPE.blockTokens;
    const amp = r < 3 ? 0.5 : r < 6 ? 1 : 2;
    for (let i = 0; i < ROW; i++) x[p * ROW + i]! *= amp;
  }
  return x;
}

/** A random block table of ceil(len / blockTokens) distinct blocks. */
function table(len: number, seed: number): number[] {
  const r = rng(seed);
  const ids = Array.from({ length: SHAPE.blocks }, (_, i) => i).sort(() => r() - 0.5);
  return ids.slice(0, Math.ceil(len / SHAPE.blockTokens));
}

/** Writes the rows one step at a time (steps of the given sizes), as the engine does. */
function writeAll(rt: Runtime, kReg: Tensor, vReg: Tensor, k: Float32Array, v: Float32Array, tab: number[], steps: number[]): void {
  let p0 = 0;
  for (const n of steps) {
    const kt = Tensor.fromF32(rt, k.subarray(p0 * ROW, (p0 + n) * ROW), [n, SHAPE.hkv, SHAPE.headDim], kReg.arena);
    const vt = Tensor.fromF32(rt, v.subarray(p0 * ROW, (p0 + n) * ROW), [n, SHAPE.hkv, SHAPE.headDim], kReg.arena);
    const slots = Array.from({ length: n }, (_, j) => tab[Math.floor((p0 + j) / SHAPE.blockTokens)]! * SHAPE.blockTokens + ((p0 + j) % SHAPE.blockTokens));
    const st = Tensor.fromI32(rt, slots, [n], kReg.arena);
    pagedWriteKVI8(kt, vt, kReg, vReg, SHAPE, st);
    for (const t of [kt, vt, st]) t.dispose();
    p0 += n;
  }
}

/** The region's rows of the sequence, dequantized, and the scale each row's block ended with. */
function dequantize(region: Tensor, tab: number[], len: number): { x: Float32Array; scaleOf: Float32Array } {
  const { blocks, blockTokens, hkv, headDim } = SHAPE;
  const u8 = region.arena.u8;
  const f32 = region.arena.f32;
  const scales = region.offset;
  const quants = region.offset + Math.ceil((blocks * hkv * 4) / 64) * 64;
  const i8 = new Int8Array(u8.buffer, u8.byteOffset, u8.byteLength);
  const x = new Float32Array(len * ROW);
  const scaleOf = new Float32Array(len * ROW);
  for (let p = 0; p < len; p++) {
    const b = tab[Math.floor(p / blockTokens)]!;
    const r = p % blockTokens;
    for (let g = 0; g < hkv; g++) {
      const s = f32[scales / 4 + b * hkv + g]!;
      for (let i = 0; i < headDim; i++) {
        x[p * ROW + g * headDim + i] = Math.fround(i8[quants + ((b * blockTokens + r) * hkv + g) * headDim + i]! * s);
        scaleOf[p * ROW + g * headDim + i] = s;
      }
    }
  }
  return { x, scaleOf };
}

test('int8 K/V written through a block table dequantize within 1.5 steps of the final block scale', async () => {
  const rt = await runtime(1);
  const len = 29;
  const k = rows(len, 1);
  const v = rows(len, 2);
  const tab = table(len, 3);
  const kReg = Tensor.zeros(rt, 'f32', [Math.ceil(i8RegionBytes(SHAPE) / 4)]);
  const vReg = Tensor.zeros(rt, 'f32', [Math.ceil(i8RegionBytes(SHAPE) / 4)], kReg.arena);
  // A prompt chunk, then decodes, then a chunk crossing a block boundary.
  writeAll(rt, kReg, vReg, k, v, tab, [5, 1, 1, 1, 9, 1, 11]);
  for (const [name, reg, want] of [['K', kReg, k], ['V', vReg, v]] as const) {
    const { x, scaleOf } = dequantize(reg, tab, len);
    for (let i = 0; i < want.length; i++) {
      // A row's own rounding (half a step), plus half a step per requantization (two at most here).
      assert.ok(Math.abs(x[i]! - want[i]!) <= 1.5 * scaleOf[i]! + 1e-7, `${name}[${i}]: ${x[i]} vs ${want[i]} (scale ${scaleOf[i]})`);
      assert.ok(scaleOf[i]! > 0);
    }
  }
});

interface Setup {
  q: Tensor;
  kReg: Tensor;
  vReg: Tensor;
  deqK: Tensor;
  deqV: Tensor;
  layout: { tables: Tensor; seqOf: Tensor; positions: Tensor };
  seqs: { len: number; t: number }[];
  originals: { k: Float32Array; v: Float32Array; q: Float32Array }[];
}

/** Three sequences (a prompt chunk, a decode, a chunk) written into int8 regions through random
 *  block tables, and the same rows dequantized into an f32 pool. */
function setup(rt: Runtime): Setup {
  const seqs = [{ len: 29, t: 3 }, { len: 8, t: 1 }, { len: 17, t: 8 }];
  const kReg = Tensor.zeros(rt, 'f32', [Math.ceil(i8RegionBytes(SHAPE) / 4)]);
  const arena = kReg.arena;
  const vReg = Tensor.zeros(rt, 'f32', [Math.ceil(i8RegionBytes(SHAPE) / 4)], arena);
  const r = rng(7);
  const free = Array.from({ length: SHAPE.blocks }, (_, i) => i).sort(() => r() - 0.5);
  const maxBlocks = 4;
  const tabs: number[][] = [];
  const deqK = Tensor.zeros(rt, 'f32', [SHAPE.blocks, SHAPE.blockTokens, SHAPE.hkv, SHAPE.headDim], arena);
  const deqV = Tensor.zeros(rt, 'f32', [SHAPE.blocks, SHAPE.blockTokens, SHAPE.hkv, SHAPE.headDim], arena);
  const qAll: number[] = [];
  const seqOf: number[] = [];
  const positions: number[] = [];
  const originals: Setup['originals'] = [];
  seqs.forEach((s, si) => {
    const tab = free.splice(0, Math.ceil(s.len / SHAPE.blockTokens));
    tabs.push([...tab, ...new Array(maxBlocks - tab.length).fill(0)]);
    const k = rows(s.len, 10 + si);
    const v = rows(s.len, 20 + si);
    writeAll(rt, kReg, vReg, k, v, tab, [s.len - s.t, s.t].filter((n) => n > 0));
    for (const [reg, deq] of [[kReg, deqK], [vReg, deqV]] as const) {
      const { x } = dequantize(reg, tab, s.len);
      for (let p = 0; p < s.len; p++) arena.f32.set(x.subarray(p * ROW, (p + 1) * ROW), deq.offset / 4 + (tab[Math.floor(p / SHAPE.blockTokens)]! * SHAPE.blockTokens + (p % SHAPE.blockTokens)) * ROW);
    }
    const q = randomF32(s.t * HQ * SHAPE.headDim, 30 + si, -2, 2);
    qAll.push(...q);
    for (let j = 0; j < s.t; j++) {
      seqOf.push(si);
      positions.push(s.len - s.t + j);
    }
    originals.push({ k, v, q });
  });
  const T = seqOf.length;
  const q = Tensor.fromF32(rt, qAll, [T, HQ, SHAPE.headDim], arena);
  const layout = { tables: Tensor.fromI32(rt, tabs.flat(), [seqs.length, maxBlocks], arena), seqOf: Tensor.fromI32(rt, seqOf, [T], arena), positions: Tensor.fromI32(rt, positions, [T], arena) };
  return { q, kReg, vReg, deqK, deqV, layout, seqs, originals };
}

test('pagedAttentionI8 equals the f32 paged kernel on the dequantized rows (1e-5), and the float64 reference on the originals (2e-2)', async () => {
  const rt = await runtime(2);
  const { q, kReg, vReg, deqK, deqV, layout, seqs, originals } = setup(rt);
  const got = pagedAttentionI8(q, kReg, vReg, SHAPE, layout).toArray();
  const onDeq = pagedAttention(q, deqK, deqV, layout).toArray();
  assertClose(got, onDeq, 1e-5, 1, 'int8 kernel vs f32 kernel on dequantized rows');
  let at = 0;
  seqs.forEach((s, si) => {
    const n = s.t * HQ * SHAPE.headDim;
    const o = originals[si]!;
    const err = assertClose(got.subarray(at, at + n), refAttention(o.q, o.k, o.v, s.t, HQ, SHAPE.hkv, SHAPE.headDim, s.len - s.t), 2e-2, 1, `sequence ${si} vs float64 on the f32 rows`);
    console.log(`sequence ${si}: int8 KV error ${err.toExponential(2)} (relative to max(|out|, 1))`);
    at += n;
  });
});

test('pagedAttentionI8 gives the same bits on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const a = setup(rt1);
    const b = setup(rt2);
    assertSameBits(pagedAttentionI8(a.q, a.kReg, a.vReg, SHAPE, a.layout).toArray(), pagedAttentionI8(b.q, b.kReg, b.vReg, SHAPE, b.layout).toArray(), 'int8 paged attention');
  });
});
