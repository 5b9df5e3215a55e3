import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16BitsToF32, bitsToF32, f16BitsToF32, f32Bits, f32ToBf16Bits, f32ToF16Bits } from '../../../src/tensor/half.js';
import { convert, toF32Array } from '../../../src/tensor/ops/convert.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { rng, runtime, withOneAndTwoThreads } from './helpers.js';

// ---- independent bit-level references (no shared code with src/) ----

/** f16 value by the IEEE formula; NaN for NaN patterns. */
function refF16Value(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? NaN : s * Infinity;
  return e === 0 ? s * m * Math.pow(2, -24) : s * Math.pow(2, e - 15) * (1 + m / 1024);
}

// Every finite non-negative f16 value, ascending (bits 0 .. 0x7bff are monotonic).
const F16_POS = Array.from({ length: 0x7c00 }, (_, h) => refF16Value(h));

/** Nearest f16 to an f32 value by search, ties to even mantissa, beyond max+half-ulp to inf. */
function refF32ToF16(x: number): number | 'nan' {
  if (Number.isNaN(x)) return 'nan';
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // 65520 = max f16 (65504) + half its ulp: from there on, rounding goes to inf.
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = F16_POS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (F16_POS[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === F16_POS.length - 1) return sign | lo;
  const dLo = a - F16_POS[lo]!;
  const dHi = F16_POS[lo + 1]! - a;
  if (dLo < dHi) return sign | lo;
  if (dHi < dLo) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}

/** Nearest bf16 by comparing the two neighbouring truncations in float64, ties to even. */
function refF32ToBf16(bits: number): number | 'nan' {
  const x = bitsToF32(bits);
  if (Number.isNaN(x)) return 'nan';
  const sign = bits >>> 31 ? 0x8000 : 0;
  const a = Math.abs(x);
  const t = (bits >>> 16) & 0x7fff;
  const lo = bitsToF32(t << 16);
  // The next bf16 up; past the largest finite one, the next step is 2^128 (rounds to inf).
  const hi = t === 0x7f7f ? 2 ** 128 : t === 0x7f80 ? Infinity : bitsToF32((t + 1) << 16);
  if (a === lo) return sign | t;
  const dLo = a - lo;
  const dHi = hi - a;
  const up = dHi < dLo || (dHi === dLo && t % 2 === 1);
  return sign | (up ? t + 1 : t);
}

const EDGE_F32 = [
  0, -0, 1, -1, 65504, -65504, 65519.99, 65520, 65536, 1e10, Infinity, -Infinity, NaN,
  2 ** -14, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0000001, 3 * 2 ** -25, 2 ** -26, 2 ** -14 - 2 ** -25,
  1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -30, 2049, 2051, -(2 ** -24), 5.960464477539063e-8,
  3.4028234663852886e38, 1.401298464324817e-45, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20,
];

function edgeAndRandomBits(n: number, seed: number): Uint32Array {
  const r = rng(seed);
  const bits = new Uint32Array(EDGE_F32.length + n + 4);
  EDGE_F32.forEach((x, i) => (bits[i] = f32Bits(x)));
  let k = EDGE_F32.length;
  // Payload-carrying NaNs of both signs, signalling and quiet.
  bits[k++] = 0x7f800001;
  bits[k++] = 0xffc12345;
  bits[k++] = 0x7fa00000;
  bits[k++] = 0xff800100;
  for (let i = 0; i < n; i++) {
    const u = Math.floor(r() * 2 ** 32);
    // Half the samples near the f16 range, where the interesting rounding happens.
    bits[k++] = i % 2 ? u : ((u & 0x80000000) | ((100 + (u % 50)) << 23) | (u & 0x7fffff)) >>> 0;
  }
  return bits;
}

function assertNaNBits16(got: number, srcBits: number, what: string, isF16: boolean): void {
  const expSet = isF16 ? (got & 0x7c00) === 0x7c00 && (got & 0x3ff) !== 0 : (got & 0x7f80) === 0x7f80 && (got & 0x7f) !== 0;
  assert.ok(expSet, `${what}: NaN ${srcBits.toString(16)} became ${got.toString(16)}, not a NaN`);
  assert.equal(got >> 15, srcBits >>> 31, `${what}: NaN sign lost`);
}

test('f16 -> f32: all 65536 bit patterns, kernel and half.ts, against the IEEE formula', async () => {
  const rt = await runtime(2);
  const h = new Uint16Array(65536).map((_, i) => i);
  const t = Tensor.fromBytes(rt, 'f16', [65536], new Uint8Array(h.buffer));
  const got = toF32Array(t);
  for (let i = 0; i < 65536; i++) {
    const want = refF16Value(i);
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(got[i]!), `kernel f16 ${i.toString(16)}`);
      assert.ok(Number.isNaN(f16BitsToF32(i)), `half.ts f16 ${i.toString(16)}`);
      // Payload and sign survive: the f32 pattern is the f16 one widened.
      assert.equal(new Uint32Array(got.buffer)[i], (((i & 0x8000) << 16) | 0x7f800000 | ((i & 0x3ff) << 13)) >>> 0);
    } else {
      assert.ok(Object.is(got[i], want), `kernel f16 ${i.toString(16)}: got ${got[i]}, want ${want}`);
      assert.ok(Object.is(f16BitsToF32(i), want), `half.ts f16 ${i.toString(16)}`);
    }
  }
  t.dispose();
});

test('bf16 -> f32: all 65536 bit patterns', async () => {
  const rt = await runtime(1);
  const h = new Uint16Array(65536).map((_, i) => i);
  const t = Tensor.fromBytes(rt, 'bf16', [65536], new Uint8Array(h.buffer));
  const got = new Uint32Array(toF32Array(t).buffer);
  for (let i = 0; i < 65536; i++) {
    assert.equal(got[i], (i << 16) >>> 0, `kernel bf16 ${i.toString(16)}`);
    assert.ok(Object.is(bf16BitsToF32(i), bitsToF32(i << 16)) || Number.isNaN(bf16BitsToF32(i)), `half.ts bf16 ${i}`);
  }
});

test('f32 -> f16 and f32 -> bf16: edge cases and 200k random patterns, exact', async () => {
  const rt = await runtime(2);
  const bits = edgeAndRandomBits(200_000, 7);
  const src = Tensor.fromF32(rt, new Float32Array(bits.buffer), [bits.length]);
  const h = convert(src, 'f16');
  const b = convert(src, 'bf16');
  assert.equal(h.dtype, 'f16');
  const hb = new Uint16Array(h.bytes().slice().buffer);
  const bb = new Uint16Array(b.bytes().slice().buffer);
  for (let i = 0; i < bits.length; i++) {
    const x = bitsToF32(bits[i]!);
    const wantH = refF32ToF16(x);
    const wantB = refF32ToBf16(bits[i]!);
    if (wantH === 'nan') {
      assertNaNBits16(hb[i]!, bits[i]!, `f16 [${i}]`, true);
      assertNaNBits16(bb[i]!, bits[i]!, `bf16 [${i}]`, false);
      assert.equal(f32ToF16Bits(x), hb[i], `half.ts f16 NaN [${i}]`);
      assert.equal(f32ToBf16Bits(x), bb[i], `half.ts bf16 NaN [${i}]`);
      continue;
    }
    assert.equal(hb[i], wantH, `f16 of ${x} (bits ${bits[i]!.toString(16)}): got ${hb[i]!.toString(16)}, want ${wantH.toString(16)}`);
    assert.equal(bb[i], wantB, `bf16 of ${x}: got ${bb[i]!.toString(16)}, want ${(wantB as number).toString(16)}`);
    assert.equal(f32ToF16Bits(x), wantH, `half.ts f16 of ${x}`);
    assert.equal(f32ToBf16Bits(x), wantB, `half.ts bf16 of ${x}`);
  }
  // Spot checks of the rules themselves, so a wrong reference cannot pass silently.
  assert.equal(f32ToF16Bits(65520), 0x7c00);
  assert.equal(f32ToF16Bits(65519.99), 0x7bff);
  assert.equal(f32ToF16Bits(2 ** -25), 0); // tie between 0 and the smallest subnormal: even (0)
  assert.equal(f32ToF16Bits(3 * 2 ** -25), 2); // tie between 1 and 2 subnormal units: even (2)
  assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie: down to even
  assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie: up to even
  assert.equal(f32ToF16Bits(-0), 0x8000);
  assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80);
  assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(f32ToBf16Bits(3.4028234663852886e38), 0x7f80);
  assert.equal(f32ToBf16Bits(NaN) & 0x7fc0, 0x7fc0);
  for (const t of [src, h, b]) t.dispose();
});

test('f16 <-> bf16 directly equals the trip through f32; same dtype copies', async () => {
  const rt = await runtime(1);
  const all = new Uint16Array(65536).map((_, i) => i);
  for (const [from, to, dec, enc] of [
    ['f16', 'bf16', f16BitsToF32, f32ToBf16Bits],
    ['bf16', 'f16', bf16BitsToF32, f32ToF16Bits],
  ] as const) {
    const t = Tensor.fromBytes(rt, from, [256, 256], new Uint8Array(all.buffer));
    const out = convert(t, to);
    assert.deepEqual(out.shape, [256, 256]);
    const got = new Uint16Array(out.bytes().slice().buffer);
    for (let i = 0; i < 65536; i++) assert.equal(got[i], enc(dec(i)), `${from}->${to} of ${i.toString(16)}`);
    const same = convert(t, from);
    assert.deepEqual(same.bytes(), t.bytes());
  }
});

test('convert into another arena, and odd sizes', async () => {
  const rt = await runtime(2);
  const other = rt.newArena();
  for (const n of [1, 3, 17, 33, 4097]) {
    const x = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37);
    const src = Tensor.fromF32(rt, x, [n]);
    const h = convert(src, 'f16', other);
    assert.equal(h.arena, other);
    const back = toF32Array(h);
    for (let i = 0; i < n; i++) assert.equal(back[i], f16BitsToF32(f32ToF16Bits(x[i]!)), `n=${n} [${i}]`);
  }
});

test('conversion is bit-identical on 1 and 2 threads', async () => {
  await withOneAndTwoThreads((rt1, rt2) => {
    const bits = edgeAndRandomBits(100_003, 11);
    const outs = [rt1, rt2].map((rt) => {
      const src = Tensor.fromF32(rt, new Float32Array(bits.buffer), [bits.length]);
      return [convert(src, 'f16'), convert(src, 'bf16')].map((t) => t.bytes().slice());
    });
    assert.deepEqual(outs[0], outs[1]);
  });
});

test('convert rejects other dtypes, naming the operand', async () => {
  const rt = await runtime(1);
  const ids = Tensor.fromI32(rt, [1, 2], [2]);
  assert.throws(() => convert(ids, 'f32'), /convert: src must be f32\|f16\|bf16, got i32/);
  const x = Tensor.fromF32(rt, [1], [1]);
  assert.throws(() => convert(x, 'q8_0' as never), /target dtype/);
  assert.throws(() => toF32Array(ids), /toF32Array: t must be/);
});
