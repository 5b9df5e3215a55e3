// Causal grouped-query attention: T new query tokens over a KV cache (inference), and B independent
// sequences at once (training forward). Both share one per-row routine, so their numerics agree.
import { attentionProbs, divideBy, dot, expShifted, hsum, rowMax } from './simd';

/** out += sum over cache rows s..len-1 of p_s v_s, where vr points at row s: two rows per pass over out
 *  (half the loads and stores of the out row), then one; the order every attention row uses. */
// @ts-ignore: decorator
@inline function addWeightedRows(sc: usize, s: i32, len: i32, vr: usize, kvStride: usize, or: usize, dim: i32): void {
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

/** simd.ts dot(qr, k_j) for four keys k0..k3 at once, each in dot's order; returns nothing, stores
 *  the four scores times scale at sc. */
// @ts-ignore: decorator
@inline function scores4(qr: usize, k0: usize, kStride: usize, dim: i32, scale: f32, sc: usize): void {
  const k1 = k0 + kStride;
  const k2 = k1 + kStride;
  const k3 = k2 + kStride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= dim; i += 8) {
    const o = <usize>i << 2;
    const q0 = v128.load(qr + o);
    const q1 = v128.load(qr + o, 16);
    a0 = f32x4.add(a0, f32x4.mul(q0, v128.load(k0 + o)));
    b0 = f32x4.add(b0, f32x4.mul(q1, v128.load(k0 + o, 16)));
    a1 = f32x4.add(a1, f32x4.mul(q0, v128.load(k1 + o)));
    b1 = f32x4.add(b1, f32x4.mul(q1, v128.load(k1 + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(q0, v128.load(k2 + o)));
    b2 = f32x4.add(b2, f32x4.mul(q1, v128.load(k2 + o, 16)));
    a3 = f32x4.add(a3, f32x4.mul(q0, v128.load(k3 + o)));
    b3 = f32x4.add(b3, f32x4.mul(q1, v128.load(k3 + o, 16)));
  }
  for (; i + 4 <= dim; i += 4) {
    const o = <usize>i << 2;
    const q0 = v128.load(qr + o);
    a0 = f32x4.add(a0, f32x4.mul(q0, v128.load(k0 + o)));
    a1 = f32x4.add(a1, f32x4.mul(q0, v128.load(k1 + o)));
    a2 = f32x4.add(a2, f32x4.mul(q0, v128.load(k2 + o)));
    a3 = f32x4.add(a3, f32x4.mul(q0, v128.load(k3 + o)));
  }
  let s0 = hsum(f32x4.add(a0, b0)), s1 = hsum(f32x4.add(a1, b1)), s2 = hsum(f32x4.add(a2, b2)), s3 = hsum(f32x4.add(a3, b3));
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    const q = load<f32>(qr + o);
    s0 += q * load<f32>(k0 + o);
    s1 += q * load<f32>(k1 + o);
    s2 += q * load<f32>(k2 + o);
    s3 += q * load<f32>(k3 + o);
  }
  store<f32>(sc, s0 * scale);
  store<f32>(sc, s1 * scale, 4);
  store<f32>(sc, s2 * scale, 8);
  store<f32>(sc, s3 * scale, 12);
}

/** attendRow with the decode passes above (same bits). */
// @ts-ignore: decorator
@inline function attendRowDecode(qr: usize, kr: usize, vr: usize, kvStride: usize, or: usize, len: i32, dim: i32, scale: f32, sc: usize): void {
  const rowBytes = <usize>dim << 2;
  // scores: simd.ts attentionProbs, four keys per pass
  let s = 0;
  let kp = kr;
  for (; s + 4 <= len; s += 4) {
    scores4(qr, kp, kvStride, dim, scale, sc + (<usize>s << 2));
    kp += kvStride << 2;
  }
  for (; s < len; s++) {
    store<f32>(sc + (<usize>s << 2), dot(qr, kp, dim) * scale);
    kp += kvStride;
  }
  divideBy(sc, len, expShifted(sc, sc, len, rowMax(sc, len)));
  memory.fill(or, 0, rowBytes);
  // out += (p0 v0 + p1 v1), then += (p2 v2 + p3 v3): attendRow's pairs, two per pass over out
  s = 0;
  for (; s + 4 <= len; s += 4) {
    const ps = sc + (<usize>s << 2);
    const vp0 = f32x4.splat(load<f32>(ps));
    const vp1 = f32x4.splat(load<f32>(ps, 4));
    const vp2 = f32x4.splat(load<f32>(ps, 8));
    const vp3 = f32x4.splat(load<f32>(ps, 12));
    const v1 = vr + kvStride;
    const v2 = v1 + kvStride;
    const v3 = v2 + kvStride;
    let i = 0;
    for (; i + 4 <= dim; i += 4) {
      const o = <usize>i << 2;
      const pv01 = f32x4.add(f32x4.mul(vp0, v128.load(vr + o)), f32x4.mul(vp1, v128.load(v1 + o)));
      const pv23 = f32x4.add(f32x4.mul(vp2, v128.load(v2 + o)), f32x4.mul(vp3, v128.load(v3 + o)));
      v128.store(or + o, f32x4.add(f32x4.add(v128.load(or + o), pv01), pv23));
    }
    for (; i < dim; i++) {
      const o = <usize>i << 2;
      const a = load<f32>(or + o) + (load<f32>(ps) * load<f32>(vr + o) + load<f32>(ps, 4) * load<f32>(v1 + o));
      store<f32>(or + o, a + (load<f32>(ps, 8) * load<f32>(v2 + o) + load<f32>(ps, 12) * load<f32>(v3 + o)));
    }
    vr += kvStride << 2;
  }
  addWeightedRows(sc, s, len, vr, kvStride, or, dim);
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
