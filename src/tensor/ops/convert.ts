// dtype conversion between f32, f16 and bf16 (round to nearest even; NaN/inf preserved).
import type { Arena } from '../../runtime/arena.js';
import { copyTo, Tensor } from '../tensor.js';
import { MIN_ELEMENTS_PER_THREAD, expectDType } from './util.js';

export type FloatDType = 'f32' | 'f16' | 'bf16';
const FLOATS: readonly FloatDType[] = ['f32', 'f16', 'bf16'];

/**
 * A copy of `src` in `dtype`. The result lives in `arena` when given (converted in src's arena,
 * then copied), else next to `src`. Same dtype: a plain copy.
 */
export function convert(src: Tensor, dtype: FloatDType, arena?: Arena): Tensor {
  expectDType('convert', 'src', src, FLOATS);
  if (!FLOATS.includes(dtype)) throw new TypeError(`convert: target dtype must be f32|f16|bf16, got ${dtype}`);
  const home = src.arena;
  const out = Tensor.zeros(src.rt, dtype, src.shape, home);
  if (src.dtype === dtype) {
    home.u8.copyWithin(out.offset, src.offset, src.offset + src.byteLength);
  } else {
    // Split at multiples of 8 elements so every thread's f16/bf16 output starts on a 16-byte boundary.
    src.rt.parallel(`convert_${src.dtype}_${dtype}`, home, [src.offset, out.offset], src.numel, 8, MIN_ELEMENTS_PER_THREAD);
  }
  if (arena === undefined || arena === home) return out;
  const moved = copyTo(out, arena);
  out.dispose();
  return moved;
}

/** The values of an f32, f16 or bf16 tensor as a Float32Array (a copy). */
export function toF32Array(t: Tensor): Float32Array {
  expectDType('toF32Array', 't', t, FLOATS);
  if (t.dtype === 'f32') return t.toArray();
  const tmp = convert(t, 'f32');
  try {
    return tmp.toArray();
  } finally {
    tmp.dispose();
  }
}
