// Causal grouped-query attention: T new query tokens over a KV cache (inference), and B independent
// sequences at once (training forward). Both share one per-row routine, so their numerics agree.
import { attentionProbs } from './simd';

/**
 * One query row: sc[0 .. len) = softmax(q . k_s * scale), then or = sum_s p_s v_s accumulated over
 * s in order. k and v rows sit `kvStride` bytes apart from kr / vr. or must not alias qr, kr, vr.
 */
// @ts-ignore: decorator
@inline function attendRow(qr: usize, kr: usize, vr: usize, kvStride: usize, or: usize, len: i32, dim: i32, scale: f32, sc: usize): void {
  const rowBytes = <usize>dim << 2;
  attentionProbs(qr, kr, kvStride, len, dim, scale, sc);
  memory.fill(or, 0, rowBytes);
  let s = 0;
  // Two cache rows per pass over out: half the loads and stores of the out row.
  for (; s + 2 <= len; s += 2) {
    const p0 = load<f32>(sc + (<usize>s << 2));
    const p1 = load<f32>(sc + (<usize>s << 2), 4);
    const vp0 = f32x4.splat(p0);
    const vp1 = f32x4.splat(p1);
    const vr1 = vr + kvStride;
    let i = 0;
    for (; i + 4 <= dim; i += 4) {
      const o = <usize>i << 2;
      const pv = f32x4.add(f32x4.mul(vp0, v128.load(vr + o)), f32x4.mul(vp1, v128.load(vr1 + o)));
      v128.store(or + o, f32x4.add(v128.load(or + o), pv));
    }
    for (; i < dim; i++) {
      const o = <usize>i << 2;
      store<f32>(or + o, load<f32>(or + o) + (p0 * load<f32>(vr + o) + p1 * load<f32>(vr1 + o)));
    }
    vr += kvStride << 1;
  }
  for (; s < len; s++) {
    const p = load<f32>(sc + (<usize>s << 2));
    const vp = f32x4.splat(p);
    let i = 0;
    for (; i + 4 <= dim; i += 4) {
      const o = <usize>i << 2;
      v128.store(or + o, f32x4.add(v128.load(or + o), f32x4.mul(vp, v128.load(vr + o))));
    }
    for (; i < dim; i++) {
      const o = <usize>i << 2;
      store<f32>(or + o, load<f32>(or + o) + p * load<f32>(vr + o));
    }
    vr += kvStride;
  }
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
    attendRow(qr, k + kvOff, v + kvOff, cacheRowBytes, out + <usize>u * rowBytes, pos0 + t + 1, dim, scale, scratch);
  }
}

/**
 * Training forward over B independent sequences of T tokens. Units u in [start, end) are
 * (sequence b, token t, query head h) in that order (u = (b * T + t) * hq + h):
 *   q, out: [B, T, hq, dim]; k, v: [B, T, hkv, dim]; token t sees tokens 0 ..= t of its own
 *   sequence; head h reads kv head h / (hq / hkv). scores (T floats) live in the thread's scratch.
 */
export function attention_train_f32(
  q: usize, k: usize, v: usize, out: usize, seqLen: i32, hq: i32, hkv: i32, dim: i32, scale: f32,
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
    const kvOff = <usize>b * <usize>seqLen * kvStride + <usize>(h / group) * rowBytes;
    attendRow(q + <usize>u * rowBytes, k + kvOff, v + kvOff, kvStride, out + <usize>u * rowBytes, t + 1, dim, scale, scratch);
  }
}
