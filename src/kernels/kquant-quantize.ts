// Reference (non-imatrix) quantizers of the k-quants, byte-identical with llama.cpp's
// quantize_row_q2_K_ref, quantize_row_q3_K_ref, quantize_row_q4_K_ref, quantize_row_q5_K_ref, quantize_row_q6_K_ref and
// quantize_row_q4_1_ref, quantize_row_q5_0_ref, quantize_row_q5_1_ref
// (ggml-quants.c, which llama-quantize runs when no importance matrix is given). llama.cpp compiles
// them without FMA contraction (ggml-base has no -march flags), so every f32 operation here is the
// same single IEEE operation in the same order; nearest_int is its own "+ 1.5 * 2^23" rounding
// (to nearest, ties to even), and fp16 conversions round to nearest even.
//
// quantize_k(src, dst, K, kt, ...): units rows of f32 [N, K] at src -> GGUF-order blocks at dst
// (kt as in kquant.ts, every k-type). Scratch: 544 bytes.
import { f16ToF32, f32ToF16 } from './simd';

const S_L: usize = 0; // u8 L[256]
const S_LAUX: usize = 256; // u8 Laux[32]
const S_W: usize = 288; // f32 weights[32]
const S_SCALES: usize = 416; // f32 scales[16]
const S_MINS: usize = 480; // f32 mins[16]

@inline
function nearestInt(v: f32): i32 {
  const t: f32 = v + <f32>12582912.0;
  return (reinterpret<i32>(t) & 0x007fffff) - 0x00400000;
}

@inline
function fx(x: usize, i: i32): f32 {
  return load<f32>(x + (<usize>i << 2));
}

@inline
function clampI(v: i32, lo: i32, hi: i32): i32 {
  return max(lo, min(hi, v));
}

/** make_qkx2_quants: L[0..n) at lp, returns the scale; the min (negated, >= 0) is stored at minp. */
function makeQkx2(n: i32, nmax: i32, x: usize, w: usize, lp: usize, minp: usize, laux: usize, rmin: f32, rdelta: f32, nstep: i32, useMad: bool): f32 {
  let mn = fx(x, 0);
  let mx = fx(x, 0);
  let sumW = fx(w, 0);
  let sumX: f32 = sumW * fx(x, 0);
  for (let i = 1; i < n; i++) {
    const xi = fx(x, i);
    if (xi < mn) mn = xi;
    if (xi > mx) mx = xi;
    const wi = fx(w, i);
    sumW += wi;
    sumX += wi * xi;
  }
  if (mn > 0) mn = 0;
  if (mx == mn) {
    for (let i = 0; i < n; i++) store<u8>(lp + i, 0);
    store<f32>(minp, -mn);
    return 0;
  }
  let iscale: f32 = <f32>nmax / (mx - mn);
  let scale: f32 = <f32>1 / iscale;
  let bestMad: f32 = 0;
  for (let i = 0; i < n; i++) {
    const l = clampI(nearestInt(iscale * (fx(x, i) - mn)), 0, nmax);
    store<u8>(lp + i, <u8>l);
    let diff: f32 = scale * <f32>l + mn - fx(x, i);
    diff = useMad ? Mathf.abs(diff) : diff * diff;
    bestMad += fx(w, i) * diff;
  }
  if (nstep < 1) {
    store<f32>(minp, -mn);
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = (rmin + rdelta * <f32>is + <f32>nmax) / (mx - mn);
    let sumL: f32 = 0, sumL2: f32 = 0, sumXL: f32 = 0;
    for (let i = 0; i < n; i++) {
      const xi = fx(x, i);
      const l = clampI(nearestInt(iscale * (xi - mn)), 0, nmax);
      store<u8>(laux + i, <u8>l);
      const wi = fx(w, i);
      const lf = <f32>l;
      sumL += wi * lf;
      sumL2 += wi * lf * lf;
      sumXL += wi * lf * xi;
    }
    const D: f32 = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      let thisScale: f32 = (sumW * sumXL - sumX * sumL) / D;
      let thisMin: f32 = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      let mad: f32 = 0;
      for (let i = 0; i < n; i++) {
        let diff: f32 = thisScale * <f32>load<u8>(laux + i) + thisMin - fx(x, i);
        diff = useMad ? Mathf.abs(diff) : diff * diff;
        mad += fx(w, i) * diff;
      }
      if (mad < bestMad) {
        memory.copy(lp, laux, <usize>n);
        bestMad = mad;
        scale = thisScale;
        mn = thisMin;
      }
    }
  }
  store<f32>(minp, -mn);
  return scale;
}

/** make_qx_quants with rmse_type 1 and no weights (Q6_K): L (as nmax + l) at lp, returns the scale. */
function makeQx(n: i32, nmax: i32, x: usize, lp: usize): f32 {
  let mx: f32 = 0;
  let amax: f32 = 0;
  for (let i = 0; i < n; i++) {
    const ax = Mathf.abs(fx(x, i));
    if (ax > amax) {
      amax = ax;
      mx = fx(x, i);
    }
  }
  if (amax < <f32>1e-15) {
    for (let i = 0; i < n; i++) store<u8>(lp + i, 0);
    return 0;
  }
  let iscale: f32 = <f32>-nmax / mx;
  let sumlx: f32 = 0;
  let suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const xi = fx(x, i);
    const l = clampI(nearestInt(iscale * xi), -nmax, nmax - 1);
    store<u8>(lp + i, <u8>(l + nmax));
    const w: f32 = xi * xi;
    const lf = <f32>l;
    sumlx += w * xi * lf;
    suml2 += w * lf * lf;
  }
  let scale: f32 = suml2 != 0 ? sumlx / suml2 : 0;
  let best: f32 = scale * sumlx;
  for (let is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(<f32>nmax + <f32>0.1 * <f32>is) / mx;
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = fx(x, i);
      const l = clampI(nearestInt(iscale * xi), -nmax, nmax - 1);
      const w: f32 = xi * xi;
      const lf = <f32>l;
      sumlx += w * xi * lf;
      suml2 += w * lf * lf;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (let i = 0; i < n; i++) store<u8>(lp + i, <u8>(nmax + clampI(nearestInt(iscale * fx(x, i)), -nmax, nmax - 1)));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/** get_scale_min_k4 from the 12 scale bytes at q. */
@inline
function scaleK4(j: i32, q: usize): i32 {
  return j < 4 ? <i32>load<u8>(q + j) & 63 : (<i32>load<u8>(q + j + 4) & 0xf) | ((<i32>load<u8>(q + j - 4) >> 6) << 4);
}

@inline
function minK4(j: i32, q: usize): i32 {
  return j < 4 ? <i32>load<u8>(q + j + 4) & 63 : (<i32>load<u8>(q + j + 4) >> 4) | ((<i32>load<u8>(q + j) >> 6) << 4);
}

/** quantize_row_q4_K_ref (nmax 15) / quantize_row_q5_K_ref (nmax 31) on one super-block. */
function quantQ45K(x: usize, y: usize, q5: bool, s: usize): void {
  const nmax = q5 ? 31 : 15;
  const L = s + S_L;
  const w = s + S_W;
  let maxScale: f32 = 0;
  let maxMin: f32 = 0;
  for (let j = 0; j < 8; j++) {
    const xj = x + (<usize>(32 * j) << 2);
    let sumX2: f32 = 0;
    for (let l = 0; l < 32; l++) sumX2 += fx(xj, l) * fx(xj, l);
    const avX = Mathf.sqrt(sumX2 / <f32>32);
    for (let l = 0; l < 32; l++) store<f32>(w + (<usize>l << 2), avX + Mathf.abs(fx(xj, l)));
    const minp = s + S_MINS + (<usize>j << 2);
    const scale = q5
      ? makeQkx2(32, 31, xj, w, L + 32 * j, minp, s + S_LAUX, -0.5, 0.1, 15, false)
      : makeQkx2(32, 15, xj, w, L + 32 * j, minp, s + S_LAUX, -1.0, 0.1, 20, false);
    store<f32>(s + S_SCALES + (<usize>j << 2), scale);
    if (scale > maxScale) maxScale = scale;
    const mn = load<f32>(minp);
    if (mn > maxMin) maxMin = mn;
  }
  const invScale: f32 = maxScale > 0 ? <f32>63 / maxScale : 0;
  const invMin: f32 = maxMin > 0 ? <f32>63 / maxMin : 0;
  const sc = y + 4;
  memory.fill(sc, 0, 12);
  for (let j = 0; j < 8; j++) {
    const ls = min<i32>(63, nearestInt(invScale * load<f32>(s + S_SCALES + (<usize>j << 2))) & 0xff);
    const lm = min<i32>(63, nearestInt(invMin * load<f32>(s + S_MINS + (<usize>j << 2))) & 0xff);
    if (j < 4) {
      store<u8>(sc + j, <u8>ls);
      store<u8>(sc + j + 4, <u8>lm);
    } else {
      store<u8>(sc + j + 4, <u8>((ls & 0xf) | ((lm & 0xf) << 4)));
      store<u8>(sc + j - 4, <u8>(<i32>load<u8>(sc + j - 4) | ((ls >> 4) << 6)));
      store<u8>(sc + j, <u8>(<i32>load<u8>(sc + j) | ((lm >> 4) << 6)));
    }
  }
  store<u16>(y, <u16>f32ToF16(maxScale / <f32>63));
  store<u16>(y + 2, <u16>f32ToF16(maxMin / <f32>63));
  const dAll = f16ToF32(<u32>load<u16>(y));
  const mAll = f16ToF32(<u32>load<u16>(y + 2));
  for (let j = 0; j < 8; j++) {
    const d: f32 = dAll * <f32>scaleK4(j, sc);
    if (d == 0) continue;
    const dm: f32 = mAll * <f32>minK4(j, sc);
    for (let ii = 0; ii < 32; ii++) {
      store<u8>(L + 32 * j + ii, <u8>clampI(nearestInt((fx(x, 32 * j + ii) + dm) / d), 0, nmax));
    }
  }
  if (q5) {
    const qh = y + 16;
    const ql = y + 48;
    memory.fill(qh, 0, 32);
    let m1 = 1, m2 = 2;
    for (let n = 0; n < 256; n += 64) {
      for (let j = 0; j < 32; j++) {
        let l1 = <i32>load<u8>(L + n + j);
        if (l1 > 15) {
          l1 -= 16;
          store<u8>(qh + j, <u8>(<i32>load<u8>(qh + j) | m1));
        }
        let l2 = <i32>load<u8>(L + n + j + 32);
        if (l2 > 15) {
          l2 -= 16;
          store<u8>(qh + j, <u8>(<i32>load<u8>(qh + j) | m2));
        }
        store<u8>(ql + (n >> 1) + j, <u8>(l1 | (l2 << 4)));
      }
      m1 <<= 2;
      m2 <<= 2;
    }
  } else {
    const q = y + 16;
    for (let j = 0; j < 256; j += 64) {
      for (let l = 0; l < 32; l++) store<u8>(q + (j >> 1) + l, <u8>(<i32>load<u8>(L + j + l) | (<i32>load<u8>(L + j + l + 32) << 4)));
    }
  }
}

/** quantize_row_q6_K_ref on one super-block. */
function quantQ6K(x: usize, y: usize, s: usize): void {
  const L = s + S_L;
  let maxScale: f32 = 0;
  let maxAbsScale: f32 = 0;
  for (let ib = 0; ib < 16; ib++) {
    const scale = makeQx(16, 32, x + (<usize>(16 * ib) << 2), L + 16 * ib);
    store<f32>(s + S_SCALES + (<usize>ib << 2), scale);
    const a = Mathf.abs(scale);
    if (a > maxAbsScale) {
      maxAbsScale = a;
      maxScale = scale;
    }
  }
  if (maxAbsScale < <f32>1e-15) {
    memory.fill(y, 0, 210);
    return;
  }
  const iscale: f32 = <f32>-128 / maxScale;
  store<u16>(y + 208, <u16>f32ToF16(<f32>1 / iscale));
  for (let ib = 0; ib < 16; ib++) {
    store<i8>(y + 192 + ib, <i8>min<i32>(127, nearestInt(iscale * load<f32>(s + S_SCALES + (<usize>ib << 2)))));
  }
  const dAll = f16ToF32(<u32>load<u16>(y + 208));
  for (let j = 0; j < 16; j++) {
    const d: f32 = dAll * <f32>load<i8>(y + 192 + j);
    if (d == 0) continue;
    for (let ii = 0; ii < 16; ii++) {
      store<u8>(L + 16 * j + ii, <u8>(clampI(nearestInt(fx(x, 16 * j + ii) / d), -32, 31) + 32));
    }
  }
  for (let j = 0; j < 256; j += 128) {
    const ql = y + (j >> 1);
    const qh = y + 128 + (j >> 2);
    for (let l = 0; l < 32; l++) {
      const a = <i32>load<u8>(L + j + l);
      const b = <i32>load<u8>(L + j + l + 32);
      const c = <i32>load<u8>(L + j + l + 64);
      const e = <i32>load<u8>(L + j + l + 96);
      store<u8>(ql + l, <u8>((a & 0xf) | ((c & 0xf) << 4)));
      store<u8>(ql + l + 32, <u8>((b & 0xf) | ((e & 0xf) << 4)));
      store<u8>(qh + l, <u8>((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6)));
    }
  }
}

/** quantize_row_q2_K_ref on one super-block. */
function quantQ2K(x: usize, y: usize, s: usize): void {
  const L = s + S_L;
  const w = s + S_W;
  let maxScale: f32 = 0;
  let maxMin: f32 = 0;
  for (let j = 0; j < 16; j++) {
    const xj = x + (<usize>(16 * j) << 2);
    for (let l = 0; l < 16; l++) store<f32>(w + (<usize>l << 2), Mathf.abs(fx(xj, l)));
    const minp = s + S_MINS + (<usize>j << 2);
    const scale = makeQkx2(16, 3, xj, w, L + 16 * j, minp, s + S_LAUX, -0.5, 0.1, 15, true);
    store<f32>(s + S_SCALES + (<usize>j << 2), scale);
    if (scale > maxScale) maxScale = scale;
    const mn = load<f32>(minp);
    if (mn > maxMin) maxMin = mn;
  }
  const q4scale: f32 = 15;
  if (maxScale > 0) {
    const iscale: f32 = q4scale / maxScale;
    for (let j = 0; j < 16; j++) store<u8>(y + j, <u8>nearestInt(iscale * load<f32>(s + S_SCALES + (<usize>j << 2))));
    store<u16>(y + 80, <u16>f32ToF16(maxScale / q4scale));
  } else {
    memory.fill(y, 0, 16);
    store<u16>(y + 80, 0);
  }
  if (maxMin > 0) {
    const iscale: f32 = q4scale / maxMin;
    for (let j = 0; j < 16; j++) store<u8>(y + j, <u8>(<i32>load<u8>(y + j) | (nearestInt(iscale * load<f32>(s + S_MINS + (<usize>j << 2))) << 4)));
    store<u16>(y + 82, <u16>f32ToF16(maxMin / q4scale));
  } else {
    store<u16>(y + 82, 0);
  }
  const dAll = f16ToF32(<u32>load<u16>(y + 80));
  const mAll = f16ToF32(<u32>load<u16>(y + 82));
  for (let j = 0; j < 16; j++) {
    const sc = <i32>load<u8>(y + j);
    const d: f32 = dAll * <f32>(sc & 0xf);
    if (d == 0) continue;
    const dm: f32 = mAll * <f32>(sc >> 4);
    for (let ii = 0; ii < 16; ii++) store<u8>(L + 16 * j + ii, <u8>clampI(nearestInt((fx(x, 16 * j + ii) + dm) / d), 0, 3));
  }
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      const v = <i32>load<u8>(L + j + l) | (<i32>load<u8>(L + j + l + 32) << 2) | (<i32>load<u8>(L + j + l + 64) << 4) | (<i32>load<u8>(L + j + l + 96) << 6);
      store<u8>(y + 16 + (j >> 2) + l, <u8>v);
    }
  }
}

/** make_q3_quants with do_rmse (Q3_K): L (as l + nmax, i8) at lp, returns the scale. */
function makeQ3(n: i32, nmax: i32, x: usize, lp: usize): f32 {
  let mx: f32 = 0;
  let amax: f32 = 0;
  for (let i = 0; i < n; i++) {
    const ax = Mathf.abs(fx(x, i));
    if (ax > amax) {
      amax = ax;
      mx = fx(x, i);
    }
  }
  if (amax < <f32>1e-15) {
    for (let i = 0; i < n; i++) store<i8>(lp + i, 0);
    return 0;
  }
  const iscale: f32 = <f32>-nmax / mx;
  let sumlx: f32 = 0;
  let suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const xi = fx(x, i);
    const l = clampI(nearestInt(iscale * xi), -nmax, nmax - 1);
    store<i8>(lp + i, <i8>l);
    const w: f32 = xi * xi;
    sumlx += w * xi * <f32>l;
    suml2 += w * <f32>l * <f32>l;
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const xi = fx(x, i);
      const w: f32 = xi * xi;
      const li = <f32>load<i8>(lp + i);
      let slx: f32 = sumlx - w * xi * li;
      if (slx > 0) {
        let sl2: f32 = suml2 - w * li * li;
        const nl = clampI(nearestInt((xi * sl2) / slx), -nmax, nmax - 1);
        if (nl != <i32>load<i8>(lp + i)) {
          slx += w * xi * <f32>nl;
          sl2 += w * <f32>nl * <f32>nl;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            store<i8>(lp + i, <i8>nl);
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (let i = 0; i < n; i++) store<i8>(lp + i, <i8>(<i32>load<i8>(lp + i) + nmax));
  return sumlx / suml2;
}

/** quantize_row_q3_K_ref on one super-block. */
function quantQ3K(x: usize, y: usize, s: usize): void {
  const L = s + S_L;
  let maxScale: f32 = 0;
  let amax: f32 = 0;
  for (let j = 0; j < 16; j++) {
    const scale = makeQ3(16, 4, x + (<usize>(16 * j) << 2), L + 16 * j);
    store<f32>(s + S_SCALES + (<usize>j << 2), scale);
    if (Mathf.abs(scale) > amax) {
      amax = Mathf.abs(scale);
      maxScale = scale;
    }
  }
  const sc = y + 96;
  memory.fill(sc, 0, 12);
  if (maxScale != 0) {
    const iscale: f32 = <f32>-32 / maxScale;
    for (let j = 0; j < 16; j++) {
      let l = <i32>(<i8>nearestInt(iscale * load<f32>(s + S_SCALES + (<usize>j << 2))));
      l = clampI(l, -32, 31) + 32;
      if (j < 8) store<u8>(sc + j, <u8>(l & 0xf));
      else store<u8>(sc + j - 8, <u8>(<i32>load<u8>(sc + j - 8) | ((l & 0xf) << 4)));
      l >>= 4;
      store<u8>(sc + 8 + (j % 4), <u8>(<i32>load<u8>(sc + 8 + (j % 4)) | (l << (2 * (j / 4)))));
    }
    store<u16>(y + 108, <u16>f32ToF16(<f32>1 / iscale));
  } else {
    store<u16>(y + 108, 0);
  }
  const dAll = f16ToF32(<u32>load<u16>(y + 108));
  for (let j = 0; j < 16; j++) {
    const lo = j < 8 ? <i32>load<u8>(sc + j) & 0xf : <i32>load<u8>(sc + j - 8) >> 4;
    const v = (lo | (((<i32>load<u8>(sc + 8 + (j % 4)) >> (2 * (j / 4))) & 3) << 4)) - 32;
    const d: f32 = dAll * <f32>v;
    if (d == 0) continue;
    for (let ii = 0; ii < 16; ii++) store<i8>(L + 16 * j + ii, <i8>(clampI(nearestInt(fx(x, 16 * j + ii) / d), -4, 3) + 4));
  }
  memory.fill(y, 0, 32);
  for (let j = 0; j < 256; j++) {
    const l = <i32>load<i8>(L + j);
    if (l > 3) {
      store<u8>(y + (j & 31), <u8>(<i32>load<u8>(y + (j & 31)) | (1 << (j >> 5))));
      store<i8>(L + j, <i8>(l - 4));
    }
  }
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      const v = <i32>load<u8>(L + j + l) | (<i32>load<u8>(L + j + l + 32) << 2) | (<i32>load<u8>(L + j + l + 64) << 4) | (<i32>load<u8>(L + j + l + 96) << 6);
      store<u8>(y + 32 + (j >> 2) + l, <u8>v);
    }
  }
}

/** quantize_row_q4_1_ref (kt 0), quantize_row_q5_0_ref (1), quantize_row_q5_1_ref (2) on one 32-block. */
function quantLegacy(kt: i32, x: usize, y: usize): void {
  if (kt == 1) {
    let amax: f32 = 0;
    let mx: f32 = 0;
    for (let j = 0; j < 32; j++) {
      const v = fx(x, j);
      if (amax < Mathf.abs(v)) {
        amax = Mathf.abs(v);
        mx = v;
      }
    }
    const d: f32 = mx / <f32>-16;
    const id: f32 = d != 0 ? <f32>1 / d : 0;
    store<u16>(y, <u16>f32ToF16(d));
    let qh: u32 = 0;
    for (let j = 0; j < 16; j++) {
      // (int8_t)(x + 16.5f): truncation toward zero, then the reference clamps to 31 only.
      const q0 = min<i32>(31, <i32>(<i8>(<i32>(fx(x, j) * id + <f32>16.5))));
      const q1 = min<i32>(31, <i32>(<i8>(<i32>(fx(x, j + 16) * id + <f32>16.5))));
      store<u8>(y + 6 + j, <u8>((q0 & 0xf) | ((q1 & 0xf) << 4)));
      qh |= (<u32>((q0 & 0x10) >> 4) << <u32>j) | (<u32>((q1 & 0x10) >> 4) << <u32>(j + 16));
    }
    store<u32>(y + 2, qh);
    return;
  }
  let mn: f32 = f32.MAX_VALUE;
  let mx: f32 = -f32.MAX_VALUE;
  for (let j = 0; j < 32; j++) {
    const v = fx(x, j);
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const d: f32 = (mx - mn) / <f32>(kt == 0 ? 15 : 31);
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(y, <u16>f32ToF16(d));
  store<u16>(y + 2, <u16>f32ToF16(mn));
  let qh: u32 = 0;
  for (let j = 0; j < 16; j++) {
    const x0: f32 = (fx(x, j) - mn) * id;
    const x1: f32 = (fx(x, j + 16) - mn) * id;
    if (kt == 0) {
      const q0 = min<i32>(15, <i32>(<i8>(<i32>(x0 + <f32>0.5))));
      const q1 = min<i32>(15, <i32>(<i8>(<i32>(x1 + <f32>0.5))));
      store<u8>(y + 4 + j, <u8>((q0 & 0xff) | (q1 << 4)));
    } else {
      const q0 = <i32>(<u8>(<i32>(x0 + <f32>0.5)));
      const q1 = <i32>(<u8>(<i32>(x1 + <f32>0.5)));
      store<u8>(y + 8 + j, <u8>((q0 & 0xf) | ((q1 & 0xf) << 4)));
      qh |= (<u32>((q0 & 0x10) >> 4) << <u32>j) | (<u32>((q1 & 0x10) >> 4) << <u32>(j + 16));
    }
  }
  if (kt == 2) store<u32>(y + 4, qh);
}

/** Bytes of scratch quantize_k needs per thread. */
export function quantize_k_scratch_bytes(): i32 {
  return 544;
}

/** f32 rows [start, end) of src [N, K] -> GGUF-order blocks of type kt (0 Q4_1, 1 Q5_0, 2 Q5_1,
 *  3 Q2_K, 5 Q4_K, 6 Q5_K, 7 Q6_K) at dst. */
export function quantize_k(src: usize, dst: usize, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const B = kt < 3 ? 32 : 256;
  const nb = K / B;
  const bb: usize = kt == 0 ? 20 : kt == 1 ? 22 : kt == 2 ? 24 : kt == 3 ? 84 : kt == 4 ? 110 : kt == 5 ? 144 : kt == 6 ? 176 : 210;
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const x = src + ((<usize>r * <usize>K + <usize>(b * B)) << 2);
      const y = dst + (<usize>r * <usize>nb + <usize>b) * bb;
      if (kt < 3) quantLegacy(kt, x, y);
      else if (kt == 3) quantQ2K(x, y, scratch);
      else if (kt == 4) quantQ3K(x, y, scratch);
      else if (kt == 7) quantQ6K(x, y, scratch);
      else quantQ45K(x, y, kt == 6, scratch);
    }
  }
}
