// Token embedding lookup: f32/f16/bf16 tables, and q8_0/q4_0 tables (x4 layout) expanded row by row.
import { isKType, isQuantized } from '../dtype.js';
import { kEmbedding } from './kquant.js';
import type { Tensor } from '../tensor.js';
import { quantBytes } from './quant.js';
import { arenaOf, expectRank, expectTokenIds, minRowsPerThread, outputTensor } from './util.js';

/**
 * out[t] = table[ids[t]] as f32. table: f32|f16|bf16|q8_0|q4_0 [V, H]; ids: i32 [T]; out (optional): f32 [T, H].
 * Throws a RangeError naming the first id outside [0, V).
 */
export function embedding(table: Tensor, ids: Tensor, out?: Tensor): Tensor {
  const op = 'embedding';
  if (isKType(table.dtype)) return kEmbedding(table, ids, out);
  if (!['f32', 'f16', 'bf16', 'q8_0', 'q4_0'].includes(table.dtype)) {
    throw new TypeError(`${op}: table must be f32|f16|bf16|q8_0|q4_0, got ${table.dtype}`);
  }
  expectRank(op, 'table', table, 2);
  const [v, h] = table.shape as [number, number];
  const arena = arenaOf(op, { table, ids });
  const t = expectTokenIds(op, ids, v, arena);
  const o = outputTensor(op, table, out, 'f32', [t, h], arena);
  if (isQuantized(table.dtype)) {
    table.rt.parallel('dequantize_rows_x4', arena, [table.offset, v, h, quantBytes(table.dtype), ids.offset, o.offset], t, 1, minRowsPerThread(h));
  } else {
    table.rt.parallel(`embed_${table.dtype}`, arena, [table.offset, ids.offset, o.offset, h], t, 1, minRowsPerThread(h));
  }
  return o;
}
