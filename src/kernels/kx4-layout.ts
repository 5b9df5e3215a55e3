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
//   Q5_K (kt 6), 720 bytes, built for the GEMV's row pairs as Q6_K below:
//     0    d[4], 8 dmin[4] (fp16)
//     16   4 x 16 bytes, sub-block pair j (s = 2j, s' = 2j + 1): 6-bit scales [sc(s, r0), sc(s, r1),
//          sc(s', r0), sc(s', r1)], the same of rows 2, 3, then the mins m(s, r0..r3), m(s', r0..r3)
//     80   4 x 160 bytes, sub-block pair j: for row pair p = 0, 1 (rows 2p, 2p + 1) 80 bytes, the
//          5-bit values of their 128 weights in 5 vectors V0..V4 (read front to back, as Q6_K). Eight 16-byte operands Wk = [row 2p elements
//          8k..8k+7 of the pair (64j + 8k..), row 2p + 1's same]; Vk = Wk | 3 bits of W5..W7 at bits
//          5-7: V0 W5 bits 0-2, V1 W5 bits 3-4 and W6 bit 0, V2 W6 bits 1-3, V3 W6 bit 4 and W7
//          bits 0-1, V4 W7 bits 2-4; so Wk = Vk & 0x1f (k < 5) and, with Tk = Vk ^ Wk,
//          W5 = (T0 >> 5 | T1 >> 2) & 0x1f, W6 = (T1 >> 7 | T2 >> 4 | T3 >> 1) & 0x1f,
//          W7 = (T3 >> 6 | T4 >> 3) & 0x1f (16-bit shifts: the bits a shift brings in from the
//          neighbouring byte all land above bit 4).
//   Q6_K (kt 7), 840 bytes (GGUF's size, nothing added), built for the GEMV's row pairs:
//     0    d[4]     fp16
//     8    8 x 8 bytes, sub-block pair t (sub-blocks s = 2t, s' = 2t + 1): int8 scales
//          [sc(s, r0), sc(s, r1), sc(s', r0), sc(s', r1)], then the same of rows 2, 3
//     72   8 x 96 bytes, sub-block pair t: for row pair p = 0, 1 (rows 2p, 2p + 1) 48 bytes, the
//          6-bit values u = q + 32 of their 64 weights in 3 vectors V0, V1, V2 (the GEMV reads the
//          block front to back: two interleaved streams, a row pair's 384 bytes each, ran 1.25x
//          slower from DRAM). Four 16-byte operands
//          W0 = [row 2p elements 0..7 of s, row 2p + 1 elements 0..7 of s], W1 = the same of
//          elements 8..15, W2 and W3 the same of s'; Vi = Wi | (bits 2i, 2i + 1 of W3) << 6,
//          so that Wi = Vi & 0x3f (i < 3) and W3 = the top two bits of V0, V1, V2 shifted
//          down by 6, 4 and 2 (in 16-bit lanes, after clearing the low six).
//     Each byte holds one row's bits.
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
  if (kt == 6) {
    store<u16>(g + (lu << 1), load<u16>(src));
    store<u16>(g + 8 + (lu << 1), load<u16>(src + 2));
    for (let s = 0; s < 8; s++) {
      store<u8>(g + q5ScaleAt(<usize>s, l), <u8>scale6(s, src + 4));
      store<u8>(g + q5MinAt(<usize>s, l), <u8>min6(s, src + 4));
    }
    for (let j: usize = 0; j < 4; j++) {
      const v = g + q5ValuesAt(j, l);
      for (let i: usize = 0; i < 8; i++) {
        const e = (j << 6) + i;
        const w5 = q5u(src, e + 40);
        const w6 = q5u(src, e + 48);
        const w7 = q5u(src, e + 56);
        store<u8>(v + i, <u8>(q5u(src, e) | ((w5 & 7) << 5)));
        store<u8>(v + 16 + i, <u8>(q5u(src, e + 8) | ((w5 >> 3) << 5) | ((w6 & 1) << 7)));
        store<u8>(v + 32 + i, <u8>(q5u(src, e + 16) | (((w6 >> 1) & 7) << 5)));
        store<u8>(v + 48 + i, <u8>(q5u(src, e + 24) | ((w6 >> 4) << 5) | ((w7 & 3) << 6)));
        store<u8>(v + 64 + i, <u8>(q5u(src, e + 32) | ((w7 >> 2) << 5)));
      }
    }
    return;
  }
  if (kt != 7) {
    store<u16>(g + (lu << 1), load<u16>(src));
    store<u16>(g + 8 + (lu << 1), load<u16>(src + 2));
    for (let s = 0; s < 8; s++) {
      store<u8>(g + 16 + (<usize>s << 3) + lu, <u8>scale6(s, src + 4));
      store<u8>(g + 20 + (<usize>s << 3) + lu, <u8>min6(s, src + 4));
    }
    const qs = src + 16;
    for (let j: usize = 0; j < 4; j++) {
      const d = g + 80 + (j << 7) + (lu << 5);
      const s = qs + (j << 5);
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
    }
    return;
  }
  store<u16>(g + (lu << 1), load<u16>(src + 208));
  for (let s: usize = 0; s < 16; s++) store<i8>(g + q6ScaleAt(s, l), load<i8>(src + 192 + s));
  for (let t: usize = 0; t < 8; t++) {
    const v = g + q6ValuesAt(t, l);
    for (let i: usize = 0; i < 8; i++) {
      const e = (t << 5) + i;
      const w3 = q6u(src, e + 24);
      store<u8>(v + i, <u8>(q6u(src, e) | ((w3 & 3) << 6)));
      store<u8>(v + 16 + i, <u8>(q6u(src, e + 8) | (((w3 >> 2) & 3) << 6)));
      store<u8>(v + 32 + i, <u8>(q6u(src, e + 16) | ((w3 >> 4) << 6)));
    }
  }
}

/** Byte offset in a Q5_K group block of sub-block s's scale of row lane l. */
@inline
function q5ScaleAt(s: usize, l: i32): usize {
  return 16 + ((s >> 1) << 4) + (<usize>(l >> 1) << 2) + ((s & 1) << 1) + <usize>(l & 1);
}

/** Byte offset of sub-block s's min of row lane l. */
@inline
function q5MinAt(s: usize, l: i32): usize {
  return 24 + ((s >> 1) << 4) + ((s & 1) << 2) + <usize>l;
}

/** Byte offset of row lane l's first byte of V0 in sub-block pair j (8 bytes; Vk at +16k). */
@inline
function q5ValuesAt(j: usize, l: i32): usize {
  return 80 + j * 160 + <usize>(l >> 1) * 80 + (<usize>(l & 1) << 3);
}

/** Element e's 5-bit value of the GGUF Q5_K block at b (qh[32] at 16, qs[128] at 48): element
 *  64c + 32h + i is qs[32c + i]'s low (h = 0) or high nibble | bit 2c + h of qh[i] << 4. */
@inline
function q5u(b: usize, e: usize): i32 {
  const c = e >> 6;
  const h = (e >> 5) & 1;
  const i = e & 31;
  const q = <i32>load<u8>(b + 48 + (c << 5) + i);
  const qh = <i32>load<u8>(b + 16 + i);
  return ((h ? q >> 4 : q) & 15) | (((qh >> <i32>((c << 1) + h)) & 1) << 4);
}

/** Sets element e's value in the GGUF Q5_K block at b, whose qs and qh bits for it are zero. */
@inline
function q5set(b: usize, e: usize, u: i32): void {
  const c = e >> 6;
  const h = (e >> 5) & 1;
  const i = e & 31;
  const pq = b + 48 + (c << 5) + i;
  const ph = b + 16 + i;
  store<u8>(pq, load<u8>(pq) | <u8>((u & 15) << (h ? 4 : 0)));
  store<u8>(ph, load<u8>(ph) | <u8>((u >> 4) << <i32>((c << 1) + h)));
}

/** Byte offset in a Q6_K group block of sub-block s's scale of row lane l. */
@inline
function q6ScaleAt(s: usize, l: i32): usize {
  return 8 + ((s >> 1) << 3) + (<usize>(l >> 1) << 2) + ((s & 1) << 1) + <usize>(l & 1);
}

/** Byte offset of row lane l's first byte of V0 in sub-block pair t (its 8 bytes, V1 at +16, V2 at +32). */
@inline
function q6ValuesAt(t: usize, l: i32): usize {
  return 72 + t * 96 + <usize>(l >> 1) * 48 + (<usize>(l & 1) << 3);
}

/** Element e's 6-bit value u = q + 32 of the GGUF Q6_K block at b (ql[128], qh[64]): element
 *  128n + 32j + i is ql[64n + i + 32 (j & 1)]'s low (j < 2) or high nibble | bits 2j, 2j + 1 of
 *  qh[32n + i] << 4. */
@inline
function q6u(b: usize, e: usize): i32 {
  const n = e >> 7;
  const j = (e >> 5) & 3;
  const i = e & 31;
  const ql = <i32>load<u8>(b + (n << 6) + i + ((j & 1) << 5));
  const qh = <i32>load<u8>(b + 128 + (n << 5) + i);
  return ((j < 2 ? ql : ql >> 4) & 15) | (((qh >> (<i32>j << 1)) & 3) << 4);
}

/** Sets element e's value u in the GGUF Q6_K block at b, whose ql and qh bits for it are zero. */
@inline
function q6set(b: usize, e: usize, u: i32): void {
  const n = e >> 7;
  const j = (e >> 5) & 3;
  const i = e & 31;
  const pl = b + (n << 6) + i + ((j & 1) << 5);
  const ph = b + 128 + (n << 5) + i;
  store<u8>(pl, load<u8>(pl) | <u8>((u & 15) << (j < 2 ? 0 : 4)));
  store<u8>(ph, load<u8>(ph) | <u8>((u >> 4) << (<i32>j << 1)));
}

/** The GGUF block of row lane l of the group block at g, written to dst (inverse of scatterBlock). */
export function gatherBlock(kt: i32, g: usize, l: i32, dst: usize): void {
  const lu = <usize>l;
  if (kt != 7) {
    store<u16>(dst, load<u16>(g + (lu << 1)));
    store<u16>(dst + 2, load<u16>(g + 8 + (lu << 1)));
    const q = dst + 4;
    for (let j = 0; j < 4; j++) {
      const ju = <usize>j;
      const j4 = <usize>(j + 4);
      const q5 = kt == 6;
      const sc = <i32>load<u8>(g + (q5 ? q5ScaleAt(ju, l) : 16 + (ju << 3) + lu));
      const m = <i32>load<u8>(g + (q5 ? q5MinAt(ju, l) : 20 + (ju << 3) + lu));
      const sc4 = <i32>load<u8>(g + (q5 ? q5ScaleAt(j4, l) : 16 + (j4 << 3) + lu));
      const m4 = <i32>load<u8>(g + (q5 ? q5MinAt(j4, l) : 20 + (j4 << 3) + lu));
      store<u8>(q + j, <u8>(sc | ((sc4 >> 4) << 6)));
      store<u8>(q + j + 4, <u8>(m | ((m4 >> 4) << 6)));
      store<u8>(q + j + 8, <u8>((sc4 & 0xf) | ((m4 & 0xf) << 4)));
    }
    if (kt == 6) {
      memory.fill(dst + 16, 0, 160);
      for (let j: usize = 0; j < 4; j++) {
        const v = g + q5ValuesAt(j, l);
        for (let i: usize = 0; i < 8; i++) {
          const e = (j << 6) + i;
          const v0 = <i32>load<u8>(v + i);
          const v1 = <i32>load<u8>(v + 16 + i);
          const v2 = <i32>load<u8>(v + 32 + i);
          const v3 = <i32>load<u8>(v + 48 + i);
          const v4 = <i32>load<u8>(v + 64 + i);
          q5set(dst, e, v0 & 31);
          q5set(dst, e + 8, v1 & 31);
          q5set(dst, e + 16, v2 & 31);
          q5set(dst, e + 24, v3 & 31);
          q5set(dst, e + 32, v4 & 31);
          q5set(dst, e + 40, (v0 >> 5) | (((v1 >> 5) & 3) << 3));
          q5set(dst, e + 48, (v1 >> 7) | ((v2 >> 5) << 1) | (((v3 >> 5) & 1) << 4));
          q5set(dst, e + 56, (v3 >> 6) | ((v4 >> 5) << 2));
        }
      }
      return;
    }
    const qs = dst + 16;
    for (let j: usize = 0; j < 4; j++) {
      const s = g + 80 + (j << 7) + (lu << 5);
      const d = qs + (j << 5);
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
    }
    return;
  }
  store<u16>(dst + 208, load<u16>(g + (lu << 1)));
  for (let s: usize = 0; s < 16; s++) store<i8>(dst + 192 + s, load<i8>(g + q6ScaleAt(s, l)));
  memory.fill(dst, 0, 192);
  for (let t: usize = 0; t < 8; t++) {
    const v = g + q6ValuesAt(t, l);
    for (let i: usize = 0; i < 8; i++) {
      const e = (t << 5) + i;
      const v0 = <i32>load<u8>(v + i);
      const v1 = <i32>load<u8>(v + 16 + i);
      const v2 = <i32>load<u8>(v + 32 + i);
      q6set(dst, e, v0 & 63);
      q6set(dst, e + 8, v1 & 63);
      q6set(dst, e + 16, v2 & 63);
      q6set(dst, e + 24, (v0 >> 6) | ((v1 >> 6) << 2) | ((v2 >> 6) << 4));
    }
  }
}
