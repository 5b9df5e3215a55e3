// Causal grouped-query attention over a paged KV cache: the keys and values of a sequence live in
// fixed-size blocks of a pool, found through the sequence's block table (vLLM's PagedAttention).
// One call covers every token of a serving step, from any number of sequences (decodes and prompt
// chunks alike): each token names its sequence's table row and its position.
//
// A row is attended block by block with attention.ts' decode arithmetic: scores four keys per pass,
// one softmax over the whole row, values four rows per pass. With blocks of a multiple of 4 tokens
// every pass starts at a multiple of 4 from the row's first key, as in the contiguous kernel, so a
// token gets the bits attention_f32 gives it over a contiguous cache holding the same rows.
import { addWeightedQuads, addWeightedRows, scoreRows } from './attention-rows';
import { divideBy, expShifted, rowMax } from './simd';

/**
 * Units u in [start, end) are (token t = u / hq, query head h = u % hq) of the step's T tokens:
 *   q, out: f32 [T, hq, dim] (q roped);
 *   kPool, vPool: f32 [blocks, blockTokens, hkv, dim];
 *   tables: i32 [S, maxBlocks], block ids of each sequence's positions 0, blockTokens, 2 blockTokens...;
 *   seqOf: i32 [T], the table row of token t; positions: i32 [T], its position p: it sees keys 0 ..= p
 *   of its sequence (its own among them, already written).
 * Head h reads kv head h / (hq / hkv). Scores (p + 1 floats) live in the thread's scratch (size
 * checked by the caller, as are every block id and position).
 */
export function paged_attention_f32(
  q: usize, kPool: usize, vPool: usize, out: usize, hq: i32, hkv: i32, dim: i32, blockTokens: i32,
  tables: usize, maxBlocks: i32, seqOf: usize, positions: usize, scale: f32,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const rowBytes = <usize>dim << 2;
  const kvStride = <usize>hkv * rowBytes;
  const blockBytes = <usize>blockTokens * kvStride;
  const sc = scratch;
  for (let u = start; u < end; u++) {
    const t = u / hq;
    const h = u - t * hq;
    const kvOff = <usize>(h / group) * rowBytes;
    const table = tables + (<usize>load<i32>(seqOf + (<usize>t << 2)) * <usize>maxBlocks << 2);
    const len = load<i32>(positions + (<usize>t << 2)) + 1;
    const qr = q + <usize>u * rowBytes;
    const or = out + <usize>u * rowBytes;
    // scores, block by block
    let b = 0;
    for (let s0 = 0; s0 < len; s0 += blockTokens) {
      const block = <usize>load<i32>(table + (<usize>b << 2));
      const n = min(blockTokens, len - s0);
      scoreRows(qr, kPool + block * blockBytes + kvOff, kvStride, n, dim, scale, sc + (<usize>s0 << 2));
      b++;
    }
    divideBy(sc, len, expShifted(sc, sc, len, rowMax(sc, len)));
    memory.fill(or, 0, rowBytes);
    // out = sum_s p_s v_s, block by block: whole passes of four rows, the rest (pairs, then one)
    b = 0;
    for (let s0 = 0; s0 < len; s0 += blockTokens) {
      const vr = vPool + <usize>load<i32>(table + (<usize>b << 2)) * blockBytes + kvOff;
      const n = min(blockTokens, len - s0);
      const quads = n & ~3;
      addWeightedQuads(sc, s0, s0 + quads, vr, kvStride, or, dim);
      addWeightedRows(sc, s0 + quads, s0 + n, vr + <usize>quads * kvStride, kvStride, or, dim);
      b++;
    }
  }
}

/**
 * Copies the step's new K and V rows into their pool slots: row t of k / v ([T, hkv, dim]) goes to
 * slot slots[t] (= block * blockTokens + offset in the block) of kPool / vPool. Units are tokens.
 */
export function paged_kv_write_f32(
  k: usize, v: usize, kPool: usize, vPool: usize, rowBytes: i32, slots: usize,
  start: i32, end: i32, scratch: usize,
): void {
  for (let t = start; t < end; t++) {
    const dst = <usize>load<i32>(slots + (<usize>t << 2)) * <usize>rowBytes;
    const src = <usize>t * <usize>rowBytes;
    memory.copy(kPool + dst, k + src, rowBytes);
    memory.copy(vPool + dst, v + src, rowBytes);
  }
}
