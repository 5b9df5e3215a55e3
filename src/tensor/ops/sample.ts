// Picking tokens from a logits row: argmax and top-k (single-threaded kernels).
//
// NaN: NaN logits are skipped, as if absent. argmax of a row with no non-NaN value throws;
// topK returns fewer than k entries when fewer than k values are not NaN. -inf counts as a value.
import type { Tensor } from '../tensor.js';
import { expectDType } from './util.js';

function checkRow(op: string, row: Tensor): void {
  expectDType(op, 'logits', row, ['f32']);
  if (row.rank < 1 || row.rows !== 1) throw new RangeError(`${op}: logits must be one row ([V] or [1, V]), got [${row.shape.join(', ')}]`);
}

/** Index of the largest value of an f32 row (the first one on ties). */
export function argmax(logits: Tensor): number {
  checkRow('argmax', logits);
  const i = logits.rt.call('argmax_f32', logits.arena, logits.offset, logits.numel);
  if (i < 0) throw new RangeError(`argmax: every one of the ${logits.numel} values is NaN (or the row is empty)`);
  return i;
}

export interface TopK {
  /** Indices of the largest values, largest first; equal values: lower index first. */
  indices: Int32Array;
  values: Float32Array;
}

/** The k largest values of an f32 row with their indices, sorted descending. */
export function topK(logits: Tensor, k: number): TopK {
  const op = 'topK';
  checkRow(op, logits);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`${op}: k must be an integer >= 0, got ${k}`);
  const rt = logits.rt;
  const arena = logits.arena;
  const kk = Math.min(k, logits.numel);
  // The heap (indices then values) lives in the calling thread's scratch: no allocation per call.
  if (kk * 8 > rt.scratchBytesPerThread) throw new RangeError(`${op}: k = ${k} needs ${kk * 8} bytes of scratch, more than ${rt.scratchBytesPerThread}`);
  const idxs = rt.scratch(arena, 0);
  const vals = idxs + kk * 4;
  const count = rt.call('topk_f32', arena, logits.offset, logits.numel, kk, idxs, vals);
  return {
    indices: arena.i32.slice(idxs / 4, idxs / 4 + count),
    values: arena.f32.slice(vals / 4, vals / 4 + count),
  };
}
