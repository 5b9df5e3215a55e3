// Row normalizations: RMSNorm (Llama) and softmax, parallel over rows [start, end).
import { divideBy, expShifted, rmsScale, rowMax } from './simd';

/** or = (xr * scale) * w over n f32 (the product order of Hugging Face's LlamaRMSNorm). */
// @ts-ignore: decorator
@inline function scaleRow(xr: usize, w: usize, or: usize, n: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(or + o, f32x4.mul(f32x4.mul(v128.load(xr + o), vs), v128.load(w + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(or + o, (load<f32>(xr + o) * scale) * load<f32>(w + o));
  }
}

/**
 * out[r] = (x[r] * rsqrt(mean(x[r]^2) + eps)) * w for rows r in [start, end); x, out: [rows, n],
 * w: [n]. The product order follows Hugging Face's LlamaRMSNorm. out may be x (in place).
 */
export function rmsnorm_f32(x: usize, w: usize, out: usize, n: i32, eps: f32, start: i32, end: i32, scratch: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = start; r < end; r++) {
    const xr = x + <usize>r * rowBytes;
    scaleRow(xr, w, out + <usize>r * rowBytes, n, rmsScale(xr, n, eps));
  }
}

/**
 * rmsnorm_f32 (same arithmetic, same bits) that also keeps rstd[r] = rsqrt(mean(x[r]^2) + eps),
 * f32 [rows], for the backward. out may be x.
 */
export function rmsnorm_train_f32(x: usize, w: usize, out: usize, rstd: usize, n: i32, eps: f32, start: i32, end: i32, scratch: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = start; r < end; r++) {
    const xr = x + <usize>r * rowBytes;
    const scale = rmsScale(xr, n, eps);
    store<f32>(rstd + (<usize>r << 2), scale);
    scaleRow(xr, w, out + <usize>r * rowBytes, n, scale);
  }
}

/** out[r] = softmax(x[r]) (max-subtracted) for rows in [start, end); x, out: [rows, n]; out may be x. */
export function softmax_f32(x: usize, out: usize, n: i32, start: i32, end: i32, scratch: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = start; r < end; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    const sum = expShifted(xr, or, n, rowMax(xr, n));
    divideBy(or, n, sum);
  }
}
