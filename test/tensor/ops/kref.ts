// Reference math for the GGUF block types (k-types), in plain TypeScript float64, one element at a
// time from the block layouts of llama.cpp's ggml-common.h: independent of the kernels it checks.
import { f16ToNumber, numberToF16, roundf } from './qref.js';
import type { KType } from '../../../src/tensor/dtype.js';

const f = Math.fround;

export const K_LAYOUT: Record<KType, { block: number; bytes: number; scales: number[] }> = {
  q4_1: { block: 32, bytes: 20, scales: [0, 2] },
  q5_0: { block: 32, bytes: 22, scales: [0] },
  q5_1: { block: 32, bytes: 24, scales: [0, 2] },
  q2_k: { block: 256, bytes: 84, scales: [80, 82] },
  q3_k: { block: 256, bytes: 110, scales: [108] },
  q4_k: { block: 256, bytes: 144, scales: [0, 2] },
  q5_k: { block: 256, bytes: 176, scales: [0, 2] },
  q6_k: { block: 256, bytes: 210, scales: [208] },
};
export const K_TYPES = Object.keys(K_LAYOUT) as KType[];

/** Q4_K / Q5_K's 6-bit scale and min of sub-block s (0..7) from the 12 bytes at b[o..]. */
function k4(b: Uint8Array, o: number, s: number): [number, number] {
  if (s < 4) return [b[o + s]! & 63, b[o + s + 4]! & 63];
  return [(b[o + s + 4]! & 15) | ((b[o + s - 4]! >> 6) << 4), (b[o + s + 4]! >> 4) | ((b[o + s]! >> 6) << 4)];
}

/** Q3_K's signed scale of group g (0..15): low 4 bits in bytes 0..7, 2 high bits in bytes 8..11. */
function q3scale(b: Uint8Array, o: number, g: number): number {
  const low = g < 8 ? b[o + g]! & 15 : b[o + g - 8]! >> 4;
  const high = (b[o + 8 + (g % 4)]! >> (2 * Math.floor(g / 4))) & 3;
  return (low | (high << 4)) - 32;
}

/** Value e of the block at b[o..] (float64; every kernel value is this rounded once to f32). */
export function refValue(t: KType, b: Uint8Array, o: number, e: number): number {
  const h = (at: number) => f16ToNumber(b[o + at]! | (b[o + at + 1]! << 8));
  const u8 = (at: number) => b[o + at]!;
  switch (t) {
    case 'q4_1':
    case 'q5_0':
    case 'q5_1': {
      const qs = t === 'q4_1' ? 4 : t === 'q5_0' ? 6 : 8;
      const j = e % 16;
      let q = e < 16 ? u8(qs + j) & 15 : u8(qs + j) >> 4;
      if (t !== 'q4_1') {
        const hb = t === 'q5_0' ? 2 : 4;
        q |= ((u8(hb + (e >> 3)) >> (e & 7)) & 1) << 4;
      }
      if (t === 'q5_0') return (q - 16) * h(0);
      return q * h(0) + h(2);
    }
    case 'q2_k': {
      const n = e >> 7, j = (e & 127) >> 5, l = e & 31;
      const q = (u8(16 + 32 * n + l) >> (2 * j)) & 3;
      const sc = u8(e >> 4);
      return h(80) * (sc & 15) * q - h(82) * (sc >> 4);
    }
    case 'q3_k': {
      const n = e >> 7, j = (e & 127) >> 5, l = e & 31;
      const q = (u8(32 + 32 * n + l) >> (2 * j)) & 3;
      const hi = (u8(l) >> (4 * n + j)) & 1;
      return h(108) * q3scale(b, o + 96, e >> 4) * (q - (hi ? 0 : 4));
    }
    case 'q4_k':
    case 'q5_k': {
      const s = e >> 5, l = e & 31;
      const qs = t === 'q4_k' ? 16 : 48;
      const byte = u8(qs + 32 * (s >> 1) + l);
      let q = s & 1 ? byte >> 4 : byte & 15;
      if (t === 'q5_k') q += ((u8(16 + l) >> s) & 1) << 4;
      const [sc, m] = k4(b, o + 4, s);
      return h(0) * sc * q - h(2) * m;
    }
    case 'q6_k': {
      const n = e >> 7, k = (e & 127) >> 5, l = e & 31;
      const byte = u8(64 * n + (k & 1 ? 32 : 0) + l);
      const nib = k < 2 ? byte & 15 : byte >> 4;
      const q = (nib | (((u8(128 + 32 * n + l) >> (2 * k)) & 3) << 4)) - 32;
      const sc = (u8(192 + (e >> 4)) << 24) >> 24;
      return h(208) * sc * q;
    }
  }
}

/** Row-major f64 values of `rows` rows of `cols` values stored as GGUF-order blocks in `bytes`. */
export function refDequant(t: KType, bytes: Uint8Array, count: number): Float64Array {
  const { block, bytes: bb } = K_LAYOUT[t];
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = refValue(t, bytes, Math.floor(i / block) * bb, i % block);
  return out;
}

/** Random blocks: random quant bytes, f16 scales set to finite values of about `scale`. */
export function randomBlocks(t: KType, blocks: number, next: () => number, scale = 0.01): Uint8Array {
  const { bytes: bb, scales } = K_LAYOUT[t];
  const out = new Uint8Array(blocks * bb);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    for (const [k, at] of scales.entries()) {
      const v = scale * (0.25 + next()) * (k === 1 && (t === 'q4_1' || t === 'q5_1') ? -8 : 1);
      dv.setUint16(b * bb + at, numberToF16(v), true);
    }
  }
  return out;
}

/** x as the kernels see it: each block of B values quantized to int8 with d = amax / 127, back to f64. */
export function refActivation(x: Float32Array, B: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < x.length; b += B) {
    let amax = 0;
    for (let i = 0; i < B; i++) amax = Math.max(amax, Math.abs(x[b + i]!));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    for (let i = 0; i < B; i++) out[b + i] = roundf(f(x[b + i]! * id)) * d;
  }
  return out;
}

/** A seeded uniform [0, 1) stream (32-bit LCG) for the k-quant tests' random blocks and activations. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
