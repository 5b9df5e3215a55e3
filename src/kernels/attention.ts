// Causal grouped-query attention of T new query tokens over a KV cache.
import { divideBy, dot, expShifted, rowMax } from './simd';

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
  const sc = scratch;
  for (let u = start; u < end; u++) {
    const t = u / hq;
    const h = u - t * hq;
    const kvOff = <usize>(h / group) * rowBytes;
    const qr = q + <usize>u * rowBytes;
    const len = pos0 + t + 1;
    // scores[s] = q . k_s / sqrt(dim)
    let kr = k + kvOff;
    for (let s = 0; s < len; s++) {
      store<f32>(sc + (<usize>s << 2), dot(qr, kr, dim) * scale);
      kr += cacheRowBytes;
    }
    const sum = expShifted(sc, sc, len, rowMax(sc, len));
    divideBy(sc, len, sum);
    // out = sum_s p_s v_s, accumulated over s in order.
    const or = out + <usize>u * rowBytes;
    memory.fill(or, 0, rowBytes);
    let vr = v + kvOff;
    let s = 0;
    // Two cache rows per pass over out: half the loads and stores of the out row.
    for (; s + 2 <= len; s += 2) {
      const p0 = load<f32>(sc + (<usize>s << 2));
      const p1 = load<f32>(sc + (<usize>s << 2), 4);
      const vp0 = f32x4.splat(p0);
      const vp1 = f32x4.splat(p1);
      const vr1 = vr + cacheRowBytes;
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
      vr += cacheRowBytes << 1;
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
      vr += cacheRowBytes;
    }
  }
}

