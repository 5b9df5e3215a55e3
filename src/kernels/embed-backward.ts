// Backward of the embedding lookup: scatter-add of the rows' gradients into the table's gradient.

/**
 * dtable[ids[t], j] += dx[t, j] for tokens t in order, columns j in [start, end) (callers split at
 * multiples of 4, so a column is owned by one thread and summed in token order whatever the thread
 * count). ids: i32 [tokens], checked in range by the caller; dx: [tokens, n]; dtable: [V, n].
 */
export function embedding_backward_f32(ids: usize, dx: usize, dtable: usize, tokens: i32, n: i32, start: i32, end: i32, scratch: usize): void {
  const width = end - start;
  const rowBytes = <usize>n << 2;
  const col0 = <usize>start << 2;
  for (let t = 0; t < tokens; t++) {
    const id = load<i32>(ids + (<usize>t << 2));
    const src = dx + <usize>t * rowBytes + col0;
    const dst = dtable + <usize>id * rowBytes + col0;
    let i = 0;
    for (; i + 4 <= width; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; i < width; i++) {
      const o = <usize>i << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}
