// Attention over a paged KV cache (vLLM's PagedAttention) and the write of new K/V rows into it:
// the serving engine's step, where the tokens of many sequences share one call and each sequence's
// keys live in blocks of a pool named by its block table. No gather into a contiguous copy.
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectRank, outputTensor } from './util.js';

/** Where the step's tokens sit: each token's sequence (a row of `tables`) and position. */
export interface PagedLayout {
  /** i32 [S, maxBlocks]: block ids of each sequence, one per blockTokens positions (unused tail entries are ignored). */
  tables: Tensor;
  /** i32 [T]: the table row of each token. */
  seqOf: Tensor;
  /** i32 [T]: each token's position in its sequence. */
  positions: Tensor;
}

/** Checks a pool [blocks, blockTokens, Hkv, D] and returns its dimensions. */
function poolShape(op: string, name: string, pool: Tensor): [number, number, number, number] {
  expectDType(op, name, pool, ['f32']);
  expectRank(op, name, pool, 4);
  return pool.shape as [number, number, number, number];
}

/**
 * Checks the layout against the pool: every token's sequence row exists and every block its
 * positions 0 ..= p reach is a block of the pool. Returns T and the largest position + 1.
 */
export function checkPagedLayout(op: string, layout: PagedLayout, blocks: number, blockTokens: number): { t: number; maxLen: number; maxBlocks: number } {
  const { tables, seqOf, positions } = layout;
  expectDType(op, 'tables', tables, ['i32']);
  expectRank(op, 'tables', tables, 2);
  const [s, maxBlocks] = tables.shape as [number, number];
  expectDType(op, 'seqOf', seqOf, ['i32']);
  expectRank(op, 'seqOf', seqOf, 1);
  const t = seqOf.shape[0]!;
  expectShape(op, 'positions', positions, 'i32', [t]);
  const i32 = tables.arena.i32;
  const tab = tables.offset / 4;
  const seq = seqOf.arena.i32.subarray(seqOf.offset / 4, seqOf.offset / 4 + t);
  const pos = positions.arena.i32.subarray(positions.offset / 4, positions.offset / 4 + t);
  // The furthest position each table row is read to, then each row's blocks up to it once.
  const reach = new Int32Array(s).fill(-1);
  let maxLen = 0;
  for (let i = 0; i < t; i++) {
    const r = seq[i]!;
    const p = pos[i]!;
    if (r < 0 || r >= s) throw new RangeError(`${op}: seqOf[${i}] = ${r} is not a row of the ${s} block tables`);
    if (p < 0 || p >= maxBlocks * blockTokens) throw new RangeError(`${op}: positions[${i}] = ${p} is outside the ${maxBlocks} blocks of ${blockTokens} tokens a table row holds`);
    reach[r] = Math.max(reach[r]!, p);
    maxLen = Math.max(maxLen, p + 1);
  }
  for (let r = 0; r < s; r++) {
    for (let b = 0; b <= Math.floor(reach[r]! / blockTokens) && reach[r]! >= 0; b++) {
      const id = i32[tab + r * maxBlocks + b]!;
      if (id < 0 || id >= blocks) throw new RangeError(`${op}: tables[${r}][${b}] = ${id} (read up to position ${reach[r]}) is not a block of the pool's ${blocks}`);
    }
  }
  return { t, maxLen, maxBlocks };
}

/**
 * out[t] = causal GQA of q[t] over keys and values 0 ..= positions[t] of its sequence, read through
 * the block table: q, out: f32 [T, Hq, D] (roped q); kPool, vPool: f32 [blocks, blockTokens, Hkv, D]
 * holding every position the tokens see (their own included); scores q.k / sqrt(D), softmax
 * max-subtracted. With blockTokens a multiple of 4 each token has the bits the contiguous per-row
 * kernel (`attention` on one token) gives it over a cache holding the same rows.
 */
export function pagedAttention(q: Tensor, kPool: Tensor, vPool: Tensor, layout: PagedLayout, out?: Tensor): Tensor {
  const op = 'pagedAttention';
  expectDType(op, 'q', q, ['f32']);
  expectRank(op, 'q', q, 3);
  const [t, hq, d] = q.shape as [number, number, number];
  const [blocks, blockTokens, hkv] = poolShape(op, 'kPool', kPool);
  expectShape(op, 'kPool', kPool, 'f32', [blocks, blockTokens, hkv, d]);
  expectShape(op, 'vPool', vPool, 'f32', [blocks, blockTokens, hkv, d]);
  if (hkv < 1 || hq % hkv !== 0) throw new RangeError(`${op}: q has ${hq} heads, not a multiple of the pool's ${hkv} kv heads`);
  const arena = arenaOf(op, { q, kPool, vPool, tables: layout.tables, seqOf: layout.seqOf, positions: layout.positions });
  const { t: tl, maxLen, maxBlocks } = checkPagedLayout(op, layout, blocks, blockTokens);
  if (tl !== t) throw new RangeError(`${op}: q has ${t} tokens but seqOf ${tl}`);
  const rt = q.rt;
  if (maxLen * 4 > rt.scratchBytesPerThread) {
    throw new RangeError(
      `${op}: ${maxLen} cached positions need ${maxLen * 4} bytes of scores, more than the ${rt.scratchBytesPerThread} bytes of scratch per thread (Runtime option scratchBytesPerThread)`,
    );
  }
  const o = outputTensor(op, q, out, 'f32', q.shape, arena);
  if (o.offset === q.offset && t > 0) throw new Error(`${op}: out must not alias q`);
  const scale = Math.fround(1 / Math.sqrt(d));
  const args = [q.offset, kPool.offset, vPool.offset, o.offset, hq, hkv, d, blockTokens, layout.tables.offset, maxBlocks, layout.seqOf.offset, layout.positions.offset, scale];
  // A unit (token, head) costs about 2 * len * D multiply-adds; the longest row bounds a chunk's cost.
  const minUnits = Math.max(1, Math.ceil(16384 / Math.max(1, maxLen * d)));
  rt.parallel('paged_attention_f32', arena, args, t * hq, 1, minUnits);
  return o;
}

/**
 * Writes the step's new rows k[t], v[t] (f32 [T, Hkv, D]) into slot slots[t] (= block *
 * blockTokens + offset; i32 [T]) of kPool / vPool (f32 [blocks, blockTokens, Hkv, D]).
 */
export function pagedWriteKV(k: Tensor, v: Tensor, kPool: Tensor, vPool: Tensor, slots: Tensor): void {
  const op = 'pagedWriteKV';
  const [blocks, blockTokens, hkv, d] = poolShape(op, 'kPool', kPool);
  expectShape(op, 'vPool', vPool, 'f32', [blocks, blockTokens, hkv, d]);
  expectRank(op, 'k', k, 3);
  const t = k.shape[0]!;
  expectShape(op, 'k', k, 'f32', [t, hkv, d]);
  expectShape(op, 'v', v, 'f32', [t, hkv, d]);
  expectShape(op, 'slots', slots, 'i32', [t]);
  const arena = arenaOf(op, { k, v, kPool, vPool, slots });
  const sv = arena.i32.subarray(slots.offset / 4, slots.offset / 4 + t);
  for (let i = 0; i < t; i++) {
    if (sv[i]! < 0 || sv[i]! >= blocks * blockTokens) throw new RangeError(`${op}: slots[${i}] = ${sv[i]} is outside the pool's ${blocks * blockTokens} slots`);
  }
  k.rt.parallel('paged_kv_write_f32', arena, [k.offset, v.offset, kPool.offset, vPool.offset, hkv * d * 4, slots.offset], t, 1, 64);
}
