// The input gradient of a linear layer, dX = dY W, for a weight of any type the forward reads: f32,
// f16, bf16 go straight to the f32 GEMM (it reads B in those types); Q8_0 / Q4_0 (a frozen quantized
// base under LoRA) are dequantized a tile of rows at a time into a small f32 buffer and multiplied
// from there, so a backward pass never holds more than one tile of the weight in f32.
import { isQuantized, QROWS } from '../dtype.js';
import { expectShape, sameArena, Tensor } from '../tensor.js';
import { gemm, matmul } from './matmul.js';
import { quantBytes } from './quant.js';

/** Bytes of one dequantized tile (rows of W in f32): big enough that each GEMM has a long inner loop. */
const TILE_BYTES = 1 << 20;

/**
 * dX = dY W + beta * dX. dY: f32 [M, N]; w: [N, K] in f32|f16|bf16|q8_0|q4_0; dX: f32 [M, K].
 * For q8_0 / q4_0 the result is dY times the dequantized weight (what dequantize(w) holds), summed
 * tile by tile over N (`tileRows` rows at a time, a multiple of 4; default: 1 MiB of f32 per tile).
 */
export function linearInputGrad(dY: Tensor, w: Tensor, dX: Tensor, beta: 0 | 1, tileRows?: number): Tensor {
  const op = 'linearInputGrad';
  if (w.rank !== 2) throw new RangeError(`${op}: w must be 2-D [out, in], got [${w.shape.join(', ')}]`);
  const [n, k] = w.shape as [number, number];
  const m = dY.rows;
  expectShape(op, 'dY', dY, 'f32', [m, n]);
  expectShape(op, 'dX', dX, 'f32', [m, k]);
  if (!isQuantized(w.dtype)) return matmul(dY, w, { out: dX, beta });
  const arena = sameArena(op, dX, dY, w);
  const rt = w.rt;
  if (m === 0) return dX;
  if (tileRows !== undefined && (!Number.isInteger(tileRows) || tileRows < QROWS || tileRows % QROWS !== 0)) {
    throw new RangeError(`${op}: tileRows must be a positive multiple of ${QROWS}, got ${tileRows}`);
  }
  const rowsPerTile = tileRows ?? Math.max(QROWS, Math.floor(TILE_BYTES / (4 * k) / QROWS) * QROWS);
  const tile = Tensor.empty(rt, 'f32', [Math.min(rowsPerTile, Math.ceil(n / QROWS) * QROWS), k], arena);
  try {
    for (let r0 = 0; r0 < n; r0 += rowsPerTile) {
      const rows = Math.min(rowsPerTile, n - r0);
      // Rows r0 .. r0 + rows of W (r0 is a multiple of 4: a whole x4 group) -> tile [rows, K] f32.
      const src = w.slice(r0, rows);
      rt.parallel('dequantize_x4', arena, [src.offset, tile.offset, k, quantBytes(w.dtype)], rows, 1, Math.max(1, Math.ceil(16384 / k)));
      // dX (+)= dY[:, r0 : r0 + rows] tile      [M, rows] x [rows, K]
      gemm(rt, { arena, a: dY.offset + r0 * 4, lda: n, b: tile.offset, ldb: k, c: dX.offset, ldc: k, m, n: k, k: rows, beta: r0 === 0 ? beta : 1 });
    }
  } finally {
    tile.dispose();
  }
  return dX;
}
