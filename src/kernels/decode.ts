// Fused kernels of the one-token decode step: each writes the activation records of a quantized
// GEMV input (actquant.ts) in the pass that computes the values, instead of writing f32 that
// quantize_act reads again. Same arithmetic as the unfused kernels, so the same bits:
//   rmsnorm_quantize_act = rmsnorm_f32 then quantize_act
//   swiglu_quantize_act  = swiglu_f32 then quantize_act
// n must be a multiple of 32 (whole records). `out` = 0 skips the f32 output (needed only when a
// consumer of the vector has unquantized weights).
import { quantizeBlock } from './actquant';
import { rmsScale, sigmoid4 } from './simd';

const ACT_BLOCK: usize = 176;

/** Rows [start, end) of x [rows, n]: v = (x * rsqrt(mean(x^2) + eps)) * w (Hugging Face's order,
 *  as rmsnorm_f32), quantized into records at act (n / 32 per row) and, if out != 0, stored. */
export function rmsnorm_quantize_act(x: usize, w: usize, out: usize, act: usize, n: i32, eps: f32, start: i32, end: i32, scratch: usize): void {
  const nb = n >> 5;
  const rowBytes = <usize>n << 2;
  for (let r = start; r < end; r++) {
    const xr = x + <usize>r * rowBytes;
    const vs = f32x4.splat(rmsScale(xr, n, eps));
    let ap = act + <usize>r * <usize>nb * ACT_BLOCK;
    for (let b = 0; b < nb; b++) {
      const o = <usize>b << 7;
      const xp = xr + o;
      const wp = w + o;
      const v0 = f32x4.mul(f32x4.mul(v128.load(xp), vs), v128.load(wp));
      const v1 = f32x4.mul(f32x4.mul(v128.load(xp, 16), vs), v128.load(wp, 16));
      const v2 = f32x4.mul(f32x4.mul(v128.load(xp, 32), vs), v128.load(wp, 32));
      const v3 = f32x4.mul(f32x4.mul(v128.load(xp, 48), vs), v128.load(wp, 48));
      const v4 = f32x4.mul(f32x4.mul(v128.load(xp, 64), vs), v128.load(wp, 64));
      const v5 = f32x4.mul(f32x4.mul(v128.load(xp, 80), vs), v128.load(wp, 80));
      const v6 = f32x4.mul(f32x4.mul(v128.load(xp, 96), vs), v128.load(wp, 96));
      const v7 = f32x4.mul(f32x4.mul(v128.load(xp, 112), vs), v128.load(wp, 112));
      if (out != 0) storeBlock(out + <usize>r * rowBytes + o, v0, v1, v2, v3, v4, v5, v6, v7);
      quantizeBlock(ap, v0, v1, v2, v3, v4, v5, v6, v7);
      ap += ACT_BLOCK;
    }
  }
}

/** silu(g) * u exactly as swiglu_f32 forms it (simd.ts sigmoid4). */
// @ts-ignore: decorator
@inline function gated(gate: usize, up: usize, off: u32): v128 {
  const g = v128.load(gate + off);
  return f32x4.mul(f32x4.mul(g, sigmoid4(g)), v128.load(up + off));
}

/** Blocks [start, end) of 32 elements: v = silu(gate) * up, quantized into records at act and, if
 *  out != 0, stored (out may be gate or up). */
export function swiglu_quantize_act(gate: usize, up: usize, out: usize, act: usize, start: i32, end: i32, scratch: usize): void {
  for (let b = start; b < end; b++) {
    const o = <usize>b << 7;
    const g = gate + o;
    const u = up + o;
    const v0 = gated(g, u, 0);
    const v1 = gated(g, u, 16);
    const v2 = gated(g, u, 32);
    const v3 = gated(g, u, 48);
    const v4 = gated(g, u, 64);
    const v5 = gated(g, u, 80);
    const v6 = gated(g, u, 96);
    const v7 = gated(g, u, 112);
    if (out != 0) storeBlock(out + o, v0, v1, v2, v3, v4, v5, v6, v7);
    quantizeBlock(act + <usize>b * ACT_BLOCK, v0, v1, v2, v3, v4, v5, v6, v7);
  }
}

// @ts-ignore: decorator
@inline function storeBlock(p: usize, v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128): void {
  v128.store(p, v0);
  v128.store(p, v1, 16);
  v128.store(p, v2, 32);
  v128.store(p, v3, 48);
  v128.store(p, v4, 64);
  v128.store(p, v5, 80);
  v128.store(p, v6, 96);
  v128.store(p, v7, 112);
}
