// Causal grouped-query attention: T new query tokens over a KV cache (inference), and B independent
// sequences at once (training forward). Both share one per-row routine, so their numerics agree.
import { addWeightedQuads, addWeightedRows, scoreRows } from './attention-rows';
import { attentionProbs, divideBy, expShifted, rowMax } from './simd';

/**
 * One query row: sc[0 .. len) = softmax(q . k_s * scale), then or = sum_s p_s v_s accumulated over
 * s in order. k and v rows sit `kvStride` bytes apart from kr / vr. or must not alias qr, kr, vr.
 */
// @ts-ignore: decorator
@inline function attendRow(qr: usize, kr: usize, vr: usize, kvStride: usize, or: usize, len: i32, dim: i32, scale: f32, sc: usize): void {
  const rowBytes = <usize>dim << 2;
  attentionProbs(qr, kr, kvStride, len, dim, scale, sc);
  memory.fill(or, 0, rowBytes);
  addWeightedRows(sc, 0, len, vr, kvStride, or, dim);
}

// ---------------------------------------------------------------------------------------------
// Decode: the same row arithmetic as attendRow, bit for bit, with four cache rows per pass. One
// key's q.k is a chain of dependent adds (simd.ts dot: two accumulators); four keys at a time give
// eight independent chains, and four value rows per pass read and write the out row half as often
// as two. Each key's score and each out element are formed in attendRow's order.

/** attendRow with the decode passes above (same bits). */
// @ts-ignore: decorator
@inline function attendRowDecode(qr: usize, kr: usize, vr: usize, kvStride: usize, or: usize, len: i32, dim: i32, scale: f32, sc: usize): void {
  const rowBytes = <usize>dim << 2;
  // scores: simd.ts attentionProbs, four keys per pass
  scoreRows(qr, kr, kvStride, len, dim, scale, sc);
  divideBy(sc, len, expShifted(sc, sc, len, rowMax(sc, len)));
  memory.fill(or, 0, rowBytes);
  // out += (p0 v0 + p1 v1), then += (p2 v2 + p3 v3): attendRow's pairs, two per pass over out
  const quads = len & ~3;
  addWeightedQuads(sc, 0, quads, vr, kvStride, or, dim);
  addWeightedRows(sc, quads, len, vr + <usize>quads * kvStride, kvStride, or, dim);
}

/**
 * Units u in [start, end) are (token t = u / hq, query head h = u % hq):
 *   q, out: [T, hq, dim]; k, v: [S_max, hkv, dim]; token t sits at position pos0 + t and sees
 *   cache rows 0 ..= pos0 + t; head h reads kv head h / (hq / hkv).
 * scores (pos0 + T floats at most) live in this thread's scratch (size checked by the caller).
 */
export function attention_f32(
  q: usize, k: usize, v: usize, out: usize, hq: i32, hkv: i32, dim: i32, pos0: i32, scale: f32,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const rowBytes = <usize>dim << 2;
  const cacheRowBytes = <usize>hkv * rowBytes;
  for (let u = start; u < end; u++) {
    const t = u / hq;
    const h = u - t * hq;
    const kvOff = <usize>(h / group) * rowBytes;
    const qr = q + <usize>u * rowBytes;
    attendRowDecode(qr, k + kvOff, v + kvOff, cacheRowBytes, out + <usize>u * rowBytes, pos0 + t + 1, dim, scale, scratch);
  }
}

/**
 * Training forward over B independent sequences of T tokens. Units u in [start, end) are
 * (sequence b, token t, query head h) in that order (u = (b * T + t) * hq + h):
 *   q, out: [B, T, hq, dim]; k, v: [B, T, hkv, dim]; token t sees tokens 0 ..= t of its own
 *   sequence; head h reads kv head h / (hq / hkv). scores (T floats) live in the thread's scratch.
 * segs (0: none): i32 [B, T], the position in its row where each token's segment starts (packed
 * samples): token t then sees tokens segs[t] ..= t only, the row computed exactly as if its segment
 * were a sequence of its own (the same keys in the same order: the same bits).
 */
export function attention_train_f32(
  q: usize, k: usize, v: usize, out: usize, seqLen: i32, hq: i32, hkv: i32, dim: i32, scale: f32, segs: usize,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const rowBytes = <usize>dim << 2;
  const kvStride = <usize>hkv * rowBytes;
  for (let u = start; u < end; u++) {
    const bt = u / hq;
    const h = u - bt * hq;
    const b = bt / seqLen;
    const t = bt - b * seqLen;
    const first = segs != 0 ? load<i32>(segs + (<usize>bt << 2)) : 0;
    const kvOff = (<usize>b * <usize>seqLen + <usize>first) * kvStride + <usize>(h / group) * rowBytes;
    attendRow(q + <usize>u * rowBytes, k + kvOff, v + kvOff, kvStride, out + <usize>u * rowBytes, t + 1 - first, dim, scale, scratch);
  }
}
