// Kernels used only to measure the machine: memory read bandwidth and dispatch overhead.

/** Sums f32 [start, end) of a buffer (4-way unrolled so loads, not adds, are the limit); writes the
 *  partial sum to out[start / chunk] so threads never share a cache line of output. */
export function read_sum(p: usize, out: usize, chunk: i32, start: i32, end: i32, scratch: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const q = p + (<usize>i << 2);
    a0 = f32x4.add(a0, v128.load(q));
    a1 = f32x4.add(a1, v128.load(q, 16));
    a2 = f32x4.add(a2, v128.load(q, 32));
    a3 = f32x4.add(a3, v128.load(q, 48));
  }
  const a = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let s = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
  for (; i < end; i++) s += load<f32>(p + (<usize>i << 2));
  store<f32>(out + (<usize>(start / chunk) << 6), s);
}

/** Does nothing: measures the cost of one parallel dispatch. */
export function empty(start: i32, end: i32, scratch: usize): void {}
