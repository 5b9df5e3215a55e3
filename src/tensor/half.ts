// Scalar f16/bf16 <-> f32 bit conversions in plain TypeScript, for tests and file loaders.
// They follow the same rules as the wasm kernels (src/kernels/simd.ts) bit for bit:
// round to nearest even, overflow to inf, NaN stays NaN (quiet bit set, sign and top payload kept).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 bits of a number (rounded to f32 first). */
export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** The f32 whose bits are `bits`. */
export function bitsToF32(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** IEEE binary16 bits -> number (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) {
    if (m === 0) return sign * Infinity;
    // Keep the payload (and sign) like the kernel does, rather than a bare NaN.
    return bitsToF32((h & 0x8000) << 16 | 0x7f800000 | (m << 13));
  }
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** number -> IEEE binary16 bits, via f32 (the value is first rounded to f32, as the kernels see it). */
export function f32ToF16Bits(x: number): number {
  const bits = f32Bits(x);
  const sign = (bits >>> 16) & 0x8000;
  const a = bits & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00 | ((a & 0x7fffff) >>> 13);
  if (a >= (127 + 16) << 23) return sign | 0x7c00;
  if (a < 113 << 23) {
    // Subnormal f16: the value in units of 2^-24, rounded half to even.
    const v = bitsToF32(a) * 2 ** 24;
    let r = Math.round(v);
    if (r - v === 0.5 && r % 2 !== 0) r -= 1;
    return sign | r;
  }
  const odd = (a >>> 13) & 1;
  return sign | (((a - ((127 - 15) << 23) + 0xfff + odd) >>> 13) & 0xffff);
}

/** bfloat16 bits -> number (exact). */
export function bf16BitsToF32(h: number): number {
  return bitsToF32((h & 0xffff) << 16);
}

/** number -> bfloat16 bits, via f32, round to nearest even. */
export function f32ToBf16Bits(x: number): number {
  const bits = f32Bits(x);
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x0040;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
