// Reference math for the quantization tests, in plain TypeScript (float64 with Math.fround where the
// C reference computes in float): independent of the kernels it checks.
const f = Math.fround;

/** IEEE binary16 bits -> number. */
export function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function roundHalfEven(v: number): number {
  const r = Math.round(v); // half up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** number (an f32 value) -> binary16 bits, round to nearest even. */
export function numberToF16(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // may round up to 0x400: still right
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e) * 1024); // 1024..2048
  if (m === 2048) {
    m = 1024;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (m - 1024);
}

/** roundf: half away from zero. */
export function roundf(v: number): number {
  const t = Math.trunc(v);
  const r = v - t;
  return r >= 0.5 ? t + 1 : r <= -0.5 ? t - 1 : t;
}

/** quantize_row_q8_0_ref: GGUF-order blocks of one or more rows (x.length multiple of 32). */
export function refQuantQ8(x: ArrayLike<number>): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 34);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 34, numberToF16(d), true);
    for (let j = 0; j < 32; j++) dv.setInt8(b * 34 + 2 + j, roundf(f(x[b * 32 + j]! * id)));
  }
  return out;
}

/** quantize_row_q4_0_ref. */
export function refQuantQ4(x: ArrayLike<number>): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 18);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -8);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 18, numberToF16(d), true);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, Math.trunc(f(f(x[b * 32 + j]! * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(f(f(x[b * 32 + 16 + j]! * id) + 8.5)));
      out[b * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

/** GGUF-order blocks -> per-block scales and integer quants (Q4_0: nibble - 8). */
export function decodeBlocks(dtype: 'q8_0' | 'q4_0', bytes: Uint8Array): { d: Float64Array; q: Int32Array } {
  const bb = dtype === 'q8_0' ? 34 : 18;
  const nb = bytes.length / bb;
  const d = new Float64Array(nb);
  const q = new Int32Array(nb * 32);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < nb; b++) {
    d[b] = f16ToNumber(dv.getUint16(b * bb, true));
    for (let j = 0; j < 32; j++) {
      if (dtype === 'q8_0') q[b * 32 + j] = dv.getInt8(b * bb + 2 + j);
      else {
        const v = bytes[b * bb + 2 + (j & 15)]!;
        q[b * 32 + j] = (j < 16 ? v & 15 : v >> 4) - 8;
      }
    }
  }
  return { d, q };
}

/** The activation scheme of the quantized GEMV: per 32-block d = amax / 127 (f32), q = roundf(x / d). */
export function refQuantAct(x: ArrayLike<number>): { d: Float64Array; q: Int32Array } {
  const nb = x.length / 32;
  const d = new Float64Array(nb);
  const q = new Int32Array(x.length);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const db = f(amax / 127);
    const id = db ? f(1 / db) : 0;
    d[b] = db;
    for (let j = 0; j < 32; j++) q[b * 32 + j] = roundf(f(x[b * 32 + j]! * id));
  }
  return { d, q };
}

/** Deterministic uniform values in [-1, 1). */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
