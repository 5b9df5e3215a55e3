// Backward of the embedding lookup: each token's gradient row added into its table row.
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectNoOverlap, expectRank, MIN_ELEMENTS_PER_THREAD } from './util.js';

/**
 * dTable[ids[i]] += dx[i] (ACCUMULATED). ids: i32 [N], each in [0, V); dx: f32 [N, H];
 * dTable: f32 [V, H]. Parallel over column ranges of H, each summing tokens in order, so a row hit
 * by several tokens gets the same bits on any thread count.
 */
export function embeddingBackward(ids: Tensor, dx: Tensor, dTable: Tensor): void {
  const op = 'embeddingBackward';
  expectRank(op, 'ids', ids, 1);
  const n = ids.shape[0]!;
  expectShape(op, 'ids', ids, 'i32', [n]);
  expectRank(op, 'dTable', dTable, 2);
  const [v, h] = dTable.shape as [number, number];
  expectShape(op, 'dTable', dTable, 'f32', [v, h]);
  expectShape(op, 'dx', dx, 'f32', [n, h]);
  const arena = arenaOf(op, { ids, dx, dTable });
  expectNoOverlap(op, { dTable }, { ids, dx });
  const idv = arena.i32.subarray(ids.offset / 4, ids.offset / 4 + n);
  for (let i = 0; i < n; i++) {
    const id = idv[i]!;
    if (id < 0 || id >= v) throw new RangeError(`${op}: token id ${id} (ids[${i}]) is outside the vocabulary [0, ${v})`);
  }
  const colsPerThread = Math.max(4, Math.ceil(MIN_ELEMENTS_PER_THREAD / Math.max(1, n)));
  // One chunk per thread: every chunk walks all n tokens for its columns.
  dx.rt.parallel('embedding_backward_f32', arena, [ids.offset, dx.offset, dTable.offset, n, h], n === 0 ? 0 : h, 4, colsPerThread, 1);
}
