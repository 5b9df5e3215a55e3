// Paged attention over an int8 KV cache (`--kv-type int8`): a quarter of the f32 cache's bytes.
// Each (block, kv head) has one f32 scale; an element is q * scale with q in [-127, 127]. A layer's
// K (and V) region: scales f32 [blocks, hkv] at `s`, quants i8 [blocks, blockTokens, hkv, dim] at
// `q`. Rows of a block are written in position order (a block is filled from its first row); when a
// row's largest magnitude exceeds what the block's scale reaches, the scale grows and the block's
// earlier rows of that head are requantized to it.
import { divideBy, expShifted, hsum, rowMax } from './simd';

/** sum_i q[i] * f32(k[i]) for dim int8 k: two lane accumulators over blocks of 8, then a scalar tail. */
// @ts-ignore: decorator
@inline function dotI8(qr: usize, kr: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= dim; i += 8) {
    const w = v128.load8x8_s(kr + <usize>i);
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(qr + o), f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w))));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(qr + o, 16), f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w))));
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < dim; i++) s += load<f32>(qr + (<usize>i << 2)) * <f32>load<i8>(kr + <usize>i);
  return s;
}

/** or[i] += w * f32(v[i]) for dim int8 v. */
// @ts-ignore: decorator
@inline function addScaledI8(or: usize, vr: usize, w: f32, dim: i32): void {
  const vw = f32x4.splat(w);
  let i = 0;
  for (; i + 8 <= dim; i += 8) {
    const x = v128.load8x8_s(vr + <usize>i);
    const o = <usize>i << 2;
    v128.store(or + o, f32x4.add(v128.load(or + o), f32x4.mul(vw, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(x)))));
    v128.store(or + o, f32x4.add(v128.load(or + o, 16), f32x4.mul(vw, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(x)))), 16);
  }
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    store<f32>(or + o, load<f32>(or + o) + w * <f32>load<i8>(vr + <usize>i));
  }
}

/**
 * paged_attention_f32 over int8 pools: units (token t = u / hq, query head h = u % hq); q, out f32
 * [T, hq, dim]; kq/ks, vq/vs the layer's K and V regions (quants, scales) as above; tables, seqOf,
 * positions as in paged_attention_f32. Scores (p + 1 floats) in the thread's scratch.
 */
export function paged_attention_i8(
  q: usize, kq: usize, ks: usize, vq: usize, vs: usize, out: usize, hq: i32, hkv: i32, dim: i32, blockTokens: i32,
  tables: usize, maxBlocks: i32, seqOf: usize, positions: usize, scale: f32,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const rowBytes = <usize>dim << 2;
  const kvStride = <usize>hkv * <usize>dim;
  const blockBytes = <usize>blockTokens * kvStride;
  const sc = scratch;
  for (let u = start; u < end; u++) {
    const t = u / hq;
    const h = u - t * hq;
    const g = h / group;
    const table = tables + (<usize>load<i32>(seqOf + (<usize>t << 2)) * <usize>maxBlocks << 2);
    const len = load<i32>(positions + (<usize>t << 2)) + 1;
    const qr = q + <usize>u * rowBytes;
    const or = out + <usize>u * rowBytes;
    let b = 0;
    for (let s0 = 0; s0 < len; s0 += blockTokens) {
      const block = <usize>load<i32>(table + (<usize>b << 2));
      const sk = load<f32>(ks + ((block * <usize>hkv + <usize>g) << 2)) * scale;
      let kr = kq + block * blockBytes + <usize>g * <usize>dim;
      const n = min(blockTokens, len - s0);
      for (let j = 0; j < n; j++) {
        store<f32>(sc + (<usize>(s0 + j) << 2), dotI8(qr, kr, dim) * sk);
        kr += kvStride;
      }
      b++;
    }
    divideBy(sc, len, expShifted(sc, sc, len, rowMax(sc, len)));
    memory.fill(or, 0, rowBytes);
    b = 0;
    for (let s0 = 0; s0 < len; s0 += blockTokens) {
      const block = <usize>load<i32>(table + (<usize>b << 2));
      const sv = load<f32>(vs + ((block * <usize>hkv + <usize>g) << 2));
      let vr = vq + block * blockBytes + <usize>g * <usize>dim;
      const n = min(blockTokens, len - s0);
      for (let j = 0; j < n; j++) {
        addScaledI8(or, vr, load<f32>(sc + (<usize>(s0 + j) << 2)) * sv, dim);
        vr += kvStride;
      }
      b++;
    }
  }
}

/** Quantizes one f32 row x [dim] into row r of block b, head g of a region (see the file comment). */
// @ts-ignore: decorator
@inline function writeRowI8(x: usize, qBase: usize, sBase: usize, b: usize, r: i32, g: i32, hkv: i32, dim: i32, blockTokens: i32): void {
  const kvStride = <usize>hkv * <usize>dim;
  const head = qBase + b * <usize>blockTokens * kvStride + <usize>g * <usize>dim;
  const sp = sBase + ((b * <usize>hkv + <usize>g) << 2);
  // A block's first row starts its scale afresh (the block may hold an earlier sequence's rows).
  let s: f32 = r === 0 ? 0 : load<f32>(sp);
  let m: f32 = 0;
  for (let i = 0; i < dim; i++) m = max(m, abs(load<f32>(x + (<usize>i << 2))));
  if (m > s * 127) {
    const s2 = m / 127;
    if (s > 0) {
      const ratio = s / s2;
      for (let rr = 0; rr < r; rr++) {
        const row = head + <usize>rr * kvStride;
        for (let i = 0; i < dim; i++) store<i8>(row + <usize>i, <i8><i32>nearest(<f32>load<i8>(row + <usize>i) * ratio));
      }
    }
    s = s2;
  }
  store<f32>(sp, s);
  const inv: f32 = s > 0 ? 1 / s : 0;
  const row = head + <usize>r * kvStride;
  for (let i = 0; i < dim; i++) {
    const v = min<f32>(127, max<f32>(-127, nearest(load<f32>(x + (<usize>i << 2)) * inv)));
    store<i8>(row + <usize>i, <i8><i32>v);
  }
}

/**
 * Writes the step's new K and V rows (f32 [count, hkv, dim]) into the int8 regions at their slots
 * (i32 [count], block * blockTokens + offset), in token order. Runs on one thread: rows of one block
 * share its scale.
 */
export function paged_kv_write_i8(
  k: usize, v: usize, kq: usize, ks: usize, vq: usize, vs: usize, hkv: i32, dim: i32, blockTokens: i32, slots: usize, count: i32,
): void {
  const rowBytes = <usize>dim << 2;
  for (let t = 0; t < count; t++) {
    const slot = load<i32>(slots + (<usize>t << 2));
    const b = slot / blockTokens;
    const r = slot - b * blockTokens;
    for (let g = 0; g < hkv; g++) {
      const off = (<usize>t * <usize>hkv + <usize>g) * rowBytes;
      writeRowI8(k + off, kq, ks, <usize>b, r, g, hkv, dim, blockTokens);
      writeRowI8(v + off, vq, vs, <usize>b, r, g, hkv, dim, blockTokens);
    }
  }
}
