// The 4-row in-memory layout of the k-quants that have one ("kx4": Q4_K, Q5_K and Q6_K), in one place.
// Not a kernel entry point (index.ts does not re-export it): kquant.ts (dequantization, embedding
// lookup) and kquant-x4.ts (repacking, GEMV) share these helpers.
//
// Rows are taken in groups of 4 (the last group padded with zero rows); for each group and each
// 256-weight super-block b, one "group block" holds the 4 rows' block b with like fields side by side:
//
//   Q4_K (kt 5), 592 bytes:
//     0    d[4]     fp16, rows 0..3
//     8    dmin[4]  fp16
//     16   8 x 8 bytes: sub-block s's 6-bit scales of rows 0..3, then its 6-bit mins of rows 0..3
//          (get_scale_min_k4 decoded once: one 8-byte load widened to i16 gives both)
//     80   4 x 128 bytes: chunk j (sub-blocks 2j and 2j + 1) of rows 0..3, 32 bytes each, exactly
//          GGUF's qs[32j .. 32j + 32] (low nibbles sub-block 2j, high nibbles 2j + 1)
//   Q5_K (kt 6), 720 bytes: Q4_K's 592 bytes (qs holding the low 4 bits), then
//     592  qh[32] of rows 0..3 (32 bytes each, as in GGUF: bit i of byte l is element 32i + l's 5th bit)
//   Q6_K (kt 7), 840 bytes (GGUF's size, nothing added):
//     0    d[4]     fp16
//     8    16 x 4 bytes: sub-block s's int8 scales of rows 0..3
//     72   2 x 384 bytes, half n (elements 128n .. 128n + 128): ql[64n .. 64n + 64] of rows 0..3
//          (64 bytes each), then qh[32n .. 32n + 32] of rows 0..3 (32 bytes each)
//
// Every GGUF block maps to its group-block bytes one to one (the 12 packed scale bytes of Q4_K use
// all 96 bits), so GGUF -> kx4 -> GGUF gives the file's bytes back.

/** Whether k-type code kt has the kx4 layout in memory. */
@inline
export function isX4(kt: i32): bool {
  return kt >= 5 && kt <= 7;
}

/** Bytes of one group block (4 rows of one super-block). */
@inline
export function groupBytes(kt: i32): usize {
  return kt == 5 ? 592 : kt == 6 ? 720 : 840;
}

/** Bytes of one GGUF block of a kx4 type. */
@inline
export function ggufBlockBytes(kt: i32): usize {
  return kt == 5 ? 144 : kt == 6 ? 176 : 210;
}

/** Start of the group block holding block b of row r (nb super-blocks per row). */
@inline
export function groupAt(p: usize, r: i32, b: i32, nb: i32, kt: i32): usize {
  return p + (<usize>(r >> 2) * <usize>nb + <usize>b) * groupBytes(kt);
}

/** get_scale_min_k4's scale j (0..7) of a Q4_K block's 12 scale bytes at q. */
@inline
function scale6(j: i32, q: usize): i32 {
  if (j < 4) return <i32>load<u8>(q + j) & 63;
  return (<i32>load<u8>(q + j + 4) & 0xf) | ((<i32>load<u8>(q + j - 4) >> 6) << 4);
}

/** get_scale_min_k4's min j (0..7). */
@inline
function min6(j: i32, q: usize): i32 {
  if (j < 4) return <i32>load<u8>(q + j + 4) & 63;
  return (<i32>load<u8>(q + j + 4) >> 4) | ((<i32>load<u8>(q + j) >> 6) << 4);
}

/** Copies the GGUF block at src (row lane l = 0..3 of its group) into the group block at g. */
export function scatterBlock(kt: i32, src: usize, g: usize, l: i32): void {
  const lu = <usize>l;
  if (kt != 7) {
    store<u16>(g + (lu << 1), load<u16>(src));
    store<u16>(g + 8 + (lu << 1), load<u16>(src + 2));
    for (let s = 0; s < 8; s++) {
      store<u8>(g + 16 + (<usize>s << 3) + lu, <u8>scale6(s, src + 4));
      store<u8>(g + 20 + (<usize>s << 3) + lu, <u8>min6(s, src + 4));
    }
    const qs = src + (kt == 6 ? 48 : 16);
    for (let j: usize = 0; j < 4; j++) {
      const d = g + 80 + (j << 7) + (lu << 5);
      const s = qs + (j << 5);
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
    }
    if (kt == 6) {
      v128.store(g + 592 + (lu << 5), v128.load(src + 16));
      v128.store(g + 592 + (lu << 5), v128.load(src + 16, 16), 16);
    }
    return;
  }
  store<u16>(g + (lu << 1), load<u16>(src + 208));
  for (let s: usize = 0; s < 16; s++) store<i8>(g + 8 + (s << 2) + lu, load<i8>(src + 192 + s));
  for (let n: usize = 0; n < 2; n++) {
    const h = g + 72 + n * 384;
    const ql = src + (n << 6);
    const qh = src + 128 + (n << 5);
    for (let o: usize = 0; o < 64; o += 16) v128.store(h + (lu << 6) + o, v128.load(ql + o));
    v128.store(h + 256 + (lu << 5), v128.load(qh));
    v128.store(h + 256 + (lu << 5), v128.load(qh, 16), 16);
  }
}

/** The GGUF block of row lane l of the group block at g, written to dst (inverse of scatterBlock). */
export function gatherBlock(kt: i32, g: usize, l: i32, dst: usize): void {
  const lu = <usize>l;
  if (kt != 7) {
    store<u16>(dst, load<u16>(g + (lu << 1)));
    store<u16>(dst + 2, load<u16>(g + 8 + (lu << 1)));
    const q = dst + 4;
    for (let j = 0; j < 4; j++) {
      const sc = <i32>load<u8>(g + 16 + (<usize>j << 3) + lu);
      const m = <i32>load<u8>(g + 20 + (<usize>j << 3) + lu);
      const sc4 = <i32>load<u8>(g + 16 + (<usize>(j + 4) << 3) + lu);
      const m4 = <i32>load<u8>(g + 20 + (<usize>(j + 4) << 3) + lu);
      store<u8>(q + j, <u8>(sc | ((sc4 >> 4) << 6)));
      store<u8>(q + j + 4, <u8>(m | ((m4 >> 4) << 6)));
      store<u8>(q + j + 8, <u8>((sc4 & 0xf) | ((m4 & 0xf) << 4)));
    }
    const qs = dst + (kt == 6 ? 48 : 16);
    for (let j: usize = 0; j < 4; j++) {
      const s = g + 80 + (j << 7) + (lu << 5);
      const d = qs + (j << 5);
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
    }
    if (kt == 6) {
      v128.store(dst + 16, v128.load(g + 592 + (lu << 5)));
      v128.store(dst + 16, v128.load(g + 592 + (lu << 5), 16), 16);
    }
    return;
  }
  store<u16>(dst + 208, load<u16>(g + (lu << 1)));
  for (let s: usize = 0; s < 16; s++) store<i8>(dst + 192 + s, load<i8>(g + 8 + (s << 2) + lu));
  for (let n: usize = 0; n < 2; n++) {
    const h = g + 72 + n * 384;
    const ql = dst + (n << 6);
    const qh = dst + 128 + (n << 5);
    for (let o: usize = 0; o < 64; o += 16) v128.store(ql + o, v128.load(h + (lu << 6) + o));
    v128.store(qh, v128.load(h + 256 + (lu << 5)));
    v128.store(qh, v128.load(h + 256 + (lu << 5), 16), 16);
  }
}
