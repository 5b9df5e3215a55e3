// Causal grouped-query attention over a KV cache, the cache write, and the training forward over
// independent sequences.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { expectShape, type Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectNoOverlap, expectRank, outputTensor } from './util.js';

/**
 * Copies K or V rows of T new tokens into the cache at rows pos0 .. pos0 + T - 1.
 * cache: f32 [S_max, Hkv, D]; rows: f32 [T, Hkv, D] (any arena).
 */
export function writeKV(cache: Tensor, rows: Tensor, pos0: number): void {
  const op = 'writeKV';
  expectDType(op, 'cache', cache, ['f32']);
  expectRank(op, 'cache', cache, 3);
  const [sMax, hkv, d] = cache.shape as [number, number, number];
  expectDType(op, 'rows', rows, ['f32']);
  expectRank(op, 'rows', rows, 3);
  const t = rows.shape[0]!;
  expectShape(op, 'rows', rows, 'f32', [t, hkv, d]);
  if (!Number.isInteger(pos0) || pos0 < 0 || pos0 + t > sMax) {
    throw new RangeError(`${op}: rows ${pos0} .. ${pos0 + t - 1} do not fit a cache of ${sMax} positions`);
  }
  const dst = cache.offset + pos0 * hkv * d * 4;
  if (rows.arena === cache.arena) cache.arena.u8.copyWithin(dst, rows.offset, rows.offset + rows.byteLength);
  else cache.arena.u8.set(rows.bytes(), dst);
}

/**
 * Causal GQA for T new tokens at positions pos0 .. pos0 + T - 1:
 *   q: f32 [T, Hq, D] (roped); kCache, vCache: f32 [S_max, Hkv, D] holding rows 0 .. pos0 + T - 1
 *   (the new tokens' own K/V included); out (optional): f32 [T, Hq, D].
 * Token t attends to cache rows 0 ..= pos0 + t; query head h uses kv head h / (Hq / Hkv).
 * scores = q.k / sqrt(D) (f32), softmax max-subtracted, out = sum p_s v_s.
 * T >= 4 (prompt chunks) runs the tiled prefill kernel where it fits the scratch, fewer tokens the
 * per-row kernel (decode's): the two agree within about 1e-6, not bit for bit.
 */
export function attention(q: Tensor, kCache: Tensor, vCache: Tensor, pos0: number, out?: Tensor): Tensor {
  const op = 'attention';
  expectDType(op, 'q', q, ['f32']);
  expectRank(op, 'q', q, 3);
  const [t, hq, d] = q.shape as [number, number, number];
  expectDType(op, 'kCache', kCache, ['f32']);
  expectRank(op, 'kCache', kCache, 3);
  const [sMax, hkv] = kCache.shape as [number, number, number];
  expectShape(op, 'kCache', kCache, 'f32', [sMax, hkv, d]);
  expectShape(op, 'vCache', vCache, 'f32', [sMax, hkv, d]);
  if (hkv < 1 || hq % hkv !== 0) throw new RangeError(`${op}: q has ${hq} heads, not a multiple of the cache's ${hkv} kv heads`);
  if (!Number.isInteger(pos0) || pos0 < 0) throw new RangeError(`${op}: pos0 must be an integer >= 0, got ${pos0}`);
  const len = pos0 + t;
  if (len > sMax) throw new RangeError(`${op}: positions up to ${len - 1} do not fit a cache of ${sMax} positions`);
  const rt = q.rt;
  // One score row per (token, head) unit, in the thread's private scratch.
  if (len * 4 > rt.scratchBytesPerThread) {
    throw new RangeError(
      `${op}: ${len} cached positions need ${len * 4} bytes of scores, more than the ${rt.scratchBytesPerThread} bytes of scratch per thread (Runtime option scratchBytesPerThread)`,
    );
  }
  const arena = arenaOf(op, { q, kCache, vCache });
  const o = outputTensor(op, q, out, 'f32', q.shape, arena);
  if (o.arena === arena && o.offset === q.offset && t > 0) throw new Error(`${op}: out must not alias q`);
  const scale = Math.fround(1 / Math.sqrt(d));
  if (t >= PREFILL_TILED_MIN_TOKENS && d >= 1 && usePrefillTiledAttention(rt, arena, len, d)) {
    // Units query heads, split at kv-head boundaries (when there are kv heads enough for every
    // thread) so a thread's heads of one kv head share one packing of its K and V; a unit costs
    // about T * len * D multiply-adds. Packing is exact copying: any split gives the same bits.
    const tiledArgs = [q.offset, kCache.offset, vCache.offset, o.offset, hq, hkv, d, pos0, t, scale];
    rt.parallel('attention_prefill_tiled_f32', arena, tiledArgs, hq, hkv >= rt.threads ? hq / hkv : 1, 1);
    return o;
  }
  const args = [q.offset, kCache.offset, vCache.offset, o.offset, hq, hkv, d, pos0, scale];
  // One unit per (token, query head). Tried: one unit per kv group, reading each cache row once
  // for all its query heads: slower on 1 thread (8.9 vs 5.5 ms per layer for Yi-6B heads at 4096
  // positions), so the kernel stays per head; it is compute-bound, not bound by cache reads.
  // A unit costs about 2 * len * D multiply-adds: a few units per thread are worth a dispatch.
  const minUnits = Math.max(1, Math.ceil(16384 / Math.max(1, len * d)));
  rt.parallel('attention_f32', arena, args, t * hq, 1, minUnits);
  return o;
}

/** From this many new tokens on, attention runs the tiled prefill kernel (blocks of 4 query rows). */
export const PREFILL_TILED_MIN_TOKENS = 4;

/**
 * Whether the tiled prefill kernel (attention-tiled.ts) fits the thread's scratch for `len` cached
 * positions: it packs one kv head's K^T and V over all of them. Longer contexts take the per-row
 * kernel (different rounding, same math).
 */
export function usePrefillTiledAttention(rt: Runtime, arena: Arena, len: number, d: number): boolean {
  return rt.call('attention_tiled_scratch_bytes', arena, len, d, 0) <= rt.scratchBytesPerThread;
}

/**
 * Training forward: causal GQA within each of B independent sequences of T tokens.
 *   q, out: f32 [B, T, Hq, D]; k, v: f32 [B, T, Hkv, D] (roped q and k). Token t of a sequence sees
 *   tokens 0 ..= t of the same sequence; head h uses kv head h / (Hq / Hkv); scores q.k / sqrt(D).
 * segStarts (packed samples; see expectSegmentStarts): i32 [B, T], where each token's segment starts
 *   in its row; token t then sees only tokens segStarts[t] ..= t (a block-diagonal causal mask).
 * The per-row kernel's arithmetic is `attention`'s (bit-identical to running it per sequence, or per
 * segment, with pos0 = 0); the tiled kernel's rounds differently (same math).
 * out must not overlap q, k or v. Returns out. attentionBackward recomputes the softmax from q and k.
 */
export function attentionTrain(q: Tensor, k: Tensor, v: Tensor, out: Tensor, segStarts?: Tensor): Tensor {
  const op = 'attentionTrain';
  const { b, t, hq, hkv, d } = trainingAttentionShapes(op, q, k, v);
  expectShape(op, 'out', out, 'f32', q.shape);
  const rt = q.rt;
  if (t * 4 > rt.scratchBytesPerThread) {
    throw new RangeError(
      `${op}: sequences of ${t} tokens need ${t * 4} bytes of scores, more than the ${rt.scratchBytesPerThread} bytes of scratch per thread (Runtime option scratchBytesPerThread)`,
    );
  }
  const arena = arenaOf(op, { q, k, v, out });
  expectNoOverlap(op, { out }, { q, k, v });
  const segs = segStarts ? expectSegmentStarts(op, segStarts, b, t, arena) : 0;
  const scale = Math.fround(1 / Math.sqrt(d));
  const args = [q.offset, k.offset, v.offset, out.offset, t, hq, hkv, d, scale, segs];
  if (useTiledAttention(rt, arena, t, d, false)) {
    // A unit (sequence, query head) costs about T^2 D multiply-adds.
    rt.parallel('attention_train_tiled_f32', arena, args, b * hq, 1, 1);
    return out;
  }
  // A unit (one query row) costs about 2 * (t + 1) * D multiply-adds, T * D / 2 on average.
  const minUnits = Math.max(1, Math.ceil(32768 / Math.max(1, t * d)));
  rt.parallel('attention_train_f32', arena, args, b * t * hq, 1, minUnits);
  return out;
}

/**
 * Whether the tiled training kernels (attention-tiled.ts: ~5x the per-row kernels) fit the thread's
 * scratch for sequences of T tokens: they pack one kv head's whole sequence. Long sequences with the
 * default scratch take the per-row kernels (different rounding, same math).
 */
export function useTiledAttention(rt: Runtime, arena: Arena, t: number, d: number, backward: boolean): boolean {
  return rt.call('attention_tiled_scratch_bytes', arena, t, d, backward ? 1 : 0) <= rt.scratchBytesPerThread;
}

/**
 * Checks `segStarts` (i32 [B, T] in `arena`): each row is a run of segments, every token holding the
 * position in its row where its segment begins: s[0] = 0 and s[t] is s[t - 1] (same segment) or t
 * (a new one). Returns its offset (the kernels' `segs`). A RangeError names the first bad entry.
 */
export function expectSegmentStarts(op: string, segStarts: Tensor, b: number, t: number, arena: Arena): number {
  expectShape(op, 'segStarts', segStarts, 'i32', [b, t]);
  if (segStarts.arena !== arena) throw new Error(`${op}: segStarts lives in arena ${segStarts.arena.id}, the operands in arena ${arena.id}`);
  const s = arena.i32.subarray(segStarts.offset / 4, segStarts.offset / 4 + b * t);
  for (let r = 0; r < b; r++) {
    for (let i = 0; i < t; i++) {
      const x = s[r * t + i]!;
      if (x !== i && (i === 0 || x !== s[r * t + i - 1])) {
        throw new RangeError(`${op}: segStarts[${r}, ${i}] = ${x}: a token's segment starts at its own position (${i}) or where the previous token's does${i > 0 ? ` (${s[r * t + i - 1]})` : ''}`);
      }
    }
  }
  return segStarts.offset;
}

/**
 * Checks the operands of training attention (forward and backward): q f32 [B, T, Hq, D], k and v
 * f32 [B, T, Hkv, D] with Hq a multiple of Hkv. Returns the dimensions.
 */
export function trainingAttentionShapes(op: string, q: Tensor, k: Tensor, v: Tensor): { b: number; t: number; hq: number; hkv: number; d: number } {
  expectDType(op, 'q', q, ['f32']);
  expectRank(op, 'q', q, 4);
  const [b, t, hq, d] = q.shape as [number, number, number, number];
  expectDType(op, 'k', k, ['f32']);
  expectRank(op, 'k', k, 4);
  const hkv = k.shape[2]!;
  expectShape(op, 'k', k, 'f32', [b, t, hkv, d]);
  expectShape(op, 'v', v, 'f32', [b, t, hkv, d]);
  if (hkv < 1 || hq % hkv !== 0) throw new RangeError(`${op}: q has ${hq} heads, not a multiple of k's ${hkv} kv heads`);
  if (d < 1) throw new RangeError(`${op}: head dim must be >= 1, got ${d}`);
  return { b, t, hq, hkv, d };
}
