// Rows of a float checkpoint tensor as f32 numbers, read in plain TypeScript (the AWQ fold and the
// calibration's embedding lookup read a row at a time, outside any wasm arena).
import { bf16BitsToF32, f16BitsToF32 } from '../../tensor/half.js';
import type { SourceDType } from '../source.js';
import { AwqError } from './errors.js';

export type FloatDType = 'f32' | 'f16' | 'bf16';

/** Refuses a quantized tensor: AWQ scales weights before rounding them, so it needs them unrounded. */
export function requireFloat(name: string, dtype: SourceDType): asserts dtype is FloatDType {
  if (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16') return;
  throw new AwqError(
    `tensor ${name} is ${dtype.toUpperCase()}; AWQ scales the weights before rounding them, so it needs an F32, F16 or BF16 checkpoint (a Hugging Face folder or a float GGUF), not a quantized one`,
  );
}

/** Decodes one row (out.length values) of a float encoding into out. */
export function decodeFloatRow(dtype: FloatDType, bytes: Uint8Array, out: Float32Array): void {
  const n = out.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'f32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  else if (dtype === 'f16') for (let i = 0; i < n; i++) out[i] = f16BitsToF32(dv.getUint16(i * 2, true));
  else for (let i = 0; i < n; i++) out[i] = bf16BitsToF32(dv.getUint16(i * 2, true));
}
