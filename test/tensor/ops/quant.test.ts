import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { embedding } from '../../../src/tensor/ops/embedding.js';
import { dequantize, fromGGUF, quantize, toGGUF } from '../../../src/tensor/ops/quant.js';
import { decodeBlocks, f16ToNumber, numberToF16, rand, refQuantQ4, refQuantQ8 } from './qref.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
});

const hex = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');

function gguf(x: Float32Array, shape: number[], dtype: 'q8_0' | 'q4_0'): Uint8Array {
  const t = Tensor.fromF32(rt, x, shape);
  const q = quantize(t, dtype);
  try {
    return toGGUF(q);
  } finally {
    t.dispose();
    q.dispose();
  }
}

test('Q8_0 block bytes, computed by hand', () => {
  // Block A: x_i = i - 16. amax 16, d = 16/127 -> fp16 0x3008 (0.1259765625); id = 1/f32(16/127)
  // = 7.9375 exactly, q_i = roundf((i - 16) * 7.9375): -127, -119.06 -> -119, ..., -63.5 -> -64, ...
  // Block B: amax 127 so d = 1 (0x3c00) and q = roundf(x): 2.5 -> 3 and -1.5 -> -2 (half away from
  // zero, not to even), 0.49999997 -> 0.
  const x = new Float32Array(64);
  for (let i = 0; i < 32; i++) x[i] = i - 16;
  x.set([127, -127, 2.5, -2.5, 0.5, -0.5, 0.49999997, -1.5], 32);
  for (let i = 8; i < 32; i++) x[32 + i] = i - 16;
  const expected =
    '08 30 81 89 91 99 a1 a9 b1 b9 c0 c8 d0 d8 e0 e8 f0 f8 00 08 10 18 20 28 30 38 40 47 4f 57 5f 67 6f 77 ' +
    '00 3c 7f 81 03 fd 01 ff 00 fe f8 f9 fa fb fc fd fe ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f';
  assert.equal(hex(gguf(x, [1, 64], 'q8_0')), expected);
  assert.equal(hex(refQuantQ8(x)), expected, 'the TypeScript reference agrees with the hand computation');
});

test('Q4_0 block bytes, computed by hand', () => {
  // Block A: x_i = i - 16: the largest magnitude is -16, d = -16 / -8 = 2 (0x4000), id = 0.5,
  // q_i = min(15, trunc((i - 16) / 2 + 8.5)) = min(15, floor((i + 1) / 2)); byte j = q_j | q_{j+16} << 4.
  // Block B: x_i = 16 - i: the largest is +16, d = -2 (0xc000) and the same nibbles.
  const x = new Float32Array(64);
  for (let i = 0; i < 32; i++) {
    x[i] = i - 16;
    x[32 + i] = 16 - i;
  }
  const nib = '80 91 91 a2 a2 b3 b3 c4 c4 d5 d5 e6 e6 f7 f7 f8';
  const expected = `00 40 ${nib} 00 c0 ${nib}`;
  assert.equal(hex(gguf(x, [2, 32], 'q4_0')), expected);
  assert.equal(hex(refQuantQ4(x)), expected);
});

test('fp16 rounding of the scale: nearest even, subnormal, overflow', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [1e9, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [-0, 0x8000],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [2 ** -20, 0x0010], [NaN, 0x7e00],
  ];
  const src = Tensor.fromF32(rt, cases.map((c) => c[0]), [cases.length]);
  const dst = rt.alloc(cases.length * 2, src.arena);
  rt.call('convert_f32_f16', src.arena, src.offset, dst.offset, 0, cases.length, 0);
  const got = Array.from(src.arena.u16.subarray(dst.offset / 2, dst.offset / 2 + cases.length));
  assert.deepEqual(got.map((h) => h.toString(16)), cases.map((c) => c[1].toString(16)));
  assert.deepEqual(cases.map((c) => numberToF16(Math.fround(c[0])).toString(16)), cases.map((c) => c[1].toString(16)));
  rt.release(dst);
  src.dispose();
});

test('fp16 -> f32 for all 65536 values (subnormals, inf, NaN)', () => {
  const n = 65536;
  const src = rt.alloc(n * 2);
  const dst = rt.alloc(n * 4, src.arena);
  const a = src.arena;
  for (let i = 0; i < n; i++) a.u16[src.offset / 2 + i] = i;
  rt.call('convert_f16_f32', a, src.offset, dst.offset, 0, n, 0);
  const got = a.f32.subarray(dst.offset / 4, dst.offset / 4 + n);
  for (let i = 0; i < n; i++) {
    const want = f16ToNumber(i);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(got[i]!), `0x${i.toString(16)} should be NaN`);
    else assert.ok(Object.is(got[i], want), `0x${i.toString(16)}: got ${got[i]}, want ${want}`);
  }
  rt.release(src);
  rt.release(dst);
});

for (const dtype of ['q8_0', 'q4_0'] as const) {
  test(`${dtype}: quantize matches llama.cpp's reference byte for byte and dequantizes exactly`, () => {
    const N = 7; // not a multiple of 4: the x4 layout pads
    const K = 96;
    const x = rand(N * K, 11);
    // Outliers and ties to exercise the edges.
    x[5] = 40;
    x[K + 3] = -40;
    x.fill(0, 2 * K, 2 * K + 32); // all-zero block: d = 0
    const t = Tensor.fromF32(rt, x, [N, K]);
    const q = quantize(t, dtype);
    const bytes = toGGUF(q);
    const ref = dtype === 'q8_0' ? refQuantQ8(x) : refQuantQ4(x);
    assert.equal(bytes.length, ref.length);
    assert.deepEqual(bytes, ref);
    // Dequantize: d * q exactly (one f32 multiply of exact values).
    const deq = dequantize(q);
    const got = deq.toArray();
    const { d, q: qs } = decodeBlocks(dtype, ref);
    for (let i = 0; i < N * K; i++) assert.equal(got[i], Math.fround(d[i >> 5]! * qs[i]!), `element ${i}`);
    // Round trip error: half a step (Q8_0) or one step (Q4_0's asymmetric top), plus |q| times the
    // fp16 rounding of d (at most 2^-11 relative).
    for (let i = 0; i < N * K; i++) {
      const step = Math.abs(d[i >> 5]!);
      const bound = dtype === 'q8_0' ? 0.5 + 127 / 2048 : 1 + 8 / 2048;
      assert.ok(Math.abs(got[i]! - x[i]!) <= bound * step * (1 + 1e-3) + 1e-7, `element ${i}: ${got[i]} vs ${x[i]}`);
    }
    for (const z of [t, q, deq]) z.dispose();
  });

  test(`${dtype}: GGUF bytes -> x4 -> GGUF bytes is the identity (5 rows, random bytes)`, () => {
    const N = 5;
    const K = 64;
    const bb = dtype === 'q8_0' ? 34 : 18;
    const bytes = new Uint8Array(N * (K / 32) * bb);
    const r = rand(bytes.length, 5);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor((r[i]! + 1) * 128) & 255;
    const q = fromGGUF(rt, dtype, [N, K], bytes);
    assert.equal(q.byteLength, 8 * (K / 32) * bb, 'x4 layout pads to 8 rows');
    assert.deepEqual(toGGUF(q), bytes);
    // Padding rows are zero blocks.
    const raw = q.bytes();
    const gb = 8 + 4 * (bb - 2);
    for (let b = 0; b < K / 32; b++) {
      const g = (1 * (K / 32) + b) * gb; // group 1 holds row 4 (real) and rows 5..7 (padding)
      for (let i = 1; i < 4; i++) {
        assert.equal(raw[g + 2 * i]! | raw[g + 2 * i + 1]!, 0);
        for (let j = 0; j < bb - 2; j++) assert.equal(raw[g + 8 + i * (bb - 2) + j], 0);
      }
    }
    q.dispose();
  });

  test(`${dtype}: embedding lookup of a quantized table equals rows of dequantize`, () => {
    const V = 9;
    const K = 64;
    const t = Tensor.fromF32(rt, rand(V * K, 3), [V, K]);
    const q = quantize(t, dtype);
    const full = dequantize(q).toArray();
    const ids = [8, 0, 3, 3, 7];
    const idT = Tensor.fromI32(rt, ids, [ids.length], q.arena);
    const out = Tensor.zeros(rt, 'f32', [ids.length, K], q.arena);
    embedding(q, idT, out);
    const got = out.toArray();
    ids.forEach((id, i) => assert.deepEqual(got.subarray(i * K, (i + 1) * K), full.subarray(id * K, (id + 1) * K)));
    const bad = Tensor.fromI32(rt, [1, 9], [2], q.arena);
    const out2 = Tensor.zeros(rt, 'f32', [2, K], q.arena);
    assert.throws(() => embedding(q, bad, out2), /token id 9 \(ids\[1\]\)/);
    for (const z of [t, q, idT, out, bad, out2]) z.dispose();
  });
}

test('GGUF-order kernels: quantize_gguf matches the reference, dequantize_gguf decodes it', () => {
  const N = 3;
  const K = 64;
  const x = rand(N * K, 21);
  for (const [dtype, qb] of [['q8_0', 32], ['q4_0', 16]] as const) {
    const src = Tensor.fromF32(rt, x, [N, K]);
    const a = src.arena;
    const bytes = (N * K / 32) * (qb + 2);
    const dst = rt.alloc(bytes, a);
    rt.parallel('quantize_gguf', a, [src.offset, dst.offset, K, qb], N);
    const got = a.u8.slice(dst.offset, dst.offset + bytes);
    assert.deepEqual(got, dtype === 'q8_0' ? refQuantQ8(x) : refQuantQ4(x), dtype);
    const out = Tensor.zeros(rt, 'f32', [N, K], a);
    rt.parallel('dequantize_gguf', a, [dst.offset, out.offset, qb], N * K / 32);
    const { d, q } = decodeBlocks(dtype, got);
    const f = out.toArray();
    for (let i = 0; i < N * K; i++) assert.equal(f[i], Math.fround(d[i >> 5]! * q[i]!), `${dtype} element ${i}`);
    rt.release(dst);
    src.dispose();
    out.dispose();
  }
});

test('bad inputs name the field', () => {
  const t = Tensor.fromF32(rt, new Float32Array(33 * 2), [2, 33]);
  assert.throws(() => quantize(t, 'q8_0'), /K\) must be a positive multiple of 32, got 33/);
  assert.throws(() => fromGGUF(rt, 'q4_0', [2, 64], new Uint8Array(71)), /bytes must hold 72 bytes for q4_0 \[2, 64\], got 71/);
  assert.throws(() => fromGGUF(rt, 'q8_0', [2, 48], new Uint8Array(34)), /multiple of 32, got 48/);
  assert.throws(() => quantize(Tensor.fromI32(rt, [1], [1]), 'q8_0'), /src must be f32, got i32/);
  t.dispose();
});
