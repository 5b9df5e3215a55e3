// Row routines of the attention kernels that read K/V rows through a pointer and a stride: the
// contiguous-cache kernels (attention.ts) and the paged one (paged-attention.ts) share them, so a
// row attended through a block table has the bits of the same row in a contiguous cache.
// Not re-exported from index.ts (inline helpers, not kernels).
import { dot, hsum } from './simd';

/** out += sum over cache rows s..len-1 of p_s v_s, where vr points at row s: two rows per pass over out
 *  (half the loads and stores of the out row), then one; the order every attention row uses. */
// @ts-ignore: decorator
@inline export function addWeightedRows(sc: usize, s: i32, len: i32, vr: usize, kvStride: usize, or: usize, dim: i32): void {
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

/** out += sum over cache rows s..end-1 of p_s v_s, four rows per pass ((p0 v0 + p1 v1), then
 *  + (p2 v2 + p3 v3): addWeightedRows' pairs, two per pass over out); end - s is a multiple of 4 and
 *  vr points at row s. The decode order: a row's sum does not depend on where a pass of four starts
 *  as long as passes start at multiples of 4 from the row's first key. */
// @ts-ignore: decorator
@inline export function addWeightedQuads(sc: usize, s: i32, end: i32, vr: usize, kvStride: usize, or: usize, dim: i32): void {
  for (; s + 4 <= end; s += 4) {
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
}

/** simd.ts dot(qr, k_j) for four keys k0..k3 at once, each in dot's order; returns nothing, stores
 *  the four scores times scale at sc. */
// @ts-ignore: decorator
@inline export function scores4(qr: usize, k0: usize, kStride: usize, dim: i32, scale: f32, sc: usize): void {
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


/** sc[0 .. n) = (q . k_s) * scale for n keys `kStride` bytes apart from kr, each key's dot in
 *  simd.ts dot's order (four keys per pass, then one by one). */
// @ts-ignore: decorator
@inline export function scoreRows(qr: usize, kr: usize, kStride: usize, n: i32, dim: i32, scale: f32, sc: usize): void {
  let s = 0;
  for (; s + 4 <= n; s += 4) {
    scores4(qr, kr, kStride, dim, scale, sc + (<usize>s << 2));
    kr += kStride << 2;
  }
  for (; s < n; s++) {
    store<f32>(sc + (<usize>s << 2), dot(qr, kr, dim) * scale);
    kr += kStride;
  }
}
