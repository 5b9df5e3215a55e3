// The 4-row in-memory layout ("kx4") of Q4_1, Q5_0, Q5_1 (32-weight blocks), Q2_K and Q3_K
// (256-weight super-blocks), in one place, and its conversions from / to GGUF block order.
// Q4_K, Q5_K and Q6_K have their own kx4 layout (kx4-layout.ts); the products on this one are in
// kx4-lowbit.ts.
//
// Rows in groups of 4 (the last padded with zero rows); per group and block b one "group block"
// holds the 4 rows' block b, exactly 4 times GGUF's block size (nothing decoded, nothing added):
// every GGUF byte (or bit) has one place, so GGUF -> kx4 -> GGUF gives the file's bytes back.
// Quant bytes are "transposed in 4-byte units": a field of L bytes per row becomes 4L bytes where
// unit k (bytes 4k..4k+3) of row r sits at 16k + 4r, so one 16-byte vector holds the same 4 bytes
// of the 4 rows: shifts and masks of it give weights already interleaved 4 elements at a time
// (the order the int8 dot against 4 broadcast activations wants, no transposes at run time).
//
//   Q4_1 (kt 0), 80 bytes:  0 d[4] fp16, 8 m[4], 16 qs^T (64: byte j low nibble = element j, high j + 16)
//   Q5_0 (kt 1), 88 bytes:  0 d[4], 8 qh' (16), 24 qs^T (64)
//   Q5_1 (kt 2), 96 bytes:  0 d[4], 8 m[4], 16 qh' (16), 32 qs^T (64)
//     qh': the 4 rows' 32 fifth bits permuted so that bit i + 4k + 16h of row r's qh sits in byte
//     4r + i, bit 2k + h: for qs^T vector k the fifth bits of its low (h = 0) or high (h = 1)
//     nibbles are one constant 16-bit shift and a mask of qh'.
//   Q2_K (kt 3), 336 bytes: 0 d[4], 8 dmin[4], 16 scales (sub-block s of row r at 4s + r, bytes as in
//     GGUF: scale | min << 4), 80 qs^T (256)
//   Q3_K (kt 4), 440 bytes: 0 d[4], 8 the rows' 12 packed scale bytes (row r at 8 + 12r), 56 hmask^T
//     (128; each byte's bits permuted: bits 0..7 -> 2, 3, 6, 7, 0, 1, 4, 5, so that planes 0 and 2
//     (or 1 and 3) of a qs^T vector take their third bits with one mask), 184 qs^T (256)

/** Bytes of one group block (4 rows of one block) of kt 0..4. */
@inline
export function lowGroupBytes(kt: i32): usize {
  return kt == 0 ? 80 : kt == 1 ? 88 : kt == 2 ? 96 : kt == 3 ? 336 : 440;
}

/** Bytes of one GGUF block of kt 0..4. */
@inline
export function lowBlockBytes(kt: i32): usize {
  return kt == 0 ? 20 : kt == 1 ? 22 : kt == 2 ? 24 : kt == 3 ? 84 : 110;
}

/** Weights per block. */
@inline
export function lowBlockElems(kt: i32): i32 {
  return kt < 3 ? 32 : 256;
}

/** Row lane l's L-byte field at src -> the transposed field at t. */
@inline
function putT(src: usize, L: usize, t: usize, l: usize): void {
  for (let k: usize = 0; k < L; k += 4) store<u32>(t + (k << 2) + (l << 2), load<u32>(src + k));
}

/** Inverse of putT. */
@inline
function getT(t: usize, L: usize, l: usize, dst: usize): void {
  for (let k: usize = 0; k < L; k += 4) store<u32>(dst + k, load<u32>(t + (k << 2) + (l << 2)));
}

/** Row lane l's GGUF qh (32 bits) into the permuted qh' at q (bytes 4l..4l+3 only). */
function putQh(qh: u32, q: usize, l: usize): void {
  for (let i: u32 = 0; i < 4; i++) {
    let byte: u32 = 0;
    for (let k: u32 = 0; k < 4; k++) {
      for (let h: u32 = 0; h < 2; h++) byte |= ((qh >> (i + 4 * k + 16 * h)) & 1) << (2 * k + h);
    }
    store<u8>(q + (l << 2) + <usize>i, <u8>byte);
  }
}

/** Row lane l's GGUF qh from qh' at q. */
function getQh(q: usize, l: usize): u32 {
  let qh: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    const byte = <u32>load<u8>(q + (l << 2) + <usize>i);
    for (let k: u32 = 0; k < 4; k++) {
      for (let h: u32 = 0; h < 2; h++) qh |= ((byte >> (2 * k + h)) & 1) << (i + 4 * k + 16 * h);
    }
  }
  return qh;
}

/** Q3_K hmask byte bits 0..7 (third bits of planes j = 0..3 of half 0, then of half 1) -> bits
 *  2, 3, 6, 7, 0, 1, 4, 5 (see kx4-lowbit.ts's q3u02 / q3u13). */
@inline
function hmPermute(x: u32): u32 {
  return ((x & 0x03) << 2) | ((x & 0x0c) << 4) | ((x & 0x30) >> 4) | ((x & 0xc0) >> 2);
}

/** Inverse of hmPermute. */
@inline
function hmUnpermute(y: u32): u32 {
  return ((y >> 2) & 0x03) | ((y >> 4) & 0x0c) | ((y & 0x03) << 4) | ((y & 0x30) << 2);
}

/** Copies the GGUF block at src (row lane l = 0..3 of its group) into the group block at g. */
export function lowScatter(kt: i32, src: usize, g: usize, l: i32): void {
  const lu = <usize>l;
  if (kt < 3) {
    store<u16>(g + (lu << 1), load<u16>(src));
    if (kt != 1) store<u16>(g + 8 + (lu << 1), load<u16>(src + 2));
    if (kt != 0) putQh(load<u32>(src + (kt == 1 ? 2 : 4)), g + (kt == 1 ? 8 : 16), lu);
    putT(src + (kt == 0 ? 4 : kt == 1 ? 6 : 8), 16, g + (kt == 0 ? 16 : kt == 1 ? 24 : 32), lu);
    return;
  }
  if (kt == 3) {
    store<u16>(g + (lu << 1), load<u16>(src + 80));
    store<u16>(g + 8 + (lu << 1), load<u16>(src + 82));
    for (let s: usize = 0; s < 16; s++) store<u8>(g + 16 + (s << 2) + lu, load<u8>(src + s));
    putT(src + 16, 64, g + 80, lu);
    return;
  }
  store<u16>(g + (lu << 1), load<u16>(src + 108));
  memory.copy(g + 8 + 12 * lu, src + 96, 12);
  for (let k: usize = 0; k < 32; k++) store<u8>(g + 56 + ((k >> 2) << 4) + (lu << 2) + (k & 3), <u8>hmPermute(<u32>load<u8>(src + k)));
  putT(src + 32, 64, g + 184, lu);
}

/** The GGUF block of row lane l of the group block at g, written to dst (inverse of lowScatter). */
export function lowGather(kt: i32, g: usize, l: i32, dst: usize): void {
  const lu = <usize>l;
  if (kt < 3) {
    store<u16>(dst, load<u16>(g + (lu << 1)));
    if (kt != 1) store<u16>(dst + 2, load<u16>(g + 8 + (lu << 1)));
    if (kt != 0) store<u32>(dst + (kt == 1 ? 2 : 4), getQh(g + (kt == 1 ? 8 : 16), lu));
    getT(g + (kt == 0 ? 16 : kt == 1 ? 24 : 32), 16, lu, dst + (kt == 0 ? 4 : kt == 1 ? 6 : 8));
    return;
  }
  if (kt == 3) {
    store<u16>(dst + 80, load<u16>(g + (lu << 1)));
    store<u16>(dst + 82, load<u16>(g + 8 + (lu << 1)));
    for (let s: usize = 0; s < 16; s++) store<u8>(dst + s, load<u8>(g + 16 + (s << 2) + lu));
    getT(g + 80, 64, lu, dst + 16);
    return;
  }
  store<u16>(dst + 108, load<u16>(g + (lu << 1)));
  memory.copy(dst + 96, g + 8 + 12 * lu, 12);
  for (let k: usize = 0; k < 32; k++) store<u8>(dst + k, <u8>hmUnpermute(<u32>load<u8>(g + 56 + ((k >> 2) << 4) + (lu << 2) + (k & 3))));
  getT(g + 184, 64, lu, dst + 32);
}

/** Start of the group block holding block b of row r (nb blocks per row). */
@inline
export function lowGroupAt(p: usize, r: i32, b: i32, nb: i32, kt: i32): usize {
  return p + (<usize>(r >> 2) * <usize>nb + <usize>b) * lowGroupBytes(kt);
}
