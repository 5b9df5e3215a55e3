// Round-to-nearest as the written file will hold it: f32 rows encoded with the target type's own
// quantizer (llama.cpp's reference quantize_row_*_ref, the code `yi quantize` writes with) and
// decoded back, so the AWQ search measures exactly the error the file will have.
import type { Runtime } from '../../runtime/runtime.js';
import { blockBytes, isKType, kRowBytes, QK } from '../../tensor/dtype.js';
import { kDequantizeAt, kQuantizeAt } from '../../tensor/ops/kquant.js';
import { quantBytes } from '../../tensor/ops/quant.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ConvertType } from '../convert.js';

/** Whether a type rounds weights coarsely enough for AWQ to matter (every block type; not f32/f16/bf16). */
export function isRounding(t: ConvertType): boolean {
  return t !== 'f32' && t !== 'f16' && t !== 'bf16';
}

function encodedBytes(t: ConvertType, rows: number, cols: number): number {
  if (t === 'q8_0' || t === 'q4_0') return rows * (cols / QK) * blockBytes[t];
  if (isKType(t)) return rows * kRowBytes(t, cols);
  return rows * cols * 2;
}

/** out = dequantize(quantize(src, t)); src, out: f32 [rows, cols] in one arena (out may be src). */
export function roundTrip(rt: Runtime, src: Tensor, t: ConvertType, out: Tensor): void {
  const rows = src.rows;
  const cols = src.cols;
  const arena = src.arena;
  const count = rows * cols;
  if (t === 'f32') {
    if (out.offset !== src.offset) arena.u8.copyWithin(out.offset, src.offset, src.offset + count * 4);
    return;
  }
  const enc = rt.alloc(encodedBytes(t, rows, cols), arena);
  try {
    if (t === 'f16' || t === 'bf16') {
      rt.parallel(`convert_f32_${t}`, arena, [src.offset, enc.offset], count, 8, 1 << 14);
      rt.parallel(`convert_${t}_f32`, arena, [enc.offset, out.offset], count, 8, 1 << 14);
    } else if (t === 'q8_0' || t === 'q4_0') {
      rt.parallel('quantize_gguf', arena, [src.offset, enc.offset, cols, quantBytes(t)], rows, 1, Math.max(1, Math.ceil((64 * 1024) / (cols * 4))));
      rt.parallel('dequantize_gguf', arena, [enc.offset, out.offset, quantBytes(t)], count / QK, 1, 256);
    } else {
      kQuantizeAt(rt, arena, t, src.offset, enc.offset, rows, cols);
      kDequantizeAt(rt, arena, t, enc.offset, out.offset, count);
    }
  } finally {
    rt.release(enc);
  }
}
