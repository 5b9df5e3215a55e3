// Backward of RMSNorm (y = x * r * w, r = rsqrt(mean(x^2) + eps), saved by rmsnorm_train_f32).
import { hsum } from './simd';

/**
 * dx over rows r in [start, end): dx = r (dy * w) - x * (r^3 / n) * sum_j dy_j w_j x_j.
 * dy, x, dx: [rows, n]; w: [n]; rstd: [rows]. dx is overwritten and may be dy (each row's sum is
 * taken before the row is written); it must not overlap x.
 */
export function rmsnorm_backward_dx_f32(dy: usize, x: usize, w: usize, rstd: usize, dx: usize, n: i32, start: i32, end: i32, scratch: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = start; r < end; r++) {
    const dyr = dy + <usize>r * rowBytes;
    const xr = x + <usize>r * rowBytes;
    const dxr = dx + <usize>r * rowBytes;
    const rs = load<f32>(rstd + (<usize>r << 2));
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      acc = f32x4.add(acc, f32x4.mul(f32x4.mul(v128.load(dyr + o), v128.load(w + o)), v128.load(xr + o)));
    }
    let c = hsum(acc);
    for (; i < n; i++) {
      const o = <usize>i << 2;
      c += (load<f32>(dyr + o) * load<f32>(w + o)) * load<f32>(xr + o);
    }
    const kc: f32 = ((rs * rs) * rs) * (c / <f32>n);
    const vr = f32x4.splat(rs);
    const vk = f32x4.splat(kc);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = f32x4.mul(vr, f32x4.mul(v128.load(dyr + o), v128.load(w + o)));
      v128.store(dxr + o, f32x4.sub(g, f32x4.mul(v128.load(xr + o), vk)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(dxr + o, rs * (load<f32>(dyr + o) * load<f32>(w + o)) - load<f32>(xr + o) * kc);
    }
  }
}

/**
 * dw[j] += sum over rows r (in order) of (dy[r, j] * x[r, j]) * rstd[r], for columns j in
 * [start, end) (callers split at multiples of 4). The column sums run in the thread's scratch
 * (4 * (end - start) bytes) from zero and are added to dw once, so dw accumulates across calls.
 */
export function rmsnorm_backward_dw_f32(dy: usize, x: usize, rstd: usize, dw: usize, rows: i32, n: i32, start: i32, end: i32, scratch: usize): void {
  const width = end - start;
  const rowBytes = <usize>n << 2;
  const col0 = <usize>start << 2;
  const acc = scratch;
  memory.fill(acc, 0, <usize>width << 2);
  for (let r = 0; r < rows; r++) {
    const rs = load<f32>(rstd + (<usize>r << 2));
    const vr = f32x4.splat(rs);
    const dyr = dy + <usize>r * rowBytes + col0;
    const xr = x + <usize>r * rowBytes + col0;
    let i = 0;
    for (; i + 4 <= width; i += 4) {
      const o = <usize>i << 2;
      v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(f32x4.mul(v128.load(dyr + o), v128.load(xr + o)), vr)));
    }
    for (; i < width; i++) {
      const o = <usize>i << 2;
      store<f32>(acc + o, load<f32>(acc + o) + (load<f32>(dyr + o) * load<f32>(xr + o)) * rs);
    }
  }
  const dwc = dw + col0;
  let i = 0;
  for (; i + 4 <= width; i += 4) {
    const o = <usize>i << 2;
    v128.store(dwc + o, f32x4.add(v128.load(dwc + o), v128.load(acc + o)));
  }
  for (; i < width; i++) {
    const o = <usize>i << 2;
    store<f32>(dwc + o, load<f32>(dwc + o) + load<f32>(acc + o));
  }
}
