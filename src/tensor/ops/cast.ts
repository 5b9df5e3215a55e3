// Writes f32 values into a tensor of any weight dtype, in place: the one step every weight loader
// and initializer ends with (quantized outputs use llama.cpp's reference quantizer).
import { isKType, QROWS } from '../dtype.js';
import { kQuantizeInto } from './kquant.js';
import { expectShape, sameArena, type Tensor } from '../tensor.js';
import { quantBytes } from './quant.js';
import { MIN_ELEMENTS_PER_THREAD } from './util.js';

/** out = src cast to out's dtype. src: f32; out: f32|f16|bf16|q8_0|q4_0 of the same shape, same arena.
 *  For quantized outputs, src's rows start a group of 4 (slices of out at multiples of 4 rows). */
export function castInto(src: Tensor, out: Tensor): Tensor {
  const op = 'castInto';
  expectShape(op, 'src', src, 'f32', out.shape);
  const arena = sameArena(op, src, out);
  const rt = src.rt;
  if (isKType(out.dtype)) {
    kQuantizeInto(rt, arena, out.dtype, src.offset, out.offset, src.rows, src.cols);
    return out;
  }
  switch (out.dtype) {
    case 'f32':
      arena.u8.copyWithin(out.offset, src.offset, src.offset + src.byteLength);
      break;
    case 'f16':
    case 'bf16':
      rt.parallel(`convert_f32_${out.dtype}`, arena, [src.offset, out.offset], src.numel, 8, MIN_ELEMENTS_PER_THREAD);
      break;
    case 'q8_0':
    case 'q4_0': {
      const rows = src.rows;
      const padded = Math.ceil(rows / QROWS) * QROWS;
      rt.parallel('quantize_x4', arena, [src.offset, out.offset, rows, src.cols, quantBytes(out.dtype)], padded, QROWS, QROWS * 4);
      break;
    }
    default:
      throw new TypeError(`${op}: out must be f32|f16|bf16|q8_0|q4_0, got ${out.dtype}`);
  }
  return out;
}
