// Sampling helpers over one f32 row (single-threaded: a 64000-entry vocabulary is small).
// NaN values are skipped: they never win argmax and never enter a top-k.

/** Is (va, ia) ahead of (vb, ib)? Larger value first, lower index on ties. */
// @ts-ignore: decorator
@inline function ahead(va: f32, ia: i32, vb: f32, ib: i32): bool {
  return va > vb || (va == vb && ia < ib);
}

/** Index of the largest of n f32 (first index on ties), or -1 when every value is NaN (or n = 0). */
export function argmax_f32(p: usize, n: i32): i32 {
  // Per lane: best value and its first index; -1 marks a lane that has seen only NaN so far.
  let mv = f32x4.splat(-Infinity);
  let mi = i32x4.splat(-1);
  let idx = i32x4(0, 1, 2, 3);
  const none = i32x4.splat(-1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    const take = v128.or(f32x4.gt(v, mv), v128.and(i32x4.eq(mi, none), f32x4.eq(v, v)));
    mv = v128.bitselect(v, mv, take);
    mi = v128.bitselect(idx, mi, take);
    idx = i32x4.add(idx, i32x4.splat(4));
  }
  let best = i32x4.extract_lane(mi, 0);
  let bestV = f32x4.extract_lane(mv, 0);
  let li = i32x4.extract_lane(mi, 1);
  let lv = f32x4.extract_lane(mv, 1);
  if (li >= 0 && (best < 0 || ahead(lv, li, bestV, best))) { best = li; bestV = lv; }
  li = i32x4.extract_lane(mi, 2);
  lv = f32x4.extract_lane(mv, 2);
  if (li >= 0 && (best < 0 || ahead(lv, li, bestV, best))) { best = li; bestV = lv; }
  li = i32x4.extract_lane(mi, 3);
  lv = f32x4.extract_lane(mv, 3);
  if (li >= 0 && (best < 0 || ahead(lv, li, bestV, best))) { best = li; bestV = lv; }
  // Tail indices are larger than every lane's, so only a strictly larger value wins.
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v == v && (best < 0 || v > bestV)) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

// The top-k heap: parallel arrays of indices (i32) and values (f32), "behind-most" entry at the root.

// @ts-ignore: decorator
@inline function hv(vals: usize, j: i32): f32 { return load<f32>(vals + (<usize>j << 2)); }
// @ts-ignore: decorator
@inline function hi(idxs: usize, j: i32): i32 { return load<i32>(idxs + (<usize>j << 2)); }

function siftDown(idxs: usize, vals: usize, size: i32, j0: i32): void {
  let j = j0;
  const v = hv(vals, j);
  const id = hi(idxs, j);
  for (;;) {
    let c = 2 * j + 1;
    if (c >= size) break;
    // Pick the child further behind; move it up while it is behind the sinking entry.
    if (c + 1 < size && ahead(hv(vals, c), hi(idxs, c), hv(vals, c + 1), hi(idxs, c + 1))) c++;
    if (!ahead(v, id, hv(vals, c), hi(idxs, c))) break;
    store<f32>(vals + (<usize>j << 2), hv(vals, c));
    store<i32>(idxs + (<usize>j << 2), hi(idxs, c));
    j = c;
  }
  store<f32>(vals + (<usize>j << 2), v);
  store<i32>(idxs + (<usize>j << 2), id);
}

function siftUp(idxs: usize, vals: usize, j0: i32): void {
  let j = j0;
  const v = hv(vals, j);
  const id = hi(idxs, j);
  while (j > 0) {
    const parent = (j - 1) >> 1;
    if (!ahead(hv(vals, parent), hi(idxs, parent), v, id)) break;
    store<f32>(vals + (<usize>j << 2), hv(vals, parent));
    store<i32>(idxs + (<usize>j << 2), hi(idxs, parent));
    j = parent;
  }
  store<f32>(vals + (<usize>j << 2), v);
  store<i32>(idxs + (<usize>j << 2), id);
}

/**
 * The k largest non-NaN values of p[0, n) and their indices, written sorted (largest first, lower
 * index first on ties) to idxs[0, count) and vals[0, count); returns count = min(k, non-NaN values).
 */
export function topk_f32(p: usize, n: i32, k: i32, idxs: usize, vals: usize): i32 {
  let size = 0;
  if (k <= 0) return 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v != v) continue;
    if (size < k) {
      store<f32>(vals + (<usize>size << 2), v);
      store<i32>(idxs + (<usize>size << 2), i);
      siftUp(idxs, vals, size);
      size++;
    } else if (v > hv(vals, 0)) {
      // Equal values never displace the root: it has the lower index.
      store<f32>(vals, v);
      store<i32>(idxs, i);
      siftDown(idxs, vals, size, 0);
    }
  }
  // Heap sort: moving the root (furthest behind) to the end leaves the array best-first.
  for (let last = size - 1; last > 0; last--) {
    const v = hv(vals, 0);
    const id = hi(idxs, 0);
    store<f32>(vals, hv(vals, last));
    store<i32>(idxs, hi(idxs, last));
    store<f32>(vals + (<usize>last << 2), v);
    store<i32>(idxs + (<usize>last << 2), id);
    siftDown(idxs, vals, last, 0);
  }
  return size;
}
